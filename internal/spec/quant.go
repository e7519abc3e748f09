package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"go.yaml.in/yaml/v3"
)

// A checkpoint's quantization_config says how its linear weights are
// stored. Each method's rule (which classes it quantizes, which tensors it
// writes per matrix) is a row of quantMethods; LinearFormat.Bytes counts
// the tensors.

// decoderLinear are the classes whose linear layers every method quantizes
// unless told otherwise: the decoder layers' projections. Routers, the
// output head and the vision tower follow each method's own rule.
var decoderLinear = []analysis.TensorClass{analysis.AttentionWeights, analysis.MLPWeights, analysis.ExpertWeights, analysis.SharedExpertWeights, analysis.StateMixerWeights}

type quantMethod struct {
	name   string
	method analysis.QuantMethod
	// read parses the method's fields into a format and the classes it
	// quantizes by default.
	read func(q *obj, base analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool)
	// skipKeys are the fields listing modules left unquantized.
	skipKeys []string
}

var quantMethods = []quantMethod{
	{name: "mxfp4", method: analysis.MXFP4, skipKeys: []string{"modules_to_not_convert"},
		// transformers' mxfp4 integration quantizes the MoE experts only.
		read: func(q *obj, _ analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool) {
			return analysis.LinearFormat{Method: analysis.MXFP4, Bits: 4, Float: true, GroupSize: 32, ScaleBytes: 1}, []analysis.TensorClass{analysis.ExpertWeights}, true
		}},
	{name: "fp8", method: analysis.FP8, skipKeys: []string{"modules_to_not_convert", "ignored_layers"}, read: readFP8},
	{name: "compressed-tensors", method: analysis.CompressedTensors, skipKeys: []string{"ignore"}, read: nil},
	{name: "awq", method: analysis.AWQ, skipKeys: []string{"modules_to_not_convert"}, read: readAWQ},
	{name: "gptq", method: analysis.GPTQ, read: readGPTQ},
	{name: "bitsandbytes", method: analysis.BitsAndBytes, skipKeys: []string{"llm_int8_skip_modules"}, read: readBnB},
}

func quantMethodNames() string {
	var n []string
	for _, m := range quantMethods {
		n = append(n, m.name)
	}
	return strings.Join(n, ", ")
}

// readQuant reads a config's quantization_config (and torch_dtype, given as
// base) into the weight scheme of the model it describes. ok is false after
// a problem was reported; a config without quantization_config gives a
// plain scheme in base.
func readQuant(f *file, o *obj, m *analysis.Model, base analysis.DType, fam *family) (analysis.WeightScheme, string, bool) {
	w := analysis.WeightScheme{Default: base}
	qv, ok := o.vals["quantization_config"]
	if !ok || (qv.Kind == yaml.ScalarNode && qv.Tag == "!!null") {
		return w, "", true
	}
	q := f.object(qv, o.prefix+"quantization_config.")
	if qv.Kind != yaml.MappingNode {
		return w, "", false
	}
	name, ok := q.str("quant_method")
	if !ok {
		f.errorf(qv, q.prefix+"quant_method", "missing: kvplot needs quant_method to size a quantized checkpoint")
		return w, "", false
	}
	var qm *quantMethod
	for i := range quantMethods {
		if quantMethods[i].name == strings.ToLower(name) {
			qm = &quantMethods[i]
		}
	}
	if qm == nil {
		f.errorf(q.vals["quant_method"], q.prefix+"quant_method", "kvplot cannot size %q checkpoints (it sizes %s): give --weight-dtype, or a native spec with weights:", name, quantMethodNames())
		return w, "", false
	}
	before := len(f.problems)
	ck := analysis.Checkpoint{Base: base, Linear: map[analysis.TensorClass]analysis.LinearFormat{}, Skip: map[analysis.ClassLayer]bool{}}
	if qm.method == analysis.CompressedTensors {
		readCompressedTensors(f, q, base, m, &ck)
	} else {
		lf, classes, ok := qm.read(q, base)
		if !ok {
			return w, "", false
		}
		if qm.method == analysis.BitsAndBytes && !fam.routerParam {
			classes = append(classes, analysis.RouterWeights) // an nn.Linear gate is quantized too
		}
		if qm.method == analysis.GPTQ {
			if lm, _ := q.boolean("lm_head"); lm {
				classes = append(classes, analysis.LMHead)
			}
		}
		for _, c := range classes {
			ck.Linear[c] = lf
		}
	}
	for _, key := range qm.skipKeys {
		readSkips(f, q, key, m, &ck)
	}
	if len(f.problems) > before {
		return w, "", false
	}
	stored := m.StoredBytes(ck)
	w.Stored = &stored
	w.Formats = map[analysis.TensorClass]analysis.LinearFormat{}
	var parts []string
	byLabel := map[string][]string{}
	for _, c := range analysis.TensorClasses() {
		lf, ok := ck.Linear[c]
		if !ok || ck.Skip[analysis.ClassLayer{Class: c, Layer: -1}] || stored.Params[c] == 0 {
			continue
		}
		w.Formats[c] = lf
		if byLabel[lf.Label()] == nil {
			parts = append(parts, lf.Label())
		}
		byLabel[lf.Label()] = append(byLabel[lf.Label()], c.String())
	}
	for i, l := range parts {
		parts[i] = strings.Join(byLabel[l], ", ") + " " + l
	}
	how := fmt.Sprintf("quantization_config %s: %s; the rest %s", qm.name, strings.Join(parts, ", "), base.Name)
	if len(parts) == 0 {
		how = fmt.Sprintf("quantization_config %s quantizes nothing kvplot counts; all %s", qm.name, base.Name)
	}
	return w, how, true
}

