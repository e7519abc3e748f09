// Package engine emulates serving engines (vLLM, SGLang) and kvplot's own
// simple reserve policy on top of internal/analysis: given a model placed
// on a fleet, it predicts the KV cache an engine allocates when it starts,
// why it would refuse to start, and the lines it logs about it.
//
// It may import internal/analysis and nothing of kvplot above it (pages,
// site); analysis never imports it.
package engine
