// Package catalogen writes large synthetic spec catalogs for kvplot's scale
// benchmarks: N models × M fleets that are valid (kvplot validate accepts
// them) and varied like a real team's catalog. Each model is a real
// architecture from a spec directory's hf/ configs with its layer count,
// widths, KV heads, expert count and sliding window changed; each fleet
// puts one of the directory's accelerators into a tensor- and
// pipeline-parallel shape.
//
// Generation is deterministic: the same base and Options give the same
// files, byte for byte. The numbers are plausible, not real models.
package catalogen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Base is what a synthetic catalog is derived from: real Hugging Face
// configs and an accelerator catalog.
type Base struct {
	// Configs are the architectures to vary, sorted by Name.
	Configs []Config
	// AcceleratorsYAML is accelerators.yaml, copied as it is.
	AcceleratorsYAML []byte
	// Accelerators are the entries of AcceleratorsYAML, in file order.
	Accelerators []Accelerator
}

// Config is one Hugging Face config.json.
type Config struct {
	// Name is the file name without ".config.json", e.g. "llama-3-8b".
	Name string
	// JSON is the config's text.
	JSON []byte
}

// Accelerator is the part of an accelerators.yaml entry a fleet needs.
type Accelerator struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Options size a catalog.
type Options struct {
	Models int
	Fleets int
}

// MaxModels and MaxFleets bound Options: far past what the benchmarks ask
// for, well inside what slugs and titles can number.
const (
	MaxModels = 100_000
	MaxFleets = 10_000
)

// Files is a generated catalog: file contents by slash path relative to
// the spec directory ("models/x.yaml", "hf/x.config.json", "fleets.yaml").
type Files map[string][]byte

// LoadBase reads the hf/*.config.json files and accelerators.yaml of the
// spec directory dir.
func LoadBase(dir string) (Base, error) {
	var b Base
	paths, err := filepath.Glob(filepath.Join(dir, "hf", "*.config.json"))
	if err != nil {
		return b, err
	}
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return b, err
		}
		b.Configs = append(b.Configs, Config{Name: strings.TrimSuffix(filepath.Base(p), ".config.json"), JSON: data})
	}
	if len(b.Configs) == 0 {
		return b, fmt.Errorf("%s: no hf/*.config.json to derive models from", dir)
	}
	p := filepath.Join(dir, "accelerators.yaml")
	b.AcceleratorsYAML, err = os.ReadFile(p)
	if err != nil {
		return b, err
	}
	var doc struct {
		Accelerators []Accelerator `yaml:"accelerators"`
	}
	if err := yaml.Unmarshal(b.AcceleratorsYAML, &doc); err != nil {
		return b, fmt.Errorf("%s: %v", p, err)
	}
	for _, a := range doc.Accelerators {
		if a.ID == "" || a.Name == "" {
			return b, fmt.Errorf("%s: an accelerator lacks its id or name", p)
		}
	}
	if len(doc.Accelerators) == 0 {
		return b, fmt.Errorf("%s: no accelerators", p)
	}
	b.Accelerators = doc.Accelerators
	return b, nil
}

// Generate derives a catalog of opt.Models models and opt.Fleets fleets
// from b.
func Generate(b Base, opt Options) (Files, error) {
	if opt.Models < 1 || opt.Models > MaxModels {
		return nil, fmt.Errorf("models: want 1 to %d, got %d", MaxModels, opt.Models)
	}
	if opt.Fleets < 1 || opt.Fleets > MaxFleets {
		return nil, fmt.Errorf("fleets: want 1 to %d, got %d", MaxFleets, opt.Fleets)
	}
	if len(b.Configs) == 0 || len(b.Accelerators) == 0 {
		return nil, errors.New("the base has no configs or no accelerators")
	}
	files := Files{"accelerators.yaml": b.AcceleratorsYAML}
	for i := range opt.Models {
		base := b.Configs[i%len(b.Configs)]
		slug := fmt.Sprintf("s%05d-%s", i+1, base.Name)
		cfg, summary, err := vary(base, i)
		if err != nil {
			return nil, err
		}
		files["hf/"+slug+".config.json"] = cfg
		files["models/"+slug+".yaml"] = modelSpec(i, slug, base.Name, summary)
	}
	fleets, first := fleetsYAML(b.Accelerators, opt.Fleets)
	files["fleets.yaml"] = fleets
	files["site.yaml"] = siteYAML(first)
	return files, nil
}

