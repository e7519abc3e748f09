package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/report"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
	"github.com/spf13/pflag"
)

// newFlags makes a subcommand's flag set that reports errors instead of
// printing them and exiting; parse prints help when asked.
func newFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {}
	return fs
}

// parse parses flags; -h prints the command's usage line (synopsis) and
// flags to stdout and returns errHelp, other problems are usage errors.
func parse(fs *pflag.FlagSet, synopsis string, args []string, stdout io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: kvplot %s\n\nFlags:\n%s", synopsis, fs.FlagUsages())
			return errHelp
		}
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

type calcFlags struct {
	model, specs, fleet, gpu  string
	family                    string
	gpus, tp, pp, gpusPerNode int64
	gpuMemory                 string
	weightDType, kvDType      string
	batch, context            int64
	promptTokens              int64
	json                      bool
	checkpoint                string // --checkpoint DIR (checkpoint.go)

	// Engine profile (--engine and its settings).
	engine              string
	gpuMemUtilization   float64
	maxNumBatchedTokens int64
	blockSize           int64
	maxModelLen         int64
	kvCacheMemory       string
}

const calcSynopsis = "calc --model NAME|PATH [--family TYPE] [--specs DIR] [--fleet NAME | --gpu ID [--gpus N] [--tp N] [--pp N] [--gpus-per-node N]] [--gpu-memory SIZE] [--weight-dtype D] [--kv-dtype D] [--batch N] [--context N] [--prompt-tokens N] [--engine vllm[@VERSION]|sglang[@VERSION]|simple [--gpu-memory-utilization F] [--max-num-batched-tokens N] [--block-size N] [--max-model-len N] [--kv-cache-memory SIZE]] [--checkpoint DIR] [--json]"

