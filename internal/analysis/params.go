package analysis

// TensorClass groups a model's tensors by role, so weight quantization can
// treat them differently and reports can show where parameters sit.
type TensorClass int

// Tensor classes.
const (
	Embeddings          TensorClass = iota // token and learned position embeddings
	LMHead                                 // the output projection (absent when tied)
	AttentionWeights                       // attention projections, MLA, sinks, QK-norms
	MLPWeights                             // dense feed-forward blocks
	ExpertWeights                          // routed experts
	SharedExpertWeights                    // always-on experts
	RouterWeights                          // MoE gates
	NormWeights                            // layer and final norms
	StateMixerWeights                      // Mamba and linear-attention mixers
	VisionWeights                          // image encoder and projector
	numTensorClasses
)

var tensorClassNames = [numTensorClasses]string{
	"embeddings", "lm_head", "attention", "mlp", "experts", "shared_experts",
	"router", "norms", "mamba", "vision",
}

// String returns the class name used in specs (weights.keep_16bit, overrides).
func (c TensorClass) String() string {
	if c >= 0 && c < numTensorClasses {
		return tensorClassNames[c]
	}
	return "unknown"
}

// TensorClasses lists every class in a fixed order.
func TensorClasses() []TensorClass {
	out := make([]TensorClass, numTensorClasses)
	for i := range out {
		out[i] = TensorClass(i)
	}
	return out
}

// ParseTensorClass returns the class with the given spec name.
func ParseTensorClass(s string) (TensorClass, bool) {
	for i, n := range tensorClassNames {
		if n == s {
			return TensorClass(i), true
		}
	}
	return 0, false
}

// ClassCounts holds one count per tensor class.
type ClassCounts [numTensorClasses]int64

// Sum adds up every class.
func (c ClassCounts) Sum() int64 {
	var s int64
	for _, v := range c {
		s = addSat(s, v)
	}
	return s
}

// Params is a model's parameter count.
type Params struct {
	// Total counts every parameter loaded on the accelerators.
	Total int64
	// Active counts the parameters one token uses: all of them except the
	// routed experts it is not sent to.
	Active int64
	// Vision is the part of Total in the image encoder and projector.
	Vision  int64
	ByClass ClassCounts
}

// shard says how a tensor is split under tensor parallelism.
type shard int

const (
	sharded    shard = iota // split evenly over TP ranks
	replicated              // a full copy on every rank
	kvSharded               // split by KV head, replicated when TP exceeds the KV heads
)

// tally accumulates parameters per class for one tensor-parallel rank.
type tally struct {
	tp      int64
	kvHeads int64 // of the layer being tallied, for kvSharded tensors
	counts  ClassCounts
	active  ClassCounts
}

func (t *tally) add(c TensorClass, n int64, how shard) {
	t.addActive(c, n, n, how)
}

// addActive adds n parameters of which act are used by every token.
func (t *tally) addActive(c TensorClass, n, act int64, how shard) {
	n, act = t.perRank(n, how), t.perRank(act, how)
	t.counts[c] = addSat(t.counts[c], n)
	t.active[c] = addSat(t.active[c], act)
}

func (t *tally) perRank(n int64, how shard) int64 {
	if t.tp <= 1 {
		return n
	}
	switch how {
	case sharded:
		return ceilDiv(n, t.tp)
	case kvSharded:
		if t.kvHeads <= 0 {
			return ceilDiv(n, t.tp)
		}
		return mulSat(divSat(n, t.kvHeads), kvHeadsPerRank(t.kvHeads, t.tp))
	}
	return n
}

// kvHeadsPerRank is how many KV heads one tensor-parallel rank holds: the
// heads are split over ranks, and replicated when there are more ranks than
// heads (as vLLM does).
func kvHeadsPerRank(kvHeads, tp int64) int64 {
	if tp <= 1 {
		return kvHeads
	}
	if kvHeads >= tp {
		return ceilDiv(kvHeads, tp)
	}
	return 1
}

func (t *tally) norm(m *Model, width int64) {
	n := width
	if m.Norm == LayerNorm {
		n = mulSat(2, width)
	}
	t.add(NormWeights, n, replicated)
}

// Params counts the model's parameters.
func (m *Model) Params() Params {
	t := m.tallyRange(1, 0, len(m.Layers), true, true)
	p := Params{ByClass: t.counts, Total: t.counts.Sum(), Active: t.active.Sum(), Vision: t.counts[VisionWeights]}
	return p
}

