package spec

import (
	"fmt"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"go.yaml.in/yaml/v3"
)

// hfFields lists every config field kvplot reads, under all aliases, plus
// kvplot's own extras. A native spec's architecture block may use only these.
var hfFields = []string{
	"model_type", "architectures", "text_config", "vision_config",
	"vocab_size", "padded_vocab_size", "n_vocab",
	"hidden_size", "n_embd", "d_model",
	"num_hidden_layers", "n_layer", "num_layers", "n_layers",
	"num_attention_heads", "n_head", "n_heads", "num_heads",
	"num_key_value_heads", "n_head_kv", "num_kv_heads", "n_kv_heads", "multi_query_group_num", "multi_query_attention", "multi_query",
	"new_decoder_architecture", "parallel_attn",
	"head_dim", "kv_channels", "v_head_dim",
	"intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim",
	"max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "n_ctx",
	"tie_word_embeddings",
	"attention_bias", "bias", "add_qkv_bias", "add_bias_linear", "mlp_bias", "qkv_bias",
	"sliding_window", "use_sliding_window", "max_window_layers", "sliding_window_pattern", "layer_types", "attention_chunk_size",
	"num_local_experts", "n_routed_experts", "num_experts", "num_experts_per_tok", "experts_per_token", "moe_intermediate_size",
	"n_shared_experts", "shared_expert_intermediate_size", "first_k_dense_replace", "moe_layer_freq", "decoder_sparse_step", "mlp_only_layers",
	"topk_method", "expert_layer_period", "expert_layer_offset", "attn_layer_period", "attn_layer_offset",
	"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
	"mamba_d_state", "mamba_d_conv", "mamba_expand", "mamba_dt_rank", "mamba_conv_bias", "mamba_proj_bias",
	"state_size", "conv_kernel", "expand", "time_step_rank", "use_conv_bias", "use_bias",
	"full_attention_interval", "mamba_ssm_cache_dtype", "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim", "linear_conv_kernel_dim",
	"mamba_n_heads", "mamba_n_groups", "mamba_d_head", "mamba_d_ssm", "mamba_rms_norm", "projectors_bias", "attn_layer_indices",
	"attn_type_list", "hybrid_override_pattern", "mamba_num_heads", "mamba_head_dim", "ssm_state_size", "n_groups", "moe_shared_expert_intermediate_size",
	"image_size", "patch_size", "num_channels",
	// kvplot's own extras, for architectures a config cannot express
	"mlp_kind", "norm_type", "norms_per_layer", "final_norm", "qk_norm",
}

// interpretHF reads a Hugging Face config (or a native architecture block,
// when strict) into a model. forced names a family to read the config as
// (--family, or a native spec's family key), "" to go by its model_type.
func interpretHF(f *file, o *obj, strict bool, forced string) (analysis.Model, bool) {
	before := len(f.problems)
	if strict {
		o.strict(hfFields...)
	} else {
		o.checkMisspelt()
	}
	if !interpretable(f, o) {
		return analysis.Model{}, false
	}
	fam, ok := familyOf(f, o, strict, forced)
	if !ok {
		return analysis.Model{}, false
	}
	textKey := "text_config"
	if fam.textKey != "" {
		textKey = fam.textKey
	}
	if tc, ok := o.vals[textKey]; ok && tc.Kind == yaml.MappingNode {
		text := f.object(tc, o.prefix+textKey+".")
		if !strict {
			text.checkMisspelt()
		}
		if !interpretable(f, text) {
			return analysis.Model{}, false
		}
		tfam := fam
		if fam.text != "" {
			tfam, _ = lookupFamily(fam.text)
		}
		if fam.textKey != "" && !text.has("model_type") {
			f.errorf(tc, text.prefix+"model_type", "missing: kvplot reads a %s checkpoint's language model by the model_type of its %s", fam.name, textKey)
			return analysis.Model{}, false
		}
		if mt, ok := text.str("model_type"); ok && forced == "" {
			if tf, ok := lookupFamily(mt); ok && tf.refused == "" {
				tfam = tf
			} else if !ok {
				f.errorf(text.vals["model_type"], text.prefix+"model_type", "%q is not a family kvplot knows (it reads %s)", mt, familyList())
				return analysis.Model{}, false
			}
		}
		m, ok := interpretText(f, text, tfam, strict)
		if t, has := o.boolean("tie_word_embeddings"); has && !text.has("tie_word_embeddings") {
			m.TiedEmbedding = t // the wrapper's key (Qwen3-VL-2B)
		}
		if ok {
			if vc, has := o.vals["vision_config"]; has && vc.Kind == yaml.MappingNode {
				m.Vision = interpretVision(f, o, f.object(vc, o.prefix+"vision_config."), fam, m.Hidden)
			} else if fam.vision != "" {
				f.errorf(o.n, o.prefix+"vision_config", "missing: a %s checkpoint loads a vision tower; kvplot needs its vision_config (the config class's defaults describe no published checkpoint)", fam.name)
				return m, false
			}
		}
		return m, ok && len(f.problems) == before
	}
	tfam := fam
	if fam.text != "" {
		tfam, _ = lookupFamily(fam.text)
	}
	m, ok := interpretText(f, o, tfam, strict)
	if ok {
		// A flat multimodal config (Qwen2.5-VL): text fields at the top,
		// the vision tower nested.
		if vc, has := o.vals["vision_config"]; has && vc.Kind == yaml.MappingNode {
			m.Vision = interpretVision(f, o, f.object(vc, o.prefix+"vision_config."), fam, m.Hidden)
		} else if fam.vision != "" {
			f.errorf(o.n, o.prefix+"vision_config", "missing: a %s checkpoint loads a vision tower; kvplot needs its vision_config (the config class's defaults describe no published checkpoint)", fam.name)
			return m, false
		}
	}
	return m, ok && len(f.problems) == before
}

// nativeFamily is the layout of a native architecture block that names no
// model_type: a Llama-style decoder (gated MLP, RMSNorm, two norms per
// layer, untied) unless mlp_kind, norm_type and the other fields say otherwise.
var nativeFamily = family{name: "", normsPerLayer: 2}