func runCalc(args []string, stdout, stderr io.Writer) error {
	var f calcFlags
	fs := newFlags("calc")
	fs.StringVar(&f.model, "model", "", "model: a catalog name or slug, or a path to a spec or Hugging Face config.json")
	fs.StringVar(&f.family, "family", "", "read a config.json as this model_type's family (one kvplot knows), whatever its own model_type says")
	fs.StringVar(&f.specs, "specs", "specs", "spec directory (models/, accelerators.yaml, fleets.yaml, site.yaml)")
	fs.StringVar(&f.fleet, "fleet", "", "a fleet from the catalog")
	fs.StringVar(&f.gpu, "gpu", "", "an accelerator ID from the catalog (instead of --fleet)")
	fs.Int64Var(&f.gpus, "gpus", 0, "number of accelerators (default tp × pp); without --tp/--pp kvplot chooses the layout")
	fs.Int64Var(&f.tp, "tp", 0, "fix the tensor-parallel degree (default: chosen with --gpus, else 1)")
	fs.Int64Var(&f.pp, "pp", 0, "fix the pipeline-parallel degree (default: chosen with --gpus, else 1)")
	fs.Int64Var(&f.gpusPerNode, "gpus-per-node", 0, "accelerators per node, the limit of tensor parallelism (default: the accelerator's, usually 8)")
	fs.StringVar(&f.gpuMemory, "gpu-memory", "", "memory per accelerator as the runtime reports it, with a unit (79.19GiB, 80GB); alone, an unnamed accelerator")
	fs.StringVar(&f.weightDType, "weight-dtype", "", "weight format: "+strings.Join(analysis.DTypeNames(), ", ")+" (default: the model's own)")
	fs.StringVar(&f.kvDType, "kv-dtype", "", "KV-cache format: "+strings.Join(analysis.KVDTypeNames(), ", ")+", or auto: the model's 16- or 32-bit dtype, as vLLM's --kv-cache-dtype auto (default: the spec set's)")
	fs.Int64Var(&f.batch, "batch", 1, "concurrent sequences")
	fs.Int64Var(&f.context, "context", 8192, "tokens per sequence")
	fs.Int64Var(&f.promptTokens, "prompt-tokens", 0, "prompt length for the time to first token (default --context)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "a checkpoint directory: compare its safetensors headers with the config (its config.json is the model when --model is absent)")
	fs.StringVar(&f.engine, "engine", "simple", "serving engine to emulate: "+strings.Join(engine.ProfileNames(), ", ")+" (vllm and sglang are their newest modelled versions; simple is kvplot's explicit reserves)")
	fs.Float64Var(&f.gpuMemUtilization, "gpu-memory-utilization", 0, "vllm: share of GPU memory the engine may use (default 0.9); sglang: mem_fraction_static (default: its heuristic)")
	fs.Int64Var(&f.maxNumBatchedTokens, "max-num-batched-tokens", 0, "vllm: tokens of the profiling forward pass (default 2048 on A100 and GPUs under 70 GiB, else 8192); sglang: chunked prefill size")
	fs.Int64Var(&f.blockSize, "block-size", 0, "tokens per KV-cache page (default vllm 16, sglang 1)")
	fs.Int64Var(&f.maxModelLen, "max-model-len", 0, "context the engine is started with and concurrency is reported for (default: the model's)")
	fs.StringVar(&f.kvCacheMemory, "kv-cache-memory", "", "vllm: KV-cache memory per GPU with a unit, instead of profiling (like vLLM's --kv-cache-memory)")
	if err := parse(fs, calcSynopsis, args, stdout); err != nil {
		return err
	}
	if err := checkEngineFlags(f, fs.Changed); err != nil {
		return err
	}
	checkpointModel(&f)
	if f.model == "" {
		return usagef("calc: --model is required")
	}
	if f.fleet != "" && f.gpu != "" {
		return usagef("calc: give --fleet or --gpu, not both")
	}
	if f.batch < 1 || f.batch > spec.MaxBatch {
		return usagef("calc: --batch must be between 1 and %d, got %d", spec.MaxBatch, f.batch)
	}
	if f.context < 1 || f.context > spec.MaxContextTokens {
		return usagef("calc: --context must be between 1 and %d, got %d", spec.MaxContextTokens, f.context)
	}
	if fs.Changed("prompt-tokens") && (f.promptTokens < 1 || f.promptTokens > spec.MaxContextTokens) {
		return usagef("calc: --prompt-tokens must be between 1 and %d, got %d", spec.MaxContextTokens, f.promptTokens)
	}
	for _, v := range []struct {
		name string
		n    int64
	}{{"gpus", f.gpus}, {"tp", f.tp}, {"pp", f.pp}, {"gpus-per-node", f.gpusPerNode}} {
		if fs.Changed(v.name) && (v.n < 1 || v.n > 4096) {
			return usagef("calc: --%s must be between 1 and 4096, got %d", v.name, v.n)
		}
	}
	res, err := calc(f, fs.Changed)
	if err != nil {
		return err
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeCalc(stdout, res)
}

// calcResult is calc's JSON answer. Bytes and counts are integers.
type calcResult struct {
	familyHow string // " (forced by --family)" in the text output
	Model     struct {
		Name   string `json:"name"`
		Slug   string `json:"slug"`
		File   string `json:"file"`
		Family string `json:"family"`
		// Assumptions are the family's config-class defaults kvplot used
		// for fields the config leaves out ("field = value").
		Assumptions []string `json:"assumptions"`
	} `json:"model"`
	Params struct {
		Total     int64 `json:"total"`
		Active    int64 `json:"active"`
		Vision    int64 `json:"vision"`
		Published int64 `json:"published,omitempty"`
		// Counted: published is an exact count others made from the same
		// config, not the maker's figure.
		Counted bool `json:"published_is_config_count,omitempty"`
	} `json:"params"`
	WeightDType string `json:"weight_dtype"`
	// WeightsFormat says which format each tensor class is stored in and
	// why: the checkpoint's quantization_config, --weight-dtype, or the spec.
	WeightsFormat         string `json:"weights_format"`
	WeightsBytes          int64  `json:"weights_bytes"`
	KVDType               string `json:"kv_dtype"`
	KVBytesPerToken       int64  `json:"kv_bytes_per_token"`
	StateBytesPerSequence int64  `json:"state_bytes_per_sequence"`
	Context               int64  `json:"context"`
	Batch                 int64  `json:"batch"`
	KVBytes               int64  `json:"kv_bytes"`
	// ModelMaxContextTokens is the model's own limit, null when unknown.
	ModelMaxContextTokens *int64 `json:"model_max_context_tokens"`
	// ContextExceedsModelLimit is set when --context is beyond it.
	ContextExceedsModelLimit bool   `json:"context_exceeds_model_limit,omitempty"`
	Overhead                 string `json:"overhead"`

	Fleet               *calcFleet  `json:"fleet,omitempty"`
	Layout              *calcLayout `json:"layout,omitempty"`
	PerGPU              *calcPerGPU `json:"per_gpu,omitempty"`
	Fits                *bool       `json:"fits,omitempty"`
	MaxContextTokens    *int64      `json:"max_context_tokens,omitempty"`
	KVCapacityTokens    *int64      `json:"kv_capacity_tokens,omitempty"`
	MaxContextLimitedBy *string     `json:"max_context_limited_by,omitempty"`
	MaxContextUnbounded *bool       `json:"max_context_unbounded,omitempty"`
	MaxConcurrency      *int64      `json:"max_concurrency,omitempty"`
	MaxConcurrencyTotal *int64      `json:"max_concurrency_total,omitempty"`
	Engine              *calcEngine `json:"engine,omitempty"`
	// Perf is present (possibly null, with PerfUnavailable saying why)
	// whenever an accelerator is given.
	Perf            **calcPerf `json:"perf,omitempty"`
	PerfUnavailable string     `json:"perf_unavailable,omitempty"`
	// Checkpoint is set with --checkpoint or a spec's checkpoint:.
	Checkpoint *calcCheckpoint `json:"checkpoint,omitempty"`
}

// calcPerf is the speed of one replica: bounds (physics) and calibrated
// estimates, times in milliseconds.
type calcPerf struct {
	Regime                     string   `json:"regime"`
	DecodeStepMsBound          float64  `json:"decode_step_ms_bound"`
	DecodeStepMs               float64  `json:"decode_step_ms"`
	DecodeTokensPerS           float64  `json:"decode_tokens_per_s"`
	DecodeTokensPerSPerSeq     float64  `json:"decode_tokens_per_s_per_seq"`
	DecodeTokensPerSBound      float64  `json:"decode_tokens_per_s_bound"`
	PromptTokens               int64    `json:"prompt_tokens"`
	PrefillMsBound             float64  `json:"prefill_ms_bound"`
	PrefillMs                  float64  `json:"prefill_ms"`
	CostPerMillionOutputTokens *float64 `json:"cost_per_million_output_tokens"`
	Calibration                string   `json:"calibration"`
}

// calcLayout is the layout the figures assume; Chosen is set when kvplot
// chose it (neither --tp nor --pp, nor the fleet, fixed both).
type calcLayout struct {
	TP       int64 `json:"tp"`
	PP       int64 `json:"pp"`
	Replicas int64 `json:"replicas"`
	Chosen   bool  `json:"chosen"`
}

// calcEngine is an engine profile's startup prediction (--engine vllm or
// sglang), per GPU of the binding pipeline stage.
type calcEngine struct {
	Name string `json:"name"`
	// Version is the engine release whose rules the estimate follows.
	Version             string            `json:"version,omitempty"`
	Profile             string            `json:"profile"`
	MaxModelLen         int64             `json:"max_model_len"`
	BlockSize           int64             `json:"block_size"`
	BudgetBytes         int64             `json:"budget_bytes"`
	WeightsBytes        int64             `json:"weights_bytes"`
	ActivationBytes     int64             `json:"activation_bytes"`
	NonTorchBytes       int64             `json:"non_torch_bytes"`
	AvailableKVBytes    int64             `json:"available_kv_bytes"`
	KVCacheTokens       int64             `json:"kv_cache_tokens"`
	NumBlocks           int64             `json:"num_blocks"`
	MaxConcurrency      float64           `json:"max_concurrency"`
	MaxModelLenEstimate int64             `json:"max_model_len_estimate"`
	StartupError        string            `json:"startup_error,omitempty"`
	Assumptions         []string          `json:"assumptions,omitempty"`
	Stages              []calcEngineStage `json:"stages,omitempty"`
	LogLines            []string          `json:"log_lines"`
}

// calcEngineStage is one pipeline stage's budget on one of its GPUs.
type calcEngineStage struct {
	FirstLayer       int   `json:"first_layer"`
	EndLayer         int   `json:"end_layer"`
	WeightsBytes     int64 `json:"weights_bytes"`
	ActivationBytes  int64 `json:"activation_bytes"`
	NonTorchBytes    int64 `json:"non_torch_bytes"`
	AvailableKVBytes int64 `json:"available_kv_bytes"`
}

type calcFleet struct {
	Name        string `json:"name"`
	Accelerator string `json:"accelerator"`
	Count       int64  `json:"count"`
	TP          int64  `json:"tp"`
	PP          int64  `json:"pp"`
	Replicas    int64  `json:"replicas"`
}

type calcPerGPU struct {
	CapacityBytes   int64 `json:"capacity_bytes"`
	WeightsBytes    int64 `json:"weights_bytes"`
	ActivationBytes int64 `json:"activation_bytes"`
	RuntimeBytes    int64 `json:"runtime_bytes"`
	KVBudgetBytes   int64 `json:"kv_budget_bytes"`
	KVBytes         int64 `json:"kv_bytes"`
	FreeBytes       int64 `json:"free_bytes"`
}

func calc(f calcFlags, changed func(string) bool) (calcResult, error) {
	var res calcResult
	// The catalog is needed for a model name, a fleet, an accelerator, and
	// gives the spec set's settings; a model path alone works without it.
	var cat *spec.Catalog
	settings := spec.DefaultSettings()
	_, statErr := os.Stat(f.specs)
	needCatalog := f.fleet != "" || f.gpu != "" || !isFile(f.model) || changed("specs")
	if needCatalog || statErr == nil {
		c, err := spec.LoadCatalog(f.specs)
		if err != nil {
			if needCatalog {
				return res, err
			}
			// Without a need for it, a broken default catalog is not fatal:
			// the model path is read with default settings.
		} else {
			cat, settings = c, c.Settings
		}
	}
	var m spec.Model
	if isFile(f.model) {
		var err error
		if m, err = spec.LoadModelAs(f.model, spec.ReadOptions{Family: f.family, WeightsGiven: f.weightDType != ""}); err != nil {
			return res, err
		}
	} else {
		if f.family != "" {
			return res, usagef("calc: --family applies to a config file given by path, not to catalog model %q", f.model)
		}
		var ok bool
		if m, ok = cat.Model(f.model); !ok {
			hint := ""
			if g := cat.SuggestModel(f.model); g != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", g)
			}
			return res, fmt.Errorf("unknown model %q: not a file, and not in %s/models%s", f.model, f.specs, hint)
		}
	}
	if f.weightDType != "" {
		if _, ok := analysis.LookupDType(f.weightDType); !ok {
			return res, usagef("calc: unknown --weight-dtype %q (want one of %s)", f.weightDType, strings.Join(analysis.DTypeNames(), ", "))
		}
		settings.WeightDType = f.weightDType
	}
	if f.kvDType != "" {
		kv, ok := analysis.LookupKVDType(autoKVDType(f.kvDType, m, settings.WeightDType))
		if !ok {
			return res, usagef("calc: unknown --kv-dtype %q (want one of %s)", f.kvDType, strings.Join(analysis.KVDTypeNames(), ", "))
		}
		settings.KVDType = kv
	}
	sc := spec.ScenarioFor(m, settings)
	arch := &m.Arch
	p := arch.Params()
	res.Model.Name, res.Model.Slug, res.Model.File = m.Name, m.Slug, m.File
	res.Model.Family, res.Model.Assumptions = m.Family, append([]string{}, m.Notes...)
	if f.family != "" {
		res.familyHow = " (forced by --family)"
	}
	res.Params.Total, res.Params.Active, res.Params.Vision, res.Params.Published = p.Total, p.Active, p.Vision, m.ParamsPublished
	res.Params.Counted = m.ParamsCounted
	res.WeightDType = sc.Weights.Default.Name
	res.WeightsFormat = weightsFormat(m, sc.Weights, f.weightDType)
	res.WeightsBytes = sc.Weights.Bytes(p.ByClass)
	ck, err := checkpointFor(f.checkpoint, m, sc.Weights)
	if err != nil {
		return res, err
	}
	res.Checkpoint = ck
	res.KVDType = sc.KV.Name
	res.KVBytesPerToken = arch.KVBytesPerToken(sc.KV)
	res.StateBytesPerSequence = arch.StateBytesPerSequence(sc.KV)
	res.Context, res.Batch = f.context, f.batch
	res.KVBytes = arch.KVBytes(sc.KV, f.context, f.batch)
	if res.KVBytes == math.MaxInt64 {
		// The analysis saturates rather than wraps; say so instead of
		// printing 8 EiB as if it were an answer.
		return res, usagef("calc: %d sequences of %d tokens need more than 8 EiB of KV cache; lower --batch or --context", f.batch, f.context)
	}
	if arch.MaxContext > 0 {
		res.ModelMaxContextTokens = &arch.MaxContext
		res.ContextExceedsModelLimit = f.context > arch.MaxContext
	}
	res.Overhead = sc.Overhead.Describe()

	prof, err := engine.Lookup(f.engine)
	if err != nil {
		return res, usagef("calc: --engine: %v", err)
	}
	fleet, ok, err := calcFleetFor(f, cat, changed)
	if err == nil && !ok && prof.Engine != "simple" {
		err = usagef("calc: --engine %s needs --fleet, --gpu or --gpu-memory", f.engine)
	}
	if err != nil || !ok {
		return res, err
	}
	choice := analysis.ChooseLayout(arch, sc, fleet.hw, f.context)
	best, placed := choice.Best()
	if !placed {
		return res, noLayoutError(choice, fleet.hw, m.Name)
	}
	plan := best.Plan
	fleet.shape = plan.Fleet
	res.Fleet = &calcFleet{Name: fleet.shape.Name, Accelerator: fleet.accel, Count: fleet.shape.Count, TP: fleet.shape.TP, PP: fleet.shape.PP, Replicas: fleet.shape.Replicas()}
	res.Layout = &calcLayout{TP: best.TP, PP: best.PP, Replicas: best.Replicas, Chosen: fleet.hw.TP == 0 || fleet.hw.PP == 0}
	mem := plan.Memory(f.context, f.batch)
	res.PerGPU = &calcPerGPU{
		CapacityBytes: mem.CapacityBytes, WeightsBytes: mem.WeightsBytes, ActivationBytes: mem.ActivationBytes,
		RuntimeBytes: mem.RuntimeBytes, KVBudgetBytes: plan.KVBudgetBytesPerGPU(), KVBytes: mem.KVBytes, FreeBytes: mem.FreeBytes,
	}
	fits := mem.FreeBytes >= 0
	lim := plan.MaxContext(f.batch)
	conc, total := best.PerReplica, best.Total
	res.Fits, res.MaxContextTokens, res.MaxContextUnbounded, res.MaxConcurrency, res.MaxConcurrencyTotal = &fits, &lim.Tokens, &lim.Unbounded, &conc, &total
	res.KVCapacityTokens = &lim.KVCapacityTokens
	if by := limitedBy(lim); by != "" {
		res.MaxContextLimitedBy = &by
	}
	prompt := f.promptTokens
	if prompt == 0 {
		prompt = f.context
	}
	perf, why := calcPerfFor(plan, fleet, cat, f.batch, f.context, prompt)
	res.Perf, res.PerfUnavailable = &perf, why
	if prof.Engine != "simple" {
		if err := unreadQuantization(m, sc.Weights, f.weightDType != ""); err != nil {
			return res, err
		}
		settings, err := engineSettings(f)
		if err != nil {
			return res, err
		}
		if err := checkKVCacheMemory(f.kvCacheMemory, settings.KVCacheMemoryBytes, fleet.hw.CapacityBytes); err != nil {
			return res, err
		}
		settings.ModelFamily = m.Family
		acc := engine.Accelerator{ID: fleet.accel}
		if cat != nil {
			if a, ok := cat.Accelerator(fleet.accel); ok {
				acc.Name, acc.SMCount = a.Name, a.SMCount
			}
		}
		est, err := prof.Estimate(arch, sc, fleet.shape, acc, settings)
		if err != nil {
			return res, err
		}
		res.Engine = &calcEngine{
			Name: est.Engine, Version: prof.Version, Profile: prof.Name(), MaxModelLen: est.MaxModelLen, BlockSize: est.BlockSize, BudgetBytes: est.BudgetBytes,
			WeightsBytes: est.WeightsBytes, ActivationBytes: est.ActivationBytes, NonTorchBytes: est.NonTorchBytes,
			AvailableKVBytes: est.AvailableKVBytes, KVCacheTokens: est.KVCacheTokens, NumBlocks: est.NumBlocks,
			MaxConcurrency: est.MaxConcurrency(est.MaxModelLen), MaxModelLenEstimate: est.MaxModelLenEstimate,
			StartupError: est.StartupError, Assumptions: est.Assumptions, LogLines: est.LogLines,
		}
		for _, st := range est.Stages {
			res.Engine.Stages = append(res.Engine.Stages, calcEngineStage{FirstLayer: st.FirstLayer, EndLayer: st.EndLayer,
				WeightsBytes: st.WeightsBytes, ActivationBytes: st.ActivationBytes, NonTorchBytes: st.NonTorchBytes, AvailableKVBytes: st.AvailableKVBytes})
		}
		if res.Engine.LogLines == nil {
			res.Engine.LogLines = []string{}
		}
	}
	return res, nil
}

// calcPerfFor bounds and estimates the plan's speed on the fleet's
// accelerator; nil and a reason when the accelerator's figures are unknown.
func calcPerfFor(plan analysis.Plan, fleet resolvedFleet, cat *spec.Catalog, batch, context, prompt int64) (*calcPerf, string) {
	if cat == nil || fleet.accel == "custom" {
		return nil, "no named accelerator: its bandwidth and peak FLOPS are unknown"
	}
	a, ok := cat.Accelerator(fleet.accel)
	if !ok {
		return nil, "accelerator " + fleet.accel + " not in the catalog"
	}
	cal := analysis.DefaultSpeedCalibration
	p, err := plan.Perf(a.Speed(), cal, batch, context, prompt)
	if err != nil {
		return nil, fmt.Sprintf("accelerator %s: %v", a.ID, err)
	}
	out := &calcPerf{
		Regime:                 p.Regime.String(),
		DecodeStepMsBound:      round3(p.DecodeStepBoundS * 1e3),
		DecodeStepMs:           round3(p.DecodeStepS * 1e3),
		DecodeTokensPerS:       round3(p.DecodeTokensPerS),
		DecodeTokensPerSPerSeq: round3(p.DecodeTokensPerSPerSeq),
		DecodeTokensPerSBound:  round3(float64(batch) / p.DecodeStepBoundS),
		PromptTokens:           prompt,
		PrefillMsBound:         round3(p.PrefillBoundS * 1e3),
		PrefillMs:              round3(p.PrefillS * 1e3),
		Calibration:            cal.Name,
	}
	if a.PricePerHour > 0 {
		gpus := float64(plan.Fleet.TP * plan.Fleet.PP)
		c := round3(a.PricePerHour * gpus / 3600 / p.DecodeTokensPerS * 1e6)
		out.CostPerMillionOutputTokens = &c
	}
	return out, ""
}

// round3 keeps three decimals, enough for milliseconds and tokens/s.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// checkEngineFlags validates --engine and the settings that belong to it.
func checkEngineFlags(f calcFlags, changed func(string) bool) error {
	prof, err := engine.Lookup(f.engine)
	if err != nil {
		return usagef("calc: --engine: %v", err)
	}
	for _, name := range []string{"gpu-memory-utilization", "max-num-batched-tokens", "block-size", "max-model-len", "kv-cache-memory"} {
		if changed(name) && prof.Engine == "simple" {
			return usagef("calc: --%s needs --engine vllm or sglang", name)
		}
	}
	if changed("kv-cache-memory") && prof.Engine != "vllm" {
		return usagef("calc: --kv-cache-memory needs --engine vllm")
	}
	if changed("gpu-memory-utilization") && !(f.gpuMemUtilization > 0 && f.gpuMemUtilization <= 1) {
		return usagef("calc: --gpu-memory-utilization must be more than 0 and at most 1, got %g", f.gpuMemUtilization)
	}
	for _, v := range []struct {
		name string
		n    int64
	}{{"max-num-batched-tokens", f.maxNumBatchedTokens}, {"block-size", f.blockSize}, {"max-model-len", f.maxModelLen}} {
		if changed(v.name) && (v.n < 1 || v.n > spec.MaxContextTokens) {
			return usagef("calc: --%s must be between 1 and %d, got %d", v.name, spec.MaxContextTokens, v.n)
		}
	}
	return nil
}

// engineSettings is calc's engine flags as engine settings.
func engineSettings(f calcFlags) (engine.Settings, error) {
	s := engine.Settings{GPUMemoryUtilization: f.gpuMemUtilization, MaxNumBatchedTokens: f.maxNumBatchedTokens,
		BlockSize: f.blockSize, MaxModelLen: f.maxModelLen}
	if f.kvCacheMemory != "" {
		b, err := units.ParseBytes(f.kvCacheMemory)
		if err != nil {
			return s, usagef("calc: --kv-cache-memory: %v", err)
		}
		if b == 0 {
			return s, usagef("calc: --kv-cache-memory must be more than 0 bytes")
		}
		s.KVCacheMemoryBytes = b
	}
	return s, nil
}

type resolvedFleet struct {
	hw    analysis.Hardware
	shape analysis.Fleet // the chosen layout, once chosen
	accel string
}

// limitedBy names what decides a max context: "model" (its own limit),
// "memory", or "" when nothing does (memory unbounded, model limit unknown)
// or nothing fits.
func limitedBy(l analysis.ContextLimit) string {
	switch {
	case l.LimitedByModel:
		return "model"
	case l.Unbounded || l.Tokens == 0:
		return ""
	}
	return "memory"
}

// noLayoutError says why no layout of hw serves the model: for one the
// flags or the fleet fixed, the engine's own objection.
func noLayoutError(c analysis.LayoutChoice, hw analysis.Hardware, model string) error {
	if len(c.Options) > 0 && hw.TP > 0 && hw.PP > 0 {
		return fmt.Errorf("%s of model %q", c.Options[0].Problem, model)
	}
	return errors.New(c.Reason)
}

// calcFleetFor builds the hardware of calc's flags; ok is false when no
// accelerator was named at all. --tp and --pp pin the layout (over a
// fleet's own pins); without them kvplot chooses one.
func calcFleetFor(f calcFlags, cat *spec.Catalog, changed func(string) bool) (resolvedFleet, bool, error) {
	var r resolvedFleet
	r.hw = analysis.Hardware{Count: 1}
	switch {
	case f.fleet != "":
		fl, ok := cat.Fleet(f.fleet)
		if !ok {
			return r, false, fmt.Errorf("unknown fleet %q in %s/fleets.yaml", f.fleet, f.specs)
		}
		r.hw = cat.Hardware(fl)
		r.accel = fl.Accelerator
	case f.gpu != "":
		a, ok := cat.Accelerator(f.gpu)
		if !ok {
			return r, false, fmt.Errorf("unknown accelerator %q in %s/accelerators.yaml", f.gpu, f.specs)
		}
		r.hw.Name, r.hw.CapacityBytes, r.hw.GPUsPerNode, r.accel = a.ID, a.RuntimeBytes, a.GPUsPerNode, a.ID
	case f.gpuMemory != "":
		r.hw.Name, r.accel = "custom", "custom"
	default:
		if changed("gpus") || changed("tp") || changed("pp") || changed("gpus-per-node") {
			return r, false, usagef("calc: --gpus, --tp, --pp and --gpus-per-node need --fleet, --gpu or --gpu-memory")
		}
		return r, false, nil
	}
	if f.gpuMemory != "" {
		b, err := units.ParseBytes(f.gpuMemory)
		if err != nil {
			return r, false, usagef("calc: --gpu-memory: %v", err)
		}
		if b == 0 {
			return r, false, usagef("calc: --gpu-memory must be more than 0 bytes")
		}
		if err := checkGPUMemory(f.gpuMemory, b); err != nil {
			return r, false, err
		}
		r.hw.CapacityBytes = b
	}
	if changed("gpus-per-node") {
		r.hw.GPUsPerNode = f.gpusPerNode
	}
	if r.hw.GPUsPerNode == 0 {
		r.hw.GPUsPerNode = analysis.DefaultGPUsPerNode
	}
	if changed("tp") {
		r.hw.TP = f.tp
	}
	if changed("pp") {
		r.hw.PP = f.pp
	}
	switch {
	case changed("gpus"):
		r.hw.Count = f.gpus
	case f.fleet == "":
		// Without --gpus: exactly the accelerators the pins ask for.
		r.hw.Count = max(r.hw.TP, 1) * max(r.hw.PP, 1)
		r.hw.TP, r.hw.PP = max(r.hw.TP, 1), max(r.hw.PP, 1)
	}
	if group := max(r.hw.TP, 1) * max(r.hw.PP, 1); r.hw.Count%group != 0 {
		return r, false, usagef("calc: %d accelerators is not a multiple of tp×pp = %d", r.hw.Count, group)
	}
	return r, true, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func writeCalc(w io.Writer, r calcResult) error {
	gib := units.FormatGiB
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n", r.Model.Name, r.Model.File)
	if r.Model.Family != "" {
		fmt.Fprintf(&b, "  family           %s%s\n", r.Model.Family, r.familyHow)
	}
	if len(r.Model.Assumptions) > 0 {
		fmt.Fprintf(&b, "  defaults used    %s (absent from the config; the family's config-class values)\n", strings.Join(r.Model.Assumptions, ", "))
	}
	fmt.Fprintf(&b, "  parameters       %s total, %s active per token", units.Group(r.Params.Total), units.Group(r.Params.Active))
	if r.Params.Vision > 0 {
		fmt.Fprintf(&b, " (%s in the vision encoder)", units.Group(r.Params.Vision))
	}
	if r.Params.Published > 0 {
		if r.Params.Counted {
			fmt.Fprintf(&b, "; counted by others from the same config %s", units.Group(r.Params.Published))
		} else {
			fmt.Fprintf(&b, "; published %s", units.Group(r.Params.Published))
		}
	}
	fmt.Fprintf(&b, "\n  weights          %s (%s)\n", gib(r.WeightsBytes), r.WeightsFormat)
	fmt.Fprintf(&b, "  KV per token     %s bytes (%s, all layers)\n", units.Group(r.KVBytesPerToken), r.KVDType)
	if r.StateBytesPerSequence > 0 {
		fmt.Fprintf(&b, "  state per seq    %s (Mamba/linear-attention layers)\n", units.FormatBytes(r.StateBytesPerSequence))
	}
	fmt.Fprintf(&b, "  KV cache         %s for %d × %s tokens (windows applied)\n", gib(r.KVBytes), r.Batch, units.Group(r.Context))
	if r.ModelMaxContextTokens != nil {
		fmt.Fprintf(&b, "  model limit      %s tokens", units.Group(*r.ModelMaxContextTokens))
		if r.ContextExceedsModelLimit {
			fmt.Fprintf(&b, " (--context %s is beyond it: figures for it are memory only)", units.Group(r.Context))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("  model limit      unknown (the config states none)\n")
	}
	writeCheckpoint(&b, r.Checkpoint)
	if r.Fleet == nil {
		fmt.Fprintf(&b, "No accelerator given: add --fleet, --gpu or --gpu-memory to see whether it fits.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fl, g := r.Fleet, r.PerGPU
	how := ""
	if r.Layout != nil && r.Layout.Chosen {
		how = ", the layout holding the most sequences (kvplot plan lists them all)"
	}
	fmt.Fprintf(&b, "On %s: %d × %s, tp %d, pp %d (%d replica(s))%s; per GPU:\n", fl.Name, fl.Count, fl.Accelerator, fl.TP, fl.PP, fl.Replicas, how)
	fmt.Fprintf(&b, "  capacity         %s\n", gib(g.CapacityBytes))
	fmt.Fprintf(&b, "  weights          %s\n", gib(g.WeightsBytes))
	fmt.Fprintf(&b, "  reserves         %s activations + %s runtime\n", gib(g.ActivationBytes), gib(g.RuntimeBytes))
	fmt.Fprintf(&b, "  KV budget        %s\n", gib(g.KVBudgetBytes))
	fmt.Fprintf(&b, "  KV cache         %s\n", gib(g.KVBytes))
	if *r.Fits {
		fmt.Fprintf(&b, "  fits             yes, %s free\n", gib(g.FreeBytes))
	} else {
		fmt.Fprintf(&b, "  fits             NO, short by %s\n", gib(-g.FreeBytes))
	}
	switch {
	case r.MaxContextLimitedBy != nil && *r.MaxContextLimitedBy == "model" && *r.MaxContextUnbounded:
		fmt.Fprintf(&b, "  max context      %s tokens per sequence at batch %d (model limit; memory does not limit it)\n", units.Group(*r.MaxContextTokens), r.Batch)
	case r.MaxContextLimitedBy != nil && *r.MaxContextLimitedBy == "model":
		fmt.Fprintf(&b, "  max context      %s tokens per sequence at batch %d (model limit; memory holds %s)\n", units.Group(*r.MaxContextTokens), r.Batch, units.Group(*r.KVCapacityTokens))
	case *r.MaxContextUnbounded:
		fmt.Fprintf(&b, "  max context      not limited by memory (every layer's cache stops growing) at batch %d; model limit unknown\n", r.Batch)
	default:
		fmt.Fprintf(&b, "  max context      %s tokens per sequence at batch %d (memory limit)\n", units.Group(*r.MaxContextTokens), r.Batch)
	}
	fmt.Fprintf(&b, "  max concurrency  %s sequences of %s tokens per replica, %s on all %d replica(s)\n", units.Group(*r.MaxConcurrency), units.Group(r.Context), units.Group(*r.MaxConcurrencyTotal), fl.Replicas)
	if r.Perf != nil && *r.Perf != nil {
		p := *r.Perf
		fmt.Fprintf(&b, "Speed of one replica (%s; bound = physics, estimate = bound ÷ fitted efficiency + overheads, calibration %s):\n", p.Regime, p.Calibration)
		fmt.Fprintf(&b, "  decode step      %.2f ms bound, %.2f ms estimate for %d sequence(s) at %s tokens\n", p.DecodeStepMsBound, p.DecodeStepMs, r.Batch, units.Group(r.Context))
		fmt.Fprintf(&b, "  output           %.1f tokens/s estimate (%.1f per sequence; bound %.1f)\n", p.DecodeTokensPerS, p.DecodeTokensPerSPerSeq, p.DecodeTokensPerSBound)
		fmt.Fprintf(&b, "  first token      %.1f ms bound, %.1f ms estimate for a %s-token prompt\n", p.PrefillMsBound, p.PrefillMs, units.Group(p.PromptTokens))
		if c := p.CostPerMillionOutputTokens; c != nil {
			fmt.Fprintf(&b, "  cost             $%.2f per million output tokens (estimate)\n", *c)
		}
	} else if r.PerfUnavailable != "" {
		fmt.Fprintf(&b, "Speed: unknown (%s)\n", r.PerfUnavailable)
	}
	if e := r.Engine; e != nil {
		fmt.Fprintf(&b, "As %s would start (per GPU of the binding stage):\n", e.Profile)
		fmt.Fprintf(&b, "  budget           %s: weights %s, activations %s, non-torch %s\n", gib(e.BudgetBytes), gib(e.WeightsBytes), gib(e.ActivationBytes), gib(e.NonTorchBytes))
		fmt.Fprintf(&b, "  KV cache         %s, %s tokens in %s blocks of %d\n", gib(e.AvailableKVBytes), units.Group(e.KVCacheTokens), units.Group(e.NumBlocks), e.BlockSize)
		fmt.Fprintf(&b, "  max concurrency  %.2f requests of %s tokens; longest request %s tokens\n", e.MaxConcurrency, units.Group(e.MaxModelLen), units.Group(e.MaxModelLenEstimate))
		if e.StartupError != "" {
			fmt.Fprintf(&b, "  would not start: %s\n", e.StartupError)
		}
		for _, a := range e.Assumptions {
			fmt.Fprintf(&b, "  assumed: %s\n", a)
		}
		for _, l := range e.LogLines {
			fmt.Fprintf(&b, "  log: %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func runReport(args []string, stdout, stderr io.Writer) error {
	const synopsis = "report [--specs DIR]"
	fs := newFlags("report")
	dir := fs.String("specs", "specs", "spec directory")
	if err := parse(fs, synopsis, args, stdout); err != nil {
		return err
	}
	c, err := spec.LoadCatalog(*dir)
	if err != nil {
		return err
	}
	return report.Write(stdout, c)
}

func runValidate(args []string, stdout, stderr io.Writer) error {
	const synopsis = "validate [--specs DIR] [--checkpoint DIR [--model PATH] [--family TYPE] [--weight-dtype D]]"
	fs := newFlags("validate")
	dir := fs.String("specs", "specs", "spec directory")
	var ckf calcFlags
	fs.StringVar(&ckf.checkpoint, "checkpoint", "", "check a checkpoint directory's safetensors headers against its config instead of the specs")
	fs.StringVar(&ckf.model, "model", "", "with --checkpoint: the model (default: the checkpoint's config.json)")
	fs.StringVar(&ckf.family, "family", "", "with --checkpoint: read the config as this model_type's family")
	fs.StringVar(&ckf.weightDType, "weight-dtype", "", "with --checkpoint: compare against this weight format instead of the config's")
	if err := parse(fs, synopsis, args, stdout); err != nil {
		return err
	}
	if ckf.checkpoint != "" {
		ckf.specs = *dir
		return validateCheckpoint(stdout, ckf)
	}
	if ckf.model != "" || ckf.family != "" || ckf.weightDType != "" {
		return usagef("validate: --model, --family and --weight-dtype go with --checkpoint")
	}
	c, err := spec.LoadCatalog(*dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok: %d models, %d accelerators, %d fleets\n", *dir, len(c.Models), len(c.Accelerators), len(c.Fleets))
	// Fleets shared by all models may not split some of them: not an error
	// (those pairs show as n/a), but worth knowing.
	if notes := c.CheckFleets(); len(notes) > 0 {
		fmt.Fprintf(stdout, "note: %d model × fleet pairs cannot be placed and show as n/a:\n", len(notes))
		for _, n := range notes {
			fmt.Fprintf(stdout, "  %s\n", n)
		}
	}
	return validateSpecCheckpoints(stdout, c)
}

// weightsFormat describes the weight formats in use and where they came from.
func weightsFormat(m spec.Model, w analysis.WeightScheme, flag string) string {
	switch {
	case flag != "":
		var kept []string
		for _, c := range w.Keep16 {
			kept = append(kept, c.String())
		}
		if !w.Default.Quantized() || len(kept) == 0 {
			return flag + " (--weight-dtype)"
		}
		return fmt.Sprintf("%s (--weight-dtype); %s and norms kept bf16", flag, strings.Join(kept, ", "))
	case m.WeightsFrom != "":
		return m.WeightsFrom
	}
	var over []string
	for _, c := range analysis.TensorClasses() {
		if d, ok := w.Overrides[c]; ok {
			over = append(over, c.String()+" "+d.Name)
		}
	}
	if len(over) > 0 {
		return fmt.Sprintf("%s; %s", w.Default.Name, strings.Join(over, ", "))
	}
	return w.Default.Name
}