// tallyRange counts the parameters one tensor-parallel rank of tp holds for
// layers [from, to), with the embeddings (first) and the head and final norm (last).
func (m *Model) tallyRange(tp int64, from, to int, first, last bool) tally {
	t := tally{tp: tp}
	if first {
		t.add(Embeddings, mulSat(m.VocabSize, m.Hidden), sharded)
		t.add(Embeddings, mulSat(m.PositionEmbeddings, m.Hidden), replicated)
		if m.Vision != nil {
			t.add(VisionWeights, m.Vision.Params(), sharded)
		}
	}
	if last {
		// Untied, or tied but on another pipeline stage than the embedding:
		// the output matrix is held here too.
		if !m.TiedEmbedding || !first {
			t.add(LMHead, mulSat(m.VocabSize, m.Hidden), sharded)
		}
		if m.FinalNorm {
			t.norm(m, m.Hidden)
		}
	}
	for i := from; i < to; i++ {
		m.tallyLayer(&t, &m.Layers[i])
	}
	return t
}

func (m *Model) tallyLayer(t *tally, l *Layer) {
	h := m.Hidden
	for i := int64(0); i < m.NormsPerLayer; i++ {
		t.norm(m, h)
	}
	switch l.Kind {
	case FullAttention, SlidingAttention, ChunkedAttention:
		a := l.Attn
		t.kvHeads = a.KVHeads
		q := mulSat(a.Heads, a.HeadDim)
		qOut := q
		if a.OutputGate {
			qOut = mulSat(2, q)
		}
		t.add(AttentionWeights, mulSat(h, qOut), sharded)
		t.add(AttentionWeights, mulSatN(h, a.KVHeads, a.HeadDim), kvSharded)
		t.add(AttentionWeights, mulSatN(h, a.KVHeads, a.VHeadDim), kvSharded)
		t.add(AttentionWeights, mulSatN(a.Heads, a.VHeadDim, h), sharded)
		if a.QKVBias {
			t.add(AttentionWeights, qOut, sharded)
			t.add(AttentionWeights, mulSat(a.KVHeads, addSat(a.HeadDim, a.VHeadDim)), kvSharded)
		}
		if a.OutBias {
			t.add(AttentionWeights, h, replicated)
		}
		if a.QKNorm {
			t.add(AttentionWeights, mulSat(2, a.HeadDim), replicated)
		}
		if a.Sinks {
			t.add(AttentionWeights, a.Heads, sharded)
		}
	case MLAAttention:
		a := l.MLA
		qk := addSat(a.QKNopeHeadDim, a.QKRopeHeadDim)
		if a.QLoraRank > 0 {
			t.add(AttentionWeights, mulSat(h, a.QLoraRank), replicated)
			t.add(AttentionWeights, a.QLoraRank, replicated) // q_a_layernorm
			t.add(AttentionWeights, mulSatN(a.QLoraRank, a.Heads, qk), sharded)
		} else {
			t.add(AttentionWeights, mulSatN(h, a.Heads, qk), sharded)
		}
		t.add(AttentionWeights, mulSat(h, addSat(a.KVLoraRank, a.QKRopeHeadDim)), replicated)
		t.add(AttentionWeights, a.KVLoraRank, replicated) // kv_a_layernorm
		t.add(AttentionWeights, mulSatN(a.KVLoraRank, a.Heads, addSat(a.QKNopeHeadDim, a.VHeadDim)), sharded)
		t.add(AttentionWeights, mulSatN(a.Heads, a.VHeadDim, h), sharded)
	case MambaMixer:
		t.add(StateMixerWeights, l.Mamba.params(h), sharded)
	case LinearAttention:
		t.add(StateMixerWeights, l.Linear.params(h), sharded)
	}
	f := l.FFN
	if f.Intermediate > 0 {
		t.add(MLPWeights, mlpParams(h, f.Intermediate, f.Gated, f.Bias), sharded)
	}
	if f.Experts > 0 {
		one := mlpParams(h, f.ExpertIntermediate, f.Gated, f.Bias)
		t.addActive(ExpertWeights, mulSat(f.Experts, one), mulSat(min(f.TopK, f.Experts), one), sharded)
		router := mulSat(h, f.Experts)
		if f.RouterBias {
			router = addSat(router, f.Experts)
		}
		if f.ScoreCorrectionBias {
			router = addSat(router, f.Experts)
		}
		t.add(RouterWeights, router, replicated)
		if f.SharedExperts > 0 {
			t.add(SharedExpertWeights, mulSat(f.SharedExperts, mlpParams(h, f.SharedIntermediate, f.Gated, f.Bias)), sharded)
			if f.SharedGate {
				t.add(RouterWeights, h, replicated)
			}
		}
	}
}