// familyOf finds the family a config is read as: the forced one, else its
// model_type, else its architectures. A raw config of no known family is
// refused: kvplot does not guess an architecture from hidden_size and
// num_hidden_layers.
func familyOf(f *file, o *obj, strict bool, forced string) (*family, bool) {
	way := "state the architecture in a native spec (architecture: with mlp_kind, norm_type and the other fields) or read it as a known family with --family NAME (a spec's family: key)"
	if forced != "" {
		fam, ok := lookupFamily(forced)
		if !ok || fam.refused != "" {
			f.errorf(o.n, "family", "%q is not a family kvplot reads (it reads %s)", forced, familyList())
			return nil, false
		}
		return fam, true
	}
	mt, hasType := o.str("model_type")
	if hasType {
		fam, ok := lookupFamily(mt)
		if !ok && strict {
			f.errorf(o.vals["model_type"], o.prefix+"model_type", "%q is not a family kvplot knows (it reads %s); leave model_type out to describe the architecture with kvplot's own fields", mt, familyList())
			return nil, false
		}
		if !ok {
			f.errorf(o.vals["model_type"], o.prefix+"model_type", "%q is not a family kvplot knows: it reads %s; %s", mt, familyList(), way)
			return nil, false
		}
		if fam.refused != "" {
			f.errorf(o.vals["model_type"], o.prefix+"model_type", "kvplot cannot size %q yet: %s; %s", mt, fam.refused, way)
			return nil, false
		}
		return fam, true
	}
	if v, ok := o.vals["architectures"]; ok && v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if fam, ok := architectureIndex[e.Value]; ok && fam.refused == "" {
				return fam, true
			}
		}
	}
	if strict {
		return &nativeFamily, true
	}
	f.errorf(o.n, o.prefix+"model_type", "missing: a config.json needs a model_type (or architectures) of a family kvplot knows to be read exactly; %s", way)
	return nil, false
}

// coreFields are the fields every model needs, in the words of a message.
const coreFields = "vocab_size, hidden_size, num_hidden_layers, num_attention_heads and intermediate_size (or their aliases)"

// unsupported names model_types kvplot cannot interpret, with what they are.
var unsupported = map[string]string{}

func init() {
	for kind, types := range map[string][]string{
		"an encoder-decoder model": {"t5", "mt5", "umt5", "longt5", "bart", "mbart", "pegasus", "pegasus_x", "marian", "whisper",
			"switch_transformers", "fsmt", "prophetnet", "m2m_100", "nllb-moe", "blenderbot", "blenderbot-small", "led",
			"bigbird_pegasus", "plbart", "seamless_m4t", "encoder-decoder", "speech-encoder-decoder", "vision-encoder-decoder"},
		"an encoder-only model": {"bert", "roberta", "xlm-roberta", "xlm-roberta-xl", "distilbert", "albert", "electra",
			"deberta", "deberta-v2", "camembert", "mpnet", "modernbert", "xlm", "ernie", "nomic_bert", "bert-generation"},
		"a vision or audio model": {"vit", "clip", "clip_vision_model", "siglip", "siglip_vision_model", "dinov2", "convnext",
			"resnet", "swin", "beit", "sam", "detr", "wav2vec2", "hubert", "wavlm", "yolos"},
	} {
		for _, t := range types {
			unsupported[t] = kind
		}
	}
}

// interpretable rejects configs of model kinds kvplot does not read, with
// one message naming what kvplot needs, instead of one per missing field.
func interpretable(f *file, o *obj) bool {
	mt, _ := o.str("model_type")
	if kind, ok := unsupported[mt]; ok {
		f.errorf(o.vals["model_type"], o.prefix+"model_type", "kvplot cannot interpret %q (%s): it reads decoder-only language models and needs %s", mt, kind, coreFields)
		return false
	}
	if ed, _ := o.boolean("is_encoder_decoder"); ed {
		f.errorf(o.vals["is_encoder_decoder"], o.prefix+"is_encoder_decoder", "kvplot cannot interpret an encoder-decoder model: it reads decoder-only language models and needs %s", coreFields)
		return false
	}
	if cls, ok := o.str("_class_name"); ok {
		f.errorf(o.vals["_class_name"], o.prefix+"_class_name", "kvplot cannot interpret %q (a diffusers config): it reads decoder-only language models and needs %s", cls, coreFields)
		return false
	}
	if fam, ok := lookupFamily(mt); !(ok && fam.defaults != nil) && o.firstPresent("text_config", "llm_config") == "" && o.firstPresent(
		"vocab_size", "padded_vocab_size", "n_vocab", "hidden_size", "n_embd", "d_model",
		"num_hidden_layers", "n_layer", "num_layers", "n_layers") == "" {
		what := "the file"
		if o.prefix != "" {
			what = strings.TrimSuffix(o.prefix, ".")
		}
		f.errorf(o.n, strings.TrimSuffix(o.prefix, "."), "not a model config kvplot can read: %s gives none of vocab_size, hidden_size or num_hidden_layers; kvplot needs %s", what, coreFields)
		return false
	}
	return true
}

// checkMisspelt flags a field that is one edit away from a field kvplot
// reads when that field itself is absent: real configs carry many unused
// fields, but a misspelt kv-head count would silently change the answer.
func (o *obj) checkMisspelt() {
	known := map[string]bool{}
	for _, k := range hfFields {
		known[k] = true
	}
	for _, k := range o.order {
		if known[k] || len(k) < 8 {
			continue
		}
		for _, want := range hfFields {
			if len(want) >= 8 && abs(len(k)-len(want)) <= 1 && editDistance(k, want) == 1 && !o.has(want) {
				o.f.errorf(o.keys[k], o.prefix+k, "unknown field (did you mean %q?)", want)
				break
			}
		}
	}
}

