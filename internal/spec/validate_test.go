package spec

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/analysis"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Path: "specs/models/x.yaml", Line: 14, Col: 7, Field: "attention.kv_heads", Message: "must divide heads (32), got 5"},
			"specs/models/x.yaml:14:7: attention.kv_heads: must divide heads (32), got 5"},
		{Problem{Path: "specs/models", Message: "no model specs (*.yaml, *.json) found"}, "specs/models: no model specs (*.yaml, *.json) found"},
		{Problem{Path: "a.yaml", Line: 1, Col: 1, Message: "syntax error: x"}, "a.yaml:1:1: syntax error: x"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	var many Problems
	for range MaxShown + 5 {
		many = append(many, Problem{Path: "a.yaml", Message: "m"})
	}
	lines := strings.Split(many.Error(), "\n")
	if len(lines) != MaxShown+1 || lines[MaxShown] != "too many problems: 5 more not shown" {
		t.Errorf("Error() of %d problems ends %q after %d lines, want the cap line after %d", len(many), lines[len(lines)-1], len(lines), MaxShown)
	}
}

// parseString parses a model spec held in a string.
func parseString(name, text string) (Model, error) {
	return ParseModel(name, []byte(text), noFiles)
}

// TestAccepted checks inputs that look odd but are valid and must load.
func TestAccepted(t *testing.T) {
	const tiny = "name: Tiny\narchitecture:\n  vocab_size: 1000\n  hidden_size: 512\n  num_hidden_layers: 4\n  num_attention_heads: 8\n  intermediate_size: 1024\n"
	tests := []struct {
		name, file, text string
	}{
		{"JSON indented with tabs", "m.json", "{\n\t\"model_type\": \"llama\",\n\t\"vocab_size\": 1000,\n\t\"hidden_size\": 512,\n\t\"num_hidden_layers\": 4,\n\t\"num_attention_heads\": 8,\n\t\"intermediate_size\": 1024\n}\n"},
		{"JSON with a byte-order mark", "m.json", "\xef\xbb\xbf{\"model_type\": \"llama\", \"vocab_size\": 1000, \"hidden_size\": 512, \"num_hidden_layers\": 4, \"num_attention_heads\": 8, \"intermediate_size\": 1024}"},
		{"Python NaN in a field kvplot does not read", "m.json", "{\"model_type\": \"llama\", \"vocab_size\": 1000, \"hidden_size\": 512, \"num_hidden_layers\": 4, \"num_attention_heads\": 8, \"intermediate_size\": 1024, \"rope_theta\": NaN, \"x\": -Infinity, \"s\": \"NaN\"}"},
		{"YAML anchors and aliases", "m.yaml", "name: Tiny\narchitecture:\n  vocab_size: 1000\n  hidden_size: &h 512\n  num_hidden_layers: 4\n  num_attention_heads: 8\n  intermediate_size: *h\n"},
		{"a trailing document marker", "m.yaml", tiny + "---\n"},
		{"YAML in flow style", "m.yaml", "{name: Tiny, architecture: {vocab_size: 1000, hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8, intermediate_size: 1024}}\n"},
		{"JSON in a file without extension", "config", "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 1000, \"hidden_size\": 512, \"num_hidden_layers\": 4, \"num_attention_heads\": 8, \"intermediate_size\": 1024}"},
		{"window larger than the model's context", "m.yaml", tiny + "  max_position_embeddings: 4096\n  sliding_window: 131072\n"},
		{"head_dim × heads unlike hidden_size (Qwen3)", "m.yaml", tiny + "  head_dim: 128\n"},
		{"counts at the limit", "m.yaml", strings.Replace(strings.Replace(tiny, "1000", "1099511627776", 1), "512", "256", 1)},
		{"whole floats", "m.yaml", strings.Replace(tiny, "1024", "1.024e3", 1)},
		{"underscores and hex", "m.yaml", strings.Replace(strings.Replace(tiny, "1000", "1_000", 1), "512", "0x200", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseString(tc.file, tc.text)
			if err != nil {
				t.Fatalf("ParseModel:\n%v", err)
			}
			if p := m.Arch.Params().Total; p <= 0 {
				t.Errorf("Params().Total = %d, want > 0", p)
			}
		})
	}
}

func TestEmptySiteIsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(p, []byte("# all defaults\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, ps := LoadSettings(p)
	if len(ps) > 0 {
		t.Fatalf("LoadSettings(comment-only file): %v", ps)
	}
	if got, want := len(s.Contexts), len(DefaultSettings().Contexts); got != want {
		t.Errorf("len(Contexts) = %d, want the default %d", got, want)
	}
}

func TestSettingsLimits(t *testing.T) {
	seq := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := 1; i <= n; i++ {
			if i > 1 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(i))
		}
		return b.String() + "]"
	}
	tests := []struct {
		name, text string
		problem    string // "" when valid
	}{
		{"grid of exactly 4096 cells", "contexts: " + seq(64) + "\nbatches: " + seq(64) + "\n", ""},
		{"grid of 4160 cells", "contexts: " + seq(65) + "\nbatches: " + seq(64) + "\n", "exceeds 4096 cells"},
		{"context of 2^32 tokens", "contexts: [4294967296]\n", ""},
		{"context of 2^32+1 tokens", "contexts: [4294967297]\n", "must be at most 4294967296"},
		{"10M-token scenario", "scenario: {context: 10000000, batch: 4096}\n", ""},
		{"batch of 2^20+1", "batches: [1048577]\n", "must be at most 1048576"},
		{"list of 1025 entries", "contexts: " + seq(1025) + "\nbatches: [1]\n", "has 1025 entries; at most 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "site.yaml")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, ps := LoadSettings(p)
			switch {
			case tc.problem == "" && len(ps) > 0:
				t.Errorf("LoadSettings: %v, want no problem", ps)
			case tc.problem != "" && !strings.Contains(ps.Error(), tc.problem):
				t.Errorf("LoadSettings problems = %q, want one containing %q", ps.Error(), tc.problem)
			}
		})
	}
}

