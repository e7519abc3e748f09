package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Tiny Llama shape of the tests: vocab 1000, hidden 64, 2 layers, 4 heads
// of 16, 2 KV heads, gated MLP of 128, untied head.
const (
	vocab, hidden, nLayers, heads, kvHeads, headDim, inter = 1000, 64, 2, 4, 2, 16, 128
)

// tinyLlama is the analysis model of that shape, as the spec reader would
// build it from its config.json.
func tinyLlama(tied bool) *analysis.Model {
	m := &analysis.Model{Name: "tiny", VocabSize: vocab, Hidden: hidden, TiedEmbedding: tied, Norm: analysis.RMSNorm, NormsPerLayer: 2, FinalNorm: true}
	for range nLayers {
		m.Layers = append(m.Layers, analysis.Layer{Kind: analysis.FullAttention,
			Attn: analysis.Attention{Heads: heads, KVHeads: kvHeads, HeadDim: headDim, VHeadDim: headDim},
			FFN:  analysis.FFN{Intermediate: inter, Gated: true}})
	}
	return m
}

func dtype(t *testing.T, name string) analysis.DType {
	t.Helper()
	d, ok := analysis.LookupDType(name)
	if !ok {
		t.Fatalf("no dtype %s", name)
	}
	return d
}

// classBytes is expected bytes per class by name.
type classBytes map[string]int64

func checkClasses(t *testing.T, cmp Comparison, ckpt, config classBytes) {
	t.Helper()
	for _, c := range cmp.Classes {
		name := c.Class.String()
		if c.CheckpointBytes != ckpt[name] {
			t.Errorf("checkpoint bytes of %s = %d, want %d", name, c.CheckpointBytes, ckpt[name])
		}
		if c.ConfigBytes != config[name] {
			t.Errorf("config bytes of %s = %d, want %d", name, c.ConfigBytes, config[name])
		}
		if c.DifferenceBytes != ckpt[name]-config[name] {
			t.Errorf("difference of %s = %d, want %d", name, c.DifferenceBytes, ckpt[name]-config[name])
		}
	}
}

func readDir(t *testing.T, dir string) *Checkpoint {
	t.Helper()
	ck, err := Read(dir)
	if err != nil {
		t.Fatalf("Read(%s): %v", dir, err)
	}
	return ck
}

// The bytes a bf16 tiny Llama stores, worked out by hand: embeddings and
// head 1000×64×2; per layer q 64×64, k and v 32×64, o 64×64 (12,288
// elements), gate/up/down 3×128×64 (24,576), two norms of 64; a final
// norm of 64.
var tinyLlamaBF16 = classBytes{
	"embeddings": 128_000,
	"lm_head":    128_000,
	"attention":  2 * 12_288 * 2,
	"mlp":        2 * 24_576 * 2,
	"norms":      (2*2*64 + 64) * 2,
}

func TestLlamaBF16MatchesConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true), map[string]string{"format": "pt"}))
	ck := readDir(t, dir)
	s := Summarize(ck, nLayers)
	if got, want := s.Bytes, int64(404_096); got != want {
		t.Errorf("stored bytes = %d, want %d", got, want)
	}
	if len(s.ByDType) != 1 || s.ByDType[0] != (DTypeBytes{"BF16", 404_096}) {
		t.Errorf("bytes by dtype = %v, want [{BF16 404096}]", s.ByDType)
	}
	if got, want := s.Tensors, 2+9*nLayers+1; got != want {
		t.Errorf("tensors = %d, want %d", got, want)
	}
	if len(s.NotLoaded)+len(s.Unclassified) != 0 {
		t.Errorf("not loaded %v, unclassified %v: want none", s.NotLoaded, s.Unclassified)
	}
	if ck.Files[0].Metadata["format"] != "pt" {
		t.Errorf("metadata = %v, want format pt", ck.Files[0].Metadata)
	}
	cmp := Compare(s, tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "bf16")})
	checkClasses(t, cmp, tinyLlamaBF16, tinyLlamaBF16)
	if cmp.DifferenceBytes != 0 || cmp.CheckpointBytes != 404_096 || len(cmp.Mismatched()) != 0 {
		t.Errorf("comparison total %d vs %d (difference %d, mismatched %v), want 404096 and no difference", cmp.CheckpointBytes, cmp.ConfigBytes, cmp.DifferenceBytes, cmp.Mismatched())
	}
}

