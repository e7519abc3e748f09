package checkpoint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Where a tensor goes is decided by its module path, the dotted name
// without the parameter at its end: "model.layers.3.mlp.down_proj" of
// "model.layers.3.mlp.down_proj.weight". Quantization companions
// (qweight, qzeros, scales, g_idx, weight_scale, weight_scale_inv,
// input_scale, weight_packed, weight_shape, weight_zero_point, SCB,
// _blocks/_scales of mxfp4, bitsandbytes' absmax, quant_map and
// quant_state.*) sit in the same module as the weight they belong to, so
// they go with its class. The rules, in order:
//
//  1. a vision tower or projector anywhere in the path → vision;
//  2. a multi-token-prediction module (a component starting with "mtp"),
//     rotary inv_freq buffers, GPT-2's causal-mask buffers (a bias or
//     masked_bias directly on an "attn" module; its projections' biases
//     are attn.c_attn.bias and attn.c_proj.bias) → not loaded;
//  3. inside decoder layer N (layers.N, h.N, blocks.N): N at or beyond the
//     config's layer count → not loaded (an MTP or draft layer); else the
//     layer rules below;
//  4. outside the layers: lm_head, norms, embeddings;
//  5. anything else → unclassified, listed by name.

// visionModules are path components of image encoders and their
// projectors (SigLIP/CLIP towers, Pixtral, MoonViT, Qwen-VL's visual,
// Llama 4's vision_model, LLaVA-Next's image_newline, Idefics3's
// connector).
var visionModules = set("vision_tower", "vision_model", "visual", "vision_encoder", "multi_modal_projector",
	"mm_projector", "image_newline", "vision_embed_tokens", "connector")

// visionTopModules are vision modules recognised only as the first
// component (InternVL's projector is a bare "mlp1").
var visionTopModules = set("mlp1")

// layerContainers are the names of the decoder-layer lists.
var layerContainers = set("layers", "h", "blocks")

// Module names inside a decoder layer.
var (
	attentionModules = set("self_attn", "attn", "attention", "self_attention", "cross_attn", "cross_attention")
	mixerModules     = set("mamba", "linear_attn", "mixer") // mixer: Nemotron-H's and Falcon-H1's per-layer block
	ffnModules       = set("mlp", "feed_forward", "ffn", "block_sparse_moe", "moe")
	expertModules    = set("experts")
	sharedModules    = set("shared_expert", "shared_experts", "shared_mlp")
	routerModules    = set("gate", "router", "moe_statics") // inside an FFN module
	// fusedExpertModules are GraniteMoE's experts stored as one tensor,
	// inside block_sparse_moe (its shared expert is shared_mlp).
	fusedExpertModules = set("input_linear", "output_linear")
	// mixerAttention and mixerFFN are the leaves of a "mixer" block that is
	// attention or an MLP rather than a state-space mixer (Nemotron-H).
	mixerAttention = set("q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj", "q_norm", "k_norm")
	mixerFFN       = set("up_proj", "down_proj", "gate_proj", "fc1", "fc2")
)

