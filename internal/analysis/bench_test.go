package analysis_test

import (
	"fmt"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// The default site's grid (specs/site.yaml and spec.DefaultSettings).
var (
	benchContexts = []int64{1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072}
	benchBatches  = []int64{1, 2, 4, 8, 16, 32}
)

// benchModels are one model of each cache shape the site draws, with the
// published architectures' sizes (their config.json files in specs/hf).
func benchModels() []*analysis.Model {
	gqa := analysis.Attention{Heads: 64, KVHeads: 8, HeadDim: 128, VHeadDim: 128}
	dense := &analysis.Model{Name: "llama-3.1-70b", VocabSize: 128256, Hidden: 8192, NormsPerLayer: 2, FinalNorm: true, MaxContext: 131072}
	for range 80 {
		dense.Layers = append(dense.Layers, analysis.Layer{Kind: analysis.FullAttention, Attn: gqa,
			FFN: analysis.FFN{Intermediate: 28672, Gated: true}})
	}

	sliding := &analysis.Model{Name: "gemma-2-9b", VocabSize: 256000, Hidden: 3584, NormsPerLayer: 4, FinalNorm: true, TiedEmbedding: true, MaxContext: 8192}
	for i := range 42 {
		l := analysis.Layer{Kind: analysis.FullAttention, Attn: analysis.Attention{Heads: 16, KVHeads: 8, HeadDim: 256, VHeadDim: 256},
			FFN: analysis.FFN{Intermediate: 14336, Gated: true}}
		if i%2 == 0 {
			l.Kind, l.Window = analysis.SlidingAttention, 4096
		}
		sliding.Layers = append(sliding.Layers, l)
	}

	mla := &analysis.Model{Name: "deepseek-v3", VocabSize: 129280, Hidden: 7168, NormsPerLayer: 2, FinalNorm: true, MaxContext: 163840}
	for i := range 61 {
		l := analysis.Layer{Kind: analysis.MLAAttention,
			MLA: analysis.MLA{Heads: 128, QLoraRank: 1536, KVLoraRank: 512, QKNopeHeadDim: 128, QKRopeHeadDim: 64, VHeadDim: 128},
			FFN: analysis.FFN{Experts: 256, TopK: 8, ExpertIntermediate: 2048, SharedExperts: 1, SharedIntermediate: 2048, Gated: true, ScoreCorrectionBias: true}}
		if i < 3 {
			l.FFN = analysis.FFN{Intermediate: 18432, Gated: true}
		}
		mla.Layers = append(mla.Layers, l)
	}

	// Qwen3-Next's layout: three gated delta-net layers, then one full
	// attention layer: a fixed state plus a growing cache.
	hybrid := &analysis.Model{Name: "qwen3-next-80b-a3b", VocabSize: 151936, Hidden: 2048, NormsPerLayer: 2, FinalNorm: true, MaxContext: 262144}
	for i := range 48 {
		l := analysis.Layer{Kind: analysis.LinearAttention,
			Linear: analysis.Linear{KHeads: 16, VHeads: 32, KHeadDim: 128, VHeadDim: 128, ConvKernel: 4},
			FFN:    analysis.FFN{Experts: 512, TopK: 10, ExpertIntermediate: 512, SharedExperts: 1, SharedIntermediate: 512, Gated: true, SharedGate: true}}
		if i%4 == 3 {
			l.Kind = analysis.FullAttention
			l.Attn = analysis.Attention{Heads: 16, KVHeads: 2, HeadDim: 256, VHeadDim: 256, QKNorm: true, OutputGate: true}
		}
		hybrid.Layers = append(hybrid.Layers, l)
	}
	return []*analysis.Model{dense, sliding, mla, hybrid}
}

// benchFleets span one small card to a pipelined node pair: the solver's
// cost must not grow with the memory it has to fill.
func benchFleets() []analysis.Fleet {
	const gib = int64(1) << 30
	return []analysis.Fleet{
		{Name: "1x-rtx-4090", CapacityBytes: 23_59 * gib / 100, Count: 1, TP: 1, PP: 1},
		{Name: "8x-h100-tp8", CapacityBytes: 79_19 * gib / 100, Count: 8, TP: 8, PP: 1},
		{Name: "16x-h200-tp8-pp2", CapacityBytes: 139_57 * gib / 100, Count: 16, TP: 8, PP: 2},
	}
}

func benchScenario() analysis.Scenario {
	bf16, _ := analysis.LookupDType("bf16")
	kv, _ := analysis.LookupKVDType("bf16")
	return analysis.Scenario{Weights: analysis.WeightScheme{Default: bf16}, KV: kv,
		Overhead: analysis.SimpleOverhead{FixedBytes: 1 << 30, CapacityFraction: 0.1}}
}

// sink keeps results alive so the compiler cannot drop the work.
var sink int64

// BenchmarkKVGrid prices each model's cache on the default contexts ×
// batches grid, as a model page's growth chart does.
func BenchmarkKVGrid(b *testing.B) {
	kv := benchScenario().KV
	for _, m := range benchModels() {
		b.Run(m.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g := m.KVGrid(kv, benchContexts, benchBatches)
				sink += g[len(g)-1][len(benchBatches)-1]
			}
		})
	}
}

// BenchmarkMaxContext solves the longest context for every batch of the
// grid. A binary search over tokens costs the same on a 24 GB card as on a
// pipelined node pair; a scan over tokens would not.
func BenchmarkMaxContext(b *testing.B) {
	sc := benchScenario()
	for _, m := range benchModels() {
		for _, f := range benchFleets() {
			p, err := analysis.NewPlan(m, sc, f)
			if err != nil {
				b.Fatalf("NewPlan(%s, %s): %v", m.Name, f.Name, err)
			}
			b.Run(fmt.Sprintf("%s/%s", m.Name, f.Name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for _, bs := range benchBatches {
						sink += p.MaxContext(bs).Tokens
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchBatches)), "ns/solve")
			})
		}
	}
}

// BenchmarkNewPlan places each model on each fleet: the per-stage tallies
// of parameters and cache costs every later question reuses.
func BenchmarkNewPlan(b *testing.B) {
	sc := benchScenario()
	models, fleets := benchModels(), benchFleets()
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range models {
			for _, f := range fleets {
				p, err := analysis.NewPlan(m, sc, f)
				if err != nil {
					b.Fatal(err)
				}
				sink += p.KVBudgetBytesPerGPU()
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(models)*len(fleets)), "ns/plan")
}