func interpretText(f *file, o *obj, famp *family, native bool) (analysis.Model, bool) {
	fam := *famp
	mt := fam.name
	if !native {
		// kvplot's extras describe native specs; a config.json may use the
		// same names for its own fields (StarCoder 2's norm_type).
		o = o.without("mlp_kind", "norm_type", "norms_per_layer", "final_norm", "qk_norm")
	}
	o = o.hoisted(fam.nested)
	if k, ok := o.str("mlp_kind"); ok {
		switch k {
		case "gated":
			fam.plainMLP = false
		case "plain":
			fam.plainMLP = true
		default:
			f.errorf(o.vals["mlp_kind"], o.prefix+"mlp_kind", "must be gated or plain, got %q", k)
		}
	}
	if k, ok := o.str("norm_type"); ok {
		switch k {
		case "rmsnorm":
			fam.layerNorm = false
		case "layernorm":
			fam.layerNorm = true
		default:
			f.errorf(o.vals["norm_type"], o.prefix+"norm_type", "must be rmsnorm or layernorm, got %q", k)
		}
	}

	o.defaults = fam.defaults
	var m analysis.Model
	need := func(name string, v int64, ok bool, aliases ...string) int64 {
		if !ok && !o.has(aliases...) {
			what := ""
			if mt != "" {
				what = fmt.Sprintf(" to interpret model_type %q", mt)
			}
			f.errorf(o.n, o.prefix+aliases[0], "missing: kvplot needs %s (or %s)%s", aliases[0], strings.Join(aliases[1:], ", "), what)
		}
		return v
	}
	vocab, ok := o.integer(1, maxCount, "vocab_size", "padded_vocab_size", "n_vocab")
	m.VocabSize = need("vocab", vocab, ok, "vocab_size", "padded_vocab_size", "n_vocab")
	hidden, ok := o.integer(1, maxCount, "hidden_size", "n_embd", "d_model")
	m.Hidden = need("hidden", hidden, ok, "hidden_size", "n_embd", "d_model")
	nl, ok := o.integer(1, 100000, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
	nl = need("layers", nl, ok, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
	if m.VocabSize == 0 || m.Hidden == 0 || nl == 0 {
		o.checkCounts()
		return m, false
	}
	m.MaxContext = contextLimit(o, mt)
	m.LMHeadBias = fam.lmHeadBias
	if b, ok := o.boolean("lm_head_bias"); ok {
		m.LMHeadBias = b
	}
	m.TiedEmbedding = fam.tied
	if t, ok := o.boolean("tie_word_embeddings"); ok {
		m.TiedEmbedding = t
	} else if fam.name != "" && o.firstPresent("tie_word_embeddings") == "" {
		f.note("%stie_word_embeddings = %t", o.prefix, fam.tied)
	}
	if fam.learnedPos {
		m.PositionEmbeddings = m.MaxContext
		if mt == "opt" {
			m.PositionEmbeddings += 2 // OPT offsets positions by 2
		}
	}
	m.Norm = analysis.RMSNorm
	if fam.layerNorm {
		m.Norm = analysis.LayerNorm
	}
	m.NormsPerLayer = fam.normsPerLayer
	if isFalcon(mt) {
		if nda, _ := o.boolean("new_decoder_architecture"); nda || fam.newDecoder {
			m.NormsPerLayer = 2
		} else if pa, ok := o.boolean("parallel_attn"); ok && !pa {
			m.NormsPerLayer = 2
		}
	}
	if n, ok := o.integer(0, 16, "norms_per_layer"); ok {
		m.NormsPerLayer = n
	}
	m.FinalNorm = true
	if fn, ok := o.boolean("final_norm"); ok {
		m.FinalNorm = fn
	}
	if mt == "opt" {
		// OPT-350m: post-norm layers and no final norm; embeddings in a
		// narrower width with project_in/project_out, which kvplot does not size.
		if pre, ok := o.boolean("do_layer_norm_before"); ok && !pre {
			m.FinalNorm = false
		}
		if w, ok := o.integer(1, maxCount, "word_embed_proj_dim"); ok && w != m.Hidden {
			f.errorf(o.vals["word_embed_proj_dim"], o.prefix+"word_embed_proj_dim", "kvplot cannot size OPT's project_in/project_out (word_embed_proj_dim %d differs from hidden_size %d)", w, m.Hidden)
			return m, false
		}
	}

	kinds := layerKinds(f, o, fam, mt, int(nl))
	if kinds == nil {
		return m, false
	}
	attn, attnOK := attention(f, o, fam, mt, m.Hidden, kinds)
	ffn := ffnFor(f, o, fam, mt, m.Hidden, int(nl))
	mla := mlaFor(o, attn.Heads)
	mamba := mambaFor(f, o, fam, mt, m.Hidden)
	linear := linearFor(o)
	if fam.lightning {
		// lightning attention is as wide as the softmax attention
		linear = analysis.Linear{Lightning: true, KHeads: attn.Heads, VHeads: attn.Heads, KHeadDim: attn.HeadDim, VHeadDim: attn.HeadDim}
		if si, _ := o.integer(0, maxCount, "shared_intermediate_size"); si > 0 {
			f.errorf(o.vals["shared_intermediate_size"], o.prefix+"shared_intermediate_size", "kvplot does not size MiniMax's shared expert (no published checkpoint has one), got %d", si)
		}
	}
	// A window or chunk larger than the model's max context is accepted:
	// real configs carry unused ones (Qwen2.5: 131072 with a 32768 context),
	// and a cache capped at the window is still right at every context.
	// Past MaxContextTokens, a window is absurd.
	window, _ := o.integer(1, MaxContextTokens, "sliding_window")
	chunk, _ := o.integer(1, MaxContextTokens, "attention_chunk_size")
	m.Layers = make([]analysis.Layer, nl)
	for i, k := range kinds {
		l := &m.Layers[i]
		l.Kind = k
		switch k {
		case analysis.SlidingAttention:
			l.Window = window
			if window == 0 {
				f.errorf(o.pos("layer_types"), o.prefix+"sliding_window", "missing: sliding layers need a window size")
				return m, false
			}
		case analysis.ChunkedAttention:
			l.Window = chunk
			if chunk == 0 {
				f.errorf(o.pos("layer_types"), o.prefix+"attention_chunk_size", "missing: chunked layers need a chunk size")
				return m, false
			}
		}
		if mla.KVLoraRank > 0 && (k == analysis.FullAttention) {
			l.Kind = analysis.MLAAttention
		}
		l.Attn, l.MLA, l.Mamba, l.Linear = attn, mla, mamba, linear
		l.ParallelMamba = fam.parallelMamba
		l.FFN = ffn(i)
	}
	if !checkMixers(f, o, kinds, mamba, linear) {
		return m, false
	}
	needAttn := false
	for _, l := range m.Layers {
		if l.Kind == analysis.FullAttention || l.Kind == analysis.SlidingAttention || l.Kind == analysis.ChunkedAttention {
			needAttn = true
		}
	}
	if needAttn && !attnOK {
		return m, false
	}
	return m, true
}

// checkMixers reports the fields that Mamba and linear-attention layers
// need when the model has such layers and the config leaves them out
// (zero-sized mixers would count nothing without a word).
func checkMixers(f *file, o *obj, kinds []analysis.LayerKind, mamba analysis.Mamba, linear analysis.Linear) bool {
	ok := true
	missing := func(what string, names ...string) {
		for _, n := range names {
			if !o.has(n) {
				f.errorf(o.n, o.prefix+n, "missing: %s layers need %s", what, n)
				ok = false
			}
		}
	}
	has := map[analysis.LayerKind]bool{}
	for _, k := range kinds {
		has[k] = true
	}
	if has[analysis.MambaMixer] && (mamba.DInner == 0 || mamba.DState == 0 || mamba.DConv == 0) {
		switch {
		case mamba.Version == 2 && o.has("mamba_num_heads"):
			missing("Mamba-2", "mamba_head_dim", "ssm_state_size", "n_groups", "conv_kernel")
		case mamba.Version == 2:
			// the family's reader (mamba2Mixer, Granite's defaults) named it
		case o.has("mamba_d_state") || o.has("mamba_expand") || o.has("mamba_d_conv"):
			missing("Mamba", "mamba_d_state", "mamba_d_conv", "mamba_expand")
		default:
			missing("Mamba", "state_size", "conv_kernel", "expand")
		}
		if ok {
			// every field is there but one of them is unusable: reported already
			ok = false
		}
	}
	if has[analysis.LinearAttention] && !linear.Lightning && (linear.KHeads == 0 || linear.VHeads == 0 || linear.KHeadDim == 0 || linear.VHeadDim == 0 || linear.ConvKernel == 0) {
		missing("linear-attention", "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim", "linear_conv_kernel_dim")
		ok = false
	}
	return ok
}

// hoisted returns o with each nested field of pairs ("attn_config.kv_n_heads")
// also present under the name kvplot reads it by, unless o states that name
// itself. Problems with the value point at the nested field's line.
func (o *obj) hoisted(pairs [][2]string) *obj {
	if len(pairs) == 0 {
		return o
	}
	c := *o
	c.keys, c.vals = map[string]*yaml.Node{}, map[string]*yaml.Node{}
	for k := range o.keys {
		c.keys[k], c.vals[k] = o.keys[k], o.vals[k]
	}
	c.order = append([]string(nil), o.order...)
	for _, p := range pairs {
		path, name := p[0], p[1]
		if _, ok := c.vals[name]; ok {
			continue
		}
		v, k := o.vals[path], o.keys[path]
		if parent, field, nested := strings.Cut(path, "."); nested {
			v, k = nil, nil
			if pn, ok := o.vals[parent]; ok && pn.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(pn.Content); i += 2 {
					if pn.Content[i].Value == field {
						k, v = pn.Content[i], pn.Content[i+1]
					}
				}
			}
		}
		if v != nil {
			c.keys[name], c.vals[name] = k, v
			c.order = append(c.order, name)
		}
	}
	return &c
}

// firstPresent returns the first of names that is present, even as null.
func (o *obj) firstPresent(names ...string) string {
	for _, n := range names {
		if _, ok := o.vals[n]; ok {
			return n
		}
	}
	return ""
}

func layerKinds(f *file, o *obj, fam family, mt string, n int) []analysis.LayerKind {
	kinds := make([]analysis.LayerKind, n)
	if v, ok := o.vals["layer_types"]; ok && v.Kind != yaml.ScalarNode {
		if v.Kind != yaml.SequenceNode {
			f.errorf(v, o.prefix+"layer_types", "must be a list of layer types, got %s", kindName(v))
			return nil
		}
		if len(v.Content) != n {
			f.errorf(v, o.prefix+"layer_types", "lists %d layers, but the model has %d", len(v.Content), n)
			return nil
		}
		bad := false
		for i, e := range v.Content {
			switch e.Value {
			case "full_attention", "attention", "global", "full":
				kinds[i] = analysis.FullAttention
			case "sliding_attention", "sliding", "local":
				kinds[i] = analysis.SlidingAttention
			case "chunked_attention", "chunked":
				kinds[i] = analysis.ChunkedAttention
			case "linear_attention", "linear":
				kinds[i] = analysis.LinearAttention
			case "mamba", "mamba2":
				kinds[i] = analysis.MambaMixer
			default:
				f.errorf(e, fmt.Sprintf("%slayer_types[%d]", o.prefix, i), "unknown layer type %q (want full_attention, sliding_attention, chunked_attention, linear_attention or mamba)", e.Value)
				bad = true
			}
		}
		if bad {
			return nil
		}
		return kinds
	}
	if v, ok := o.vals["attn_type_list"]; ok && fam.lightning {
		// MiniMax's remote-code configs: 0 lightning attention, 1 softmax.
		if v.Kind != yaml.SequenceNode || len(v.Content) != n {
			f.errorf(v, o.prefix+"attn_type_list", "must list one attention type (0 or 1) for each of the %d layers", n)
			return nil
		}
		for i, e := range v.Content {
			t, ok := f.intValue(e, fmt.Sprintf("%sattn_type_list[%d]", o.prefix, i), 0, 1)
			if !ok {
				return nil
			}
			kinds[i] = analysis.FullAttention
			if t == 0 {
				kinds[i] = analysis.LinearAttention
			}
		}
		return kinds
	}
	if fam.lightning {
		f.errorf(o.n, o.prefix+"layer_types", "missing: a MiniMax config needs layer_types (or attn_type_list) to say which layers are lightning attention")
		return nil
	}
	if pat, ok := o.str("hybrid_override_pattern"); ok {
		if len(pat) != n {
			f.errorf(o.vals["hybrid_override_pattern"], o.prefix+"hybrid_override_pattern", "has %d blocks, but the model has %d layers", len(pat), n)
			return nil
		}
		for i, c := range pat {
			switch c {
			case 'M':
				kinds[i] = analysis.MambaMixer
			case '*':
				kinds[i] = analysis.FullAttention
			case '-', 'E':
				kinds[i] = analysis.NoMixer
			default:
				f.errorf(o.vals["hybrid_override_pattern"], o.prefix+"hybrid_override_pattern", "unknown block %q at %d (want M, *, - or E)", c, i)
				return nil
			}
		}
		return kinds
	}
	_, hasWindow := o.quietInteger(1, MaxContextTokens, "sliding_window")
	switch {
	case fam.mamba:
		for i := range kinds {
			kinds[i] = analysis.MambaMixer
		}
	case mt == "llama4_text":
		// no_rope_layers[i] = 1: a RoPE layer, chunked; 0: a global NoPE
		// layer. Absent: every no_rope_layer_interval-th layer is NoPE.
		every, ok := o.integer(1, 1000, "no_rope_layer_interval")
		if !ok {
			every = 4
		}
		rope := make([]bool, n)
		for i := range rope {
			rope[i] = int64(i+1)%every != 0
		}
		if v, ok := o.vals["no_rope_layers"]; ok && v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
			if len(v.Content) != n {
				f.errorf(v, o.prefix+"no_rope_layers", "lists %d layers, but the model has %d", len(v.Content), n)
				return nil
			}
			for i, e := range v.Content {
				r, _ := f.intValue(e, fmt.Sprintf("%sno_rope_layers[%d]", o.prefix, i), 0, 1)
				rope[i] = r == 1
			}
		}
		_, chunked := o.quietInteger(1, MaxContextTokens, "attention_chunk_size")
		for i := range kinds {
			if rope[i] && chunked {
				kinds[i] = analysis.ChunkedAttention
			}
		}
	case mt == "jamba":
		period, _ := o.integer(1, 1000, "attn_layer_period")
		offset, _ := o.integer(0, 1000, "attn_layer_offset")
		if period == 0 {
			period = 8
		}
		for i := range kinds {
			kinds[i] = analysis.MambaMixer
			if int64(i)%period == offset {
				kinds[i] = analysis.FullAttention
			}
		}
	case o.has("full_attention_interval"):
		// Qwen3-Next: every interval-th layer is full attention, the rest
		// gated delta-net linear attention.
		every, _ := o.integer(1, 100000, "full_attention_interval")
		for i := range kinds {
			kinds[i] = analysis.LinearAttention
			if every > 0 && int64(i+1)%every == 0 {
				kinds[i] = analysis.FullAttention
			}
		}
	case mt == "gemma2":
		if hasWindow {
			for i := range kinds {
				if i%2 == 0 {
					kinds[i] = analysis.SlidingAttention
				}
			}
		}
	case mt == "gemma3_text" || o.has("sliding_window_pattern"):
		p, _ := o.integer(1, 1000, "sliding_window_pattern")
		if p == 0 {
			p = 6
		}
		if hasWindow {
			for i := range kinds {
				if int64(i+1)%p != 0 {
					kinds[i] = analysis.SlidingAttention
				}
			}
		}
	case o.firstPresent("use_sliding_window") != "":
		use, _ := o.boolean("use_sliding_window")
		from, _ := o.integer(0, 100000, "max_window_layers")
		if use && hasWindow {
			for i := range kinds {
				if int64(i) >= from {
					kinds[i] = analysis.SlidingAttention
				}
			}
		}
	case hasWindow:
		for i := range kinds {
			kinds[i] = analysis.SlidingAttention
		}
	}
	return kinds
}