// A config stating float32 weights against a bf16 checkpoint: every class
// differs by half the config's bytes, and nothing names a reason.
func TestDTypeMismatchIsADifference(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true), nil))
	cmp := Compare(Summarize(readDir(t, dir), nLayers), tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "fp32")})
	if got, want := cmp.DifferenceBytes, int64(-404_096); got != want {
		t.Errorf("difference = %d, want %d", got, want)
	}
	if got := len(cmp.Mismatched()); got != 5 {
		t.Errorf("mismatched classes = %d, want 5", got)
	}
}

func TestTiedHead(t *testing.T) {
	t.Run("not stored: no difference", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, false), nil))
		cmp := Compare(Summarize(readDir(t, dir), nLayers), tinyLlama(true), analysis.WeightScheme{Default: dtype(t, "bf16")})
		want := classBytes{"embeddings": 128_000, "attention": 49_152, "mlp": 98_304, "norms": 640}
		checkClasses(t, cmp, want, want)
	})
	// Qwen3-0.6B's config ties the embeddings, and its model.safetensors
	// still holds lm_head.weight: a difference with its reason, which
	// engines skip.
	t.Run("stored copy: a named difference", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true), nil))
		cmp := Compare(Summarize(readDir(t, dir), nLayers), tinyLlama(true), analysis.WeightScheme{Default: dtype(t, "bf16")})
		config := classBytes{"embeddings": 128_000, "attention": 49_152, "mlp": 98_304, "norms": 640}
		checkClasses(t, cmp, tinyLlamaBF16, config)
		head := cmp.Classes[analysis.LMHead]
		if !strings.Contains(head.Reason, "tie_word_embeddings") || !head.Skipped {
			t.Errorf("lm_head reason %q (skipped %v), want the tie named and skipped", head.Reason, head.Skipped)
		}
		if len(cmp.Mismatched()) != 0 {
			t.Errorf("mismatched = %v, want none (the copy is skipped)", cmp.Mismatched())
		}
	})
	t.Run("untied config, no head stored", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, false), nil))
		cmp := Compare(Summarize(readDir(t, dir), nLayers), tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "bf16")})
		m := cmp.Mismatched()
		if len(m) != 1 || m[0].Class != analysis.LMHead || m[0].DifferenceBytes != -128_000 || m[0].Reason == "" {
			t.Errorf("mismatched = %+v, want lm_head −128000 with a reason", m)
		}
	})
}

// awqTensors are an AWQ (gemm, 4-bit, group 128) Llama checkpoint's
// tensors as AutoAWQ saves them: per linear layer of in → out, qweight
// int32 [in, out/8], qzeros int32 [in/128, out/8], scales fp16
// [in/128, out]; everything else fp16.
func awqTensors(vocab, h, layers, heads, kvHeads, headDim, inter int64) []tt {
	lin := func(name string, in, out int64) []tt {
		return []tt{
			{name + ".qweight", "I32", []int64{in, out / 8}},
			{name + ".qzeros", "I32", []int64{in / 128, out / 8}},
			{name + ".scales", "F16", []int64{in / 128, out}},
		}
	}
	ts := []tt{{"model.embed_tokens.weight", "F16", []int64{vocab, h}}}
	for i := range layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts, lin(p+"self_attn.q_proj", h, heads*headDim)...)
		ts = append(ts, lin(p+"self_attn.k_proj", h, kvHeads*headDim)...)
		ts = append(ts, lin(p+"self_attn.v_proj", h, kvHeads*headDim)...)
		ts = append(ts, lin(p+"self_attn.o_proj", heads*headDim, h)...)
		ts = append(ts, lin(p+"mlp.gate_proj", h, inter)...)
		ts = append(ts, lin(p+"mlp.up_proj", h, inter)...)
		ts = append(ts, lin(p+"mlp.down_proj", inter, h)...)
		ts = append(ts, tt{p + "input_layernorm.weight", "F16", []int64{h}}, tt{p + "post_attention_layernorm.weight", "F16", []int64{h}})
	}
	return append(ts, tt{"model.norm.weight", "F16", []int64{h}}, tt{"lm_head.weight", "F16", []int64{vocab, h}})
}

