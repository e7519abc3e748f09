package spec

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kvplot/kvplot/internal/analysis"
)

// A multimodal checkpoint loads a vision tower and a projector beside the
// text model. Each tower kind is a row of visionTowers: the fields its
// vision_config must give and the tensors its modeling code creates.

type visionTower struct {
	// fields are the vision_config keys for hidden size, depth, MLP width,
	// patch size and image size, in that order ("" when the tower has none).
	fields [5]string
	// shape sets the tower's optional tensors and its projector.
	shape func(v *analysis.VisionEncoder, wrapper, vision *obj, textHidden int64)
}

var visionTowers = map[string]visionTower{
	// SigLIP (Gemma 3): biases everywhere, LayerNorms, learned positions,
	// a post-LayerNorm; projector mm_input_projection + mm_soft_emb_norm.
	"siglip": {fields: [5]string{"hidden_size", "num_hidden_layers", "intermediate_size", "patch_size", "image_size"},
		shape: func(v *analysis.VisionEncoder, _, _ *obj, text int64) {
			vitDefaults(v)
			v.Positions = squarePatches(v)
			v.ProjectorMatrices = []analysis.Matrix{{Class: analysis.VisionWeights, Out: text, In: v.Hidden, Count: 1}}
			v.ProjectorOther = v.Hidden
		}},
	// Pixtral (Mistral 3): no biases, RMSNorms, a gated MLP, 2-D rotary
	// positions (no table), ln_pre; the projector is an RMSNorm, a patch
	// merger over spatial_merge_size² patches and two linears.
	"pixtral": {fields: [5]string{"hidden_size", "num_hidden_layers", "intermediate_size", "patch_size", "image_size"},
		shape: func(v *analysis.VisionEncoder, w, _ *obj, text int64) {
			v.Norm, v.GatedMLP, v.PreNorm = analysis.RMSNorm, true, true
			merge, ok := w.integer(1, 64, "spatial_merge_size")
			if !ok {
				merge = 2 // Mistral3Config default
			}
			bias, _ := w.boolean("multimodal_projector_bias")
			v.ProjectorMatrices = []analysis.Matrix{
				{Class: analysis.VisionWeights, Out: v.Hidden, In: v.Hidden * merge * merge, Count: 1},
				{Class: analysis.VisionWeights, Out: text, In: v.Hidden, Count: 1},
				{Class: analysis.VisionWeights, Out: text, In: text, Count: 1},
			}
			v.ProjectorOther = v.Hidden // the projector's RMSNorm
			if bias {
				v.ProjectorOther += 2 * text
			}
		}},
	// Llama 4: a ViT with biases and LayerNorms, a class token and learned
	// positions for it, a bias-free patch projection, pre and post norms; a
	// pixel-shuffle adapter (two bias-free linears) and a linear projector.
	"llama4": {fields: [5]string{"hidden_size", "num_hidden_layers", "intermediate_size", "patch_size", "image_size"},
		shape: func(v *analysis.VisionEncoder, w, vo *obj, text int64) {
			vitDefaults(v)
			v.PatchBias, v.ClassToken, v.PreNorm = false, true, true
			v.Positions = squarePatches(v) + 1
			in, _ := vo.integer(1, 1<<20, "projector_input_dim")
			out, _ := vo.integer(1, 1<<20, "projector_output_dim")
			vod, _ := vo.integer(1, 1<<20, "vision_output_dim")
			shuffled := v.Hidden * 4 // pixel_shuffle_ratio 0.5 folds 2×2 patches into channels
			if r, ok := vo.number(0.01, 1, "pixel_shuffle_ratio"); ok && r != 0.5 {
				vo.f.errorf(vo.vals["pixel_shuffle_ratio"], vo.prefix+"pixel_shuffle_ratio", "kvplot sizes Llama 4's adapter for a ratio of 0.5, got %g", r)
			}
			v.ProjectorMatrices = []analysis.Matrix{
				{Class: analysis.VisionWeights, Out: in, In: shuffled, Count: 1},
				{Class: analysis.VisionWeights, Out: out, In: in, Count: 1},
				{Class: analysis.VisionWeights, Out: text, In: vod, Count: 1},
			}
		}},
	// MoonViT (Kimi-VL): a ViT with biases everywhere, LayerNorms, a patch
	// convolution with bias, a learned init_pos_emb_height × width position
	// grid (interpolated to the image), a final LayerNorm; the projector is
	// a LayerNorm over the tower width and two linears with biases over
	// merge_kernel_size patches. Absent keys take MoonViTConfig's defaults,
	// which live in the model's remote code (configuration_kimi_vl.py).
	"moonvit": {fields: [5]string{"hidden_size", "num_hidden_layers", "intermediate_size", "patch_size", ""},
		shape: func(v *analysis.VisionEncoder, _, vo *obj, text int64) {
			vitDefaults(v)
			vo.defaults = map[string]int64{"init_pos_emb_height": 64, "init_pos_emb_width": 64}
			ph, _ := vo.integer(1, 1<<12, "init_pos_emb_height")
			pw, _ := vo.integer(1, 1<<12, "init_pos_emb_width")
			v.Positions = ph * pw
			merge := int64(4) // merge_kernel_size [2, 2]
			if mk, ok := vo.vals["merge_kernel_size"]; ok {
				if mk.Kind != yaml.SequenceNode || len(mk.Content) != 2 {
					vo.f.errorf(mk, vo.prefix+"merge_kernel_size", "must be a list of two patch counts, got %s", kindName(mk))
					return
				}
				merge = 1
				for i, e := range mk.Content {
					k, _ := vo.f.intValue(e, fmt.Sprintf("%smerge_kernel_size[%d]", vo.prefix, i), 1, 64)
					merge *= k
				}
			} else {
				vo.f.note("%smerge_kernel_size = [2, 2]", vo.prefix)
			}
			wide := v.Hidden * merge
			v.ProjectorMatrices = []analysis.Matrix{
				{Class: analysis.VisionWeights, Out: wide, In: wide, Count: 1},
				{Class: analysis.VisionWeights, Out: text, In: wide, Count: 1},
			}
			v.ProjectorOther = 2*v.Hidden + wide + text // pre_norm weight and bias, the linears' biases
		}},
	// InternViT (InternVL): a ViT with a class token and learned positions
	// for it, a patch convolution with bias, LayerNorms (RMSNorms when
	// norm_type says so), q/k/v biases per qkv_bias, output and MLP biases,
	// two layer-scale vectors per layer, no norm after the stack. The
	// projector (mlp1) is a LayerNorm and two linears with biases over
	// patches folded by 1/downsample_ratio² (pixel shuffle).
	"internvit": {fields: [5]string{"hidden_size", "num_hidden_layers", "intermediate_size", "patch_size", "image_size"},
		shape: func(v *analysis.VisionEncoder, w, vo *obj, text int64) {
			vitDefaults(v)
			v.PostNorm, v.ClassToken, v.LayerScale = false, true, true
			v.Positions = squarePatches(v) + 1
			v.QKVBias, _ = vo.boolean("qkv_bias")
			if nt, ok := vo.str("norm_type"); ok && nt == "rms_norm" {
				v.Norm = analysis.RMSNorm
			} else if ok && nt != "layer_norm" {
				vo.f.errorf(vo.vals["norm_type"], vo.prefix+"norm_type", "kvplot sizes InternViT with layer_norm or rms_norm, got %q", nt)
			}
			for _, name := range []string{"qk_normalization", "use_moe"} {
				if b, _ := vo.boolean(name); b {
					vo.f.errorf(vo.vals[name], vo.prefix+name, "kvplot does not size InternViT towers with %s (no published count to check it against), got true", name)
				}
			}
			if sl, ok := w.integer(-1000, 1000, "select_layer"); ok && sl != -1 {
				w.f.errorf(w.vals["select_layer"], w.prefix+"select_layer", "kvplot sizes InternVL with the whole tower loaded (select_layer -1), got %d", sl)
			}
			fold := int64(4) // downsample_ratio 0.5
			if r, ok := w.number(0.01, 1, "downsample_ratio"); ok && r != 0.5 {
				w.f.errorf(w.vals["downsample_ratio"], w.prefix+"downsample_ratio", "kvplot sizes InternVL's projector for a downsample_ratio of 0.5, got %g", r)
			}
			wide := v.Hidden * fold
			v.ProjectorMatrices = []analysis.Matrix{
				{Class: analysis.VisionWeights, Out: text, In: wide, Count: 1},
				{Class: analysis.VisionWeights, Out: text, In: text, Count: 1},
			}
			v.ProjectorOther = 2*wide + 2*text // the LayerNorm, the linears' biases
		}},
	// Qwen2-VL: the tower is embed_dim wide (its hidden_size is the
	// merger's output), MLP embed_dim × mlp_ratio; LayerNorms, a plain MLP,
	// biases on q/k/v, output and MLP, a bias-free 3-D patch convolution,
	// rotary positions, no norm after the stack; the Qwen merger.
	"qwen2_vl": {fields: [5]string{"embed_dim", "depth", "", "patch_size", ""},
		shape: func(v *analysis.VisionEncoder, _, vo *obj, text int64) {
			vitDefaults(v)
			v.PatchBias, v.PostNorm = false, false
			ratio, ok := vo.integer(1, 64, "mlp_ratio")
			if !ok {
				ratio = 4 // Qwen2VLVisionConfig.mlp_ratio
			}
			v.Intermediate = v.Hidden * ratio
			if _, ok := vo.vals["out_hidden_size"]; !ok {
				if out, ok := vo.integer(1, 1<<20, "hidden_size"); ok {
					text = out // the merger's output width
				}
			}
			qwenMerger(v, vo, text, false)
		}},
	// Qwen2.5-VL: RMSNorms, a gated MLP with biases, q/k/v and output
	// biases, a bias-free 3-D patch convolution, rotary positions; the
	// merger is an RMSNorm and two linears with biases over 2×2 patches.
	"qwen2_5_vl": {fields: [5]string{"hidden_size", "depth", "intermediate_size", "patch_size", ""},
		shape: func(v *analysis.VisionEncoder, _, vo *obj, text int64) {
			v.Norm, v.GatedMLP, v.MLPBias, v.QKVBias, v.OutBias = analysis.RMSNorm, true, true, true, true
			qwenMerger(v, vo, text, false)
		}},
	// Qwen3-VL: LayerNorms, a plain MLP with biases, biases on q/k/v and
	// output, a 3-D patch convolution with bias, a learned position table;
	// the merger plus one more per deepstack layer.
	"qwen3_vl": {fields: [5]string{"hidden_size", "depth", "intermediate_size", "patch_size", ""},
		shape: func(v *analysis.VisionEncoder, _, vo *obj, text int64) {
			vitDefaults(v)
			v.PostNorm = false
			v.Positions, _ = vo.integer(1, 1<<24, "num_position_embeddings")
			qwenMerger(v, vo, text, true)
		}},
}