func attention(f *file, o *obj, fam family, mt string, hidden int64, kinds []analysis.LayerKind) (analysis.Attention, bool) {
	var a analysis.Attention
	heads, ok := o.integer(1, 1<<20, "num_attention_heads", "n_head", "n_heads", "num_heads")
	if !ok {
		if fam.mamba || o.has("num_attention_heads", "n_head", "n_heads", "num_heads") {
			return a, false
		}
		onlyState := true
		for _, k := range kinds {
			onlyState = onlyState && !k.Grows()
		}
		if onlyState {
			return a, false
		}
		f.errorf(o.n, o.prefix+"num_attention_heads", "missing: kvplot needs num_attention_heads (or n_head, n_heads, num_heads)")
		return a, false
	}
	a.Heads = heads
	a.KVHeads = heads
	newDecoder, _ := o.boolean("new_decoder_architecture")
	if mq, _ := o.boolean("multi_query"); mq && isFalcon(mt) && !newDecoder && !fam.newDecoder {
		// Falcon's original layout ignores num_kv_heads when multi_query is set.
		a.KVHeads = 1
	} else if kv, ok := o.integer(1, 1<<20, "num_key_value_heads", "n_head_kv", "num_kv_heads", "n_kv_heads"); ok {
		a.KVHeads = kv
	} else if mq, _ := o.boolean("multi_query_attention"); mq {
		if g, ok := o.integer(1, 1<<20, "multi_query_group_num"); ok {
			a.KVHeads = g
		}
	} else if mq, _ := o.boolean("multi_query"); mq {
		a.KVHeads = 1
	}
	if a.KVHeads > a.Heads || a.Heads%a.KVHeads != 0 {
		name, v := o.field("num_key_value_heads", "n_head_kv", "num_kv_heads", "n_kv_heads", "multi_query_group_num")
		f.errorf(v, o.prefix+name, "must divide the attention heads (%d), got %d", a.Heads, a.KVHeads)
		return a, false
	}
	if hd, ok := o.integer(1, 1<<20, "head_dim", "kv_channels"); ok {
		a.HeadDim = hd
		if kc, ok := o.quietInteger(1, 1<<20, "kv_channels"); ok && o.has("head_dim") && kc != hd {
			f.errorf(o.vals["kv_channels"], o.prefix+"kv_channels", "disagrees with head_dim (%d), got %d: give one of them", hd, kc)
			return a, false
		}
		// head_dim × heads may differ from hidden_size (Qwen3, Gemma), but
		// not by orders of magnitude.
		if width := heads * hd; width > maxWidthRatio*hidden || width*maxWidthRatio < hidden {
			name, v := o.field("head_dim", "kv_channels")
			f.errorf(v, o.prefix+name, "%d heads × %d = %d is not within 1/%d to %d× hidden_size (%d): check %s", heads, hd, width, maxWidthRatio, maxWidthRatio, hidden, name)
			return a, false
		}
	} else {
		if hidden%heads != 0 {
			f.errorf(o.pos("num_attention_heads"), o.prefix+"num_attention_heads", "hidden size %d is not divisible by %d heads; state head_dim", hidden, heads)
			return a, false
		}
		a.HeadDim = hidden / heads
	}
	a.VHeadDim = a.HeadDim
	if _, ok := o.vals["kv_lora_rank"]; !ok {
		if vd, ok := o.integer(1, 1<<20, "v_head_dim"); ok {
			a.VHeadDim = vd
		}
	}
	a.QKVBias, a.OutBias = fam.qkvBias, fam.outBias
	if b, ok := o.boolean("attention_bias"); ok {
		a.QKVBias = b
		if !fam.attnBiasQKVOnly {
			a.OutBias = b
		}
	}
	if b, ok := o.boolean("use_bias"); ok && fam.useBias {
		a.QKVBias, a.OutBias = b, b
	}
	if b, ok := o.boolean("bias"); ok && isFalcon(mt) {
		a.QKVBias, a.OutBias = b, b
	}
	if b, ok := o.boolean("add_qkv_bias", "qkv_bias"); ok {
		a.QKVBias = b
	}
	a.QKNorm, a.QKNormFull = fam.qkNorm, fam.qkNormFull
	if b, ok := o.boolean("qk_norm"); ok {
		a.QKNorm = b
	}
	if b, ok := o.boolean("use_qk_norm"); ok && !fam.qkNormWeightless {
		if fam.qkNormWide {
			a.QKNormFull = b
		} else {
			a.QKNorm = b
		}
	}
	a.Sinks = fam.sinks
	a.OutputGate = fam.outputGate
	return a, true
}