func TestAWQMatchesConfig(t *testing.T) {
	// hidden 256, 4 heads of 64, 2 KV heads, MLP 512, 2 layers.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(awqTensors(1000, 256, 2, 4, 2, 64, 512), nil))
	m := &analysis.Model{VocabSize: 1000, Hidden: 256, Norm: analysis.RMSNorm, NormsPerLayer: 2, FinalNorm: true}
	for range 2 {
		m.Layers = append(m.Layers, analysis.Layer{Kind: analysis.FullAttention,
			Attn: analysis.Attention{Heads: 4, KVHeads: 2, HeadDim: 64, VHeadDim: 64}, FFN: analysis.FFN{Intermediate: 512, Gated: true}})
	}
	awq := analysis.LinearFormat{Method: analysis.AWQ, Bits: 4, GroupSize: 128, ScaleBytes: 2, Zero: true}
	stored := m.StoredBytes(analysis.Checkpoint{Base: dtype(t, "fp16"), Linear: map[analysis.TensorClass]analysis.LinearFormat{
		analysis.AttentionWeights: awq, analysis.MLPWeights: awq}})
	w := analysis.WeightScheme{Default: dtype(t, "fp16"), Stored: &stored}
	// By hand: q and o 256→256 store 256×32×4 + 2×32×4 + 2×256×2 = 34,048
	// bytes, k and v 256→128 17,024; gate and up 256→512 and down 512→256
	// 68,096 each; embeddings and head 1000×256×2; five norms of 256 in fp16.
	want := classBytes{
		"embeddings": 512_000,
		"lm_head":    512_000,
		"attention":  2 * (2*34_048 + 2*17_024),
		"mlp":        2 * 3 * 68_096,
		"norms":      5 * 256 * 2,
	}
	cmp := Compare(Summarize(readDir(t, dir), 2), m, w)
	checkClasses(t, cmp, want, want)
	var dt []string
	for _, d := range Summarize(readDir(t, dir), 2).ByDType {
		dt = append(dt, fmt.Sprintf("%s %d", d.DType, d.Bytes))
	}
	// I32, qweight and qzeros: per layer 99,072 bytes of attention
	// (32,768 + 256 for q and o, 16,384 + 128 for k and v) and 198,144 of
	// MLP (65,536 + 512 three times); F16: the scales (9,216 per layer),
	// embeddings, head and norms.
	if got, want := strings.Join(dt, ", "), fmt.Sprintf("F16 %d, I32 %d", 2*9_216+512_000+512_000+2_560, 2*(99_072+198_144)); got != want {
		t.Errorf("bytes by dtype = %s, want %s", got, want)
	}
}

