package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvplot/kvplot/internal/analysis"
)

// The fuzz targets' seed corpora live in testdata/fuzz/<FuzzName>/ and hold
// the real configs of ../../specs/hf and the native specs of ../../specs/models.
// scripts/fuzz.sh runs each target for a bounded time.

var errNoFile = errors.New("fuzzing reads no files")

// slowInput is how long one fuzz input may take. A longer one crashes the
// worker (a goroutine panic), so the fuzzer saves it: runaway time on any
// input is a bug, like a panic.
const slowInput = 10 * time.Second

func watchdog() (stop func() bool) {
	return time.AfterFunc(slowInput, func() { panic(fmt.Sprintf("input took longer than %v", slowInput)) }).Stop
}

func noFiles(string) ([]byte, error) { return nil, errNoFile }

// checkModel asserts what must hold for any model that parsed without
// problems: every parameter, weight, KV and plan figure is non-negative
// (the analysis saturates instead of overflowing), even at the largest
// context and batch a spec may ask for.
func checkModel(t *testing.T, m Model, input []byte) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\ninput:\n%s", fmt.Sprintf(format, args...), input)
	}
	if len(m.Arch.Layers) == 0 {
		fail("model %q parsed without problems but has no layers", m.Slug)
	}
	p := m.Arch.Params()
	if p.Total < 0 || p.Active < 0 || p.Vision < 0 || p.Active > p.Total {
		fail("Params(%s) = total %d, active %d, vision %d", m.Slug, p.Total, p.Active, p.Vision)
	}
	if p.Total > MaxParams {
		fail("Params(%s).Total = %d, over MaxParams without a problem", m.Slug, p.Total)
	}
	for _, c := range p.ByClass {
		if c < 0 {
			fail("Params(%s).ByClass = %v has a negative class", m.Slug, p.ByClass)
		}
	}
	if w := m.Weights.Bytes(p.ByClass); w < 0 {
		fail("weights bytes of %s = %d", m.Slug, w)
	}
	for _, name := range analysis.KVDTypeNames() {
		kv, _ := analysis.LookupKVDType(name)
		if b := m.Arch.KVBytesPerToken(kv); b < 0 {
			fail("KVBytesPerToken(%s, %s) = %d", m.Slug, name, b)
		}
		if b := m.Arch.StateBytesPerSequence(kv); b < 0 {
			fail("StateBytesPerSequence(%s, %s) = %d", m.Slug, name, b)
		}
		for _, ctx := range []int64{1, 8192, 10_000_000, MaxContextTokens} {
			if b := m.Arch.KVBytes(kv, ctx, MaxBatch); b < 0 {
				fail("KVBytes(%s, %s, %d, %d) = %d", m.Slug, name, ctx, MaxBatch, b)
			}
		}
	}
	s := DefaultSettings()
	for _, tp := range []int64{1, 8} {
		if TPProblem(&m.Arch, tp) != "" {
			continue
		}
		pp := min(int64(2), int64(len(m.Arch.Layers)))
		f := analysis.Fleet{Name: "fuzz", CapacityBytes: 80 << 30, Count: tp * pp, TP: tp, PP: pp}
		plan, err := analysis.NewPlan(&m.Arch, ScenarioFor(m, s), f)
		if err != nil {
			fail("NewPlan(%s, tp %d, pp %d): %v", m.Slug, tp, pp, err)
		}
		if l := plan.MaxContext(MaxBatch); l.Tokens < 0 {
			fail("MaxContext(%s) = %d", m.Slug, l.Tokens)
		}
		if n := plan.MaxConcurrency(MaxContextTokens); n < 0 {
			fail("MaxConcurrency(%s) = %d", m.Slug, n)
		}
		mem := plan.Memory(MaxContextTokens, MaxBatch)
		if mem.WeightsBytes < 0 || mem.KVBytes < 0 || mem.ActivationBytes < 0 || mem.RuntimeBytes < 0 {
			fail("Memory(%s) = %+v", m.Slug, mem)
		}
	}
}

// checkProblems asserts that an error from the loaders is Problems, each
// with a path and a message, and that printing them works.
func checkProblems(t *testing.T, err error, input []byte) {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v\ninput:\n%s", err, err, input)
	}
	if len(ps) == 0 {
		t.Fatalf("empty Problems returned as an error\ninput:\n%s", input)
	}
	for _, p := range ps {
		if p.Path == "" || p.Message == "" || p.Line < 0 || p.Col < 0 || (p.Line == 0) != (p.Col == 0) {
			t.Fatalf("malformed problem %#v\ninput:\n%s", p, input)
		}
	}
	_ = ps.Error()
}

// FuzzParseModel parses arbitrary bytes as a model spec (native YAML or a
// Hugging Face config); referenced configs cannot be read.
func FuzzParseModel(f *testing.F) {
	f.Add([]byte("name: x\narchitecture:\n  vocab_size: 10\n  hidden_size: 8\n  num_hidden_layers: 2\n  num_attention_heads: 2\n  intermediate_size: 16\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		m, err := ParseModel("fuzz.yaml", data, noFiles)
		if err != nil {
			checkProblems(t, err, data)
			return
		}
		checkModel(t, m, data)
	})
}

// FuzzHFConfig mutates real config.json files: key is set to value (any
// JSON) at the top level, or inside text_config when key starts with
// "text_config.". Non-JSON data is parsed as it is.
func FuzzHFConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"llama","vocab_size":32000,"hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,"intermediate_size":11008}`), "num_key_value_heads", []byte("8"))
	f.Fuzz(func(t *testing.T, data []byte, key string, value []byte) {
		defer watchdog()()
		input := mutateConfig(data, key, value)
		m, err := ParseModel("fuzz.config.json", input, noFiles)
		if err != nil {
			checkProblems(t, err, input)
			return
		}
		checkModel(t, m, input)
	})
}

