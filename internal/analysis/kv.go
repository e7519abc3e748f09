package analysis

import "sort"

// cacheCost is what one layer caches for one sequence on one rank: PerToken
// bytes for each cached token (at most Window tokens when Window > 0) and a
// fixed State per sequence.
type cacheCost struct {
	PerToken int64
	Window   int64
	State    int64
}

func (c cacheCost) bytes(context int64) int64 {
	n := context
	if c.Window > 0 && n > c.Window {
		n = c.Window
	}
	return addSat(mulSat(c.PerToken, n), c.State)
}

// stateDType is the format of Mamba and linear-attention states: vLLM and
// SGLang keep them in the model's 16-bit dtype unless told otherwise, so a
// narrower KV format does not apply to them.
func stateDType(kv DType) DType {
	if kv.Bits >= 16 {
		return DType{Name: kv.Name, Bits: kv.Bits}
	}
	return bf16
}

// headBytes is one head vector of dim elements in format kv; group scales
// are per head vector.
func headBytes(kv DType, dim int64) int64 { return kv.Bytes(dim) }

// layerCache is layer l's cache cost on one of tp tensor-parallel ranks.
func (m *Model) layerCache(l *Layer, kv DType, tp int64) cacheCost {
	if tp < 1 {
		tp = 1
	}
	switch l.Kind {
	case FullAttention, SlidingAttention, ChunkedAttention:
		a := l.Attn
		heads := kvHeadsPerRank(a.KVHeads, tp)
		c := cacheCost{PerToken: mulSat(heads, addSat(headBytes(kv, a.HeadDim), headBytes(kv, a.VHeadDim)))}
		if l.Kind != FullAttention {
			c.Window = l.Window
		}
		if l.ParallelMamba {
			c.State = l.Mamba.stateBytes(kv, tp)
		}
		return c
	case MLAAttention:
		// One latent per token, replicated on every rank.
		return cacheCost{PerToken: headBytes(kv, addSat(l.MLA.KVLoraRank, l.MLA.QKRopeHeadDim))}
	case MambaMixer:
		return cacheCost{State: l.Mamba.stateBytes(kv, tp)}
	case LinearAttention:
		s := stateDType(kv)
		la := l.Linear
		if la.Lightning {
			// vLLM keeps it in the state format (MambaStateDtypeCalculator.
			// linear_attention_state_dtype), not in transformers' float32.
			return cacheCost{State: ceilDiv(s.Bytes(mulSatN(la.VHeads, la.KHeadDim, la.VHeadDim)), tp)}
		}
		conv := s.Bytes(mulSat(addSat(mulSatN(2, la.KHeads, la.KHeadDim), mulSat(la.VHeads, la.VHeadDim)), la.ConvKernel-1))
		rec := s.Bytes(mulSat(la.VHeads, mulSat(la.KHeadDim, la.VHeadDim)))
		return cacheCost{State: ceilDiv(addSat(conv, rec), tp)}
	}
	return cacheCost{}
}

// stateBytes is a Mamba mixer's fixed state per sequence on one of tp
// ranks: the convolution window and the SSM state.
func (mb Mamba) stateBytes(kv DType, tp int64) int64 {
	s := stateDType(kv)
	convDim := mb.DInner
	if mb.Version == 2 {
		convDim = addSat(convDim, mulSatN(2, mb.NGroups, mb.DState))
	}
	conv := s.Bytes(mulSat(convDim, mb.DConv-1))
	ssmFormat := s
	if mb.SSMStateBits > 0 {
		ssmFormat = DType{Name: "ssm", Bits: mb.SSMStateBits}
	}
	ssm := ssmFormat.Bytes(mulSat(mb.DInner, mb.DState))
	return ceilDiv(addSat(conv, ssm), tp)
}

