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
	// matrices, when non-nil, collects the whole model's linear weight
	// matrices (tp 1), which quantized formats store differently from the
	// vectors (norms, biases) and lookup tables (embeddings) around them.
	matrices *[]Matrix
	layer    int // index of the layer being tallied, -1 outside the layers
}

// Matrix is Count linear weight matrices of Out×In of one tensor class, in
// decoder layer Layer (-1: outside the layers: head, vision encoder).
type Matrix struct {
	Class   TensorClass
	Out, In int64
	Count   int64
	Layer   int
}

// mat adds one Out×In linear weight matrix.
func (t *tally) mat(c TensorClass, out, in int64, how shard) {
	t.mats(c, out, in, 1, 1, how)
}

// mats adds count Out×In matrices of which active are used by every token.
func (t *tally) mats(c TensorClass, out, in, count, active int64, how shard) {
	one := mulSat(out, in)
	t.addActive(c, mulSat(count, one), mulSat(active, one), how)
	if t.matrices != nil && count > 0 && one > 0 {
		*t.matrices = append(*t.matrices, Matrix{Class: c, Out: out, In: in, Count: count, Layer: t.layer})
	}
}

// mlp adds count feed-forward blocks of width inter on hidden size h, of
// which active are used by every token: gate and up (gated) or one input
// matrix, the output matrix, and their biases.
func (t *tally) mlp(c TensorClass, h, inter int64, gated, bias bool, count, active int64, how shard) {
	in := int64(1)
	if gated {
		in = 2
	}
	t.mats(c, inter, h, mulSat(in, count), mulSat(in, active), how)
	t.mats(c, h, inter, count, active, how)
	if bias {
		b := addSat(mulSat(in, inter), h)
		t.addActive(c, mulSat(count, b), mulSat(active, b), how)
	}
}

// Matrices lists the model's linear weight matrices (whole model, no
// parallel split), in layer order.
func (m *Model) Matrices() []Matrix {
	var out []Matrix
	t := tally{tp: 1, matrices: &out}
	m.tallyInto(&t, 0, len(m.Layers), true, true)
	return out
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
	m.tallyInto(&t, from, to, first, last)
	return t
}

func (m *Model) tallyInto(t *tally, from, to int, first, last bool) {
	t.layer = -1
	if first {
		t.add(Embeddings, mulSat(m.VocabSize, m.Hidden), sharded)
		t.add(Embeddings, mulSat(m.PositionEmbeddings, m.Hidden), replicated)
		if m.Vision != nil {
			m.Vision.tally(t)
		}
	}
	if last {
		// Untied, or tied but on another pipeline stage than the embedding:
		// the output matrix is held here too.
		if !m.TiedEmbedding || !first {
			t.mat(LMHead, m.VocabSize, m.Hidden, sharded)
		}
		if m.LMHeadBias {
			t.add(LMHead, m.VocabSize, sharded)
		}
		if m.FinalNorm {
			t.norm(m, m.Hidden)
		}
	}
	for i := from; i < to; i++ {
		t.layer = i
		m.tallyLayer(t, &m.Layers[i])
	}
	t.layer = -1
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
		t.mat(AttentionWeights, qOut, h, sharded)
		t.mat(AttentionWeights, mulSat(a.KVHeads, a.HeadDim), h, kvSharded)
		t.mat(AttentionWeights, mulSat(a.KVHeads, a.VHeadDim), h, kvSharded)
		t.mat(AttentionWeights, h, mulSat(a.Heads, a.VHeadDim), sharded)
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
		if a.QKNormFull {
			// OLMo 2: one RMSNorm over all query heads, one over all key heads.
			t.add(AttentionWeights, q, sharded)
			t.add(AttentionWeights, mulSat(a.KVHeads, a.HeadDim), kvSharded)
		}
		if a.Sinks {
			t.add(AttentionWeights, a.Heads, sharded)
		}
		if l.ParallelMamba {
			l.Mamba.tally(t, h)
		}
	case MLAAttention:
		a := l.MLA
		qk := addSat(a.QKNopeHeadDim, a.QKRopeHeadDim)
		if a.QLoraRank > 0 {
			t.mat(AttentionWeights, a.QLoraRank, h, replicated)
			t.add(AttentionWeights, a.QLoraRank, replicated) // q_a_layernorm
			t.mat(AttentionWeights, mulSat(a.Heads, qk), a.QLoraRank, sharded)
		} else {
			t.mat(AttentionWeights, mulSat(a.Heads, qk), h, sharded)
		}
		t.mat(AttentionWeights, addSat(a.KVLoraRank, a.QKRopeHeadDim), h, replicated)
		t.add(AttentionWeights, a.KVLoraRank, replicated) // kv_a_layernorm
		t.mat(AttentionWeights, mulSat(a.Heads, addSat(a.QKNopeHeadDim, a.VHeadDim)), a.KVLoraRank, sharded)
		t.mat(AttentionWeights, h, mulSat(a.Heads, a.VHeadDim), sharded)
	case MambaMixer:
		l.Mamba.tally(t, h)
	case LinearAttention:
		l.Linear.tally(t, h)
	}
	f := l.FFN
	if f.Intermediate > 0 {
		t.mlp(MLPWeights, h, f.Intermediate, f.Gated, f.Bias, 1, 1, sharded)
	}
	if f.Experts > 0 {
		t.mlp(ExpertWeights, h, f.ExpertIntermediate, f.Gated, f.Bias, f.Experts, min(f.TopK, f.Experts), sharded)
		t.mat(RouterWeights, f.Experts, h, replicated)
		if f.RouterBias {
			t.add(RouterWeights, f.Experts, replicated)
		}
		if f.ScoreCorrectionBias {
			t.add(RouterWeights, f.Experts, replicated)
		}
		if f.SharedExperts > 0 {
			t.mlp(SharedExpertWeights, h, f.SharedIntermediate, f.Gated, f.Bias, f.SharedExperts, f.SharedExperts, sharded)
			if f.SharedGate {
				t.mat(RouterWeights, 1, h, replicated)
			}
		}
	}
}

