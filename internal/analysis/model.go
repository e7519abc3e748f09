// Package analysis is kvplot's memory model: exact parameter counts, weight
// bytes, KV-cache bytes and the solvers that fit a model onto a fleet of
// accelerators. It is pure: standard library only, no I/O, and every result is
// an integer count of bytes, tokens or parameters (or a finite float).
package analysis

// LayerKind says how a decoder layer mixes tokens, which decides how its
// cache grows with context.
type LayerKind int

// The layer kinds kvplot models.
const (
	// FullAttention keeps K and V for every token of the sequence.
	FullAttention LayerKind = iota
	// SlidingAttention keeps K and V for the last Window tokens only.
	SlidingAttention
	// ChunkedAttention attends within fixed chunks of Window tokens, so at
	// most Window tokens are cached.
	ChunkedAttention
	// MLAAttention is DeepSeek's multi-head latent attention: one compressed
	// latent of KVLoraRank + QKRopeHeadDim per token, no separate V.
	MLAAttention
	// MambaMixer is a selective state-space layer: a fixed state per sequence.
	MambaMixer
	// LinearAttention is a linear-attention layer (Qwen3-Next's gated
	// delta-net, MiniMax's lightning attention): a fixed state per sequence.
	LinearAttention
	// NoMixer is a block without a token mixer, only a feed-forward part
	// (Nemotron-H's MLP and MoE blocks): it caches nothing.
	NoMixer
)

var layerKindNames = [...]string{"full", "sliding", "chunked", "mla", "mamba", "linear", "ffn"}

// String returns the short name used in specs, tables and JSON.
func (k LayerKind) String() string {
	if int(k) < len(layerKindNames) {
		return layerKindNames[k]
	}
	return "unknown"
}

// LayerKinds lists every kind in display order.
func LayerKinds() []LayerKind {
	return []LayerKind{FullAttention, SlidingAttention, ChunkedAttention, MLAAttention, MambaMixer, LinearAttention, NoMixer}
}

// Grows reports whether the layer's cache grows with every token (before any window).
func (k LayerKind) Grows() bool { return k != MambaMixer && k != LinearAttention && k != NoMixer }

// NormKind is the normalization used throughout a model.
type NormKind int

// Norm kinds.
const (
	RMSNorm   NormKind = iota // a weight vector
	LayerNorm                 // a weight and a bias vector
)

// Model is a decoder-only language model's architecture, as far as memory is
// concerned. Layers holds one entry per decoder layer, in order.
type Model struct {
	Name          string
	VocabSize     int64
	Hidden        int64
	Layers        []Layer
	TiedEmbedding bool
	// PositionEmbeddings is the number of learned absolute positions (GPT-2),
	// 0 for rotary models.
	PositionEmbeddings int64
	// LMHeadBias is a bias on the output projection (Phi-2).
	LMHeadBias bool
	Norm       NormKind
	// NormsPerLayer counts hidden-size norm vectors in each layer (2 for
	// pre-attention and pre-MLP; Gemma 2/3 have 4; parallel Falcon has 1).
	NormsPerLayer int64
	FinalNorm     bool
	// MaxContext is the longest sequence the model was built for
	// (max_position_embeddings), 0 if unknown.
	MaxContext int64
	// Vision is the image encoder and projector loaded with a multimodal
	// model, nil for text-only models.
	Vision *VisionEncoder
}

// Layer is one decoder layer: a token mixer (attention or a state-space
// layer) and a feed-forward block.
type Layer struct {
	Kind LayerKind
	// Window is the sliding window (SlidingAttention) or chunk size
	// (ChunkedAttention) in tokens.
	Window int64
	Attn   Attention // Full, Sliding and Chunked layers
	MLA    MLA       // MLAAttention layers
	Mamba  Mamba     // MambaMixer layers
	Linear Linear    // LinearAttention layers
	// ParallelMamba runs Mamba beside the layer's attention on the same
	// input (Falcon-H1): the layer caches K and V per token and a fixed
	// Mamba state per sequence.
	ParallelMamba bool
	FFN           FFN
}