// mutateConfig sets key to value in the JSON object data, when both are
// valid; otherwise it returns data unchanged.
func mutateConfig(data []byte, key string, value []byte) []byte {
	var cfg map[string]json.RawMessage
	if key == "" || json.Unmarshal(data, &cfg) != nil || !json.Valid(value) {
		return data
	}
	if sub, ok := strings.CutPrefix(key, "text_config."); ok {
		var text map[string]json.RawMessage
		if json.Unmarshal(cfg["text_config"], &text) != nil || text == nil {
			text = map[string]json.RawMessage{}
		}
		text[sub] = value
		b, err := json.Marshal(text)
		if err != nil {
			return data
		}
		cfg["text_config"] = b
	} else {
		cfg[key] = value
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return data
	}
	return out
}

// FuzzLoadSettings writes arbitrary bytes as site.yaml.
func FuzzLoadSettings(f *testing.F) {
	f.Add([]byte("contexts: [1024, 2048]\nbatches: [1, 8]\nkv_dtype: fp8\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		p := filepath.Join(t.TempDir(), "site.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, ps := LoadSettings(p)
		if len(ps) > 0 {
			checkProblems(t, ps, data)
			return
		}
		grids := [][]int64{s.Contexts, s.Report.CompareContexts, s.Report.DetailContexts}
		for _, g := range grids {
			checkGrid(t, g, MaxContextTokens, data)
		}
		for _, g := range [][]int64{s.Batches, s.Report.BatchSizes, s.Report.FleetBatches} {
			checkGrid(t, g, MaxBatch, data)
		}
		if len(s.Contexts)*len(s.Batches) > MaxGridCells {
			t.Fatalf("grid %d × %d accepted\ninput:\n%s", len(s.Contexts), len(s.Batches), data)
		}
		for _, n := range []int64{s.ScenarioContext, s.Report.BatchContext, s.Report.PerTokenContext} {
			if n < 1 || n > MaxContextTokens {
				t.Fatalf("context %d accepted\ninput:\n%s", n, data)
			}
		}
		if s.ScenarioBatch < 1 || s.ScenarioBatch > MaxBatch {
			t.Fatalf("batch %d accepted\ninput:\n%s", s.ScenarioBatch, data)
		}
		o := s.Overhead
		if o.FixedBytes < 0 || !(o.CapacityFraction >= 0 && o.CapacityFraction < 1) || !(o.WeightsMultiple >= 0 && o.WeightsMultiple <= 100) {
			t.Fatalf("overhead %+v accepted\ninput:\n%s", o, data)
		}
		if s.KVDType.Name == "" {
			t.Fatalf("no KV dtype\ninput:\n%s", data)
		}
	})
}

func checkGrid(t *testing.T, g []int64, hi int64, input []byte) {
	t.Helper()
	for i, n := range g {
		if n < 1 || n > hi || (i > 0 && n <= g[i-1]) {
			t.Fatalf("grid %v accepted (entry %d out of [1, %d] or not increasing)\ninput:\n%s", g, i, hi, input)
		}
	}
}

// FuzzCatalogFiles writes arbitrary accelerators.yaml and fleets.yaml next
// to one valid model and loads the directory. A catalog that loads must be
// usable: every accelerator has an id and a capacity, every fleet a known
// accelerator and a consistent shape, and every plan non-negative figures.
func FuzzCatalogFiles(f *testing.F) {
	f.Add([]byte("accelerators:\n  - id: h100\n    name: H100\n    memory: 80 GB\n"), []byte("fleets:\n  - name: one\n    accelerator: h100\n"))
	f.Fuzz(func(t *testing.T, accels, fleets []byte) {
		defer watchdog()()
		dir := t.TempDir()
		files := map[string][]byte{
			"models/tiny.yaml":  []byte("name: Tiny\narchitecture:\n  vocab_size: 1000\n  hidden_size: 512\n  num_hidden_layers: 4\n  num_attention_heads: 8\n  num_key_value_heads: 2\n  intermediate_size: 1024\n"),
			"accelerators.yaml": accels,
			"fleets.yaml":       fleets,
		}
		for name, data := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		input := append(append(append([]byte{}, accels...), "\n--- fleets.yaml ---\n"...), fleets...)
		c, err := LoadCatalog(dir)
		if err != nil {
			checkProblems(t, err, input)
			return
		}
		for _, a := range c.Accelerators {
			if a.ID == "" || a.RuntimeBytes < minAcceleratorBytes || a.NameplateBytes < minAcceleratorBytes || a.BandwidthBytes < 0 {
				t.Fatalf("accelerator %+v accepted\ninput:\n%s", a, input)
			}
		}
		for _, fl := range c.Fleets {
			if _, ok := c.Accelerator(fl.Accelerator); !ok || fl.TP < 0 || fl.PP < 0 || fl.GPUsPerNode < 0 || fl.Count%(max(fl.TP, 1)*max(fl.PP, 1)) != 0 || fl.Line < 1 {
				t.Fatalf("fleet %+v accepted\ninput:\n%s", fl, input)
			}
		}
		_ = c.CheckFleets().Error()
		for _, m := range c.Models {
			for _, fl := range c.Fleets {
				p, err := c.Plan(m, fl)
				if err != nil {
					checkProblems(t, err, input)
					continue
				}
				if l := p.MaxContext(1); l.Tokens < 0 {
					t.Fatalf("MaxContext on %s = %d\ninput:\n%s", fl.Name, l.Tokens, input)
				}
				if n := p.MaxConcurrency(8192); n < 0 {
					t.Fatalf("MaxConcurrency on %s = %d\ninput:\n%s", fl.Name, n, input)
				}
			}
		}
	})
}