// ffnFor returns the feed-forward block of each layer index.
func ffnFor(f *file, o *obj, fam family, mt string, hidden int64, n int) func(int) analysis.FFN {
	var dense analysis.FFN
	dense.Gated = !fam.plainMLP
	dense.Bias = fam.mlpBias
	if b, ok := o.boolean("mlp_bias", "add_bias_linear"); ok {
		dense.Bias = b
	}
	if b, ok := o.boolean("use_bias"); ok && fam.useBias {
		dense.Bias = b
	}
	if b, ok := o.boolean("bias"); ok && isFalcon(mt) {
		dense.Bias = b
	}
	inter, ok := o.integer(1, maxCount, "intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim")
	if !ok && fam.defaultFFN4x {
		inter, ok = 4*hidden, true
	}
	if fam.mamba {
		return func(int) analysis.FFN { return analysis.FFN{} }
	}
	// 0 experts is how some configs say "dense" (Granite 4.0 micro).
	experts, _ := o.integer(0, 1<<20, "num_local_experts", "n_routed_experts", "num_experts")
	if !ok && experts == 0 && !o.has("intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim") {
		f.errorf(o.n, o.prefix+"intermediate_size", "missing: kvplot needs intermediate_size (or ffn_hidden_size, n_inner, ffn_dim)")
	}
	dense.Intermediate = inter
	var shared int64
	if fam.sharedMLP {
		// Granite 4.0: every layer's dense MLP (shared_mlp) is
		// shared_intermediate_size wide; intermediate_size is each expert's width.
		shared, _ = o.integer(1, maxCount, "shared_intermediate_size")
		dense.Intermediate = shared
	}
	if experts == 0 {
		return func(int) analysis.FFN { return dense }
	}
	moe := analysis.FFN{Gated: dense.Gated, Bias: dense.Bias, Experts: experts, RouterBias: fam.routerBias, SharedGate: fam.sharedGate}
	if fam.sharedMLP {
		moe.SharedExperts, moe.SharedIntermediate = 1, shared
	}
	moe.TopK, _ = o.integer(1, experts, "num_experts_per_tok", "experts_per_token")
	if moe.TopK == 0 && !o.has("num_experts_per_tok", "experts_per_token") {
		f.errorf(o.n, o.prefix+"num_experts_per_tok", "missing: a mixture-of-experts model needs num_experts_per_tok (or experts_per_token)")
	}
	if ei, ok := o.integer(1, maxCount, "moe_intermediate_size"); ok {
		moe.ExpertIntermediate = ei
	} else {
		moe.ExpertIntermediate = inter
	}
	if s, ok := o.integer(0, 1<<20, "n_shared_experts"); ok && s > 0 {
		moe.SharedExperts, moe.SharedIntermediate = s, moe.ExpertIntermediate
		if si, ok := o.integer(1, maxCount, "moe_shared_expert_intermediate_size"); ok {
			moe.SharedIntermediate = si
		}
	}
	if si, ok := o.integer(1, maxCount, "shared_expert_intermediate_size"); ok {
		moe.SharedExperts, moe.SharedIntermediate = 1, si
	}
	if tm, _ := o.str("topk_method"); tm == "noaux_tc" || mt == "nemotron_h" || fam.scoreBias {
		moe.ScoreCorrectionBias = true
	}
	if pat, ok := o.str("hybrid_override_pattern"); ok {
		// Nemotron-H: one part per block: E a MoE, - a dense MLP, the rest none.
		return func(i int) analysis.FFN {
			if i < len(pat) {
				switch pat[i] {
				case 'E':
					return moe
				case '-':
					return dense
				}
			}
			return analysis.FFN{}
		}
	}
	if mt == "llama4_text" {
		// Dense layers are intermediate_size_mlp wide; each MoE layer has one
		// shared expert as wide as a routed one. MoE layers: moe_layers, or
		// every interleave_moe_layer_step-th layer (ending each step).
		dense.Intermediate, _ = o.integer(1, maxCount, "intermediate_size_mlp")
		moe.SharedExperts, moe.SharedIntermediate = 1, moe.ExpertIntermediate
		step, ok := o.integer(1, 1000, "interleave_moe_layer_step")
		if !ok {
			step = 1
		}
		isMoE := make([]bool, n)
		for i := range isMoE {
			isMoE[i] = int64(i+1)%step == 0
		}
		if v, ok := o.vals["moe_layers"]; ok && v.Kind == yaml.SequenceNode {
			isMoE = make([]bool, n)
			for _, e := range v.Content {
				if i, ok := f.intValue(e, o.prefix+"moe_layers", 0, int64(n-1)); ok {
					isMoE[i] = true
				}
			}
		}
		return func(i int) analysis.FFN {
			if isMoE[i] {
				return moe
			}
			return dense
		}
	}
	if mt == "ernie4_5_moe" {
		start, _ := o.integer(0, int64(n), "moe_layer_start_index")
		end := int64(n - 1)
		if v, ok := o.vals["moe_layer_end_index"]; ok && !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "-1")) {
			end, _ = o.integer(0, int64(n-1), "moe_layer_end_index")
		}
		if every, ok := o.integer(1, 1000, "moe_layer_interval"); ok && every != 1 {
			f.errorf(o.vals["moe_layer_interval"], o.prefix+"moe_layer_interval", "kvplot sizes ERNIE 4.5 MoE with MoE in every layer from moe_layer_start_index (interval 1; no published checkpoint has another), got %d", every)
		}
		return func(i int) analysis.FFN {
			if int64(i) >= start && int64(i) <= end {
				return moe
			}
			return dense
		}
	}
	firstDense, _ := o.integer(0, 100000, "first_k_dense_replace")
	freq, _ := o.integer(1, 100000, "moe_layer_freq")
	step, _ := o.integer(1, 100000, "decoder_sparse_step")
	period, _ := o.integer(1, 100000, "expert_layer_period")
	offset, _ := o.integer(0, 100000, "expert_layer_offset")
	dense4moe := map[int]bool{}
	if v, ok := o.vals["mlp_only_layers"]; ok && v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if i, ok := f.intValue(e, o.prefix+"mlp_only_layers", 0, int64(n-1)); ok {
				dense4moe[int(i)] = true
			}
		}
	}
	return func(i int) analysis.FFN {
		isMoE := int64(i) >= firstDense && !dense4moe[i]
		if freq > 0 {
			isMoE = isMoE && int64(i)%freq == 0
		}
		if step > 0 {
			isMoE = isMoE && int64(i+1)%step == 0
		}
		if period > 0 {
			isMoE = isMoE && int64(i)%period == offset
		}
		if isMoE {
			return moe
		}
		return dense
	}
}