func readFP8(q *obj, _ analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool) {
	lf := analysis.LinearFormat{Method: analysis.FP8, Bits: 8, Float: true, ScaleBytes: 4}
	if v, ok := q.vals["weight_block_size"]; ok && v.Kind == yaml.SequenceNode {
		if len(v.Content) != 2 {
			q.f.errorf(v, q.prefix+"weight_block_size", "must list two sizes [out, in], got %d", len(v.Content))
			return lf, nil, false
		}
		bo, ok1 := q.f.intValue(v.Content[0], q.prefix+"weight_block_size[0]", 1, 1<<20)
		bi, ok2 := q.f.intValue(v.Content[1], q.prefix+"weight_block_size[1]", 1, 1<<20)
		if !ok1 || !ok2 {
			return lf, nil, false
		}
		lf.BlockOut, lf.BlockIn = bo, bi
	}
	if s, _ := q.str("activation_scheme"); s == "static" {
		lf.InputScale = true
	}
	if g, _ := q.str("weight_scale_granularity"); g == "channel" {
		lf.GroupSize = -1
	}
	return lf, decoderLinear, true
}

func readAWQ(q *obj, _ analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool) {
	lf := analysis.LinearFormat{Method: analysis.AWQ, ScaleBytes: 2, Zero: true}
	var ok bool
	if lf.Bits, ok = q.integer(1, 8, "bits", "w_bit"); !ok {
		q.f.errorf(q.n, q.prefix+"bits", "missing: an awq checkpoint needs bits")
		return lf, nil, false
	}
	if 32%lf.Bits != 0 {
		q.f.errorf(q.valueNode("bits"), q.prefix+"bits", "kvplot sizes awq with 2, 4 or 8 bits, got %d", lf.Bits)
		return lf, nil, false
	}
	if lf.GroupSize, ok = q.integer(-1, 1<<20, "group_size", "q_group_size"); !ok {
		q.f.errorf(q.n, q.prefix+"group_size", "missing: an awq checkpoint needs group_size")
		return lf, nil, false
	}
	if v, ok := q.str("version"); ok && !strings.EqualFold(v, "gemm") {
		q.f.errorf(q.vals["version"], q.prefix+"version", "kvplot sizes awq's gemm layout only, got %q", v)
		return lf, nil, false
	}
	if z, ok := q.boolean("zero_point"); ok && !z {
		q.f.errorf(q.vals["zero_point"], q.prefix+"zero_point", "kvplot sizes awq with zero points only (zero_point: true)")
		return lf, nil, false
	}
	return lf, decoderLinear, true
}

