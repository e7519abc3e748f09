package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/provenance"
	"github.com/kvplot/kvplot/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testBuild stands for the kvplot binary in goldens, so that they do not
// change with every commit.
var testBuild = provenance.Build{Version: "v0.0.0-test", Revision: "0123456789abcdef"}

func load(t *testing.T, dir string) *spec.Catalog {
	t.Helper()
	c, err := spec.LoadCatalog(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	return c
}

// sample compares testdata/base with testdata/head: the head resizes the
// fleet h100-pool from 2 H100 (TP2) to 1, adds Mistral 7B and switches the
// KV cache from bf16 to fp8.
func sample(t *testing.T) *Report {
	t.Helper()
	r, err := Compare(load(t, "testdata/base"), load(t, "testdata/head"), testBuild)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run make golden)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run make golden and review the change.\ngot:\n%s", name, got)
	}
}

func TestGoldens(t *testing.T) {
	r := sample(t)
	golden(t, "sample.diff.md", r.Markdown(""))
	j, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.diff.json", j)
}

func cell(t *testing.T, r *Report, model, fleet string) Cell {
	t.Helper()
	for _, c := range r.Cells {
		if c.Model == model && c.Fleet == fleet {
			return c
		}
	}
	t.Fatalf("no cell %s × %s", model, fleet)
	return Cell{}
}

