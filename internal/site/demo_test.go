package site

import (
	"fmt"
	"github.com/kvplot/kvplot/internal/pages"
	"math"

	"github.com/kvplot/kvplot/internal/charts"
)

// Hostile strings a spec could carry; the pages must show them as text.
const (
	hostileScript = `</script><script>window.__pwned=1</script>`
	hostileMarker = `__f__window.__pwned=2__f__`
	hostileImg    = `<img src=x onerror="window.__pwned=3">`
	hostileMisc   = "<!--<script> \u2028 \u2029 & \"q\" 'q'"
)

// demoModel is a toy model for the demo site: KV bytes per token and the
// window after which its cache stops growing (0 for none).
type demoModel struct {
	Name       string
	KVPerToken float64 // bytes
	Window     float64 // tokens
}

var demoModels = []demoModel{
	{"Llama-3-8B", 2 * 32 * 8 * 128 * 2, 0},         // 131072 B/token
	{"Llama-3-70B", 2 * 80 * 8 * 128 * 2, 0},        // 327680 B/token
	{"Mistral-7B-v0.1", 2 * 32 * 8 * 128 * 2, 4096}, // sliding window
	{hostileScript, 2 * 40 * 8 * 128 * 2, 0},        // hostile names
	{hostileMarker + " " + hostileImg, 2 * 24 * 4 * 64 * 2, 0},
}

var demoContexts = []float64{1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 17}

func contextLabel(n float64) string { return fmt.Sprintf("%.0fK", n/1024) }

func kvGiB(m demoModel, tokens, batch float64) float64 {
	if m.Window > 0 {
		tokens = math.Min(tokens, m.Window)
	}
	return m.KVPerToken * tokens * batch / (1 << 30)
}