// Modules outside the decoder layers.
var (
	headModules      = set("lm_head", "embed_out", "output_layer")
	embeddingModules = set("embed_tokens", "wte", "wpe", "word_embeddings", "embed_in", "embeddings", "tok_embeddings",
		"embedding", "position_embeddings", "embed_positions")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Placement is where one tensor goes: a tensor class, or not loaded (with
// the reason), or nowhere kvplot knows (Unclassified).
type Placement struct {
	Class analysis.TensorClass
	// NotLoaded says why inference does not load the tensor; "" when it does.
	NotLoaded    string
	Unclassified bool
}

// Reasons a tensor is not loaded.
const (
	ReasonMTP      = "multi-token-prediction (MTP) module, loaded only for speculative decoding"
	ReasonInvFreq  = "rotary inv_freq buffer, recomputed at load"
	ReasonMask     = "causal-mask buffer of GPT-2-style attention (attn.bias, attn.masked_bias), not a weight"
	reasonLayerFmt = "decoder layer beyond num_hidden_layers (%d): an MTP or draft layer, loaded only for speculative decoding"
)

// Classify places tensor name in a model of layers decoder layers
// (layers <= 0: unknown, every layer index is taken as loaded).
func Classify(name string, layers int) Placement {
	parts := strings.Split(name, ".")
	mod := parts[:len(parts)-1] // the module path
	for i, p := range parts {   // LLaVA-Next's image_newline is a bare parameter
		if visionModules[p] || (i == 0 && i < len(mod) && visionTopModules[p]) {
			return Placement{Class: analysis.VisionWeights}
		}
	}
	for _, p := range mod {
		if strings.HasPrefix(p, "mtp") {
			return Placement{NotLoaded: ReasonMTP}
		}
	}
	if parts[len(parts)-1] == "inv_freq" {
		return Placement{NotLoaded: ReasonInvFreq}
	}
	if leaf := parts[len(parts)-1]; (leaf == "bias" || leaf == "masked_bias") && len(mod) > 0 && mod[len(mod)-1] == "attn" {
		return Placement{NotLoaded: ReasonMask}
	}
	for i := 0; i+1 < len(mod); i++ {
		if !layerContainers[mod[i]] || !isIndex(mod[i+1]) {
			continue
		}
		n, _ := strconv.Atoi(mod[i+1])
		if layers > 0 && n >= layers {
			return Placement{NotLoaded: fmt.Sprintf(reasonLayerFmt, layers)}
		}
		return classifyInLayer(mod[i+2:])
	}
	for i, p := range mod {
		if headModules[p] || (i == 0 && p == "output" && len(mod) == 1) {
			return Placement{Class: analysis.LMHead}
		}
	}
	for _, p := range mod {
		if isNorm(p) {
			return Placement{Class: analysis.NormWeights}
		}
	}
	for _, p := range mod {
		if embeddingModules[p] {
			return Placement{Class: analysis.Embeddings}
		}
	}
	return Placement{Unclassified: true}
}

// classifyInLayer places a tensor by its module path inside a decoder
// layer: an MoE part (shared expert, experts, router) anywhere in the path
// decides first; then the first component that names a block (DBRX nests
// its attention in norm_attn_norm.attn); a path naming none is a norm if
// one of its components is.
func classifyInLayer(mod []string) Placement {
	for i, p := range mod {
		prev := ""
		if i > 0 {
			prev = mod[i-1]
		}
		switch {
		case p == "shared_expert_gate":
			return Placement{Class: analysis.RouterWeights}
		case sharedModules[p]:
			return Placement{Class: analysis.SharedExpertWeights}
		case expertModules[p], fusedExpertModules[p] && (prev == "block_sparse_moe" || prev == "moe"):
			return Placement{Class: analysis.ExpertWeights}
		case routerModules[p] && (ffnModules[prev] || prev == "mixer"):
			return Placement{Class: analysis.RouterWeights}
		}
	}
	for i, p := range mod {
		next := ""
		if i+1 < len(mod) {
			next = mod[i+1]
		}
		switch {
		case attentionModules[p], p == "mixer" && mixerAttention[next]:
			return Placement{Class: analysis.AttentionWeights}
		case p == "mixer" && mixerFFN[next]:
			return Placement{Class: analysis.MLPWeights}
		case mixerModules[p]:
			return Placement{Class: analysis.StateMixerWeights}
		case ffnModules[p]:
			return Placement{Class: analysis.MLPWeights}
		}
	}
	for _, p := range mod {
		if isNorm(p) {
			return Placement{Class: analysis.NormWeights}
		}
	}
	return Placement{Unclassified: true}
}

// isNorm reports whether a module name is a norm: input_layernorm,
// post_attention_layernorm, ln_1, ln_f, attention_norm, norm_f, norm.
func isNorm(p string) bool {
	return strings.Contains(p, "norm") || p == "ln_f" || (strings.HasPrefix(p, "ln_") && len(p) > 3)
}

func isIndex(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// DTypeBytes is the stored bytes of one dtype.
type DTypeBytes struct {
	DType string
	Bytes int64
}

// ClassBytes is what a checkpoint stores in one tensor class.
type ClassBytes struct {
	Bytes   int64
	Tensors int
	DTypes  []DTypeBytes // sorted by dtype
}

// Skipped is a group of tensors inference does not load, for one reason.
type Skipped struct {
	Reason  string
	Tensors int
	Bytes   int64
	First   string // the first tensor's name, as an example
}

// Summary is a checkpoint's stored bytes by dtype and by tensor class.
type Summary struct {
	Files   int
	Tensors int
	// Bytes is every tensor's; Loaded is the part in a class.
	Bytes   int64
	Loaded  int64
	ByDType []DTypeBytes // sorted by dtype
	// ByClass is indexed by analysis.TensorClass.
	ByClass      []ClassBytes
	NotLoaded    []Skipped // sorted by reason
	Unclassified []Tensor  // sorted by name
}

// Summarize sums the checkpoint's bytes for a model of layers decoder
// layers (its config's num_hidden_layers as kvplot read it).
func Summarize(ck *Checkpoint, layers int) Summary {
	s := Summary{Files: len(ck.Files), Tensors: len(ck.Tensors), ByClass: make([]ClassBytes, len(analysis.TensorClasses()))}
	byDType := map[string]int64{}
	byClassDType := make([]map[string]int64, len(s.ByClass))
	skipped := map[string]*Skipped{}
	for _, t := range ck.Tensors {
		s.Bytes += t.Bytes
		byDType[t.DType] += t.Bytes
		p := Classify(t.Name, layers)
		switch {
		case p.NotLoaded != "":
			g := skipped[p.NotLoaded]
			if g == nil {
				g = &Skipped{Reason: p.NotLoaded, First: t.Name}
				skipped[p.NotLoaded] = g
			}
			g.Tensors++
			g.Bytes += t.Bytes
		case p.Unclassified:
			s.Unclassified = append(s.Unclassified, t)
		default:
			c := &s.ByClass[p.Class]
			c.Bytes += t.Bytes
			c.Tensors++
			s.Loaded += t.Bytes
			if byClassDType[p.Class] == nil {
				byClassDType[p.Class] = map[string]int64{}
			}
			byClassDType[p.Class][t.DType] += t.Bytes
		}
	}
	s.ByDType = sortedDTypes(byDType)
	for c, m := range byClassDType {
		s.ByClass[c].DTypes = sortedDTypes(m)
	}
	for _, g := range skipped {
		s.NotLoaded = append(s.NotLoaded, *g)
	}
	sort.Slice(s.NotLoaded, func(i, j int) bool { return s.NotLoaded[i].Reason < s.NotLoaded[j].Reason })
	return s
}

func sortedDTypes(m map[string]int64) []DTypeBytes {
	out := make([]DTypeBytes, 0, len(m))
	for d, b := range m {
		out = append(out, DTypeBytes{d, b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DType < out[j].DType })
	return out
}