func TestSampleChange(t *testing.T) {
	r := sample(t)

	t.Run("resized fleet flips llama-2-70b", func(t *testing.T) {
		if len(r.Flips) != 1 {
			t.Fatalf("flips = %d, want 1: %+v", len(r.Flips), r.Flips)
		}
		f := r.Flips[0]
		// Llama 2 70B has 68,976,648,192 parameters (specs/models/llama-2-70b.yaml,
		// from the Hugging Face model API): 137.95 GB in fp16, 64.2 GiB per GPU
		// at TP2 but 128.5 GiB on one 79.19 GiB H100.
		if f.Model != "llama-2-70b" || f.Fleet != "h100-pool" || f.Base.Verdict != Fits || f.Head.Verdict != DoesNotFit {
			t.Fatalf("flip = %s on %s: %s → %s, want llama-2-70b on h100-pool: fits → does not fit", f.Model, f.Fleet, f.Base.Verdict, f.Head.Verdict)
		}
		// The site's headline engine is vLLM (site.yaml engine: default):
		// it would not start with 128.48 GiB of weights on 71.27 GiB
		// (0.9 × 79.19 GiB).
		if !strings.Contains(f.Head.Reason, "vllm would not start") {
			t.Errorf("reason = %q, want vLLM's refusal", f.Head.Reason)
		}
		if !r.Flipped() {
			t.Error("Flipped() = false with a flip")
		}
	})

	t.Run("fp8 doubles the cache's capacity where nothing else changed", func(t *testing.T) {
		// Same budget, half the bytes per token: the longest context the
		// cache holds doubles, give or take the one 16-token block of
		// vLLM's paged cache that the halved rounding can add. The served
		// context stays at the model's 8,192 tokens (max_position_embeddings
		// in its config.json).
		c := cell(t, r, "llama-3-8b", "1x-h100")
		b, h := *c.Base.KVCapacityTokens, *c.Head.KVCapacityTokens
		if h < 2*b || h > 2*b+16 {
			t.Errorf("llama-3-8b on 1× H100: KV capacity %d → %d, want twice (%d..%d)", b, h, 2*b, 2*b+16)
		}
		if *c.Base.MaxContextTokens != 8192 || *c.Head.MaxContextTokens != 8192 || c.Head.MaxContextLimitedBy != "model" {
			t.Errorf("llama-3-8b on 1× H100: max context %d → %d (%s), want 8,192 both, limited by the model",
				*c.Base.MaxContextTokens, *c.Head.MaxContextTokens, c.Head.MaxContextLimitedBy)
		}
		// Concurrency at 8,192 tokens: ⌊budget ÷ per-sequence bytes⌋ with the
		// per-sequence bytes halved.
		bc, hc := *c.Base.MaxConcurrency, *c.Head.MaxConcurrency
		if hc < 2*bc || hc > 2*bc+1 {
			t.Errorf("llama-3-8b on 1× H100: concurrency %d → %d, want twice", bc, hc)
		}
	})

	t.Run("added model is new on every fleet", func(t *testing.T) {
		for _, f := range []string{"1x-l4", "1x-h100", "h100-pool"} {
			c := cell(t, r, "mistral-7b-v0.1", f)
			if c.Base != nil || c.Head == nil {
				t.Errorf("mistral on %s: base %v head %v, want only head", f, c.Base, c.Head)
			}
		}
	})

	t.Run("spec changes name each change", func(t *testing.T) {
		var got []string
		for _, c := range r.SpecChanges {
			s := c.Kind + " " + c.Key + " " + c.Op
			for _, f := range c.Fields {
				s += " " + f.Field + ":" + f.Base + "→" + f.Head
			}
			got = append(got, s)
		}
		want := []string{
			"settings site.yaml changed kv_dtype:bf16→fp8",
			"fleet h100-pool changed count:2→1 tp:2→1",
			"model mistral-7b-v0.1 added",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("spec changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("moves are largest first", func(t *testing.T) {
		for i := 1; i < len(r.Context); i++ {
			if r.Context[i-1].size() < r.Context[i].size() {
				t.Errorf("context move %d (%v) is smaller than move %d (%v)", i-1, r.Context[i-1].ChangeText(), i, r.Context[i].ChangeText())
			}
		}
	})
}

func TestNoChange(t *testing.T) {
	base := load(t, "testdata/base")
	r, err := Compare(base, load(t, "testdata/base"), testBuild)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.SpecChanges) != 0 || len(r.Flips) != 0 || len(r.Context) != 0 || len(r.Concurrency) != 0 {
		t.Errorf("comparing a tree with itself: %d spec changes, %d flips, %d context moves, %d concurrency moves; want none",
			len(r.SpecChanges), len(r.Flips), len(r.Context), len(r.Concurrency))
	}
	if r.Base.Specs.Hash != r.Head.Specs.Hash {
		t.Errorf("same tree hashes %s and %s", r.Base.Specs.Hash, r.Head.Specs.Hash)
	}
	if !strings.Contains(r.Summary, "same models, accelerators, fleets and settings") || !strings.Contains(r.Summary, "No verdict flips") {
		t.Errorf("summary of no change: %q", r.Summary)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sample(t)
	j, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Flips []struct {
			Model string
			Base  struct{ Verdict string }
			Head  struct {
				Verdict          string
				MaxContextTokens *int64 `json:"max_context_tokens"`
			}
		}
		Cells []map[string]any
	}
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Flips) != 1 || back.Flips[0].Head.Verdict != "does not fit" || back.Flips[0].Head.MaxContextTokens != nil {
		t.Errorf("flips in JSON = %+v, want one to does not fit with a null max context", back.Flips)
	}
	// 3 models × 3 fleets, Mistral only in head.
	if len(back.Cells) != 9 {
		t.Errorf("JSON has %d cells, want 9", len(back.Cells))
	}
}

func TestSummaryNamesEachChange(t *testing.T) {
	r := sample(t)
	for _, want := range []string{
		"add 1 model (Mistral 7B v0.1)",
		"change 1 fleet (H100 pool) and the settings (kv_dtype bf16 → fp8)",
		"Llama 2 70B no longer fits on H100 pool",
		"New model Mistral 7B v0.1 fits on 3 of 3 fleets",
	} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.Summary)
		}
	}
}