// mlpParams counts a feed-forward block of width inter on hidden size h.
func mlpParams(h, inter int64, gated, bias bool) int64 {
	mats := int64(2)
	if gated {
		mats = 3
	}
	n := mulSatN(mats, h, inter)
	if bias {
		n = addSatN(n, mulSat(mats-1, inter), h)
	}
	return n
}

// params counts a Mamba mixer's parameters on hidden size h.
func (m Mamba) params(h int64) int64 {
	var n int64
	if m.Version == 2 {
		groupsState := mulSatN(2, m.NGroups, m.DState)
		convDim := addSat(m.DInner, groupsState)
		inProj := addSatN(mulSat(2, m.DInner), groupsState, m.NHeads)
		n = mulSat(h, inProj)
		if m.ProjBias {
			n = addSat(n, inProj)
		}
		n = addSat(n, mulSat(convDim, m.DConv))
		if m.ConvBias {
			n = addSat(n, convDim)
		}
		n = addSatN(n,
			mulSat(3, m.NHeads), // dt_bias, A_log, D
			m.DInner,            // gated RMSNorm
			mulSat(m.DInner, h)) // out_proj
		if m.ProjBias {
			n = addSat(n, h)
		}
		return n
	}
	n = mulSatN(h, 2, m.DInner) // in_proj
	if m.ProjBias {
		n = addSat(n, mulSat(2, m.DInner))
	}
	n = addSat(n, mulSat(m.DInner, m.DConv))
	if m.ConvBias {
		n = addSat(n, m.DInner)
	}
	n = addSatN(n,
		mulSat(m.DInner, addSat(m.DTRank, mulSat(2, m.DState))), // x_proj
		mulSat(m.DTRank, m.DInner), m.DInner,                    // dt_proj with bias
		mulSat(m.DInner, m.DState), // A_log
		m.DInner,                   // D
		mulSat(m.DInner, h))        // out_proj
	if m.ProjBias {
		n = addSat(n, h)
	}
	if m.InnerNorms {
		n = addSatN(n, m.DTRank, mulSat(2, m.DState))
	}
	return n
}

// params counts a gated delta-net mixer's parameters on hidden size h
// (Qwen3-Next): q/k/v/z and b/a projections, a causal conv over q, k and v,
// per-head decay and step, a gated norm and the output projection.
func (l Linear) params(h int64) int64 {
	keyDim := mulSat(l.KHeads, l.KHeadDim)
	valDim := mulSat(l.VHeads, l.VHeadDim)
	return addSatN(
		mulSat(h, addSat(mulSat(2, keyDim), mulSat(2, valDim))), // in_proj_qkvz
		mulSatN(h, 2, l.VHeads),                                 // in_proj_ba
		mulSat(addSat(mulSat(2, keyDim), valDim), l.ConvKernel),
		mulSat(2, l.VHeads), // dt_bias, A_log
		l.VHeadDim,          // gated RMSNorm
		mulSat(valDim, h))   // out_proj
}

// Params counts the image encoder's and projector's parameters: patch
// embedding with bias, learned positions, pre-norm transformer layers with
// biases and LayerNorms, a post LayerNorm, and the projector.
func (v *VisionEncoder) Params() int64 {
	h := v.Hidden
	ch := v.Channels
	if ch == 0 {
		ch = 3
	}
	n := addSat(mulSatN(ch, v.PatchSize, v.PatchSize, h), h)
	if v.PatchSize > 0 {
		side := v.ImageSize / v.PatchSize
		n = addSat(n, mulSatN(side, side, h))
	}
	perLayer := addSatN(
		mulSat(4, addSat(mulSat(h, h), h)),                // q, k, v, o with biases
		mulSatN(2, 2, h),                                  // two LayerNorms
		addSat(mulSat(h, v.Intermediate), v.Intermediate), // fc1
		addSat(mulSat(v.Intermediate, h), h))              // fc2
	n = addSatN(n, mulSat(v.Layers, perLayer), mulSat(2, h))
	return addSat(n, v.ProjectorParams)
}