func TestShardedWithIndex(t *testing.T) {
	all := llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true)
	shards := map[string][]tt{
		"model-00001-of-00002.safetensors": all[:10],
		"model-00002-of-00002.safetensors": all[10:],
	}
	setup := func(t *testing.T, total int64) string {
		dir := t.TempDir()
		for n, ts := range shards {
			writeFile(t, filepath.Join(dir, n), safetensorsFile(ts, nil))
		}
		writeIndex(t, dir, shards, total)
		return dir
	}
	t.Run("reads every shard", func(t *testing.T) {
		dir := setup(t, 404_096)
		// A stray file the index does not name is ignored, and said so.
		writeFile(t, filepath.Join(dir, "consolidated.safetensors"), safetensorsFile([]tt{{"tok_embeddings.weight", "BF16", []int64{4, 4}}}, nil))
		ck := readDir(t, dir)
		s := Summarize(ck, nLayers)
		if s.Files != 2 || s.Bytes != 404_096 || ck.Index.TotalSize != 404_096 || ck.Index.Tensors != len(all) {
			t.Errorf("files %d, bytes %d, index total %d of %d tensors; want 2, 404096, 404096, %d", s.Files, s.Bytes, ck.Index.TotalSize, ck.Index.Tensors, len(all))
		}
		if len(ck.Ignored) != 1 || ck.Ignored[0] != "consolidated.safetensors" {
			t.Errorf("ignored = %v, want [consolidated.safetensors]", ck.Ignored)
		}
		checkClasses(t, Compare(s, tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "bf16")}), tinyLlamaBF16, tinyLlamaBF16)
	})
	t.Run("a missing shard is named", func(t *testing.T) {
		dir := setup(t, 404_096)
		os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
		_, err := Read(dir)
		want := filepath.Join(dir, "model-00002-of-00002.safetensors") + ": cannot read: no such file or directory"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	t.Run("a tensor in the wrong shard is named", func(t *testing.T) {
		dir := setup(t, 404_096)
		wrong := map[string][]tt{"model-00001-of-00002.safetensors": all[:9], "model-00002-of-00002.safetensors": all[9:]}
		writeIndex(t, dir, wrong, 404_096)
		_, err := Read(dir)
		want := filepath.Join(dir, "model-00001-of-00002.safetensors") + ": " + all[9].name + ": stored here, but model.safetensors.index.json puts it in model-00002-of-00002.safetensors"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
}

// A DeepSeek-V3-style MTP layer (model.layers.N with N = num_hidden_layers)
// and a Qwen3-Next-style mtp.* module are stored but not loaded: reported
// apart, and the loaded bytes still match the config.
func TestMTPNotLoaded(t *testing.T) {
	ts := llamaTensors("BF16", vocab, hidden, nLayers+1, heads, kvHeads, headDim, inter, true) // layer 2 is the MTP layer
	ts = append(ts,
		tt{"model.layers.2.eh_proj.weight", "BF16", []int64{hidden, 2 * hidden}},
		tt{"mtp.fc.weight", "BF16", []int64{hidden, 2 * hidden}},
		tt{"mtp.layers.0.self_attn.q_proj.weight", "BF16", []int64{hidden, hidden}},
		tt{"model.layers.0.self_attn.rotary_emb.inv_freq", "F32", []int64{headDim / 2}},
	)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(ts, nil))
	s := Summarize(readDir(t, dir), nLayers)
	got := map[string]string{}
	for _, g := range s.NotLoaded {
		got[g.Reason] = fmt.Sprintf("%d tensors, %d bytes", g.Tensors, g.Bytes)
	}
	want := map[string]string{
		// Layer 2: its 9 Llama tensors (12,288 attention, 24,576 MLP and
		// 128 norm elements) and eh_proj 64×128.
		fmt.Sprintf(reasonLayerFmt, nLayers): fmt.Sprintf("10 tensors, %d bytes", (12_288+24_576+128+8_192)*2),
		ReasonMTP:                            fmt.Sprintf("2 tensors, %d bytes", (8_192+4_096)*2),
		ReasonInvFreq:                        "1 tensors, 32 bytes",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("not loaded = %v, want %v", got, want)
	}
	cmp := Compare(s, tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "bf16")})
	checkClasses(t, cmp, tinyLlamaBF16, tinyLlamaBF16)
}

