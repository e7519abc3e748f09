package engine

import "github.com/kvplot/kvplot/internal/analysis"

// activation is the torch peak increase of vLLM's profile run on one GPU
// of the stage of layers [from, to).
//
// 0.10: the larger of the forward pass's widest point (forwardPeakBytes)
// and the sampling step (samplerPeakBytes), on the last stage.
//
// 0.19 (vllm/v1/worker/gpu_model_runner.py profile_run: the encoder's
// dummy batch, then _dummy_run of T tokens, then _dummy_sampler_run on R
// rows, with the T × H hidden states alive throughout):
//
//	peak = C0 + W_moe + X_mm + max(S, F)
//	S    = T·H·a + R·V·14 + SMs·V·4                 (last stage only)
//	F    = T·a·(3·I/TP + f·H)                        (2·I for plain MLPs)
//	W_moe = a·T·topk·(max(I_e/TP, H) + max(2·I_e/TP, H))
//	X_mm = T·H·a + extra                             (multimodal, first stage)
//
// a non-last stage also holds the hidden states and residual it sends on.
func (p VLLM) activation(m *analysis.Model, w analysis.WeightScheme, f analysis.Fleet, from, to int, first, last bool, a int64) int64 {
	c := p.calibration()
	if c.Rules < vllmRules019 {
		T, R := p.MaxNumBatchedTokens, min(p.MaxNumSeqs, p.MaxNumBatchedTokens)
		peak := forwardPeakBytes(m, from, to, T, f.TP, a)
		if last {
			perLogit := c.Defaults.SamplerBytesPerLogit.Value
			if p.NativeSampler {
				perLogit = c.Fitted.NativeLogitBytes.Value
			}
			peak = max(peak, samplerPeakBytes(m, T, R, a, perLogit))
		}
		return peak
	}
	return p.activationTerms(m, w, f, from, to, first, last, a).total()
}

// vllmPeakTerms are the parts of vLLM 0.19's profiled torch peak on one
// GPU, in bytes.
type vllmPeakTerms struct {
	base, sampler, forward, moe, multimodal, pipeline int64
}

func (t vllmPeakTerms) total() int64 {
	n := addSat(t.base, max(t.sampler, t.forward))
	return addSat(addSat(n, t.moe), addSat(t.multimodal, t.pipeline))
}

// activationTerms breaks vLLM 0.19's torch peak of a stage into its terms.
func (p VLLM) activationTerms(m *analysis.Model, w analysis.WeightScheme, f analysis.Fleet, from, to int, first, last bool, a int64) vllmPeakTerms {
	c := p.calibration()
	T, R := p.MaxNumBatchedTokens, min(p.MaxNumSeqs, p.MaxNumBatchedTokens)
	hidden := mulSat(mulSat(T, m.Hidden), a) // T·H·a
	t := vllmPeakTerms{base: c.Fitted.TorchPeakBaseBytes.Value, forward: p.denseForward(m, f.TP, from, to, a)}
	if last {
		t.sampler = addSat(hidden, mulSat(mulSat(R, m.VocabSize), c.Defaults.SamplerBytesPerLogit.Value))
		t.sampler = addSat(t.sampler, mulSat(mulSat(p.smCount(), m.VocabSize), c.Defaults.TritonBufferBytesPerLogit.Value))
	}
	if c.Defaults.MoEWorkspacePersistent.Value {
		t.moe = p.moeWorkspace(m, w, f.TP, from, to, a)
	}
	if first && m.Vision != nil {
		t.multimodal = addSat(hidden, c.Fitted.MultimodalExtraBytes.Value)
	}
	if !last {
		t.pipeline = mulSat(hidden, c.Fitted.PipelineStageHiddenCopies.Value)
	}
	return t
}

// smCount is the accelerator's SM count, or the H100 SXM's 132 when the
// accelerator does not say (an unnamed --gpu-memory accelerator); the
// estimate lists that assumption.
func (p VLLM) smCount() int64 {
	if p.Accelerator.SMCount > 0 {
		return p.Accelerator.SMCount
	}
	return defaultSMCount
}

// defaultSMCount is the H100 SXM5's 132 SMs (NVIDIA H100 Tensor Core GPU
// Architecture whitepaper, table 3), assumed for unnamed accelerators.
const defaultSMCount = 132

// denseForward is F: the widest dense MLP (or shared experts) of the
// stage, per token, T·a·(mats·I/TP + f·H).
func (p VLLM) denseForward(m *analysis.Model, tp int64, from, to int, a int64) int64 {
	factor := p.calibration().Fitted.ForwardHiddenFactor.Value
	var widest float64
	for i := from; i < to; i++ {
		ffn := m.Layers[i].FFN
		mats := int64(2)
		if ffn.Gated {
			mats = 3
		}
		inter := ffn.Intermediate + ffn.SharedExperts*ffn.SharedIntermediate
		widest = max(widest, float64(mats*ceilDiv(inter, tp))+factor*float64(m.Hidden))
	}
	return floorBytes(float64(p.MaxNumBatchedTokens*a) * widest)
}