// Write writes files under dir, which must not exist or be empty.
func Write(dir string, files Files) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: write a catalog into a new directory", dir)
	}
	for _, p := range files.Paths() {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// pick chooses one of n options for model or fleet i and a purpose salt,
// from a fixed mixing function, so choices look scattered but repeat
// exactly between runs.
func pick(i int, salt uint64, n int) int {
	x := uint64(i)*0x9E3779B97F4A7C15 + salt*0xBF58476D1CE4E5B9
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return int(x % uint64(n))
}

// Salts of the choices, one per property varied.
const (
	saltLayers = iota + 1
	saltWidth
	saltKVHeads
	saltExperts
	saltWindow
	saltWeights
	saltShape
	saltReplicas
)

// Aliases of the config fields varied, as kvplot's Hugging Face reader
// knows them.
var (
	layerKeys   = []string{"num_hidden_layers", "n_layer", "num_layers", "n_layers"}
	hiddenKeys  = []string{"hidden_size", "n_embd", "d_model"}
	headKeys    = []string{"num_attention_heads", "n_head", "n_heads", "num_heads"}
	kvHeadKeys  = []string{"num_key_value_heads", "n_head_kv", "num_kv_heads", "n_kv_heads", "multi_query_group_num"}
	headDimKeys = []string{"head_dim", "kv_channels"}
	widthKeys   = []string{"intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim", "moe_intermediate_size",
		"shared_expert_intermediate_size", "moe_shared_expert_intermediate_size"}
	expertKeys = []string{"num_local_experts", "num_experts", "n_routed_experts"}
	topKKeys   = []string{"num_experts_per_tok", "experts_per_token"}
	windowKeys = []string{"sliding_window", "attention_chunk_size"}
)

// summary describes a variant for its spec's description.
type summary struct {
	layers, hidden, kvHeads, experts, window int64
}

// vary returns the config of model i: base with its layers, widths, KV
// heads, experts and window changed in ways that keep it valid.
func vary(base Config, i int) ([]byte, summary, error) {
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(base.JSON))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, summary{}, fmt.Errorf("hf/%s.config.json: %v", base.Name, err)
	}
	cfg := root
	if tc, ok := root["text_config"].(map[string]any); ok {
		cfg = tc
	}
	var s summary

	// Layers: ×0.5 to ×1.5, at least 4, a multiple of a hybrid model's
	// attention interval; per-layer lists and patterns repeat cyclically.
	if key, layers, ok := intField(cfg, layerKeys); ok {
		scale := []float64{1, 0.5, 0.75, 1.25, 1.5}[pick(i, saltLayers, 5)]
		n := max(4, int64(float64(layers)*scale+0.5))
		if _, k, ok := intField(cfg, []string{"full_attention_interval"}); ok && k > 0 {
			n = max(k, n/k*k)
		}
		cfg[key] = n
		if list, ok := cfg["layer_types"].([]any); ok && len(list) > 0 {
			cfg["layer_types"] = cycle(list, n)
		}
		if p, ok := cfg["hybrid_override_pattern"].(string); ok && p != "" {
			cfg["hybrid_override_pattern"] = strings.Repeat(p, int(n)/len(p)+1)[:n]
		}
		if _, k, ok := intField(cfg, []string{"first_k_dense_replace"}); ok {
			cfg["first_k_dense_replace"] = min(k, n-1)
		}
		if _, k, ok := intField(cfg, []string{"max_window_layers"}); ok {
			cfg["max_window_layers"] = min(k, n)
		}
		s.layers = n
	}

	// Width: with an explicit head size (or MLA) the hidden size is free;
	// otherwise it is heads × head size, so the head size changes.
	_, heads, haveHeads := intField(cfg, headKeys)
	if hkey, hidden, ok := intField(cfg, hiddenKeys); ok {
		_, _, explicit := intField(cfg, headDimKeys)
		_, _, mla := intField(cfg, []string{"kv_lora_rank"})
		newHidden := hidden
		switch {
		case explicit || mla:
			scale := []float64{1, 0.75, 1.25, 1.5}[pick(i, saltWidth, 4)]
			newHidden = max(256, int64(float64(hidden)*scale)/256*256)
		case haveHeads && heads > 0 && hidden%heads == 0:
			hd := []int64{hidden / heads, 64, 96, 128}[pick(i, saltWidth, 4)]
			newHidden = heads * hd
		}
		if newHidden != hidden {
			cfg[hkey] = newHidden
			for _, k := range widthKeys {
				if _, w, ok := intField(cfg, []string{k}); ok && w > 0 {
					cfg[k] = max(128, w*newHidden/hidden/128*128)
				}
			}
		}
		s.hidden = newHidden
	}

	// KV heads: a divisor of the heads (grouped-query attention); MLA
	// models keep theirs, which their cache does not use.
	if key, kv, ok := intField(cfg, kvHeadKeys); ok && haveHeads && heads > 0 {
		if _, _, mla := intField(cfg, []string{"kv_lora_rank"}); !mla {
			choice := []int64{kv, 1, 2, 4, 8, 16}[pick(i, saltKVHeads, 6)]
			if heads%choice == 0 {
				kv = choice
			}
			cfg[key] = kv
		}
		s.kvHeads = kv
	}

	// Experts: ×0.5, ×1 or ×2, never fewer than the experts a token uses.
	if key, e, ok := intField(cfg, expertKeys); ok && e > 0 {
		_, topK, _ := intField(cfg, topKKeys)
		e = max(2, topK, []int64{e, e / 2, e * 2}[pick(i, saltExperts, 3)])
		cfg[key] = e
		s.experts = e
	}

	// Windows and chunks that are set get another size.
	for _, k := range windowKeys {
		if _, w, ok := intField(cfg, []string{k}); ok && w > 0 {
			w = []int64{w, 512, 1024, 2048, 4096, 8192}[pick(i, saltWindow, 6)]
			cfg[k] = w
			s.window = w
		}
	}

	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, s, fmt.Errorf("hf/%s.config.json: %v", base.Name, err)
	}
	return append(out, '\n'), s, nil
}