func TestUnclassifiedAreListed(t *testing.T) {
	ts := append(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true),
		tt{"model.altup_projections.0.weight", "BF16", []int64{hidden, hidden}},
		tt{"audio_tower.conv.weight", "BF16", []int64{8}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(ts, nil))
	s := Summarize(readDir(t, dir), nLayers)
	var names []string
	for _, u := range s.Unclassified {
		names = append(names, fmt.Sprintf("%s %d", u.Name, u.Bytes))
	}
	if got, want := strings.Join(names, ", "), "audio_tower.conv.weight 16, model.altup_projections.0.weight 8192"; got != want {
		t.Errorf("unclassified = %s, want %s", got, want)
	}
	if s.Loaded != 404_096 || s.Bytes != 404_096+16+8192 {
		t.Errorf("loaded %d of %d, want 404096 of %d", s.Loaded, s.Bytes, 404_096+16+8192)
	}
}

// Every malformed header is refused with one line naming the file and the
// field.
func TestMalformedHeaders(t *testing.T) {
	good := `{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`
	huge := make([]byte, 16)
	huge[0], huge[3] = 0xff, 0xff // 4,278,190,335: beyond MaxHeaderBytes
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"too short", []byte{1, 2, 3}, "F: 3 bytes: too short for a safetensors file (an 8-byte header length comes first)"},
		{"length beyond the file", append(rawFile(good, 16)[:8:8], `{"a":1}`...), fmt.Sprintf("F: header length: %d bytes is beyond the file (7 bytes after the length): truncated or not a safetensors file", len(good))},
		{"length beyond the limit", huge, "F: header length: 4278190335 bytes is more than the format's limit of 100000000: not a safetensors file, or a corrupt one"},
		{"not JSON", rawFile(`{"a":`, 0), "F: header: invalid JSON: unexpected end of the header"},
		{"not an object", rawFile(`[1, 2]`, 0), "F: header: not a JSON object"},
		{"duplicate tensor", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), `F: header: "a" appears twice`},
		{"unknown dtype", rawFile(`{"a":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,2]}}`, 2),
			`F: a.dtype: unknown dtype "Q4_K" (the format's dtypes are ` + strings.Join(DTypes(), ", ") + ")"},
		{"negative shape", rawFile(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,2]}}`, 2), "F: a.shape: [0] must be a non-negative integer below 2^63, got -1"},
		{"missing offsets", rawFile(`{"a":{"dtype":"U8","shape":[2]}}`, 2), "F: a.data_offsets: missing"},
		{"span is not shape × dtype", rawFile(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,6]}}`, 6), "F: a.data_offsets: [0, 6] spans 6 bytes, but shape [2, 2] of BF16 is 8 bytes"},
		{"half a byte of F4", rawFile(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}`, 1), "F: a.shape: [3] of F4 is 12 bits, not a whole number of bytes"},
		{"overlapping offsets", rawFile(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "F: b.data_offsets: [4, 12] overlaps a, which ends at 8"},
		{"a gap", rawFile(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`, 20), "F: b.data_offsets: [12, 20] leaves a gap of 4 bytes after a (the format packs tensors without gaps)"},
		{"truncated data", rawFile(good, 12), "F: b.data_offsets: [8, 16] ends beyond the data (12 bytes after the header): the file is truncated or the offsets are wrong"},
		{"trailing data", rawFile(good, 20), "F: data: 4 bytes after the last tensor's data are not described by the header (the file has 20 bytes of data, the tensors 16)"},
		{"metadata not strings", rawFile(`{"__metadata__":{"format":1}}`, 0), "F: __metadata__.format: must be a string, got a number"},
		{"control characters in a name", rawFile("{\"a\\nb\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}", 0), `F: a\nb.dtype: unknown dtype "X" (the format's dtypes are ` + strings.Join(DTypes(), ", ") + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadHeader("F", readerAt(tc.data), int64(len(tc.data)))
			if err == nil {
				t.Fatalf("ReadHeader succeeded, want %s", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("ReadHeader error\n got %s\nwant %s", got, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err.Error())
			}
		})
	}
	if _, err := ReadHeader("F", readerAt(rawFile(good, 16)), int64(len(rawFile(good, 16)))); err != nil {
		t.Errorf("the well-formed file of these cases fails: %v", err)
	}
}

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, errors.New("EOF")
	}
	return n, nil
}