// tally adds a Mamba mixer's parameters on hidden size h.
func (m Mamba) tally(t *tally, h int64) {
	const c = StateMixerWeights
	if m.Version == 2 {
		groupsState := mulSatN(2, m.NGroups, m.DState)
		convDim := addSat(m.DInner, groupsState)
		inProj := addSatN(mulSat(2, m.DInner), groupsState, m.NHeads)
		t.mat(c, inProj, h, sharded)
		if m.ProjBias {
			t.add(c, inProj, sharded)
		}
		t.add(c, mulSat(convDim, m.DConv), sharded)
		if m.ConvBias {
			t.add(c, convDim, sharded)
		}
		t.add(c, mulSat(3, m.NHeads), sharded) // dt_bias, A_log, D
		if !m.NoGatedNorm {
			t.add(c, m.DInner, sharded) // gated RMSNorm
		}
		t.mat(c, h, m.DInner, sharded) // out_proj
		if m.ProjBias {
			t.add(c, h, sharded)
		}
		return
	}
	t.mat(c, mulSat(2, m.DInner), h, sharded) // in_proj
	if m.ProjBias {
		t.add(c, mulSat(2, m.DInner), sharded)
	}
	t.add(c, mulSat(m.DInner, m.DConv), sharded)
	if m.ConvBias {
		t.add(c, m.DInner, sharded)
	}
	t.mat(c, addSat(m.DTRank, mulSat(2, m.DState)), m.DInner, sharded) // x_proj
	t.mat(c, m.DInner, m.DTRank, sharded)                              // dt_proj
	t.add(c, m.DInner, sharded)                                        // dt_proj bias
	t.add(c, mulSat(m.DInner, m.DState), sharded)                      // A_log
	t.add(c, m.DInner, sharded)                                        // D
	t.mat(c, h, m.DInner, sharded)                                     // out_proj
	if m.ProjBias {
		t.add(c, h, sharded)
	}
	if m.InnerNorms {
		t.add(c, addSat(m.DTRank, mulSat(2, m.DState)), sharded)
	}
}

// tally adds a gated delta-net mixer's parameters on hidden size h
// (Qwen3-Next): q/k/v/z and b/a projections, a causal conv over q, k and v,
// per-head decay and step, a gated norm and the output projection.
func (l Linear) tally(t *tally, h int64) {
	const c = StateMixerWeights
	keyDim := mulSat(l.KHeads, l.KHeadDim)
	valDim := mulSat(l.VHeads, l.VHeadDim)
	if l.Lightning {
		// MiniMax: qkv_proj, output_gate, norm, out_proj, no biases
		t.mat(c, addSat(mulSat(2, keyDim), valDim), h, sharded)
		t.mat(c, valDim, h, sharded)
		t.add(c, valDim, sharded)
		t.mat(c, h, valDim, sharded)
		return
	}
	t.mat(c, addSat(mulSat(2, keyDim), mulSat(2, valDim)), h, sharded) // in_proj_qkvz
	t.mat(c, mulSat(2, l.VHeads), h, sharded)                          // in_proj_ba
	t.add(c, mulSat(addSat(mulSat(2, keyDim), valDim), l.ConvKernel), sharded)
	t.add(c, mulSat(2, l.VHeads), sharded) // dt_bias, A_log
	t.add(c, l.VHeadDim, sharded)          // gated RMSNorm
	t.mat(c, h, valDim, sharded)           // out_proj
}

// tally adds the image encoder's and projector's parameters: the patch
// embedding, learned positions, the transformer layers, the norms around
// the stack, and the projector into the text model.
func (v *VisionEncoder) tally(t *tally) {
	const c = VisionWeights
	h := v.Hidden
	ch := v.Channels
	if ch == 0 {
		ch = 3
	}
	frames := max(v.TemporalPatch, 1)
	t.add(c, mulSatN(ch, frames, v.PatchSize, v.PatchSize, h), sharded)
	if v.PatchBias {
		t.add(c, h, sharded)
	}
	t.add(c, mulSat(v.Positions, h), sharded)
	if v.ClassToken {
		t.add(c, h, sharded)
	}
	norm := h
	if v.Norm == LayerNorm {
		norm = mulSat(2, h)
	}
	for i := int64(0); i < v.Layers; i++ {
		t.mats(c, h, h, 3, 3, sharded) // q, k, v
		t.mat(c, h, h, sharded)        // o
		if v.QKVBias {
			t.add(c, mulSat(3, h), sharded)
		}
		if v.OutBias {
			t.add(c, h, sharded)
		}
		t.add(c, mulSat(2, norm), sharded)
		if v.LayerScale {
			t.add(c, mulSat(2, h), sharded)
		}
		t.mlp(c, h, v.Intermediate, v.GatedMLP, false, 1, 1, sharded)
		if v.MLPBias {
			in := int64(1)
			if v.GatedMLP {
				in = 2
			}
			t.add(c, addSat(mulSat(in, v.Intermediate), h), sharded)
		}
	}
	if v.PreNorm {
		t.add(c, norm, sharded)
	}
	if v.PostNorm {
		t.add(c, norm, sharded)
	}
	for _, m := range v.ProjectorMatrices {
		t.mats(c, m.Out, m.In, m.Count, m.Count, sharded)
	}
	t.add(c, v.ProjectorOther, sharded)
}
