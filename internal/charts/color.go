package charts

import (
	"hash/fnv"
	"slices"
	"strings"
)

// palette is Tableau 10 followed by its lighter companions (Tableau 20
// order), readable on white and distinguishable in most colour-vision
// deficiencies for the first ten.
var palette = [...]string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	"#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d",
	"#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6", "#79706e",
}

// ColorFor returns the colour of key among keys, such as a model among all
// models. The colour depends only on key's rank among the sorted, distinct
// keys, so every page that passes the same keys (for example every model
// in the specs) draws key in the same colour, whatever subset it shows. A
// key missing from keys gets a colour from a hash of its name.
func ColorFor(key string, keys []string) string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if i, ok := slices.BinarySearch(sorted, key); ok {
		return palette[i%len(palette)]
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return palette[h.Sum32()%uint32(len(palette))]
}

// The memory components of a fleet's accelerators, in stacking order.
const (
	ComponentWeights    = "weights"
	ComponentKVCache    = "KV cache"
	ComponentActivation = "activation reserve"
	ComponentRuntime    = "runtime reserve"
	ComponentFree       = "free"
)

// componentColors gives each memory component a fixed colour, the same on
// every page. Their lightness alternates along the stack (dark weights,
// mid KV cache, light activation, mid-dark runtime, pale free), so
// neighbouring parts stay apart in greyscale too.
var componentColors = map[string]string{
	strings.ToLower(ComponentWeights):    "#2b5c8a",
	strings.ToLower(ComponentKVCache):    "#e8833a",
	strings.ToLower(ComponentActivation): "#9fd08a",
	strings.ToLower(ComponentRuntime):    "#7b4f9d",
	strings.ToLower(ComponentFree):       "#e4e4e4",
}

// engineColors gives each serving engine a fixed colour, of distinct
// lightness: vLLM dark blue, kvplot's simple policy mid grey, SGLang gold.
var engineColors = map[string]string{
	"vllm":   "#1f4e8c",
	"simple": "#8a8a8a",
	"sglang": "#e3b505",
}

// EngineColor returns the fixed colour of a serving engine ("vllm",
// "sglang", "simple"; matched without regard to case), and false for any
// other name.
func EngineColor(name string) (string, bool) {
	c, ok := engineColors[strings.ToLower(strings.TrimSpace(name))]
	return c, ok
}

// ramp is a sequential blue scale, light to dark.
var ramp = []string{"#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"}

// Sequential returns n colours from light to dark, for series that are
// ordered, such as batch sizes: their order reads in greyscale too.
func Sequential(n int) []string {
	out := make([]string, n)
	for i := range out {
		if n <= len(ramp) {
			out[i] = ramp[len(ramp)-n+i] // the darker end: pale blue fades on white
		} else {
			out[i] = ramp[i*(len(ramp)-1)/(n-1)]
		}
	}
	return out
}

// ComponentColor returns the fixed colour of a memory component (matched
// without regard to case), and false for any other name.
func ComponentColor(name string) (string, bool) {
	c, ok := componentColors[strings.ToLower(strings.TrimSpace(name))]
	return c, ok
}

// componentOrModelColor prefers a component's fixed colour.
func componentOrModelColor(key string, keys []string) string {
	if c, ok := ComponentColor(key); ok {
		return c
	}
	return ColorFor(key, keys)
}