func readGPTQ(q *obj, _ analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool) {
	lf := analysis.LinearFormat{Method: analysis.GPTQ, ScaleBytes: 2, Zero: true, GIdx: true}
	var ok bool
	if lf.Bits, ok = q.integer(1, 8, "bits"); !ok {
		q.f.errorf(q.n, q.prefix+"bits", "missing: a gptq checkpoint needs bits")
		return lf, nil, false
	}
	if lf.Bits != 2 && lf.Bits != 4 && lf.Bits != 8 {
		q.f.errorf(q.valueNode("bits"), q.prefix+"bits", "kvplot sizes gptq with 2, 4 or 8 bits, got %d", lf.Bits)
		return lf, nil, false
	}
	if lf.GroupSize, ok = q.integer(-1, 1<<20, "group_size"); !ok {
		q.f.errorf(q.n, q.prefix+"group_size", "missing: a gptq checkpoint needs group_size")
		return lf, nil, false
	}
	if lf.GroupSize == 0 {
		q.f.errorf(q.valueNode("group_size"), q.prefix+"group_size", "must be -1 or a group size, got 0")
		return lf, nil, false
	}
	if cf, ok := q.str("checkpoint_format"); ok && cf != "gptq" && cf != "gptq_v2" {
		q.f.errorf(q.vals["checkpoint_format"], q.prefix+"checkpoint_format", "kvplot sizes the gptq and gptq_v2 layouts, got %q", cf)
		return lf, nil, false
	}
	return lf, decoderLinear, true
}

func readBnB(q *obj, base analysis.DType) (analysis.LinearFormat, []analysis.TensorClass, bool) {
	lf := analysis.LinearFormat{Method: analysis.BitsAndBytes}
	four, _ := q.boolean("load_in_4bit")
	eight, _ := q.boolean("load_in_8bit")
	switch {
	case four && eight, !four && !eight:
		q.f.errorf(q.n, q.prefix+"load_in_4bit", "a bitsandbytes checkpoint needs exactly one of load_in_4bit and load_in_8bit true")
		return lf, nil, false
	case four:
		lf.Bits = 4
		lf.DoubleQuant, _ = q.boolean("bnb_4bit_use_double_quant")
		lf.QuantType = "fp4" // BitsAndBytesConfig default
		if qt, ok := q.str("bnb_4bit_quant_type"); ok {
			lf.QuantType = qt
		}
		lf.WeightDType = torchName(base)
		if st, ok := q.str("bnb_4bit_quant_storage"); ok && st != "uint8" {
			q.f.errorf(q.vals["bnb_4bit_quant_storage"], q.prefix+"bnb_4bit_quant_storage", "kvplot sizes uint8 storage only, got %q", st)
			return lf, nil, false
		}
	default:
		lf.Bits = 8
	}
	return lf, append(append([]analysis.TensorClass{}, decoderLinear...), analysis.VisionWeights), true
}