func mlaFor(o *obj, heads int64) analysis.MLA {
	r, ok := o.integer(1, 1<<20, "kv_lora_rank")
	if !ok {
		return analysis.MLA{}
	}
	m := analysis.MLA{Heads: heads, KVLoraRank: r}
	m.QLoraRank, _ = o.integer(1, 1<<20, "q_lora_rank")
	m.QKNopeHeadDim, _ = o.integer(1, 1<<20, "qk_nope_head_dim")
	m.QKRopeHeadDim, _ = o.integer(1, 1<<20, "qk_rope_head_dim")
	m.VHeadDim, _ = o.integer(1, 1<<20, "v_head_dim")
	for _, need := range []struct {
		name string
		v    int64
	}{{"qk_nope_head_dim", m.QKNopeHeadDim}, {"qk_rope_head_dim", m.QKRopeHeadDim}, {"v_head_dim", m.VHeadDim}} {
		if need.v == 0 && !o.has(need.name) {
			o.f.errorf(o.n, o.prefix+need.name, "missing: multi-head latent attention (kv_lora_rank) needs %s", need.name)
		}
	}
	return m
}

func mambaFor(f *file, o *obj, fam family, mt string, hidden int64) analysis.Mamba {
	m := analysis.Mamba{Version: 1}
	switch {
	case mt == "granitemoehybrid":
		// Mamba-2 under Granite's names; mamba_d_head "auto" (or absent) is
		// mamba_expand × hidden ÷ mamba_n_heads.
		m.Version = 2
		m.NHeads, _ = o.integer(1, 1<<20, "mamba_n_heads")
		expand, _ := o.integer(1, 64, "mamba_expand")
		m.DInner = expand * hidden
		if v, ok := o.vals["mamba_d_head"]; ok && v.Tag != "!!str" {
			if hd, ok := o.integer(1, 1<<20, "mamba_d_head"); ok {
				m.DInner = m.NHeads * hd
			}
		}
		m.DState, _ = o.integer(1, 1<<20, "mamba_d_state")
		m.NGroups, _ = o.integer(1, 1<<20, "mamba_n_groups")
		m.DConv, _ = o.integer(1, 1<<10, "mamba_d_conv")
		m.ConvBias = true // GraniteMoeHybridConfig.mamba_conv_bias
		if b, ok := o.boolean("mamba_conv_bias"); ok {
			m.ConvBias = b
		}
		m.ProjBias, _ = o.boolean("mamba_proj_bias")
	case o.has("mamba_num_heads"):
		// Mamba-2 (Nemotron-H): d_inner = heads × head_dim.
		m.Version = 2
		m.NHeads, _ = o.integer(1, 1<<20, "mamba_num_heads")
		hd, _ := o.integer(1, 1<<20, "mamba_head_dim")
		m.DInner = m.NHeads * hd
		m.DState, _ = o.integer(1, 1<<20, "ssm_state_size")
		m.NGroups, _ = o.integer(1, 1<<20, "n_groups")
		if m.NGroups > 0 && m.NHeads > 0 && m.NHeads%m.NGroups != 0 {
			f.errorf(o.vals["n_groups"], o.prefix+"n_groups", "must divide mamba_num_heads (%d), got %d", m.NHeads, m.NGroups)
		}
		m.DConv, _ = o.integer(1, 1<<10, "conv_kernel")
		m.ConvBias, _ = o.boolean("use_conv_bias")
		m.ProjBias, _ = o.boolean("use_bias")
		switch d, _ := o.str("mamba_ssm_cache_dtype"); d {
		case "float32":
			m.SSMStateBits = 32
		case "bfloat16", "float16":
			m.SSMStateBits = 16
		}
	case fam.parallelMamba:
		m = falconH1Mamba(f, o, hidden)
	case mt == "jamba":
		m.DState, _ = o.integer(1, 1<<20, "mamba_d_state")
		m.DConv, _ = o.integer(1, 1<<10, "mamba_d_conv")
		expand, _ := o.integer(1, 64, "mamba_expand")
		m.DInner = expand * hidden
		m.DTRank, _ = o.integer(1, 1<<20, "mamba_dt_rank")
		if m.DTRank == 0 {
			m.DTRank = ceilDiv(hidden, 16)
		}
		m.ConvBias, _ = o.boolean("mamba_conv_bias")
		m.ProjBias, _ = o.boolean("mamba_proj_bias")
		m.InnerNorms = true
	case mt == "mamba2":
		m = mamba2Mixer(f, o, hidden)
	case fam.mamba:
		m.DState, _ = o.integer(1, 1<<20, "state_size")
		m.DConv, _ = o.integer(1, 1<<10, "conv_kernel")
		expand, _ := o.integer(1, 64, "expand")
		m.DInner = expand * hidden
		m.DTRank, _ = o.integer(1, 1<<20, "time_step_rank")
		if m.DTRank == 0 {
			m.DTRank = ceilDiv(hidden, 16)
		}
		m.ConvBias, _ = o.boolean("use_conv_bias")
		m.ProjBias, _ = o.boolean("use_bias")
	}
	return m
}