// vitDefaults sets the tensors of a CLIP/SigLIP-style ViT.
func vitDefaults(v *analysis.VisionEncoder) {
	v.PatchBias, v.QKVBias, v.OutBias, v.MLPBias = true, true, true, true
	v.Norm, v.PostNorm = analysis.LayerNorm, true
}

func squarePatches(v *analysis.VisionEncoder) int64 {
	if v.PatchSize == 0 {
		return 0
	}
	side := v.ImageSize / v.PatchSize
	return side * side
}

// qwenMerger adds the Qwen-VL patch merger: a norm over the tower width,
// then two linears with biases from 4 × width to out_hidden_size; Qwen3-VL
// adds one merger per deepstack layer, normed over 4 × width.
func qwenMerger(v *analysis.VisionEncoder, vo *obj, text int64, deepstack bool) {
	v.TemporalPatch, _ = vo.integer(1, 16, "temporal_patch_size")
	out, ok := vo.integer(1, 1<<20, "out_hidden_size")
	if !ok {
		out = text
	}
	merge, ok := vo.integer(1, 64, "spatial_merge_size")
	if !ok {
		merge = 2
	}
	wide := v.Hidden * merge * merge
	norm := func(width int64) int64 {
		if v.Norm == analysis.LayerNorm {
			return 2 * width
		}
		return width
	}
	mergers := int64(1)
	if deepstack {
		if d, ok := vo.vals["deepstack_visual_indexes"]; ok {
			mergers += int64(len(d.Content))
		}
	}
	v.ProjectorMatrices = []analysis.Matrix{
		{Class: analysis.VisionWeights, Out: wide, In: wide, Count: mergers},
		{Class: analysis.VisionWeights, Out: out, In: wide, Count: mergers},
	}
	v.ProjectorOther = norm(v.Hidden) + mergers*(wide+out)
	if mergers > 1 {
		v.ProjectorOther += (mergers - 1) * norm(wide)
	}
}

// interpretVision reads a vision_config by its tower's row.
func interpretVision(f *file, wrapper, o *obj, fam *family, textHidden int64) *analysis.VisionEncoder {
	tower, ok := visionTowers[fam.vision]
	if !ok {
		f.errorf(o.n, strings.TrimSuffix(o.prefix, "."), "kvplot cannot size the vision tower of a %s checkpoint", fam.name)
		return nil
	}
	v := &analysis.VisionEncoder{}
	dst := []*int64{&v.Hidden, &v.Layers, &v.Intermediate, &v.PatchSize, &v.ImageSize}
	for i, name := range tower.fields {
		if name == "" {
			continue
		}
		n, ok := o.integer(1, 1<<24, name)
		if !ok && !o.has(name) {
			f.errorf(o.n, o.prefix+name, "missing: kvplot needs %s to count the vision encoder", name)
		}
		*dst[i] = n
	}
	v.Channels, _ = o.integer(1, 16, "num_channels", "in_channels", "in_chans")
	tower.shape(v, wrapper, o, textHidden)
	return v
}
