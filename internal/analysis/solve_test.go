package analysis

import "testing"

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