// moeWorkspace is W_moe, the fused-MoE workspace vLLM 0.19's
// WorkspaceManager keeps after the profile run (TritonExperts.
// workspace_shapes): per routed token copy, max(I_e/TP, H) and
// max(2·I_e/TP, H) activations. gpt-oss's MXFP4 experts run on the OAI
// Triton kernels, which keep none.
func (p VLLM) moeWorkspace(m *analysis.Model, w analysis.WeightScheme, tp int64, from, to int, a int64) int64 {
	if w.For(analysis.ExpertWeights).Name == "mxfp4" {
		return 0
	}
	var widest int64
	for i := from; i < to; i++ {
		ffn := m.Layers[i].FFN
		if ffn.Experts <= 0 {
			continue
		}
		ie := ceilDiv(ffn.ExpertIntermediate, tp)
		widest = max(widest, mulSat(ffn.TopK, max(ie, m.Hidden)+max(2*ie, m.Hidden)))
	}
	return mulSat(mulSat(widest, p.MaxNumBatchedTokens), a)
}

// nonTorch is the memory outside PyTorch's allocator that appears during
// the profile run on one GPU of a stage.
//
// 0.10: a constant, plus NCCL's buffers when the replica spans GPUs.
//
// 0.19: NCCL and custom all-reduce start before the baseline snapshot, but
// at TP ≥ 2 the first collectives and FlashInfer's all-reduce + RMSNorm
// fusion workspace add ≈ 2 GiB that grows with T·H; a single GPU adds
// cuBLAS workspaces and lazily loaded kernels; a non-last pipeline stage
// at TP 1 adds less (it runs no sampler).
func (p VLLM) nonTorch(m *analysis.Model, f analysis.Fleet, last bool, a int64) int64 {
	c := p.calibration()
	if c.Rules < vllmRules019 {
		n := c.Fitted.NonTorchBytes.Value
		if f.TP*f.PP > 1 {
			n = addSat(n, c.Fitted.NCCLBytes.Value)
		}
		return n
	}
	switch {
	case f.TP >= 2:
		tha := float64(mulSat(mulSat(p.MaxNumBatchedTokens, m.Hidden), a))
		return addSat(c.Fitted.NonTorchTPBytes.Value, floorBytes(c.Fitted.NonTorchTPSlope.Value*float64(f.TP-1)*tha))
	case !last:
		return c.Fitted.NonTorchStageBytes.Value
	}
	return c.Fitted.NonTorchSingleBytes.Value
}

// forwardPeakBytes estimates the largest set of activation tensors alive
// at once while layers [from, to) run a batch of tokens on one of tp
// ranks. Within a layer the peak is at its widest point: the residual
// stream and the normalised input (2 × hidden) plus, for the token mixer,
// its input projection and output (QKV and the attention output; MLA's
// query, latent and up-projected key/value; Mamba's and gated delta-net's
// in-projections), or for the feed-forward part its up-projection and
// activation (gate and up, 3 × intermediate, for gated MLPs; 2 × for
// plain ones). A mixture of experts holds, per routed token copy, the
// fused kernel's gate/up, activation and down-projection buffers
// (3 × expert intermediate / tp + hidden) plus shared experts and router
// logits. Everything is in the activation dtype of elem bytes.
func forwardPeakBytes(m *analysis.Model, from, to int, tokens, tp, elem int64) int64 {
	if tp < 1 {
		tp = 1
	}
	h := m.Hidden
	var widest int64
	for i := from; i < to; i++ {
		l := &m.Layers[i]
		var mixer int64
		switch l.Kind {
		case analysis.FullAttention, analysis.SlidingAttention, analysis.ChunkedAttention:
			a := l.Attn
			mixer = divSat(addSatN(mulSat(a.Heads, a.HeadDim), mulSatN(2, a.KVHeads, a.HeadDim), mulSat(a.Heads, a.VHeadDim)), tp)
		case analysis.MLAAttention:
			a := l.MLA
			perHead := addSatN(mulSat(2, addSat(a.QKNopeHeadDim, a.QKRopeHeadDim)), a.QKNopeHeadDim, mulSat(2, a.VHeadDim))
			mixer = addSatN(a.KVLoraRank, a.QKRopeHeadDim, divSat(mulSat(a.Heads, perHead), tp))
		case analysis.MambaMixer:
			mb := l.Mamba
			mixer = divSat(addSatN(mulSat(2, mb.DInner), mulSatN(2, mb.NGroups, mb.DState), mb.NHeads, mb.DInner), tp)
		case analysis.LinearAttention:
			la := l.Linear
			key, val := mulSat(la.KHeads, la.KHeadDim), mulSat(la.VHeads, la.VHeadDim)
			mixer = divSat(addSatN(mulSat(2, key), mulSat(2, val), mulSat(2, la.VHeads), val), tp)
		}
		f := l.FFN
		var ffn int64
		if f.Intermediate > 0 {
			mats := int64(2)
			if f.Gated {
				mats = 3
			}
			ffn = divSat(mulSat(mats, f.Intermediate), tp)
		}
		if f.Experts > 0 {
			per := mulSat(f.TopK, addSat(divSat(mulSat(3, f.ExpertIntermediate), tp), h))
			per = addSat(per, f.Experts)
			if f.SharedExperts > 0 {
				per = addSat(per, divSat(mulSatN(3, f.SharedExperts, f.SharedIntermediate), tp))
			}
			ffn = addSat(ffn, per)
		}
		widest = max(widest, mixer, ffn)
	}
	return mulSatN(tokens, elem, addSat(mulSat(2, h), widest))
}

// samplerPeakBytes estimates the profile run's sampling step: the last
// hidden states of all tokens stay alive while rows × vocab logits go
// through the sampler at bytesPerLogit bytes each (see VLLM.NativeSampler).
func samplerPeakBytes(m *analysis.Model, tokens, rows, elem, bytesPerLogit int64) int64 {
	return addSat(mulSat(mulSat(tokens, m.Hidden), elem), mulSat(mulSat(rows, m.VocabSize), bytesPerLogit))
}