// readCompressedTensors reads config_groups: each group's weight scheme
// applies to the classes its targets name.
func readCompressedTensors(f *file, q *obj, base analysis.DType, m *analysis.Model, ck *analysis.Checkpoint) {
	format, _ := q.str("format")
	gv, ok := q.vals["config_groups"]
	if !ok || gv.Kind != yaml.MappingNode {
		f.errorf(q.n, q.prefix+"config_groups", "missing: a compressed-tensors checkpoint needs config_groups")
		return
	}
	groups := f.object(gv, q.prefix+"config_groups.")
	for _, gname := range groups.order {
		g := f.object(groups.vals[gname], groups.prefix+gname+".")
		wv, ok := g.vals["weights"]
		if !ok || wv.Kind != yaml.MappingNode {
			f.errorf(g.n, g.prefix+"weights", "missing: kvplot needs each group's weights scheme")
			continue
		}
		wo := f.object(wv, g.prefix+"weights.")
		lf := analysis.LinearFormat{Method: analysis.CompressedTensors, ScaleBytes: base.Bits / 8}
		if lf.ScaleBytes < 2 {
			lf.ScaleBytes = 2
		}
		if lf.Bits, ok = wo.integer(1, 16, "num_bits"); !ok {
			f.errorf(wv, wo.prefix+"num_bits", "missing: kvplot needs num_bits")
			continue
		}
		typ, _ := wo.str("type")
		lf.Float = typ == "float"
		if typ != "int" && typ != "float" {
			f.errorf(wo.valueNode("type"), wo.prefix+"type", "must be int or float, got %q", typ)
			continue
		}
		if sym, ok := wo.boolean("symmetric"); ok && !sym {
			lf.Zero = true
		}
		strategy, _ := wo.str("strategy")
		switch strategy {
		case "tensor":
		case "channel":
			lf.GroupSize = -1
		case "group", "tensor_group":
			if lf.GroupSize, ok = wo.integer(1, 1<<20, "group_size"); !ok {
				f.errorf(wv, wo.prefix+"group_size", "missing: strategy %s needs group_size", strategy)
				continue
			}
		case "block":
			bv, ok := wo.vals["block_structure"]
			if !ok || bv.Kind != yaml.SequenceNode || len(bv.Content) != 2 {
				f.errorf(wv, wo.prefix+"block_structure", "missing: strategy block needs block_structure [out, in]")
				continue
			}
			lf.BlockOut, _ = f.intValue(bv.Content[0], wo.prefix+"block_structure[0]", 1, 1<<20)
			lf.BlockIn, _ = f.intValue(bv.Content[1], wo.prefix+"block_structure[1]", 1, 1<<20)
		default:
			f.errorf(wo.valueNode("strategy"), wo.prefix+"strategy", "kvplot sizes strategies tensor, channel, group and block, got %q", strategy)
			continue
		}
		if ao, _ := wo.str("actorder"); ao == "group" || ao == "weight" {
			lf.GIdx = true
		}
		if av, ok := g.vals["input_activations"]; ok && av.Kind == yaml.MappingNode {
			ia := f.object(av, g.prefix+"input_activations.")
			if dyn, _ := ia.boolean("dynamic"); !dyn {
				lf.InputScale = true
			}
		}
		gformat, _ := g.str("format")
		if gformat == "" {
			gformat = format
		}
		switch gformat {
		case "pack-quantized":
			if lf.Float || 32%lf.Bits != 0 {
				f.errorf(wo.valueNode("num_bits"), wo.prefix+"num_bits", "pack-quantized needs integer codes of 2, 4 or 8 bits")
				continue
			}
			lf.Packed = true
		case "int-quantized", "float-quantized", "naive-quantized":
		default:
			f.errorf(q.valueNode("format"), q.prefix+"format", "kvplot sizes the pack-quantized, int-quantized, float-quantized and naive-quantized formats, got %q", gformat)
			continue
		}
		tv, ok := g.vals["targets"]
		if !ok || tv.Kind != yaml.SequenceNode {
			f.errorf(g.n, g.prefix+"targets", "missing: kvplot needs each group's targets")
			continue
		}
		for i, t := range tv.Content {
			classes, layer, ok := moduleClasses(t.Value, m)
			if !ok || layer >= 0 {
				f.errorf(t, fmt.Sprintf("%stargets[%d]", g.prefix, i), "kvplot cannot tell which tensors %q names: it sizes formats by tensor class (attention, mlp, experts, ...)", t.Value)
				continue
			}
			for _, c := range classes {
				ck.Linear[c] = lf
			}
		}
	}
}