// TestMarkdownFitsAComment fills a report with thousands of flips and
// changes with long, hostile names: the Markdown stays under the comment
// limit, says what it left out, and shows no name as Markdown or HTML.
func TestMarkdownFitsAComment(t *testing.T) {
	r := sample(t)
	evil := "<img src=x onerror=alert(1)> | **@octocat** [x](javascript:alert(1)) `" + strings.Repeat("long name ", 30)
	base, head := *r.Flips[0].Base, *r.Flips[0].Head
	for i := range 3000 {
		r.Flips = append(r.Flips, Cell{Model: "m", ModelName: evil + strconv.Itoa(i), Fleet: "f", FleetTitle: evil, Base: &base, Head: &head})
		r.SpecChanges = append(r.SpecChanges, SpecChange{Kind: "model", Key: "m" + strconv.Itoa(i), Name: evil, Op: "changed",
			Fields: []FieldChange{{"name", evil, evil + "2"}, {"arch.hidden", "1", "2"}}})
	}
	md := r.Markdown("https://example.com/diff.html")
	if len(md) > MaxMarkdownBytes {
		t.Fatalf("Markdown is %d bytes, over %d", len(md), MaxMarkdownBytes)
	}
	s := string(md)
	if !strings.HasPrefix(s, CommentMarker+"\n") {
		t.Errorf("Markdown does not start with the comment marker")
	}
	if !strings.Contains(s, "more in the full page") {
		t.Errorf("Markdown does not say that rows were left out")
	}
	if regexp.MustCompile(`(^|[^\\])<img`).MatchString(s) {
		t.Errorf("Markdown holds an unescaped <img")
	}
	for _, bad := range []string{"**@octocat**", "[x](javascript", "| **@"} {
		if strings.Contains(s, bad) {
			t.Errorf("Markdown holds unescaped %q", bad)
		}
	}
	if !strings.Contains(s, "(https://example.com/diff.html)") {
		t.Errorf("Markdown does not link the page URL")
	}
}

func TestCompareFields(t *testing.T) {
	type layer struct{ KVHeads, Window int64 }
	type model struct {
		Name   string
		File   string // where it was read: never a change
		Layers []layer
	}
	mk := func(n int, kv func(i int) int64) model {
		m := model{Name: "x", File: "a/x.yaml"}
		for i := range n {
			m.Layers = append(m.Layers, layer{KVHeads: kv(i), Window: 0})
		}
		return m
	}
	t.Run("runs of layers fold", func(t *testing.T) {
		b := mk(32, func(int) int64 { return 8 })
		h := mk(32, func(i int) int64 {
			if i < 16 || i == 20 {
				return 4
			}
			return 8
		})
		h.File = "b/x.yaml"
		got := compareFields(b, h)
		want := []FieldChange{{"layers[0-15].kv_heads", "8", "4"}, {"layers[20].kv_heads", "8", "4"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("compareFields = %v, want %v", got, want)
		}
	})
	t.Run("added layers are a count", func(t *testing.T) {
		got := compareFields(mk(2, func(int) int64 { return 8 }), mk(40, func(int) int64 { return 8 }))
		want := []FieldChange{{"layers.count", "2", "40"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("compareFields = %v, want %v", got, want)
		}
	})
	t.Run("snake names", func(t *testing.T) {
		for in, want := range map[string]string{"KVHeads": "kv_heads", "QKVBias": "qkv_bias", "DInner": "d_inner", "MaxContext": "max_context", "TP": "tp", "SSMStateBits": "ssm_state_bits"} {
			if got := snake(in); got != want {
				t.Errorf("snake(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

func TestNoLayoutVerdict(t *testing.T) {
	// Llama 3 8B has 32 attention heads: TP 3 cannot split them.
	base := load(t, "testdata/base")
	head := load(t, "testdata/base")
	for i := range head.Fleets {
		if head.Fleets[i].Name == "h100-pool" {
			head.Fleets[i].Count, head.Fleets[i].TP = 3, 3
		}
	}
	r, err := Compare(base, head, testBuild)
	if err != nil {
		t.Fatal(err)
	}
	c := cell(t, r, "llama-3-8b", "h100-pool")
	if c.Head.Verdict != NoLayout || !strings.Contains(c.Head.Reason, "32") || strings.Contains(c.Head.Reason, "fleets.yaml") {
		t.Errorf("llama-3-8b on 3 H100 at TP 3: %s (%q), want no layout naming the 32 heads and no file position", c.Head.Verdict, c.Head.Reason)
	}
	if !c.Flipped() {
		t.Error("fits → no layout is not a flip")
	}
}
