package analysis

import "testing"

// TestLinearFormatBytesMatchHeaders checks the bytes of one quantized
// matrix against tensor shapes read from published safetensors headers
// (name dtype [shape] → bytes), for each layout that has one on record.
func TestLinearFormatBytesMatchHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       LinearFormat
		out, in int64
		want    int64
		slack   int64
	}{
		// Qwen/Qwen3-4B-AWQ, layer 0 q_proj (4096×2560): qweight I32 [2560,512],
		// qzeros I32 [20,512], scales F16 [20,4096].
		{"awq q_proj", LinearFormat{Method: AWQ, Bits: 4, GroupSize: 128, ScaleBytes: 2, Zero: true}, 4096, 2560,
			2560*512*4 + 20*512*4 + 20*4096*2, 0},
		// same checkpoint, down_proj (2560×9728): qweight I32 [9728,320],
		// qzeros I32 [76,320], scales F16 [76,2560].
		{"awq down_proj", LinearFormat{Method: AWQ, Bits: 4, GroupSize: 128, ScaleBytes: 2, Zero: true}, 2560, 9728,
			9728*320*4 + 76*320*4 + 76*2560*2, 0},
		// cyankiwi/GLM-4.7-Flash-AWQ-4bit (compressed-tensors pack-quantized,
		// group 32, symmetric), expert down_proj [2048,1536]: weight_packed I32
		// [2048,192], weight_scale BF16 [2048,48], weight_shape I64 [2].
		{"compressed-tensors w4a16", LinearFormat{Method: CompressedTensors, Bits: 4, GroupSize: 32, ScaleBytes: 2, Packed: true}, 2048, 1536,
			2048*192*4 + 2048*48*2 + 2*8, 0},
		// cyankiwi/Kimi-Linear-48B-A3B-Instruct-AWQ-4bit w1 [1024,2304]:
		// I32 [1024,288], BF16 [1024,72], I64 [2].
		{"compressed-tensors w4a16 w1", LinearFormat{Method: CompressedTensors, Bits: 4, GroupSize: 32, ScaleBytes: 2, Packed: true}, 1024, 2304,
			1024*288*4 + 1024*72*2 + 2*8, 0},
		// unsloth/SmolLM2-135M-bnb-4bit k_proj [192,576]: weight U8 [55296,1],
		// absmax U8 [1728], quant_map F32 [16], nested_absmax F32 [7],
		// nested_quant_map F32 [256], quant_state U8 [169]. The record's
		// nested_offset repr varies by a few characters.
		{"bnb nf4 double quant", LinearFormat{Method: BitsAndBytes, Bits: 4, DoubleQuant: true}, 192, 576,
			55296 + 1728 + 64 + 7*4 + 256*4 + 169, 4},
		// slowfastai/DeepSeek-V2-Lite-bnb-4bit q_proj [3072,2048]: weight U8
		// [3145728,1], absmax U8 [98304], nested_absmax F32 [384], plus the
		// fixed quant_map, nested_quant_map and a ~171-byte quant state.
		{"bnb nf4 q_proj", LinearFormat{Method: BitsAndBytes, Bits: 4, DoubleQuant: true}, 3072, 2048,
			3145728 + 98304 + 384*4 + 64 + 1024 + 171, 4},
		// allenai/Molmo-7B-D NF4 without double quant (reubzdubz/Molmo7B_D_NF4Quant,
		// whose index total_size this rule reproduces): att_proj [4608,3584] as
		// weight U8 n/2, absmax F32 n/64, quant_map F32 [16] and the 81-byte record
		// {"quant_type": "nf4", "blocksize": 64, "dtype": "float16", "shape": [4608, 3584]}.
		{"bnb nf4 no double quant", LinearFormat{Method: BitsAndBytes, Bits: 4, QuantType: "nf4", WeightDType: "float16"}, 4608, 3584,
			4608*3584/2 + 4*4608*3584/64 + 64 + 81, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.Bytes(tc.out, tc.in)
			if d := got - tc.want; d < -tc.slack || d > tc.slack {
				t.Errorf("%s.Bytes(%d, %d) = %d, want %d (±%d)", tc.f.Label(), tc.out, tc.in, got, tc.want, tc.slack)
			}
		})
	}
}

