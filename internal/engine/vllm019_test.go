package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

// vllmLog019 is one start-up in testdata/vllm-0.19-h100.json.
type vllmLog019 struct {
	ID                   string  `json:"id"`
	SourceURL            string  `json:"source_url"`
	Model                string  `json:"model"`
	Architecture         string  `json:"architecture"`
	Split                string  `json:"split"`
	TP                   int64   `json:"tp"`
	PP                   int64   `json:"pp"`
	GPUMemoryUtilization float64 `json:"gpu_memory_utilization"`
	MaxModelLen          int64   `json:"max_model_len"`
	Dtype                string  `json:"dtype"`
	Quantization         *string `json:"quantization"`
	Reported             struct {
		WeightsGiB     float64 `json:"weights_gib"`
		TorchPeakGiB   float64 `json:"torch_peak_gib"`
		NonTorchGiB    float64 `json:"non_torch_gib"`
		AvailableKVGiB float64 `json:"available_kv_gib"`
		GPUBlocks      int64   `json:"gpu_blocks"`
		Tokens         int64   `json:"kv_cache_tokens"`
	} `json:"reported"`
}

// h100GiB is the H100 80GB's total as PyTorch reports it in every log.
var h100GiB = gibBytes(79.19)

func loadVLLM019Logs(t *testing.T) []vllmLog019 {
	t.Helper()
	b, err := os.ReadFile("testdata/vllm-0.19-h100.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs []vllmLog019
	if err := json.Unmarshal(b, &logs); err != nil {
		t.Fatal(err)
	}
	return logs
}

// weightsOf is the weight scheme that decides the activation width and
// vLLM's MXFP4 handling; the byte count itself comes from the log.
func (l vllmLog019) weights() analysis.WeightScheme {
	if l.Quantization != nil && *l.Quantization == "mxfp4" {
		return weightsGPTOSS
	}
	return weightsBF16
}

// vllm019Terms is kvplot's prediction for one log given the logged weights.
type vllm019Terms struct {
	peak, nonTorch, available float64 // GiB
	tokens                    int64
}

func predictVLLM019(t *testing.T, l vllmLog019) vllm019Terms {
	t.Helper()
	a, ok := logArchs[l.Model]
	if !ok {
		t.Fatalf("%s: no architecture for %s in models_test.go", l.ID, l.Model)
	}
	m := a.model(l.Model)
	p := VLLM{Calibration: &VLLM019, GPUMemoryUtilization: l.GPUMemoryUtilization, MaxModelLen: l.MaxModelLen,
		LoadedWeightsBytes: gibBytes(l.Reported.WeightsGiB), Accelerator: Accelerator{ID: "h100-sxm", SMCount: 132}}
	f := analysis.Fleet{Name: "h100", CapacityBytes: h100GiB, Count: l.TP * l.PP, TP: l.TP, PP: l.PP}
	e, err := p.Estimate(m, analysis.Scenario{Weights: l.weights(), KV: kvBF16}, f)
	if err != nil {
		t.Fatalf("%s: %v", l.ID, err)
	}
	if l.PP > 1 {
		// The pipeline figures are the first stage's.
		st := e.Stages[0]
		return vllm019Terms{peak: GiBf(st.ActivationBytes), nonTorch: GiBf(st.NonTorchBytes), available: GiBf(st.AvailableKVBytes)}
	}
	return vllm019Terms{peak: GiBf(e.ActivationBytes), nonTorch: GiBf(e.NonTorchBytes), available: GiBf(e.AvailableKVBytes), tokens: e.KVCacheTokens}
}

func relErr(got, want int64) float64 { return float64(got-want) / float64(want) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TestVLLM019TestHalf predicts the start-ups of the test half (models whose
// architectures no constant was fitted on) from the model, the settings
// and the logged weights: tokens within 1 % each, median within 0.5 %,
// and the torch peak and non-torch increase within 0.15 GiB of the log.
func TestVLLM019TestHalf(t *testing.T) {
	var tokErrs []float64
	for _, l := range loadVLLM019Logs(t) {
		if l.Split != "test" || l.Reported.Tokens == 0 {
			continue
		}
		t.Run(l.ID, func(t *testing.T) {
			p := predictVLLM019(t, l)
			e := relErr(p.tokens, l.Reported.Tokens)
			tokErrs = append(tokErrs, math.Abs(e))
			t.Logf("tokens %d vs %d (%+.2f%%); peak %.2f vs %.2f GiB; non-torch %.2f vs %.2f GiB; available %.2f vs %.2f GiB",
				p.tokens, l.Reported.Tokens, 100*e, p.peak, l.Reported.TorchPeakGiB, p.nonTorch, l.Reported.NonTorchGiB, p.available, l.Reported.AvailableKVGiB)
			if math.Abs(e) > 0.01 {
				t.Errorf("VLLM019.Estimate(%s).KVCacheTokens = %d, want %d ± 1%% (%s)", l.ID, p.tokens, l.Reported.Tokens, l.SourceURL)
			}
			if d := p.peak - l.Reported.TorchPeakGiB; math.Abs(d) > 0.15 {
				t.Errorf("VLLM019.Estimate(%s) torch peak = %.2f GiB, want %.2f ± 0.15", l.ID, p.peak, l.Reported.TorchPeakGiB)
			}
			if d := p.nonTorch - l.Reported.NonTorchGiB; math.Abs(d) > 0.15 {
				t.Errorf("VLLM019.Estimate(%s) non-torch = %.2f GiB, want %.2f ± 0.15", l.ID, p.nonTorch, l.Reported.NonTorchGiB)
			}
		})
	}
	if len(tokErrs) < 10 {
		t.Fatalf("only %d test-half logs with a token count, want at least 10", len(tokErrs))
	}
	if m := median(tokErrs); m > 0.005 {
		t.Errorf("median |token error| on the test half = %.2f%%, want ≤ 0.5%%", 100*m)
	}
}

// TestVLLM019Report prints every log's errors, fit and test half, for the
// README's table (go test -run VLLM019Report -v).
func TestVLLM019Report(t *testing.T) {
	var b strings.Builder
	for _, l := range loadVLLM019Logs(t) {
		p := predictVLLM019(t, l)
		tok := "n/a"
		if l.Reported.Tokens > 0 {
			tok = fmt.Sprintf("%+.2f%%", 100*relErr(p.tokens, l.Reported.Tokens))
		}
		fmt.Fprintf(&b, "%-4s %-32s tokens %8s  peak %+.2f GiB  non-torch %+.2f GiB\n", l.Split, l.ID, tok,
			p.peak-l.Reported.TorchPeakGiB, p.nonTorch-l.Reported.NonTorchGiB)
	}
	t.Log("\n" + b.String())
}

// TestVLLM019ConstantsRefit refits each constant of VLLM019.Fitted from the
// fit-half logs named in its FitOn, by the method it states, and checks
// the record holds that value: the fitted constants come from the fit half
// and from nothing else. It also checks that no FitOn log is in the test
// half.
func TestVLLM019ConstantsRefit(t *testing.T) {
	logs := map[string]vllmLog019{}
	for _, l := range loadVLLM019Logs(t) {
		logs[l.ID] = l
	}
	fit := VLLM019.Fitted
	for name, ids := range map[string][]string{
		"TorchPeakBaseBytes": fit.TorchPeakBaseBytes.FitOn, "ForwardHiddenFactor": fit.ForwardHiddenFactor.FitOn,
		"NonTorchSingleBytes": fit.NonTorchSingleBytes.FitOn, "NonTorchStageBytes": fit.NonTorchStageBytes.FitOn,
		"NonTorchTPBytes": fit.NonTorchTPBytes.FitOn, "NonTorchTPSlope": fit.NonTorchTPSlope.FitOn,
		"MultimodalExtraBytes": fit.MultimodalExtraBytes.FitOn, "PipelineStageHiddenCopies": fit.PipelineStageHiddenCopies.FitOn,
	} {
		if len(ids) == 0 {
			t.Errorf("VLLM019.Fitted.%s names no logs it was fitted on", name)
		}
		for _, id := range ids {
			l, ok := logs[id]
			switch {
			case !ok:
				t.Errorf("VLLM019.Fitted.%s: log %q is not in testdata/vllm-0.19-h100.json", name, id)
			case l.Split != "fit":
				t.Errorf("VLLM019.Fitted.%s is fitted on %s, a %s-half log", name, id, l.Split)
			}
		}
	}

	// terms is a fit log's modelled peak terms (with the recorded
	// constants) and T·H·a in GiB.
	terms := func(l vllmLog019) (vllmPeakTerms, float64) {
		m := logArchs[l.Model].model(l.Model)
		p := VLLM{Calibration: &VLLM019, MaxModelLen: l.MaxModelLen, Accelerator: Accelerator{SMCount: 132}}
		f := analysis.Fleet{Name: "h100", CapacityBytes: h100GiB, Count: l.TP * l.PP, TP: l.TP, PP: l.PP}
		p = p.withDefaults(m, f)
		last := l.PP == 1
		to := VLLMStageLayers(len(m.Layers), int(l.PP))[0][1]
		tr := p.activationTerms(m, l.weights(), f, 0, to, true, last, 2)
		return tr, GiBf(p.MaxNumBatchedTokens * m.Hidden * 2)
	}
	gibOf := func(b int64) float64 { return GiBf(b) }
	var base, factor, extra, single, stage, copies []float64
	var xs, ys []float64
	for _, id := range fit.TorchPeakBaseBytes.FitOn {
		l := logs[id]
		tr, _ := terms(l)
		if tr.forward > tr.sampler || tr.multimodal > 0 {
			continue // those logs fit the forward factor and the multimodal extra
		}
		base = append(base, l.Reported.TorchPeakGiB-gibOf(tr.total()-tr.base))
	}
	for _, id := range fit.ForwardHiddenFactor.FitOn {
		l := logs[id]
		tr, tha := terms(l)
		m := logArchs[l.Model].model(l.Model)
		// (peak − C0 − W_moe)/(T·a) = mats·I/TP + factor·H
		perToken := (l.Reported.TorchPeakGiB - gibOf(tr.base+tr.moe)) / tha * float64(m.Hidden)
		mats := 3.0
		factor = append(factor, (perToken-mats*float64(ceilDiv(m.Layers[0].FFN.Intermediate, l.TP)))/float64(m.Hidden))
	}
	for _, id := range fit.MultimodalExtraBytes.FitOn {
		l := logs[id]
		tr, tha := terms(l)
		extra = append(extra, l.Reported.TorchPeakGiB-gibOf(tr.total()-tr.multimodal)-tha)
	}
	for _, id := range fit.NonTorchSingleBytes.FitOn {
		single = append(single, logs[id].Reported.NonTorchGiB)
	}
	for _, id := range fit.NonTorchStageBytes.FitOn {
		stage = append(stage, logs[id].Reported.NonTorchGiB)
	}
	for _, id := range fit.PipelineStageHiddenCopies.FitOn {
		l := logs[id]
		tr, tha := terms(l)
		copies = append(copies, (l.Reported.TorchPeakGiB-gibOf(tr.total()-tr.pipeline))/tha)
	}
	for _, id := range fit.NonTorchTPBytes.FitOn {
		l := logs[id]
		_, tha := terms(l)
		xs, ys = append(xs, float64(l.TP-1)*tha), append(ys, l.Reported.NonTorchGiB)
	}
	intercept, slope := leastSquares(xs, ys)

	for _, c := range []struct {
		name     string
		refit    float64
		recorded float64
		tol      float64
	}{
		{"TorchPeakBaseBytes (GiB)", median(base), GiBf(fit.TorchPeakBaseBytes.Value), 0.001},
		{"ForwardHiddenFactor", median(factor), fit.ForwardHiddenFactor.Value, 0.005},
		{"MultimodalExtraBytes (GiB)", median(extra), GiBf(fit.MultimodalExtraBytes.Value), 0.001},
		{"NonTorchSingleBytes (GiB)", median(single), GiBf(fit.NonTorchSingleBytes.Value), 0.001},
		{"NonTorchStageBytes (GiB)", median(stage), GiBf(fit.NonTorchStageBytes.Value), 0.001},
		{"NonTorchTPBytes (GiB)", intercept, GiBf(fit.NonTorchTPBytes.Value), 0.001},
		{"NonTorchTPSlope", slope, fit.NonTorchTPSlope.Value, 0.001},
		{"PipelineStageHiddenCopies", math.Round(median(copies)), float64(fit.PipelineStageHiddenCopies.Value), 0},
	} {
		t.Logf("%s: refit %.4f, recorded %.4f", c.name, c.refit, c.recorded)
		if math.IsNaN(c.refit) || math.Abs(c.refit-c.recorded) > c.tol {
			t.Errorf("VLLM019.Fitted.%s = %.4f, but its fit logs give %.4f (tolerance %g)", c.name, c.recorded, c.refit, c.tol)
		}
	}
}

// leastSquares fits y = a + b·x.
func leastSquares(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return (sy - b*sx) / n, b
}