// falconH1Mamba reads Falcon-H1's Mamba-2 mixer. Its width is mamba_d_ssm,
// or mamba_expand × hidden_size when that is null; mamba_d_head × mamba_n_heads
// must equal it. The fields whose class defaults changed between
// transformers versions (mamba_n_heads, mamba_d_state, mamba_rms_norm) are
// required rather than assumed.
func falconH1Mamba(f *file, o *obj, hidden int64) analysis.Mamba {
	m := analysis.Mamba{Version: 2}
	for _, name := range []string{"mamba_n_heads", "mamba_d_state", "mamba_rms_norm"} {
		if !o.has(name) {
			f.errorf(o.n, o.prefix+name, "missing: kvplot needs %s to size Falcon-H1's Mamba-2 mixer (its default differs between transformers versions)", name)
		}
	}
	m.NHeads, _ = o.integer(1, 1<<20, "mamba_n_heads")
	m.DState, _ = o.integer(1, 1<<20, "mamba_d_state")
	m.NGroups, _ = o.integer(1, 1<<20, "mamba_n_groups")
	m.DConv, _ = o.integer(1, 1<<10, "mamba_d_conv")
	if d, ok := o.integer(1, maxCount, "mamba_d_ssm"); ok {
		m.DInner = d
	} else {
		expand, _ := o.integer(1, 64, "mamba_expand")
		m.DInner = expand * hidden
	}
	if v, ok := o.vals["mamba_d_head"]; ok && v.Tag != "!!str" && m.NHeads > 0 {
		if hd, ok := o.integer(1, 1<<20, "mamba_d_head"); ok && hd*m.NHeads != m.DInner {
			f.errorf(v, o.prefix+"mamba_d_head", "%d heads × %d is not the mixer width %d (mamba_d_ssm, or mamba_expand × hidden_size)", m.NHeads, hd, m.DInner)
		}
	}
	if m.NHeads > 0 && m.NGroups > 0 && m.NHeads%m.NGroups != 0 {
		f.errorf(o.vals["mamba_n_groups"], o.prefix+"mamba_n_groups", "must divide mamba_n_heads (%d), got %d", m.NHeads, m.NGroups)
	}
	norm, _ := o.boolean("mamba_rms_norm")
	m.NoGatedNorm = !norm
	m.ConvBias = true // FalconH1Config.mamba_conv_bias
	if b, ok := o.boolean("mamba_conv_bias"); ok {
		m.ConvBias = b
	}
	// in_proj's bias follows mamba_proj_bias and out_proj's projectors_bias;
	// no published checkpoint has either, so kvplot does not guess their shape.
	for _, name := range []string{"mamba_proj_bias", "projectors_bias"} {
		if b, _ := o.boolean(name); b {
			f.errorf(o.vals[name], o.prefix+name, "kvplot does not size Falcon-H1 mixers with projection biases (no published checkpoint has them), got true")
		}
	}
	if v, ok := o.vals["attn_layer_indices"]; ok && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		f.errorf(v, o.prefix+"attn_layer_indices", "kvplot sizes Falcon-H1 with attention in every layer (attn_layer_indices null), got a list")
	}
	return m
}

