package checkpoint

import (
	"strings"
	"testing"
)

// FuzzReadHeader feeds arbitrary files to the header reader: it must
// never panic, and whatever it accepts must be a header whose tensors tile
// the data exactly, each of the size its shape and dtype give.
func FuzzReadHeader(f *testing.F) {
	f.Add(safetensorsFile(llamaTensors("BF16", 10, 8, 1, 2, 1, 4, 16, true), map[string]string{"format": "pt"}))
	f.Add(safetensorsFile([]tt{{"a", "F4", []int64{4}}, {"b", "F8_E8M0", []int64{2}}, {"c", "I64", nil}}, nil))
	f.Add(rawFile(`{"a":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12))
	f.Add(rawFile(`{"__metadata__":{"k":"v"}}`, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader("F", readerAt(data), int64(len(data)))
		if err != nil {
			if len(err.Error()) == 0 {
				t.Fatal("empty error")
			}
			return
		}
		var sum int64
		for _, x := range h.Tensors {
			if x.Bytes < 0 {
				t.Fatalf("tensor %q has %d bytes", x.Name, x.Bytes)
			}
			sum += x.Bytes
		}
		if sum != h.DataBytes || 8+h.HeaderBytes+h.DataBytes != int64(len(data)) {
			t.Fatalf("tensors hold %d bytes, header %d + data %d, file %d", sum, h.HeaderBytes, h.DataBytes, len(data))
		}
	})
}

// FuzzParseIndex feeds arbitrary text to the index reader: it must never
// panic, and an index it accepts names only *.safetensors file names
// (no path separators), sorted and distinct.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"metadata": {"total_size": 404096}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}`))
	f.Add([]byte(`{"weight_map": {"a": "../x.safetensors"}}`))
	f.Add([]byte(`{"metadata": null, "weight_map": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, wm, ps := parseIndex("I", data)
		if len(ps) > 0 {
			return
		}
		for i, s := range idx.Shards {
			if !strings.HasSuffix(s, ".safetensors") || strings.ContainsAny(s, `/\`) || (i > 0 && idx.Shards[i-1] >= s) {
				t.Fatalf("shards %q", idx.Shards)
			}
		}
		if idx.Tensors != len(wm) {
			t.Fatalf("index counts %d tensors, weight_map has %d", idx.Tensors, len(wm))
		}
	})
}