// demoPages is a small site with every block and chart kind, two page
// depths and hostile text in every place a spec can put text.
func demoPages() []pages.Page {
	var xs []string
	for _, c := range demoContexts {
		xs = append(xs, contextLabel(c))
	}
	var names []string
	for _, m := range demoModels {
		names = append(names, m.Name)
	}
	var lineSeries []charts.Series
	var perToken []float64
	var rows [][]string
	var raw [][]any
	for _, m := range demoModels {
		s := charts.Series{Name: m.Name, Color: charts.ColorFor(m.Name, names)}
		for _, c := range demoContexts {
			s.Values = append(s.Values, kvGiB(m, c, 1))
		}
		lineSeries = append(lineSeries, s)
		perToken = append(perToken, m.KVPerToken/1024)
		rows = append(rows, []string{m.Name, fmt.Sprintf("%.0f", m.KVPerToken), fmt.Sprintf("%.2f GiB", kvGiB(m, 8192, 1))})
		raw = append(raw, []any{m.Name, m.KVPerToken, kvGiB(m, 8192, 1)})
	}
	lineSeries[1].Values[7] = math.NaN() // a missing point

	var links pages.Links
	for i, s := range pages.UniqueSlugs(names) {
		links = append(links, pages.Link{Text: names[i], Href: "models/" + s + ".html"})
	}

	index := pages.Page{
		Path:  "index.html",
		Title: "KV cache overview",
		Intro: "How much accelerator memory the KV cache takes, for each model and context length.\n\nAll numbers are for batch 1 and fp16 caches.",
		Blocks: []pages.Block{
			pages.Text{Heading: "KV cache against context", ID: "kv-context", Paragraphs: []string{"Contexts are powers of two, so the x axis is logarithmic."}},
			pages.Figure{Chart: charts.Line{
				ID: "kvContext", Title: "KV cache vs context length", Subtitle: "batch 1, fp16",
				XName: "context (tokens)", YName: "KV cache", YUnit: "GiB", X: xs, Series: lineSeries,
				MarkLines: []charts.MarkLine{{Name: "H100 80GB budget", Value: 58.5}, {Name: "L4 24GB budget", Value: 14.2, Color: "#6a3d9a"}},
			}, Caption: "Dashed lines: the KV budget left on one accelerator after weights and reserves."},
			pages.Figure{Chart: charts.Bar{
				ID: "kvPerToken", Title: "KV cache per token", XName: "model", YName: "KV per token", YUnit: "KiB",
				Categories: names, Series: []charts.Series{{Name: "KV per token", Values: perToken}}, Horizontal: true,
			}},
			pages.Table{ID: "kv-table", Caption: "KV cache per token and at 8K context", Header: []string{"Model", "KV bytes/token", "KV at 8K"},
				Rows: rows, Raw: raw, DataName: "kv-per-token"},
			pages.Text{Heading: "Models"},
			links,
			pages.Assumptions{"fp16 K and V caches (2 bytes per element).", "Batch 1; no prefix sharing or paging overhead.", hostileImg},
			pages.Formulas{"kv_bytes_per_token = 2 × layers × kv_heads × head_dim × bytes_per_element", "kv_bytes(context) = kv_bytes_per_token × min(context, window)", hostileScript},
		},
	}

	var pgs = []pages.Page{index}
	for i, m := range demoModels {
		batches := []string{"1", "2", "4", "8", "16", "32"}
		var hv [][]float64
		for _, b := range []float64{1, 2, 4, 8, 16, 32} {
			var row []float64
			for _, c := range demoContexts {
				v := kvGiB(m, c, b)
				if v > 58.5 {
					v = math.NaN()
				}
				row = append(row, v)
			}
			hv = append(hv, row)
		}
		weights := 14.96 + float64(i)
		pgs = append(pgs, pages.Page{
			Path:  "models/" + pages.UniqueSlugs(names)[i] + ".html",
			Title: m.Name,
			Intro: "Memory plan for " + m.Name + " on one H100 80GB.",
			Blocks: []pages.Block{
				pages.Figure{Chart: charts.StackedBar{
					ID: "memStack", Title: "Memory per accelerator", Subtitle: m.Name, XName: "context", YName: "memory", YUnit: "GiB",
					Categories: xs[:4],
					Series: []charts.Series{
						{Name: charts.ComponentWeights, Values: []float64{weights, weights, weights, weights}},
						{Name: charts.ComponentKVCache, Values: []float64{kvGiB(m, 1024, 8), kvGiB(m, 2048, 8), kvGiB(m, 4096, 8), kvGiB(m, 8192, 8)}},
						{Name: charts.ComponentActivation, Values: []float64{2, 2, 2.5, 3}},
						{Name: charts.ComponentRuntime, Values: []float64{1.5, 1.5, 1.5, 1.5}},
					},
					MarkLines: []charts.MarkLine{{Name: "H100 80GB", Value: 74.5}},
				}},
				pages.Figure{Chart: charts.HeatMap{
					ID: "kvHeat", Title: "KV cache by batch and context", Subtitle: m.Name,
					XName: "context", YName: "batch", X: xs, Y: batches, Values: hv, Unit: "GiB",
				}, Caption: "Grey cells do not fit in the 58.5 GiB KV budget."},
				pages.Table{Caption: "Sources", Header: []string{"What", "Where"}, Rows: [][]string{{"config", m.Name}}},
				pages.Links{
					{Text: "Model card", Href: "https://huggingface.co/meta-llama/Meta-Llama-3-8B", External: true},
					{Text: "javascript link from a spec", Href: "javascript:window.__pwned=4", External: true},
					{Text: "Back to the overview", Href: "index.html#kv-table"},
				},
			},
		})
	}
	pgs = append(pgs, pages.Page{
		Path:  "about.html",
		Title: "About",
		Intro: "kvplot draws memory plans for serving language models.",
		Blocks: []pages.Block{
			pages.Text{Paragraphs: []string{"Pages are static; charts are drawn by Apache ECharts, bundled with the site."}},
			pages.Links{{Text: "Overview", Href: "index.html"}, {Text: "KV data (CSV)", Href: "data/kv-per-token.csv"}},
		},
	})
	return pgs
}

// demoPaths lists the page paths of demoPages.
func demoPaths() []string {
	var out []string
	for _, p := range demoPages() {
		out = append(out, p.Path)
	}
	return out
}