// mamba2Mixer reads transformers' Mamba2Config: the mixer is expand ×
// hidden_size wide, split into num_heads of head_dim; a gated RMSNorm
// before out_proj; use_bias on both projections, use_conv_bias on the conv.
// Every field is required: the class defaults (num_heads 128, n_groups 8)
// describe no published checkpoint.
func mamba2Mixer(f *file, o *obj, hidden int64) analysis.Mamba {
	m := analysis.Mamba{Version: 2}
	for _, name := range []string{"num_heads", "head_dim", "state_size", "n_groups", "conv_kernel", "expand"} {
		if !o.has(name) {
			f.errorf(o.n, o.prefix+name, "missing: kvplot needs %s to size a Mamba-2 mixer", name)
		}
	}
	m.NHeads, _ = o.integer(1, 1<<20, "num_heads")
	hd, _ := o.integer(1, 1<<20, "head_dim")
	m.DState, _ = o.integer(1, 1<<20, "state_size")
	m.NGroups, _ = o.integer(1, 1<<20, "n_groups")
	m.DConv, _ = o.integer(1, 1<<10, "conv_kernel")
	expand, _ := o.integer(1, 64, "expand")
	m.DInner = expand * hidden
	if m.NHeads > 0 && hd > 0 && m.DInner > 0 && m.NHeads*hd != m.DInner {
		f.errorf(o.vals["head_dim"], o.prefix+"head_dim", "%d heads × %d is not expand × hidden_size (%d)", m.NHeads, hd, m.DInner)
	}
	if m.NHeads > 0 && m.NGroups > 0 && m.NHeads%m.NGroups != 0 {
		f.errorf(o.vals["n_groups"], o.prefix+"n_groups", "must divide num_heads (%d), got %d", m.NHeads, m.NGroups)
	}
	m.ConvBias = true // Mamba2Config.use_conv_bias
	if b, ok := o.boolean("use_conv_bias"); ok {
		m.ConvBias = b
	}
	m.ProjBias, _ = o.boolean("use_bias")
	return m
}

func linearFor(o *obj) analysis.Linear {
	var l analysis.Linear
	l.KHeads, _ = o.integer(1, 1<<20, "linear_num_key_heads")
	l.VHeads, _ = o.integer(1, 1<<20, "linear_num_value_heads")
	if l.KHeads > 0 && l.VHeads > 0 && l.VHeads%l.KHeads != 0 {
		o.f.errorf(o.vals["linear_num_value_heads"], o.prefix+"linear_num_value_heads", "must be a multiple of linear_num_key_heads (%d), got %d", l.KHeads, l.VHeads)
	}
	l.KHeadDim, _ = o.integer(1, 1<<20, "linear_key_head_dim")
	l.VHeadDim, _ = o.integer(1, 1<<20, "linear_value_head_dim")
	l.ConvKernel, _ = o.integer(1, 1<<10, "linear_conv_kernel_dim")
	return l
}

// countFields are the other whole-number fields of a config with their
// bounds, checked on their own when a core field is unusable, so that all
// of a file's problems show at once.
var countFields = []struct {
	lo, hi int64
	names  []string
}{
	{1, 1 << 20, []string{"num_attention_heads", "n_head", "n_heads", "num_heads"}},
	{1, 1 << 20, []string{"num_key_value_heads", "n_head_kv", "num_kv_heads", "n_kv_heads"}},
	{1, 1 << 20, []string{"head_dim", "kv_channels"}},
	{1, maxCount, []string{"intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim"}},
	{1, MaxContextTokens, []string{"max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "n_ctx"}},
	{1, MaxContextTokens, []string{"sliding_window"}},
	{1, MaxContextTokens, []string{"attention_chunk_size"}},
	{1, 1 << 20, []string{"num_local_experts", "n_routed_experts", "num_experts"}},
	{1, maxCount, []string{"moe_intermediate_size"}},
	{1, 1 << 20, []string{"kv_lora_rank"}},
}

func (o *obj) checkCounts() {
	for _, c := range countFields {
		o.integer(c.lo, c.hi, c.names...)
	}
}

// maxWidthRatio bounds heads × head_dim against hidden_size both ways.
const maxWidthRatio = 8

// quietInteger reads an integer field like integer, without reporting a
// problem: for a second read of a field already checked.
func (o *obj) quietInteger(lo, hi int64, names ...string) (int64, bool) {
	saved := len(o.f.problems)
	n, ok := o.integer(lo, hi, names...)
	o.f.problems = o.f.problems[:saved]
	return n, ok
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func isFalcon(mt string) bool { return mt == "falcon" || mt == "RefinedWeb" || mt == "RefinedWebModel" }