// TestStoredBytesProperties: a quantized checkpoint is charged exactly its
// base dtype for what it leaves alone, less than bf16 for 4-bit formats,
// and any share of a class costs the same bytes per parameter.
func TestStoredBytesProperties(t *testing.T) {
	m := testMoE()
	bf := m.StoredBytes(Checkpoint{Base: DType{Name: "bf16", Bits: 16}})
	p := m.Params()
	for c, n := range p.ByClass {
		if bf.Bytes[c] != 2*n {
			t.Errorf("unquantized %s: %d bytes for %d parameters, want %d", TensorClass(c), bf.Bytes[c], n, 2*n)
		}
	}
	for _, f := range []LinearFormat{
		{Method: MXFP4, Bits: 4},
		{Method: AWQ, Bits: 4, GroupSize: 128, ScaleBytes: 2, Zero: true},
		{Method: GPTQ, Bits: 4, GroupSize: 128, ScaleBytes: 2, Zero: true, GIdx: true},
		{Method: CompressedTensors, Bits: 4, GroupSize: 128, ScaleBytes: 2, Packed: true},
		{Method: BitsAndBytes, Bits: 4, DoubleQuant: true},
	} {
		ck := Checkpoint{Base: DType{Name: "bf16", Bits: 16}, Linear: map[TensorClass]LinearFormat{ExpertWeights: f}}
		s := m.StoredBytes(ck)
		e := s.Bytes[ExpertWeights]
		if e <= p.ByClass[ExpertWeights]/2 || e >= p.ByClass[ExpertWeights] {
			t.Errorf("%s experts: %d bytes for %d parameters, want between ½ and 1 byte each", f.Label(), e, p.ByClass[ExpertWeights])
		}
		for c := range s.Bytes {
			if TensorClass(c) != ExpertWeights && s.Bytes[c] != bf.Bytes[c] {
				t.Errorf("%s: class %s changed from %d to %d bytes", f.Label(), TensorClass(c), bf.Bytes[c], s.Bytes[c])
			}
		}
		w := WeightScheme{Default: ck.Base, Stored: &s}
		if got := w.Bytes(p.ByClass); got != s.Bytes.Sum() {
			t.Errorf("%s: scheme bytes of the whole model %d, want the stored %d", f.Label(), got, s.Bytes.Sum())
		}
		half := p.ByClass
		for c := range half {
			half[c] /= 2
		}
		if got, whole := w.Bytes(half), s.Bytes.Sum(); got < whole/2-int64(len(half)) || got > whole/2+int64(len(half)) {
			t.Errorf("%s: half the parameters cost %d bytes, want about %d", f.Label(), got, whole/2)
		}
	}
}

// testMoE is a small mixture-of-experts model with shared experts and biases.
func testMoE() *Model {
	l := Layer{Kind: FullAttention, Attn: Attention{Heads: 8, KVHeads: 2, HeadDim: 64, VHeadDim: 64, QKVBias: true},
		FFN: FFN{Experts: 8, TopK: 2, ExpertIntermediate: 1024, Gated: true, SharedExperts: 1, SharedIntermediate: 1024, Bias: true}}
	m := &Model{VocabSize: 1000, Hidden: 512, NormsPerLayer: 2, FinalNorm: true}
	for i := 0; i < 4; i++ {
		m.Layers = append(m.Layers, l)
	}
	return m
}

// TestMatricesWithinClasses: every linear matrix belongs to a class that
// holds at least its parameters, and matrices never exceed the class.
func TestMatricesWithinClasses(t *testing.T) {
	m := testMoE()
	p := m.Params()
	var sum ClassCounts
	for _, mx := range m.Matrices() {
		sum[mx.Class] += mx.Count * mx.Out * mx.In
	}
	for c := range sum {
		if sum[c] > p.ByClass[c] {
			t.Errorf("%s: matrices hold %d parameters, more than the class's %d", TensorClass(c), sum[c], p.ByClass[c])
		}
	}
	// Biases and norms are what is left: 4 layers of q/k/v biases
	// (512+128+128), expert and shared-expert biases, norms.
	if sum[AttentionWeights] != 4*(512*512+2*128*512+512*512) {
		t.Errorf("attention matrices = %d, want %d", sum[AttentionWeights], 4*(512*512+2*128*512+512*512))
	}
}
