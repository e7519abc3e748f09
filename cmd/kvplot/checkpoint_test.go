package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const familiesDir = "../../internal/spec/testdata/families/"

// stTensor is a tensor of a generated checkpoint.
type stTensor struct {
	name  string
	dtype string
	shape []int64
}

var stBits = map[string]int64{"BF16": 16, "F16": 16, "F32": 32, "I32": 32, "U8": 8}

func (t stTensor) bytes() int64 {
	n := stBits[t.dtype]
	for _, d := range t.shape {
		n *= d
	}
	return n / 8
}

// writeSafetensors writes a safetensors file of the tensors: the header,
// then zeros as a sparse region (the data is never read, so a checkpoint
// of a real model's size costs no disk).
func writeSafetensors(t *testing.T, p string, tensors []stTensor) int64 {
	t.Helper()
	var b strings.Builder
	b.WriteByte('{')
	var off int64
	for i, x := range tensors {
		if i > 0 {
			b.WriteByte(',')
		}
		shape, _ := json.Marshal(x.shape)
		fmt.Fprintf(&b, `%q:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, x.name, x.dtype, shape, off, off+x.bytes())
		off += x.bytes()
	}
	b.WriteByte('}')
	head := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(head, uint64(b.Len()))
	head = append(head, b.String()...)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(head); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(len(head)) + off); err != nil {
		t.Fatal(err)
	}
	return off
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// qwen3Tensors are Qwen3ForCausalLM's tensors as transformers saves them
// (names and shapes from the architecture: q_proj heads × head_dim wide,
// per-head q_norm/k_norm, gated MLP, RMSNorms), lm_head included.
func qwen3Tensors(vocab, h, layers, heads, kvHeads, headDim, inter int64) []stTensor {
	ts := []stTensor{{"model.embed_tokens.weight", "BF16", []int64{vocab, h}}}
	for i := range layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			stTensor{p + "input_layernorm.weight", "BF16", []int64{h}},
			stTensor{p + "self_attn.q_proj.weight", "BF16", []int64{heads * headDim, h}},
			stTensor{p + "self_attn.k_proj.weight", "BF16", []int64{kvHeads * headDim, h}},
			stTensor{p + "self_attn.v_proj.weight", "BF16", []int64{kvHeads * headDim, h}},
			stTensor{p + "self_attn.o_proj.weight", "BF16", []int64{h, heads * headDim}},
			stTensor{p + "self_attn.q_norm.weight", "BF16", []int64{headDim}},
			stTensor{p + "self_attn.k_norm.weight", "BF16", []int64{headDim}},
			stTensor{p + "post_attention_layernorm.weight", "BF16", []int64{h}},
			stTensor{p + "mlp.gate_proj.weight", "BF16", []int64{inter, h}},
			stTensor{p + "mlp.up_proj.weight", "BF16", []int64{inter, h}},
			stTensor{p + "mlp.down_proj.weight", "BF16", []int64{h, inter}},
		)
	}
	return append(ts, stTensor{"model.norm.weight", "BF16", []int64{h}}, stTensor{"lm_head.weight", "BF16", []int64{vocab, h}})
}

// ckClasses is the checkpoint object's classes by name.
func ckClasses(t *testing.T, doc map[string]any) (map[string]any, map[string]map[string]any) {
	t.Helper()
	ck, ok := doc["checkpoint"].(map[string]any)
	if !ok {
		t.Fatalf("no checkpoint object in %v", doc)
	}
	classes := map[string]map[string]any{}
	for _, c := range ck["classes"].([]any) {
		m := c.(map[string]any)
		classes[m["class"].(string)] = m
	}
	return ck, classes
}

func num(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}

// Qwen3-0.6B as published: its config ties the embeddings, and its
// model.safetensors holds 751,632,384 BF16 parameters (HF Hub API
// https://huggingface.co/api/models/Qwen/Qwen3-0.6B, safetensors
// {"BF16": 751632384}; see internal/spec/testdata/families/
// Qwen--Qwen3-0.6B.meta.json), lm_head.weight among them. kvplot's
// config-derived count (596,049,920, the card's 0.6B) leaves the copy out,
// and --checkpoint names the difference.
func TestCheckpointQwen3TiedHeadStored(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, familiesDir+"Qwen--Qwen3-0.6B.config.json", filepath.Join(dir, "config.json"))
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), qwen3Tensors(151936, 1024, 28, 16, 8, 128, 3072))
	doc := calcJSON(t, "--checkpoint", dir)
	ck, classes := ckClasses(t, doc)
	dt := ck["bytes_by_dtype"].(map[string]any)
	if got, want := num(dt["BF16"]), int64(751_632_384*2); got != want || len(dt) != 1 {
		t.Errorf("bytes_by_dtype = %v, want BF16 %d only", dt, want)
	}
	head := int64(151936 * 1024 * 2)
	if got := classes["lm_head"]; num(got["checkpoint_bytes"]) != head || num(got["config_bytes"]) != 0 || num(got["difference_bytes"]) != head || got["skipped_by_engines"] != true {
		t.Errorf("lm_head = %v, want %d stored, 0 from the config, skipped by engines", got, head)
	}
	for name, c := range classes {
		if name != "lm_head" && num(c["difference_bytes"]) != 0 {
			t.Errorf("%s differs by %v bytes, want 0", name, c["difference_bytes"])
		}
	}
	if got, want := num(ck["config_bytes"]), num(doc["weights_bytes"]); got != want {
		t.Errorf("checkpoint.config_bytes = %d, weights_bytes = %d: want equal", got, want)
	}
	if got, want := num(doc["params"].(map[string]any)["total"]), int64(596_049_920); got != want {
		t.Errorf("params.total = %d, want %d", got, want)
	}

	out, errs, code := runKVPlot("validate", "--checkpoint", dir)
	if code != 0 {
		t.Fatalf("validate --checkpoint: exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"lm_head differs by +311,164,928 bytes (stored: BF16): the config ties lm_head to the embeddings (tie_word_embeddings)",
		"ok: the checkpoint stores what the config describes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

// gpt-oss-20b as published: three shards and an index whose total_size is
// 13,761,264,768 bytes (internal/spec/testdata/families/openai--gpt-oss-20b.meta.json),
// the MoE experts in MXFP4 (uint8 _blocks and _scales, bf16 biases), the
// rest bf16. The tensors follow the layout in that file's notes; their sum
// must be the index's total, and the config-derived bytes (quantization_config
// mxfp4) must match them class by class.
func TestCheckpointGptOss20bMXFP4(t *testing.T) {
	const (
		vocab, h, layers, heads, kvHeads, headDim, experts, inter = 201088, 2880, 24, 64, 8, 64, 32, 2880
	)
	dir := t.TempDir()
	copyFile(t, familiesDir+"openai--gpt-oss-20b.config.json", filepath.Join(dir, "config.json"))
	layer := func(i int) []stTensor {
		p := fmt.Sprintf("model.layers.%d.", i)
		return []stTensor{
			{p + "input_layernorm.weight", "BF16", []int64{h}},
			{p + "self_attn.q_proj.weight", "BF16", []int64{heads * headDim, h}},
			{p + "self_attn.q_proj.bias", "BF16", []int64{heads * headDim}},
			{p + "self_attn.k_proj.weight", "BF16", []int64{kvHeads * headDim, h}},
			{p + "self_attn.k_proj.bias", "BF16", []int64{kvHeads * headDim}},
			{p + "self_attn.v_proj.weight", "BF16", []int64{kvHeads * headDim, h}},
			{p + "self_attn.v_proj.bias", "BF16", []int64{kvHeads * headDim}},
			{p + "self_attn.o_proj.weight", "BF16", []int64{h, heads * headDim}},
			{p + "self_attn.o_proj.bias", "BF16", []int64{h}},
			{p + "self_attn.sinks", "BF16", []int64{heads}},
			{p + "post_attention_layernorm.weight", "BF16", []int64{h}},
			{p + "mlp.router.weight", "BF16", []int64{experts, h}},
			{p + "mlp.router.bias", "BF16", []int64{experts}},
			{p + "mlp.experts.gate_up_proj_blocks", "U8", []int64{experts, 2 * inter, h / 32, 16}},
			{p + "mlp.experts.gate_up_proj_scales", "U8", []int64{experts, 2 * inter, h / 32}},
			{p + "mlp.experts.gate_up_proj_bias", "BF16", []int64{experts, 2 * inter}},
			{p + "mlp.experts.down_proj_blocks", "U8", []int64{experts, h, inter / 32, 16}},
			{p + "mlp.experts.down_proj_scales", "U8", []int64{experts, h, inter / 32}},
			{p + "mlp.experts.down_proj_bias", "BF16", []int64{experts, h}},
		}
	}
	shards := [3][]stTensor{}
	for i := range layers {
		shards[i*3/layers] = append(shards[i*3/layers], layer(i)...)
	}
	shards[0] = append(shards[0], stTensor{"model.embed_tokens.weight", "BF16", []int64{vocab, h}})
	shards[2] = append(shards[2], stTensor{"model.norm.weight", "BF16", []int64{h}}, stTensor{"lm_head.weight", "BF16", []int64{vocab, h}})
	weightMap := map[string]string{}
	for i, ts := range shards {
		name := fmt.Sprintf("model-%05d-of-00002.safetensors", i)
		writeSafetensors(t, filepath.Join(dir, name), ts)
		for _, x := range ts {
			weightMap[x.name] = name
		}
	}
	index, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 13_761_264_768}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), index, 0o644); err != nil {
		t.Fatal(err)
	}

	doc := calcJSON(t, "--checkpoint", dir)
	ck, classes := ckClasses(t, doc)
	if got, want := num(ck["stored_bytes"]), int64(13_761_264_768); got != want || num(ck["index_total_size"]) != want {
		t.Errorf("stored_bytes = %d (index total_size %v), want the published %d", got, ck["index_total_size"], want)
	}
	dt := ck["bytes_by_dtype"].(map[string]any)
	// The BF16 part: 1,804,459,584 values (the meta file's index breakdown).
	if num(dt["BF16"]) != 1_804_459_584*2 || num(dt["U8"]) != 10_152_345_600 {
		t.Errorf("bytes_by_dtype = %v, want BF16 %d, U8 10152345600", dt, 1_804_459_584*2)
	}
	for name, c := range classes {
		if num(c["difference_bytes"]) != 0 {
			t.Errorf("%s: checkpoint %v bytes, config %v: want equal", name, c["checkpoint_bytes"], c["config_bytes"])
		}
	}
	if got := num(classes["experts"]["checkpoint_bytes"]); got != 10_152_345_600+24*experts*(2*inter+h)*2 {
		t.Errorf("experts = %d bytes, want the U8 blocks and scales plus the bf16 biases", got)
	}
}

// tinyLlama is a small Llama config.json; extra is spliced in as more
// fields.
func tinyLlama(inter int, extra string) string {
	return fmt.Sprintf(`{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 1000, "hidden_size": 64,
 "intermediate_size": %d, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
 "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "tie_word_embeddings": false, "torch_dtype": "bfloat16"%s}`, inter, extra)
}

func llamaCheckpoint(t *testing.T, dir string, inter int64) {
	t.Helper()
	ts := []stTensor{{"model.embed_tokens.weight", "BF16", []int64{1000, 64}}}
	for i := range 2 {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			stTensor{p + "self_attn.q_proj.weight", "BF16", []int64{64, 64}},
			stTensor{p + "self_attn.k_proj.weight", "BF16", []int64{32, 64}},
			stTensor{p + "self_attn.v_proj.weight", "BF16", []int64{32, 64}},
			stTensor{p + "self_attn.o_proj.weight", "BF16", []int64{64, 64}},
			stTensor{p + "mlp.gate_proj.weight", "BF16", []int64{inter, 64}},
			stTensor{p + "mlp.up_proj.weight", "BF16", []int64{inter, 64}},
			stTensor{p + "mlp.down_proj.weight", "BF16", []int64{64, inter}},
			stTensor{p + "input_layernorm.weight", "BF16", []int64{64}},
			stTensor{p + "post_attention_layernorm.weight", "BF16", []int64{64}})
	}
	ts = append(ts, stTensor{"model.norm.weight", "BF16", []int64{64}}, stTensor{"lm_head.weight", "BF16", []int64{1000, 64}})
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), ts)
}

func TestCheckpointMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tinyLlama(128, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	llamaCheckpoint(t, dir, 96) // the MLP is narrower than the config says
	out, errs, code := runKVPlot("validate", "--checkpoint", dir)
	if code != 1 {
		t.Fatalf("validate: exit %d, want 1\n%s%s", code, out, errs)
	}
	// 2 layers × 3 matrices × 32×64 fewer bf16 values.
	want := fmt.Sprintf("kvplot: checkpoint %s does not match %s: mlp −24,576 bytes\n", filepath.ToSlash(dir), filepath.Join(dir, "config.json"))
	if errs != want {
		t.Errorf("stderr\n got %q\nwant %q", errs, want)
	}
	if !strings.Contains(out, "mlp differs by −24,576 bytes (stored: BF16): kvplot knows no reason") {
		t.Errorf("stdout lacks the mlp line:\n%s", out)
	}
	// calc reports the same difference, and still exits 0.
	out, errs, code = runKVPlot("calc", "--checkpoint", dir)
	if code != 0 || !strings.Contains(out, "  mlp                          73,728             98,304          −24,576\n") {
		t.Errorf("calc: exit %d, stdout lacks the mlp row:\n%s%s", code, out, errs)
	}
}

// An AWQ checkpoint's config.json (quantization_config awq, 4 bits, group
// 128) against the tensors AutoAWQ writes: qweight int32 [in, out/8],
// qzeros int32 [in/128, out/8], scales fp16 [in/128, out] per linear
// layer; embeddings, head and norms fp16. No class differs.
func TestCheckpointAWQ(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(tinyLlama(512, `, "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm", "zero_point": true}`), `"hidden_size": 64`, `"hidden_size": 256`, 1)
	cfg = strings.Replace(cfg, `"bfloat16"`, `"float16"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	lin := func(name string, in, out int64) []stTensor {
		return []stTensor{{name + ".qweight", "I32", []int64{in, out / 8}}, {name + ".qzeros", "I32", []int64{in / 128, out / 8}}, {name + ".scales", "F16", []int64{in / 128, out}}}
	}
	ts := []stTensor{{"model.embed_tokens.weight", "F16", []int64{1000, 256}}, {"model.norm.weight", "F16", []int64{256}}, {"lm_head.weight", "F16", []int64{1000, 256}}}
	for i := range 2 {
		p := fmt.Sprintf("model.layers.%d.", i)
		for _, l := range []struct {
			name    string
			in, out int64
		}{{"self_attn.q_proj", 256, 256}, {"self_attn.k_proj", 256, 128}, {"self_attn.v_proj", 256, 128}, {"self_attn.o_proj", 256, 256},
			{"mlp.gate_proj", 256, 512}, {"mlp.up_proj", 256, 512}, {"mlp.down_proj", 512, 256}} {
			ts = append(ts, lin(p+l.name, l.in, l.out)...)
		}
		ts = append(ts, stTensor{p + "input_layernorm.weight", "F16", []int64{256}}, stTensor{p + "post_attention_layernorm.weight", "F16", []int64{256}})
	}
	writeSafetensors(t, filepath.Join(dir, "model.safetensors"), ts)
	doc := calcJSON(t, "--checkpoint", dir)
	ck, classes := ckClasses(t, doc)
	for name, c := range classes {
		if num(c["difference_bytes"]) != 0 {
			t.Errorf("%s: checkpoint %v bytes, config %v: want equal", name, c["checkpoint_bytes"], c["config_bytes"])
		}
	}
	// By hand: I32 297,216 per layer (qweight + qzeros), F16 9,216 of
	// scales per layer, 2 × 1000×256 of embeddings and head, 5 norms of 256.
	if got, want := num(ck["stored_bytes"]), int64(2*297_216+2*9_216+2*512_000+5*512); got != want {
		t.Errorf("stored_bytes = %d, want %d", got, want)
	}
	if got := num(doc["weights_bytes"]); got != num(ck["stored_bytes"]) {
		t.Errorf("weights_bytes = %d, want the checkpoint's %d", got, num(ck["stored_bytes"]))
	}
}

func TestCheckpointErrors(t *testing.T) {
	t.Run("a malformed header is one line naming file and field", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tinyLlama(128, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		hdr := `{"lm_head.weight":{"dtype":"BF16","shape":[1000,64],"data_offsets":[0,12800]}}`
		data := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		data = append(append(data, hdr...), make([]byte, 12800)...)
		if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, errs, code := runKVPlot("calc", "--checkpoint", dir)
		want := filepath.Join(dir, "model.safetensors") + ": lm_head.weight.data_offsets: [0, 12800] spans 12800 bytes, but shape [1000, 64] of BF16 is 128000 bytes\n"
		if code != 1 || errs != want {
			t.Errorf("exit %d, stderr %q; want 1, %q", code, errs, want)
		}
	})
	t.Run("no config.json and no --model", func(t *testing.T) {
		dir := t.TempDir()
		llamaCheckpoint(t, dir, 128)
		_, errs, code := runKVPlot("calc", "--checkpoint", dir)
		if code != 2 || !strings.Contains(errs, "calc: --model is required") {
			t.Errorf("exit %d, stderr %q; want 2 and --model required", code, errs)
		}
	})
	t.Run("--model beside --checkpoint", func(t *testing.T) {
		dir, cfg := t.TempDir(), filepath.Join(t.TempDir(), "llama.json")
		llamaCheckpoint(t, dir, 128)
		if err := os.WriteFile(cfg, []byte(tinyLlama(128, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errs, code := runKVPlot("validate", "--checkpoint", dir, "--model", cfg)
		if code != 0 || !strings.Contains(out, "  total loaded                404,096            404,096                0\n") {
			t.Errorf("exit %d: %s%s", code, out, errs)
		}
	})
}

// A native spec's checkpoint: key, relative to the spec file and inside
// the spec tree.
func TestSpecCheckpointKey(t *testing.T) {
	specs := filepath.Join(t.TempDir(), "specs")
	copyFile(t, "../../specs/seed/accelerators.yaml", filepath.Join(specs, "accelerators.yaml"))
	copyFile(t, "../../specs/seed/fleets.yaml", filepath.Join(specs, "fleets.yaml"))
	ckdir := filepath.Join(specs, "checkpoints", "tiny")
	if err := os.MkdirAll(ckdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ckdir, "config.json"), []byte(tinyLlama(128, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	llamaCheckpoint(t, ckdir, 128)
	model := filepath.Join(specs, "models", "tiny.yaml")
	writeSpec := func(ck string) {
		t.Helper()
		body := "name: Tiny\nconfig: ../checkpoints/tiny/config.json\ncheckpoint: " + ck + "\n"
		if err := os.MkdirAll(filepath.Dir(model), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(model, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeSpec("../checkpoints/tiny")
	out, errs, code := runKVPlot("validate", "--specs", specs)
	want := model + ": checkpoint " + filepath.ToSlash(filepath.Join(specs, "checkpoints", "tiny")) + ": 404,096 bytes, as the config describes\n"
	if code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("validate: exit %d\n%s%s\nwant it to end with %s", code, out, errs, want)
	}
	out, _, code = runKVPlot("calc", "--model", model)
	if code != 0 || !strings.Contains(out, "Checkpoint "+filepath.ToSlash(filepath.Join(specs, "checkpoints", "tiny"))) {
		t.Errorf("calc --model spec: exit %d, no checkpoint section:\n%s", code, out)
	}

	outside := t.TempDir()
	llamaCheckpoint(t, outside, 128)
	rel, err := filepath.Rel(filepath.Dir(model), outside)
	if err != nil {
		t.Fatal(err)
	}
	writeSpec(rel)
	_, errs, code = runKVPlot("calc", "--model", model)
	want = model + ":3:13: checkpoint: outside the spec directory: paths in specs must stay inside it (symlinks resolved)\n"
	if code != 1 || errs != want {
		t.Errorf("calc with a checkpoint outside the tree: exit %d, stderr %q; want 1, %q", code, errs, want)
	}
	writeSpec("/abs/path")
	_, errs, code = runKVPlot("validate", "--specs", specs)
	if code != 1 || !strings.Contains(errs, model+":3:13: checkpoint: must be a directory relative to this file, inside the spec tree") {
		t.Errorf("an absolute checkpoint: exit %d, stderr %q", code, errs)
	}
}
