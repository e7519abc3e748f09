package analysis

import "fmt"

// FitChange is one way of serving a scenario and whether it fits.
type FitChange struct {
	// Change names what differs from the deployment as given, "" for none.
	Change string
	// GPUs and TP are the resulting fleet's accelerators and TP degree.
	GPUs, TP int64
	// FreeBytes is what the most loaded accelerator has left (negative:
	// short by that much).
	FreeBytes int64
	Fits      bool
}

// FitOptions tries, cheapest first, the usual changes that make batch
// sequences of context tokens fit on f: an fp8 KV cache (no extra
// hardware, small quality cost), int4 weights, both, then doubling the
// tensor-parallel degree (and the accelerators) up to maxTP. It returns
// every option tried, in that order; the first with Fits is the cheapest
// change. Impossible TP degrees (not dividing the attention heads) are
// skipped.
func FitOptions(m *Model, s Scenario, f Fleet, context, batch, maxTP int64) []FitChange {
	fp8, _ := LookupKVDType("fp8")
	int4, _ := LookupDType("int4")
	q := WeightScheme{Default: int4, Keep16: []TensorClass{Embeddings, LMHead, RouterWeights, VisionWeights}}
	try := func(name string, sc Scenario, fl Fleet) (FitChange, bool) {
		p, err := NewPlan(m, sc, fl)
		if err != nil {
			return FitChange{}, false
		}
		mem := p.Memory(context, batch)
		return FitChange{Change: name, GPUs: fl.Count, TP: fl.TP, FreeBytes: mem.FreeBytes, Fits: mem.FreeBytes >= 0}, true
	}
	var out []FitChange
	add := func(name string, sc Scenario, fl Fleet) {
		if c, ok := try(name, sc, fl); ok {
			out = append(out, c)
		}
	}
	add("", s, f)
	kv := s
	kv.KV = fp8
	if s.KV.Bits > 8 {
		add("fp8 KV cache", kv, f)
	}
	w := s
	w.Weights = q
	if s.Weights.Default.Bits > 4 {
		add("int4 weights", w, f)
		if s.KV.Bits > 8 {
			wk := w
			wk.KV = fp8
			add("int4 weights + fp8 KV cache", wk, f)
		}
	}
	for tp := f.TP * 2; tp <= maxTP; tp *= 2 {
		if m.TPProblem(tp) != "" {
			continue
		}
		fl := f
		fl.TP = tp
		fl.Count = tp * f.PP * max(1, f.Replicas())
		add("tensor parallel "+itoa(tp)+" ("+itoa(fl.Count)+" GPUs)", s, fl)
	}
	return out
}

// SmallestTP is the least tensor-parallel degree, a power of two up to
// maxTP that divides the attention heads, at which batch sequences of
// context tokens fit on accelerators of capacityBytes; ok is false when
// none does.
func SmallestTP(m *Model, s Scenario, capacityBytes, context, batch, maxTP int64) (tp int64, ok bool) {
	for tp = 1; tp <= maxTP; tp *= 2 {
		if m.TPProblem(tp) != "" {
			continue
		}
		p, err := NewPlan(m, s, Fleet{Name: "smallest", CapacityBytes: capacityBytes, Count: tp, TP: tp, PP: 1})
		if err == nil && p.Memory(context, batch).FreeBytes >= 0 {
			return tp, true
		}
	}
	return 0, false
}

// TPProblem says why tensor parallelism of degree tp cannot split the model
// the way serving engines (vLLM, SGLang) need, or "" when it can: tp must
// divide the attention heads (and the heads of latent, linear-attention and
// Mamba-2 mixers), and either divide the KV heads or be a multiple of them
// (each KV head is then replicated).
func (m *Model) TPProblem(tp int64) string {
	if tp <= 1 {
		return ""
	}
	divides := func(n int64) bool { return n > 0 && n%tp == 0 }
	for _, l := range m.Layers {
		switch l.Kind {
		case FullAttention, SlidingAttention, ChunkedAttention:
			if !divides(l.Attn.Heads) {
				return fmt.Sprintf("tp %d does not divide the %d attention heads", tp, l.Attn.Heads)
			}
			kv := l.Attn.KVHeads
			if kv > 0 && kv%tp != 0 && tp%kv != 0 {
				return fmt.Sprintf("tp %d neither divides nor is a multiple of the %d KV heads", tp, kv)
			}
			if l.ParallelMamba && l.Mamba.NHeads > 0 && l.Mamba.NHeads%tp != 0 {
				return fmt.Sprintf("tp %d does not divide the %d Mamba heads", tp, l.Mamba.NHeads)
			}
		case MLAAttention:
			if !divides(l.MLA.Heads) {
				return fmt.Sprintf("tp %d does not divide the %d attention heads", tp, l.MLA.Heads)
			}
		case LinearAttention:
			for _, h := range []int64{l.Linear.KHeads, l.Linear.VHeads} {
				if h > 0 && h%tp != 0 {
					return fmt.Sprintf("tp %d does not divide the %d linear-attention heads", tp, h)
				}
			}
		case MambaMixer:
			if l.Mamba.Version == 2 && l.Mamba.NHeads > 0 && l.Mamba.NHeads%tp != 0 {
				return fmt.Sprintf("tp %d does not divide the %d Mamba heads", tp, l.Mamba.NHeads)
			}
		}
	}
	return ""
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