// KVBytesPerToken is the cache one token adds across all layers at short
// context (before any window is reached), for the whole model on one device.
// Mamba and linear-attention layers add nothing per token.
func (m *Model) KVBytesPerToken(kv DType) int64 {
	var b int64
	for i := range m.Layers {
		b = addSat(b, m.layerCache(&m.Layers[i], kv, 1).PerToken)
	}
	return b
}

// KVBytes is the cache of batch sequences of context tokens each, windows
// and fixed states included, for the whole model on one device.
func (m *Model) KVBytes(kv DType, context, batch int64) int64 {
	return mulSat(m.seqCost(kv, 1, 0, len(m.Layers)).bytes(context), batch)
}

// StateBytesPerSequence is the fixed cache of one sequence (Mamba and
// linear-attention states).
func (m *Model) StateBytesPerSequence(kv DType) int64 {
	return m.seqCost(kv, 1, 0, len(m.Layers)).state
}

// seqCost collects the cache costs of layers [from, to) on one of tp ranks
// into a form that prices a sequence of any length quickly.
func (m *Model) seqCost(kv DType, tp int64, from, to int) seqCost {
	var s seqCost
	byWindow := map[int64]int64{}
	for i := from; i < to; i++ {
		c := m.layerCache(&m.Layers[i], kv, tp)
		s.state = addSat(s.state, c.State)
		if c.Window > 0 {
			byWindow[c.Window] = addSat(byWindow[c.Window], c.PerToken)
		} else {
			s.perToken = addSat(s.perToken, c.PerToken)
		}
	}
	for w, b := range byWindow {
		s.windowed = append(s.windowed, cacheCost{PerToken: b, Window: w})
	}
	sort.Slice(s.windowed, func(i, j int) bool { return s.windowed[i].Window < s.windowed[j].Window })
	return s
}

// seqCost prices one sequence on a set of layers: unbounded per-token bytes,
// windowed per-token bytes, and fixed state.
type seqCost struct {
	perToken int64
	windowed []cacheCost
	state    int64
}

func (s seqCost) bytes(context int64) int64 {
	b := addSat(mulSat(s.perToken, context), s.state)
	for _, w := range s.windowed {
		b = addSat(b, w.bytes(context))
	}
	return b
}

// bounded reports whether a sequence's cache stops growing at some length.
func (s seqCost) bounded() bool { return s.perToken == 0 }

// LayerKindCost is the cache cost of one kind of layer in a model.
type LayerKindCost struct {
	Kind   LayerKind
	Layers int64
	// PerTokenPerLayer is the bytes one token adds to one such layer.
	PerTokenPerLayer int64
	// Window is the tokens after which the layer stops growing, 0 if never.
	Window int64
	// StatePerLayer is the fixed bytes per sequence of one such layer.
	StatePerLayer int64
}

// PerToken is the bytes one token adds across all layers of this kind.
func (c LayerKindCost) PerToken() int64 { return mulSat(c.PerTokenPerLayer, c.Layers) }

// KVCostByKind breaks the per-token cache cost down by layer kind (and
// window), in a fixed order.
func (m *Model) KVCostByKind(kv DType) []LayerKindCost {
	var out []LayerKindCost
	for _, k := range LayerKinds() {
		for i := range m.Layers {
			l := &m.Layers[i]
			if l.Kind != k {
				continue
			}
			c := m.layerCache(l, kv, 1)
			found := false
			for j := range out {
				o := &out[j]
				if o.Kind == k && o.Window == c.Window && o.PerTokenPerLayer == c.PerToken && o.StatePerLayer == c.State {
					o.Layers++
					found = true
					break
				}
			}
			if !found {
				out = append(out, LayerKindCost{Kind: k, Layers: 1, PerTokenPerLayer: c.PerToken, Window: c.Window, StatePerLayer: c.State})
			}
		}
	}
	return out
}

// LayerCounts counts the model's layers of each kind.
func (m *Model) LayerCounts() map[LayerKind]int {
	out := map[LayerKind]int{}
	for _, l := range m.Layers {
		out[l.Kind]++
	}
	return out
}
