package engine

import "fmt"

// The start-up lines each engine prints about its cache, formatted from a
// finished estimate: sizing above decides the numbers, these functions
// only print them as the engine would (without timestamps and process
// prefixes).

// vllmLogLines are vLLM's lines: each worker's available KV memory
// (gpu_worker.py), then, when it starts, the token count and the
// concurrency at max_model_len (kv_cache_utils.py, _report_kv_cache_config).
func vllmLogLines(e Estimate) []string {
	var lines []string
	for _, st := range e.Stages {
		lines = append(lines, "Available KV cache memory: "+gib2(float64(st.AvailableKVBytes))+" GiB")
	}
	if e.StartupError != "" || len(e.demand.groups) == 0 {
		return lines
	}
	return append(lines,
		"GPU KV cache size: "+groupDigits(e.KVCacheTokens)+" tokens",
		fmt.Sprintf("Maximum concurrency for %s tokens per request: %.2fx", groupDigits(e.MaxModelLen), e.MaxConcurrency(e.MaxModelLen)))
}

// sglangLog is what SGLang's pool lines need beyond an estimate's figures.
type sglangLog struct {
	pools                                   sglangPools
	slots, tokens, swa                      int64
	elem                                    float64 // KV bytes per element
	pageSize, chunk, maxPrefill, contextLen int64
}

// sglangLogLines are SGLang's lines (model_runner.py, init_memory_pool and
// the scheduler): the Mamba state pool, one line per KV pool with its K
// and V (or MLA latent) sizes in GiB over tokens + one page, and the
// scheduler's summary.
func sglangLogLines(e Estimate) []string {
	l := e.sglangLog
	if l == nil {
		return nil
	}
	var lines []string
	pl := l.pools
	if l.slots > 0 {
		conv := float64(mulSat(l.slots, pl.convBytes))
		ssm := float64(mulSat(l.slots, pl.stateBytes-pl.convBytes))
		lines = append(lines, fmt.Sprintf("Mamba Cache is allocated. max_mamba_cache_size: %d, conv_state size: %sGB, ssm_state size: %sGB",
			l.slots, gib2(conv), gib2(ssm)))
	}
	kvLine := func(tokens, layers int64) string {
		n := float64(tokens+l.pageSize) * float64(layers)
		if pl.mla {
			return fmt.Sprintf("KV Cache is allocated. #tokens: %d, KV size: %s GB", tokens, gib2(n*float64(pl.latentDim)*l.elem))
		}
		half := gib2(n * float64(pl.kvHeads*pl.headDim) * l.elem)
		return fmt.Sprintf("KV Cache is allocated. #tokens: %d, K size: %s GB, V size: %s GB", tokens, half, half)
	}
	switch {
	case pl.cellBytes == 0:
	case l.swa > 0:
		lines = append(lines, kvLine(l.swa, pl.swaLayers), kvLine(l.tokens, pl.fullLayers))
	default:
		lines = append(lines, kvLine(l.tokens, pl.fullLayers+pl.swaLayers))
	}
	return append(lines, fmt.Sprintf("max_total_num_tokens=%d, chunked_prefill_size=%d, max_prefill_tokens=%d, max_running_requests=%d, context_len=%d",
		l.tokens, l.chunk, l.maxPrefill, e.MaxRequests+1, l.contextLen))
}