// Attention is a multi-head, grouped-query or multi-query attention block.
type Attention struct {
	Heads    int64
	KVHeads  int64
	HeadDim  int64 // query/key width per head
	VHeadDim int64 // value width per head (usually HeadDim)
	QKVBias  bool
	OutBias  bool
	// QKNorm adds a per-head RMSNorm on queries and keys (Qwen3, Gemma 3).
	QKNorm bool
	// QKNormFull adds an RMSNorm over the whole query and key projections
	// (OLMo 2: heads × head_dim and kv_heads × head_dim wide).
	QKNormFull bool
	// Sinks adds one learned logit per head (gpt-oss).
	Sinks bool
	// OutputGate doubles the query projection to gate the output (Qwen3-Next).
	OutputGate bool
}

// MLA is DeepSeek's multi-head latent attention.
type MLA struct {
	Heads         int64
	QLoraRank     int64 // 0: queries projected directly from the hidden state
	KVLoraRank    int64
	QKNopeHeadDim int64
	QKRopeHeadDim int64
	VHeadDim      int64
}

// Mamba is a selective state-space mixer. Version 1 is Mamba (Jamba,
// Falcon-Mamba); version 2 is Mamba-2 with grouped B/C and per-head decay.
type Mamba struct {
	Version  int
	DInner   int64 // expand × hidden
	DState   int64
	DConv    int64
	DTRank   int64 // Mamba-1
	NHeads   int64 // Mamba-2
	NGroups  int64 // Mamba-2
	ConvBias bool
	ProjBias bool
	// InnerNorms are Jamba's RMSNorms on dt, B and C (Mamba-1).
	InnerNorms bool
	// SSMStateBits is the element width of the SSM state when the model
	// asks for one (Nemotron-H's mamba_ssm_cache_dtype float32); 0 keeps it
	// in the state format of the conv state.
	SSMStateBits int64
	// NoGatedNorm drops Mamba-2's gated RMSNorm before out_proj
	// (Falcon-H1 with mamba_rms_norm false).
	NoGatedNorm bool
}

// Linear is a linear-attention mixer: a gated delta-net (Qwen3-Next) or,
// with Lightning, MiniMax's lightning attention.
type Linear struct {
	KHeads     int64
	VHeads     int64
	KHeadDim   int64
	VHeadDim   int64
	ConvKernel int64 // gated delta-net only
	// Lightning is MiniMax's lightning attention: a fused q/k/v projection,
	// a sigmoid output gate, an RMSNorm over all heads and the output
	// projection, no convolution; its state is one KHeadDim × VHeadDim
	// matrix per head, in the state format (as vLLM keeps it; transformers'
	// reference code uses float32).
	Lightning bool
}

// FFN is a layer's feed-forward block: a dense MLP or a mixture of experts.
type FFN struct {
	// Intermediate is the dense MLP width; 0 with Experts > 0 for a pure MoE layer.
	Intermediate int64
	Gated        bool // SwiGLU/GeGLU: three matrices instead of two
	Bias         bool
	// Experts > 0 makes this a mixture-of-experts layer.
	Experts            int64
	TopK               int64
	ExpertIntermediate int64
	SharedExperts      int64 // count of always-on experts
	SharedIntermediate int64 // width of each shared expert
	SharedGate         bool  // a sigmoid gate on the shared expert (Qwen2-MoE)
	RouterBias         bool
	// ScoreCorrectionBias is DeepSeek-V3's per-expert routing bias.
	ScoreCorrectionBias bool
}

// VisionEncoder is a ViT image encoder plus its projector into the text
// model. The flags say which of a ViT's optional tensors the tower has.
type VisionEncoder struct {
	Hidden       int64
	Layers       int64
	Intermediate int64
	PatchSize    int64
	ImageSize    int64
	Channels     int64 // 0: 3
	// TemporalPatch is the frames one patch spans (Qwen-VL's 3-D patch
	// convolution); 0 or 1 for images only.
	TemporalPatch int64
	PatchBias     bool
	// Positions is the number of learned position vectors (0 for towers
	// with rotary positions); ClassToken adds a class embedding.
	Positions  int64
	ClassToken bool
	Norm       NormKind
	QKVBias    bool
	OutBias    bool
	GatedMLP   bool
	MLPBias    bool
	// LayerScale adds two per-channel scale vectors to each layer
	// (InternViT's ls1 and ls2).
	LayerScale bool
	// PreNorm and PostNorm are norms before and after the layer stack.
	PreNorm  bool
	PostNorm bool
	// ProjectorMatrices and ProjectorOther (biases, norms, tables) are the
	// multimodal projector's parameters.
	ProjectorMatrices []Matrix
	ProjectorOther    int64
}
