// Package engine emulates serving engines (vLLM, SGLang) and kvplot's own
// simple reserve policy on top of internal/analysis: given a model placed
// on a fleet, it predicts the KV cache an engine allocates when it starts,
// why it would refuse to start, and the lines it logs about it.
//
// Engines are versioned profiles: Lookup("vllm") is the newest modelled
// vLLM (VLLM019), Lookup("vllm@0.10") an older one, Lookup("sglang") and
// Lookup("simple") likewise; a version kvplot does not model is an error.
// Profile.Estimate(model, scenario, fleet, accelerator, settings) is the
// one call a caller needs; its Estimate carries the token count, the
// per-stage budget and, when the engine would not start, the reason.
// Each version's numbers live in one calibration record (VLLMCalibration):
// documented defaults with their source, fitted constants with the logs
// they were fitted on.
//
// It may import internal/analysis and nothing of kvplot above it (pages,
// site); analysis never imports it.
package engine
