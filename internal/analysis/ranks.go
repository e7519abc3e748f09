package analysis

// Per-rank figures that engine emulations (internal/engine) build on. They
// are thin views of the arithmetic the plan itself uses, so an engine and
// the simple policy always count the same tensors and cache bytes.

// Check reports a fleet shape that cannot hold m at all: a count, TP or PP
// below 1, or more pipeline stages than layers.
func (f Fleet) Check(m *Model) error { return f.check(m) }

// StageParams counts the parameters one of tp tensor-parallel ranks holds
// for layers [from, to), with the embeddings (and vision encoder) when
// first and the head and final norm when last, by tensor class.
func (m *Model) StageParams(tp int64, from, to int, first, last bool) ClassCounts {
	return m.tallyRange(tp, from, to, first, last).counts
}

// LayerCacheBytes is layer i's cache on one of tp ranks: perToken bytes
// for each cached token (at most window tokens when window > 0) and a fixed
// state per sequence.
func (m *Model) LayerCacheBytes(i int, kv DType, tp int64) (perToken, window, state int64) {
	c := m.layerCache(&m.Layers[i], kv, tp)
	return c.PerToken, c.Window, c.State
}

// KVHeadsPerRank is the KV heads one of tp ranks holds: an even share, or
// one replicated head when TP exceeds the heads.
func KVHeadsPerRank(kvHeads, tp int64) int64 { return kvHeadsPerRank(kvHeads, tp) }

// StateDType is the format of Mamba and linear-attention states for a KV
// format: 16-bit unless the KV format is wider.
func StateDType(kv DType) DType { return stateDType(kv) }

// MLPParams is the parameters of one MLP of hidden size h and intermediate
// size inter: 3 matrices when gated, 2 otherwise, with biases when bias.
func MLPParams(h, inter int64, gated, bias bool) int64 {
	var t tally
	t.mlp(MLPWeights, h, inter, gated, bias, 1, 1, sharded)
	return t.counts[MLPWeights]
}

// LargestFitting is the largest n in [lo, hi] with fits(n), for a fits that
// holds at lo and, once false, stays false (a binary search).
func LargestFitting(lo, hi int64, fits func(int64) bool) int64 { return largestFitting(lo, hi, fits) }

// SequenceBytes is the cache one sequence of context tokens takes on one
// accelerator of the stage, windows and states included.
func (s Stage) SequenceBytes(context int64) int64 { return s.cost.bytes(context) }

// TokenBytes is the cache one token adds on one accelerator of the stage
// before any window is reached.
func (s Stage) TokenBytes() int64 {
	per := s.cost.perToken
	for _, w := range s.cost.windowed {
		per = addSat(per, w.PerToken)
	}
	return per
}
