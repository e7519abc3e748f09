package engine

import (
	"fmt"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
)

// Accelerator is what an engine's arithmetic needs to know about a GPU
// beyond its memory.
type Accelerator struct {
	// ID or Name as the catalog gives it ("a100-80gb", "NVIDIA H100 SXM5
	// 80GB"); vLLM keeps small batch defaults on A100s. Empty for an
	// unnamed accelerator.
	ID, Name string
	// SMCount is the streaming multiprocessors (vLLM's Triton sampler
	// keeps an SMs × vocab buffer); 0 when unknown.
	SMCount int64
}

// isA100 reports whether vLLM's batch defaults treat the GPU as an A100.
func (a Accelerator) isA100() bool {
	return strings.Contains(strings.ToLower(a.ID+" "+a.Name), "a100")
}

// Settings are the start-up flags an operator gives, shared by the
// profiles; zero fields take the engine's defaults.
type Settings struct {
	// GPUMemoryUtilization is vLLM's --gpu-memory-utilization or SGLang's
	// --mem-fraction-static.
	GPUMemoryUtilization float64
	// MaxNumBatchedTokens is vLLM's --max-num-batched-tokens or SGLang's
	// --chunked-prefill-size.
	MaxNumBatchedTokens int64
	// MaxNumSeqs is vLLM's --max-num-seqs.
	MaxNumSeqs int64
	// BlockSize is vLLM's --block-size or SGLang's --page-size.
	BlockSize int64
	// MaxModelLen is vLLM's --max-model-len or SGLang's --context-length;
	// 0 takes the model's.
	MaxModelLen int64
	// KVCacheMemoryBytes is vLLM's --kv-cache-memory.
	KVCacheMemoryBytes int64
	// ModelFamily is the model's Hugging Face model_type, which per-model
	// engine rules key on (SGLang's sliding-window pool).
	ModelFamily string
}

// Profile is one engine at one version: "vllm@0.19", "sglang@0.5",
// "simple".
type Profile struct {
	// Engine is "vllm", "sglang" or "simple".
	Engine string
	// Version is the release whose rules the profile follows; empty for
	// simple.
	Version string
	// Note says what the version covers, for listings.
	Note string

	vllm *VLLMCalibration
}

// Name is the profile's full name, "vllm@0.19" or "simple".
func (p Profile) Name() string {
	if p.Version == "" {
		return p.Engine
	}
	return p.Engine + "@" + p.Version
}

// profiles lists every modelled profile, newest version of an engine
// first.
var profiles = []Profile{
	{Engine: "vllm", Version: VLLM019.Version, Note: "vLLM 0.19 (V1): profiled activation peak, Triton sampler, persistent MoE workspace, non-torch by TP", vllm: &VLLM019},
	{Engine: "vllm", Version: VLLM010.Version, Note: "vLLM 0.10.1 (V1): forward-or-sampler peak, constant non-torch", vllm: &VLLM010},
	{Engine: "sglang", Version: SGLangVersion, Note: "SGLang " + SGLangVersion + ": mem_fraction_static heuristic, token pools"},
	{Engine: "simple", Note: "kvplot's explicit reserves"},
}

// refused are versions kvplot knows change the arithmetic and does not
// model, with why.
var refused = map[string]struct{ from, why string }{
	"vllm": {"0.21", "vLLM 0.21 and later subtract their CUDA-graph memory estimate from the KV cache by default (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS), and kvplot has no public start-up logs to calibrate that estimate"},
}

// ProfileNames lists the names Lookup accepts, for usage messages.
func ProfileNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range profiles {
		if !seen[p.Engine] {
			out = append(out, p.Engine)
			seen[p.Engine] = true
		}
		if p.Version != "" {
			out = append(out, p.Name())
		}
	}
	return out
}

// Lookup finds a profile by name: "vllm" is the newest modelled vLLM,
// "vllm@0.19" a given one; likewise "sglang"; "simple" is kvplot's own
// policy. An unknown engine or a version kvplot does not model is an
// error that says which versions it does.
func Lookup(name string) (Profile, error) {
	eng, ver, versioned := strings.Cut(strings.TrimSpace(name), "@")
	eng = strings.ToLower(eng)
	var known []string
	for _, p := range profiles {
		if p.Engine != eng {
			continue
		}
		if !versioned || p.Version == ver || p.Version != "" && strings.HasPrefix(ver, p.Version+".") {
			return p, nil
		}
		known = append(known, p.Name())
	}
	if len(known) == 0 {
		return Profile{}, fmt.Errorf("unknown engine %q (want %s)", name, strings.Join(ProfileNames(), ", "))
	}
	if ver == "" {
		return Profile{}, fmt.Errorf("engine %q: empty version (want %s)", name, strings.Join(known, ", "))
	}
	why := ""
	if r, ok := refused[eng]; ok && !newerThan(r.from, ver) {
		why = ": " + r.why
	}
	return Profile{}, fmt.Errorf("engine %q: version %s is not modelled (kvplot models %s)%s", name, ver, strings.Join(known, ", "), why)
}

// newerThan compares dotted versions numerically, a > b.
func newerThan(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			fmt.Sscanf(as[i], "%d", &x)
		}
		if i < len(bs) {
			fmt.Sscanf(bs[i], "%d", &y)
		}
		if x != y {
			return x > y
		}
	}
	return false
}

// New builds the profile's engine for an accelerator with the given
// settings. overhead is kvplot's simple policy (used by "simple" only).
func (p Profile) New(s Settings, a Accelerator, overhead analysis.SimpleOverhead) Engine {
	switch p.Engine {
	case "vllm":
		return VLLM{Calibration: p.vllm, Accelerator: a, GPUMemoryUtilization: s.GPUMemoryUtilization,
			BlockSize: s.BlockSize, MaxNumBatchedTokens: s.MaxNumBatchedTokens, MaxNumSeqs: s.MaxNumSeqs,
			MaxModelLen: s.MaxModelLen, KVCacheMemoryBytes: s.KVCacheMemoryBytes}
	case "sglang":
		return SGLang{MemFractionStatic: s.GPUMemoryUtilization, ChunkedPrefillSize: s.MaxNumBatchedTokens,
			PageSize: s.BlockSize, ContextLen: s.MaxModelLen, Family: s.ModelFamily}
	}
	return Simple{Overhead: overhead, MaxModelLen: s.MaxModelLen}
}

// Estimate is the one call a caller needs: the profile's start-up
// prediction for model m in scenario sc on fleet f's accelerators. The
// estimate's StartupError says why the engine would refuse to start.
func (p Profile) Estimate(m *analysis.Model, sc analysis.Scenario, f analysis.Fleet, a Accelerator, s Settings) (Estimate, error) {
	return p.New(s, a, simpleOverheadOf(sc)).Estimate(m, sc, f)
}

// simpleOverheadOf is the scenario's simple policy, or none.
func simpleOverheadOf(sc analysis.Scenario) analysis.SimpleOverhead {
	if o, ok := sc.Overhead.(analysis.SimpleOverhead); ok {
		return o
	}
	return analysis.SimpleOverhead{}
}