// intField finds the first of keys that holds an integer.
func intField(cfg map[string]any, keys []string) (string, int64, bool) {
	for _, k := range keys {
		switch v := cfg[k].(type) {
		case json.Number:
			if n, err := v.Int64(); err == nil {
				return k, n, true
			}
		case int64:
			return k, v, true
		}
	}
	return "", 0, false
}

// cycle repeats list to length n.
func cycle(list []any, n int64) []any {
	out := make([]any, n)
	for j := range out {
		out[j] = list[j%len(list)]
	}
	return out
}

// weightFormats are the checkpoint formats models rotate through.
var weightFormats = []string{"bf16", "fp8", "int4"}

func modelSpec(i int, slug, baseName string, s summary) []byte {
	var parts []string
	if s.layers > 0 {
		parts = append(parts, fmt.Sprintf("%d layers", s.layers))
	}
	if s.hidden > 0 {
		parts = append(parts, fmt.Sprintf("hidden %d", s.hidden))
	}
	if s.kvHeads > 0 {
		parts = append(parts, fmt.Sprintf("%d KV heads", s.kvHeads))
	}
	if s.experts > 0 {
		parts = append(parts, fmt.Sprintf("%d experts", s.experts))
	}
	if s.window > 0 {
		parts = append(parts, fmt.Sprintf("window %d", s.window))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Synthetic: a variant of %s written by kvplot-gen for scale benchmarks.\n", baseName)
	fmt.Fprintf(&b, "name: %q\n", fmt.Sprintf("Synth %05d (%s)", i+1, baseName))
	fmt.Fprintf(&b, "description: %q\n", fmt.Sprintf("Synthetic variant of %s: %s.", baseName, strings.Join(parts, ", ")))
	fmt.Fprintf(&b, "config: ../hf/%s.config.json\n", slug)
	fmt.Fprintf(&b, "weights:\n  dtype: %s\n", weightFormats[pick(i, saltWeights, len(weightFormats))])
	return []byte(b.String())
}

// fleetShapes are the tensor × pipeline splits fleets rotate through.
var fleetShapes = [][2]int{{1, 1}, {2, 1}, {4, 1}, {8, 1}, {1, 2}, {2, 2}, {4, 2}, {8, 2}, {1, 4}, {2, 4}}

// fleetsYAML writes n fleets over accels and returns the first fleet's name.
func fleetsYAML(accels []Accelerator, n int) ([]byte, string) {
	var b strings.Builder
	b.WriteString("# Synthetic fleets written by kvplot-gen for scale benchmarks.\nfleets:\n")
	var first string
	for j := range n {
		a := accels[j%len(accels)]
		shape := fleetShapes[(j/len(accels)+pick(j, saltShape, len(fleetShapes)))%len(fleetShapes)]
		if j == 0 {
			shape = fleetShapes[0] // a plain one-GPU fleet for the heatmaps
		}
		tp, pp := shape[0], shape[1]
		replicas := 1 + pick(j, saltReplicas, 2)
		count := tp * pp * replicas
		name := fmt.Sprintf("g%04d-%dx-%s-tp%d-pp%d", j+1, count, a.ID, tp, pp)
		if j == 0 {
			first = name
		}
		fmt.Fprintf(&b, "  - name: %s\n    title: %q\n    accelerator: %s\n    count: %d\n    tp: %d\n    pp: %d\n    description: %q\n\n",
			name, fmt.Sprintf("G%04d: %d× %s, TP%d PP%d", j+1, count, a.Name, tp, pp), a.ID, count, tp, pp,
			fmt.Sprintf("Synthetic: %d replica(s) of %d accelerators each.", replicas, tp*pp))
	}
	return []byte(b.String()), first
}

// siteYAML is the default catalog's grid and scenario, with the heatmaps
// on heatmapFleet.
func siteYAML(heatmapFleet string) []byte {
	return []byte(`# Synthetic catalog written by kvplot-gen: the default catalog's grid and scenario.
contexts: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
batches: [1, 2, 4, 8, 16, 32]
kv_dtype: bf16
scenario: {context: 8192, batch: 8}
overhead:
  policy: simple
  fixed: 1 GiB
  capacity_fraction: 0.1
  weights_multiple: 0
heatmap_fleet: ` + heatmapFleet + "\n")
}

// Paths lists files' paths in order.
func (f Files) Paths() []string {
	out := make([]string, 0, len(f))
	for p := range f {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
