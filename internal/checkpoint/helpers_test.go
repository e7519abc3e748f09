package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tt is a tensor to write: its name, dtype and shape.
type tt struct {
	name  string
	dtype string
	shape []int64
}

// elemBits is the test's own table of element sizes (from the safetensors
// format), kept apart from the package's.
var elemBits = map[string]int64{"BF16": 16, "F16": 16, "F32": 32, "I32": 32, "U8": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I64": 64, "F4": 4}

func tensorBytes(t tt) int64 {
	n := elemBits[t.dtype]
	if n == 0 {
		panic("test: no size for " + t.dtype)
	}
	for _, d := range t.shape {
		n *= d
	}
	return n / 8
}

// safetensorsFile is a valid file of the given tensors: the header with
// packed data_offsets, padded with spaces to 8 bytes as the reference
// writer does, then zero-filled data.
func safetensorsFile(tensors []tt, metadata map[string]string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	if metadata != nil {
		m, _ := json.Marshal(metadata)
		fmt.Fprintf(&b, `"__metadata__":%s`, m)
	}
	var off int64
	for i, t := range tensors {
		if i > 0 || metadata != nil {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(t.name)
		shape, _ := json.Marshal(t.shape)
		if t.shape == nil {
			shape = []byte("[]")
		}
		n := tensorBytes(t)
		fmt.Fprintf(&b, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, t.dtype, shape, off, off+n)
		off += n
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return rawFile(b.String(), off)
}

// rawFile is a safetensors file of header text and dataBytes zero bytes.
func rawFile(header string, dataBytes int64) []byte {
	out := make([]byte, 8, 8+len(header)+int(dataBytes))
	binary.LittleEndian.PutUint64(out, uint64(len(header)))
	out = append(out, header...)
	return append(out, make([]byte, dataBytes)...)
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeIndex writes model.safetensors.index.json mapping each shard's
// tensors to it.
func writeIndex(t *testing.T, dir string, shards map[string][]tt, totalSize int64) {
	t.Helper()
	wm := map[string]string{}
	for shard, ts := range shards {
		for _, x := range ts {
			wm[x.name] = shard
		}
	}
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": totalSize}, "weight_map": wm})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, IndexFile), data)
}

// llamaTensors are the tensors of a Hugging Face LlamaForCausalLM
// checkpoint, named and shaped as transformers saves them, of layers
// layers on hidden size h with heads × headDim queries, kvHeads key/value
// heads and a gated MLP of width inter.
func llamaTensors(dtype string, vocab, h, layers, heads, kvHeads, headDim, inter int64, lmHead bool) []tt {
	ts := []tt{{"model.embed_tokens.weight", dtype, []int64{vocab, h}}}
	for i := range layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ts = append(ts,
			tt{p + "self_attn.q_proj.weight", dtype, []int64{heads * headDim, h}},
			tt{p + "self_attn.k_proj.weight", dtype, []int64{kvHeads * headDim, h}},
			tt{p + "self_attn.v_proj.weight", dtype, []int64{kvHeads * headDim, h}},
			tt{p + "self_attn.o_proj.weight", dtype, []int64{h, heads * headDim}},
			tt{p + "mlp.gate_proj.weight", dtype, []int64{inter, h}},
			tt{p + "mlp.up_proj.weight", dtype, []int64{inter, h}},
			tt{p + "mlp.down_proj.weight", dtype, []int64{h, inter}},
			tt{p + "input_layernorm.weight", dtype, []int64{h}},
			tt{p + "post_attention_layernorm.weight", dtype, []int64{h}},
		)
	}
	ts = append(ts, tt{"model.norm.weight", dtype, []int64{h}})
	if lmHead {
		ts = append(ts, tt{"lm_head.weight", dtype, []int64{vocab, h}})
	}
	return ts
}
