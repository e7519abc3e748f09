package analysis

import (
	"strings"
	"testing"
)

func TestFitOptions(t *testing.T) {
	m := llama3_8b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16, Overhead: SimpleOverhead{FixedBytes: 1 << 30}}
	weights := sc.Weights.Bytes(m.Params().ByClass)
	// 24 GiB card, 9 × 8K tokens: bf16 KV needs 9 GiB on top of 14.96 GiB
	// of weights and the 1 GiB reserve, 0.96 GiB too much; fp8 KV halves the
	// cache and fits.
	f := Fleet{Name: "24g", CapacityBytes: 24 << 30, Count: 1, TP: 1, PP: 1}
	opts := FitOptions(m, sc, f, 8192, 9, 8)
	if len(opts) == 0 || opts[0].Change != "" {
		t.Fatalf("FitOptions first entry = %+v, want the deployment as given", opts)
	}
	if opts[0].Fits {
		t.Fatalf("as given fits (free %d); the test needs a case that does not", opts[0].FreeBytes)
	}
	if want := int64(24<<30) - weights - 1<<30 - 131_072*8192*9; opts[0].FreeBytes != want {
		t.Errorf("as given: free = %d, want %d", opts[0].FreeBytes, want)
	}
	var first *FitChange
	for i := range opts {
		if opts[i].Fits {
			first = &opts[i]
			break
		}
	}
	if first == nil || first.Change != "fp8 KV cache" {
		t.Errorf("cheapest fitting change = %+v, want fp8 KV cache", first)
	}
	// Every TP degree offered divides 32 heads and 8 KV heads.
	for _, o := range opts {
		if o.TP > 1 && (32%o.TP != 0) {
			t.Errorf("option %q has TP %d not dividing 32 heads", o.Change, o.TP)
		}
	}
}

func TestSmallestTP(t *testing.T) {
	m := llama3_8b()
	sc := Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16}
	tests := []struct {
		capacity       int64
		context, batch int64
		want           int64
		ok             bool
	}{
		{80 << 30, 8192, 1, 1, true},
		// 15 GiB cards: 14.96 GiB of weights and 0.125 GiB of cache need two.
		{15 << 30, 1024, 1, 2, true},
		// 1 GiB cards: even TP 8 (2 GiB of weights each) does not fit.
		{1 << 30, 1024, 1, 0, false},
	}
	for _, tc := range tests {
		got, ok := SmallestTP(m, sc, tc.capacity, tc.context, tc.batch, 8)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SmallestTP(capacity %d, %d×%d) = %d, %v; want %d, %v", tc.capacity, tc.batch, tc.context, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTPProblem(t *testing.T) {
	gqa12 := &Model{Layers: []Layer{{Kind: FullAttention, Attn: Attention{Heads: 48, KVHeads: 12, HeadDim: 128, VHeadDim: 128}}}}
	linear := &Model{Layers: []Layer{{Kind: LinearAttention, Linear: Linear{KHeads: 16, VHeads: 32, KHeadDim: 128, VHeadDim: 128, ConvKernel: 4}}}}
	mamba2 := &Model{Layers: []Layer{{Kind: MambaMixer, Mamba: Mamba{Version: 2, NHeads: 24, DInner: 3072, DState: 128, DConv: 4, NGroups: 1}}}}
	mamba1 := &Model{Layers: []Layer{{Kind: MambaMixer, Mamba: Mamba{Version: 1, NHeads: 24, DInner: 3072, DState: 16, DConv: 4}}}}
	for _, tc := range []struct {
		name string
		m    *Model
		tp   int64
		want string
	}{
		{"llama tp 1", llama3_8b(), 1, ""},
		{"llama tp 8 splits the KV heads", llama3_8b(), 8, ""},
		{"llama tp 16 replicates the KV heads", llama3_8b(), 16, ""},
		{"llama tp 3", llama3_8b(), 3, "tp 3 does not divide the 32 attention heads"},
		{"llama tp 64", llama3_8b(), 64, "tp 64 does not divide the 32 attention heads"},
		{"12 KV heads on tp 8", gqa12, 8, "tp 8 neither divides nor is a multiple of the 12 KV heads"},
		{"12 KV heads on tp 12", gqa12, 12, ""},
		{"mla tp 3", mlaModel(1), 3, "tp 3 does not divide the 128 attention heads"},
		{"mla tp 8", mlaModel(1), 8, ""},
		{"linear tp 32", linear, 32, "tp 32 does not divide the 16 linear-attention heads"},
		{"linear tp 16", linear, 16, ""},
		{"mamba-2 tp 16", mamba2, 16, "tp 16 does not divide the 24 Mamba heads"},
		{"mamba-2 tp 8", mamba2, 8, ""},
		{"mamba-1 has no heads to split", mamba1, 16, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.TPProblem(tc.tp); got != tc.want {
				t.Errorf("TPProblem(%d) = %q, want %q", tc.tp, got, tc.want)
			}
		})
	}
}

// FitOptions tries only the changes that change something: no fp8 cache
// when it is already fp8 or narrower, no int4 weights when they are
// already 4-bit, and TP doubled up to the limit.
func TestFitOptionsTriesOnlyRealChanges(t *testing.T) {
	m := llama3_8b()
	int4, _ := LookupDType("int4")
	f := Fleet{Name: "24g", CapacityBytes: 24 << 30, Count: 1, TP: 1, PP: 1}
	names := func(sc Scenario) []string {
		var out []string
		for _, o := range FitOptions(m, sc, f, 8192, 9, 8) {
			out = append(out, o.Change)
		}
		return out
	}
	tps := []string{"tensor parallel 2 (2 GPUs)", "tensor parallel 4 (4 GPUs)", "tensor parallel 8 (8 GPUs)"}
	for _, tc := range []struct {
		name string
		sc   Scenario
		want []string
	}{
		{"bf16 weights and cache", Scenario{Weights: WeightScheme{Default: bf16}, KV: kvBF16},
			append([]string{"", "fp8 KV cache", "int4 weights", "int4 weights + fp8 KV cache"}, tps...)},
		{"fp8 cache already", Scenario{Weights: WeightScheme{Default: bf16}, KV: kvFP8},
			append([]string{"", "int4 weights"}, tps...)},
		{"int4 weights already", Scenario{Weights: WeightScheme{Default: int4}, KV: kvBF16},
			append([]string{"", "fp8 KV cache"}, tps...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.sc); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("FitOptions changes = %q, want %q", got, tc.want)
			}
		})
	}
}