// TestHugeModelsSaturate checks the limits end to end: a trillion-parameter
// model at a 10M-token context with thousands of sequences gives large,
// exact or saturated, never negative figures.
func TestHugeModelsSaturate(t *testing.T) {
	// Trillion-parameter: DeepSeek-V3's shape with 400 routed experts instead of 256.
	data, err := os.ReadFile(filepath.Join("testdata", "hf", "deepseek-v3.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseModel("deepseek-400e.config.json", mutateConfig(data, "n_routed_experts", []byte("400")), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Arch.Params().Total
	if p < 1_000_000_000_000 || p > MaxParams {
		t.Fatalf("Params(deepseek-v3 with 400 experts).Total = %d, want over a trillion", p)
	}
	kv, _ := analysis.LookupKVDType("bf16")
	for _, tc := range []struct{ context, batch int64 }{{10_000_000, 4096}, {MaxContextTokens, MaxBatch}} {
		got := m.Arch.KVBytes(kv, tc.context, tc.batch)
		per := m.Arch.KVBytesPerToken(kv)
		if exact := float64(per) * float64(tc.context) * float64(tc.batch); exact < math.MaxInt64 {
			if float64(got) < exact*0.999 || float64(got) > exact*1.001 {
				t.Errorf("KVBytes(%d, %d) = %d, want %.0f", tc.context, tc.batch, got, exact)
			}
		} else if got != math.MaxInt64 {
			t.Errorf("KVBytes(%d, %d) = %d, want saturated %d", tc.context, tc.batch, got, int64(math.MaxInt64))
		}
	}
	plan, err := analysis.NewPlan(&m.Arch, ScenarioFor(m, DefaultSettings()), analysis.Fleet{Name: "big", CapacityBytes: 192 << 30, Count: 64, TP: 8, PP: 8})
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.MaxConcurrency(10_000_000); n < 0 {
		t.Errorf("MaxConcurrency(10M) = %d", n)
	}
	if mem := plan.Memory(MaxContextTokens, MaxBatch); mem.KVBytes != math.MaxInt64 || mem.FreeBytes >= 0 {
		t.Errorf("Memory(2^32, 2^20) = %+v, want a saturated cache that does not fit", mem)
	}
}

func TestTPProblem(t *testing.T) {
	gqa := func(heads, kv int64) *analysis.Model {
		return &analysis.Model{Layers: []analysis.Layer{{Kind: analysis.FullAttention, Attn: analysis.Attention{Heads: heads, KVHeads: kv, HeadDim: 64}}}}
	}
	tests := []struct {
		name  string
		m     *analysis.Model
		tp    int64
		wants string // "" when tp fits
	}{
		{"tp 1 always fits", gqa(71, 1), 1, ""},
		{"llama-3-8b on tp 8", gqa(32, 8), 8, ""},
		{"kv heads replicated on tp 8", gqa(32, 2), 8, ""},
		{"gpt2 on tp 8", gqa(12, 12), 8, "tp 8 does not divide the 12 attention heads"},
		{"qwen2.5-7b on tp 8", gqa(28, 4), 8, "tp 8 does not divide the 28 attention heads"},
		{"6 kv heads on tp 4", gqa(24, 6), 4, "tp 4 neither divides nor is a multiple of the 6 KV heads"},
		{"mla heads", &analysis.Model{Layers: []analysis.Layer{{Kind: analysis.MLAAttention, MLA: analysis.MLA{Heads: 128}}}}, 3, "does not divide the 128 attention heads"},
		{"linear heads", &analysis.Model{Layers: []analysis.Layer{{Kind: analysis.LinearAttention, Linear: analysis.Linear{KHeads: 16, VHeads: 32}}}}, 32, "does not divide the 16 linear-attention heads"},
	}
	for _, tc := range tests {
		got := TPProblem(tc.m, tc.tp)
		if (tc.wants == "") != (got == "") || !strings.Contains(got, tc.wants) {
			t.Errorf("TPProblem(%s, %d) = %q, want %q", tc.name, tc.tp, got, tc.wants)
		}
	}
}

// TestPlanNamesFleetLine checks that a fleet that cannot split a model
// fails where the plan is built, at the fleet's tp line, and that other
// models still plan on it.
func TestPlanNamesFleetLine(t *testing.T) {
	c, err := LoadCatalog(filepath.Join("testdata", "bad", "fleet-tp-does-not-divide-heads", "spec"))
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	fl, _ := c.Fleet("8x-h100")
	gpt, _ := c.Model("gpt2ish")
	tiny, _ := c.Model("tiny")
	// Plan says why in words (pages show it); CheckFleets names the line.
	_, err = c.Plan(gpt, fl)
	if err == nil || !strings.Contains(err.Error(), "tp 8 fixed, and tp 8 does not divide the 12 attention heads") || strings.Contains(err.Error(), "fleets.yaml") {
		t.Errorf("Plan(gpt2ish, 8x-h100) error = %v, want the reason in words without a file position", err)
	}
	ps := c.CheckFleets()
	if len(ps) == 0 || ps[0].Line != 12 || ps[0].Field != "fleets[2].tp" {
		t.Errorf("CheckFleets() = %v, want a note at fleets.yaml:12 fleets[2].tp", ps)
	}
	if _, err := c.Plan(tiny, fl); err != nil {
		t.Errorf("Plan(tiny, 8x-h100) = %v, want a plan", err)
	}
	if fl.Line != 9 || fl.Col != 5 {
		t.Errorf("Fleet(8x-h100) at %d:%d, want 9:5", fl.Line, fl.Col)
	}
}

// TestUnreadable covers files that exist but cannot be read.
func TestUnreadable(t *testing.T) {
	src := filepath.Join("testdata", "bad", "fleet-unknown-accelerator", "spec")
	dir := t.TempDir()
	for _, name := range []string{"models/tiny.yaml", "fleets.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "accelerators.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere.yaml", filepath.Join(dir, "models", "dangling.yaml")); err != nil {
		t.Skip("no symlinks:", err)
	}
	_, err := LoadCatalog(dir)
	got := strings.ReplaceAll(filepath.ToSlash(err.Error()), filepath.ToSlash(dir)+"/", "")
	for _, want := range []string{
		"accelerators.yaml: cannot read: is a directory",
		"models/dangling.yaml: cannot read: no such file",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("LoadCatalog error:\n%s\nwant a line %q", got, want)
		}
	}
}

// TestSitePricesOverride: site.yaml prices replace an accelerator's
// price_per_hour and name their own source.
func TestSitePricesOverride(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "bad", "site-unknown-references", "spec")
	for _, name := range []string{"accelerators.yaml", "fleets.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "models"), os.DirFS(filepath.Join(src, "models"))); err != nil {
		t.Fatal(err)
	}
	site := "prices: {h100-sxm: 1.25}\nprices_source: \"our contract, 2026-11\"\n"
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Accelerator("h100-sxm")
	if a.PricePerHour != 1.25 || !strings.Contains(a.PriceSource, "our contract, 2026-11") {
		t.Errorf("h100-sxm price %g (%q), want 1.25 from site.yaml", a.PricePerHour, a.PriceSource)
	}
	if l4, _ := c.Accelerator("l4"); l4.PricePerHour != 0 {
		t.Errorf("l4 price %g, want none (not overridden, none given)", l4.PricePerHour)
	}
}