// readSkips reads a list of modules left unquantized.
func readSkips(f *file, q *obj, key string, m *analysis.Model, ck *analysis.Checkpoint) {
	v, ok := q.vals[key]
	if !ok || (v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
		return
	}
	if v.Kind != yaml.SequenceNode {
		f.errorf(v, q.prefix+key, "must be a list of module names, got %s", kindName(v))
		return
	}
	for i, e := range v.Content {
		classes, layer, ok := moduleClasses(e.Value, m)
		if !ok {
			f.errorf(e, fmt.Sprintf("%s%s[%d]", q.prefix, key, i), "kvplot cannot tell which tensors %q names: it knows attention, mlp, experts, shared experts, router, mamba, vision, embeddings and lm_head modules", e.Value)
			continue
		}
		for _, c := range classes {
			ck.Skip[analysis.ClassLayer{Class: c, Layer: layer}] = true
		}
	}
}

var layerIndex = regexp.MustCompile(`layers\.(\d+)\.`)

// moduleKeywords maps words in module names to tensor classes, most
// specific first (a shared expert's name contains "expert" and "mlp").
var moduleKeywords = []struct {
	words   []string
	classes []analysis.TensorClass
}{
	{[]string{"lm_head", "output_layer", "embed_out"}, []analysis.TensorClass{analysis.LMHead}},
	{[]string{"embed_tokens", "wte", "tok_embeddings", "word_embeddings"}, []analysis.TensorClass{analysis.Embeddings}},
	{[]string{"vision", "visual", "multi_modal_projector", "mm_projector", "image_newline"}, []analysis.TensorClass{analysis.VisionWeights}},
	{[]string{"shared_expert_gate"}, []analysis.TensorClass{analysis.RouterWeights}},
	{[]string{"shared_expert", "shared_mlp"}, []analysis.TensorClass{analysis.SharedExpertWeights}},
	{[]string{"experts"}, []analysis.TensorClass{analysis.ExpertWeights}},
	{[]string{"router"}, []analysis.TensorClass{analysis.RouterWeights}},
	{[]string{"self_attn", "attention", "attn"}, []analysis.TensorClass{analysis.AttentionWeights}},
	{[]string{"mamba", "mixer", "linear_attn"}, []analysis.TensorClass{analysis.StateMixerWeights}},
	{[]string{"mlp", "feed_forward", "ffn", "block_sparse_moe"}, []analysis.TensorClass{analysis.MLPWeights, analysis.ExpertWeights, analysis.SharedExpertWeights, analysis.RouterWeights}},
}

// moduleClasses maps a module name or pattern (a transformers module path,
// a "re:" regex, a glob with *, or a class name such as "Linear") to the
// tensor classes it covers, and the one decoder layer it names (-1: all).
func moduleClasses(name string, m *analysis.Model) ([]analysis.TensorClass, int, bool) {
	s := strings.TrimPrefix(name, "re:")
	if s == "Linear" {
		var all []analysis.TensorClass
		all = append(all, decoderLinear...)
		return append(all, analysis.RouterWeights, analysis.LMHead, analysis.VisionWeights), -1, true
	}
	layer := -1
	if mm := layerIndex.FindStringSubmatch(s); mm != nil {
		n, err := strconv.Atoi(mm[1])
		if err != nil || n >= len(m.Layers) {
			return nil, 0, false
		}
		layer = n
	}
	low := strings.ToLower(s)
	// a bare "gate" (Mixtral's AWQ modules_to_not_convert) is the router
	if strings.TrimSuffix(strings.TrimSuffix(low, "$"), ".weight") == "gate" || strings.HasSuffix(strings.TrimSuffix(low, "$"), ".gate") {
		return []analysis.TensorClass{analysis.RouterWeights}, layer, true
	}
	for _, k := range moduleKeywords {
		for _, w := range k.words {
			if strings.Contains(low, w) {
				return k.classes, layer, true
			}
		}
	}
	return nil, 0, false
}

// torchName is the torch dtype name of a 16- or 32-bit float format.
func torchName(d analysis.DType) string {
	switch d.Name {
	case "fp16":
		return "float16"
	case "fp32":
		return "float32"
	}
	return "bfloat16"
}