func TestReadRefuses(t *testing.T) {
	llama := safetensorsFile(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true), nil)
	t.Run("a symlink out of the directory", func(t *testing.T) {
		outside := filepath.Join(t.TempDir(), "elsewhere.safetensors")
		writeFile(t, outside, llama)
		dir := t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, "model.safetensors")); err != nil {
			t.Skip(err)
		}
		_, err := Read(dir)
		want := filepath.Join(dir, "model.safetensors") + ": a symlink leading outside the checkpoint directory: kvplot reads only files inside it"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	t.Run("a FIFO", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, "model.safetensors"), 0o644); err != nil {
			t.Skip(err)
		}
		_, err := Read(dir)
		want := filepath.Join(dir, "model.safetensors") + ": not a regular file: kvplot reads only regular files"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	t.Run("no safetensors", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "pytorch_model.bin"), []byte("x"))
		_, err := Read(dir)
		want := dir + ": no *.safetensors files: kvplot reads safetensors headers only (not .bin, .pt or .gguf files)"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	t.Run("a file, not a directory", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "model.safetensors")
		writeFile(t, p, llama)
		_, err := Read(p)
		want := p + ": not a directory: --checkpoint takes the directory holding the *.safetensors files"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	t.Run("a tensor in two files", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.safetensors"), llama)
		writeFile(t, filepath.Join(dir, "b.safetensors"), safetensorsFile([]tt{{"lm_head.weight", "BF16", []int64{2}}}, nil))
		_, err := Read(dir)
		want := filepath.Join(dir, "b.safetensors") + ": lm_head.weight: also stored in a.safetensors"
		if err == nil || err.Error() != want {
			t.Errorf("Read = %v, want %s", err, want)
		}
	})
	// A Hugging Face cache snapshot links into its model's blobs/: allowed.
	t.Run("a Hugging Face cache snapshot", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "models--org--tiny")
		blob := filepath.Join(root, "blobs", "0123abcd")
		writeFile(t, blob, llama)
		snap := filepath.Join(root, "snapshots", "rev1")
		if err := os.MkdirAll(snap, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../blobs/0123abcd", filepath.Join(snap, "model.safetensors")); err != nil {
			t.Skip(err)
		}
		if got := Summarize(readDir(t, snap), nLayers).Bytes; got != 404_096 {
			t.Errorf("bytes = %d, want 404096", got)
		}
	})
}

// A vision tower the config does not describe is a named difference that
// still counts as a mismatch: engines load it, kvplot counted none.
func TestVisionTowerWithoutConfig(t *testing.T) {
	ts := append(llamaTensors("BF16", vocab, hidden, nLayers, heads, kvHeads, headDim, inter, true),
		tt{"vision_tower.patch_embed.proj.weight", "BF16", []int64{hidden, 3, 14, 14}},
		tt{"multi_modal_projector.linear_1.weight", "BF16", []int64{hidden, hidden}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "model.safetensors"), safetensorsFile(ts, nil))
	cmp := Compare(Summarize(readDir(t, dir), nLayers), tinyLlama(false), analysis.WeightScheme{Default: dtype(t, "bf16")})
	m := cmp.Mismatched()
	want := int64((64*3*14*14 + 64*64) * 2)
	if len(m) != 1 || m[0].Class != analysis.VisionWeights || m[0].DifferenceBytes != want || !strings.Contains(m[0].Reason, "vision encoder the config does not describe") {
		t.Errorf("mismatched = %+v, want vision +%d with its reason", m, want)
	}
}
