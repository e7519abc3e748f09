package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/site"
)

// calcJSON runs calc --json on the default specs and decodes the object.
func calcJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	return calcJSONIn(t, "../../specs", args...)
}

// calcJSONIn runs calc --json on the spec directory specs and decodes the
// object, failing the test on a non-zero exit or output that is not JSON.
func calcJSONIn(t *testing.T, specs string, args ...string) map[string]any {
	t.Helper()
	out, errs, code := runKVPlot(append([]string{"calc", "--specs", specs, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("kvplot calc %v: exit %d: %s", args, code, errs)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return doc
}

// --weight-dtype int4 quantizes attention and experts but keeps the
// embeddings, the output head, the router and the norms in bf16. For
// Mixtral-8x7B (46,702,792,704 parameters, Mistral's count): 32 layers ×
// 4096 × 8 router weights, 32000 × 4096 embeddings and as many in the
// untied head, 65 × 4096 norm weights; everything else is int4 with an fp16
// scale per 128 (all class sizes are multiples of 128).
func TestWeightDTypeKeepsRouterInBF16(t *testing.T) {
	const total, router, emb, norms = 46_702_792_704, 32 * 4096 * 8, 32000 * 4096, 65 * 4096
	const rest = total - router - 2*emb - norms
	want := int64(rest/2 + rest/128*2 + (router+2*emb+norms)*2)
	doc := calcJSON(t, "--model", "mixtral-8x7b-v0.1", "--weight-dtype", "int4")
	if got := jsonInt(t, doc, "weights_bytes"); got != want {
		t.Errorf("weights_bytes(mixtral, int4) = %d, want %d (router, embeddings, head and norms in bf16)", got, want)
	}
}

// copySpecs copies a spec directory into a temporary one.
func copySpecs(t *testing.T, from string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "specs")
	if err := os.CopyFS(dir, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Names from configs and specs reach the terminal as text: an escape
// sequence is shown escaped and cannot forge a line.
func TestTerminalOutputEscapesControls(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"_name_or_path": "x\u001b[2J\r\nfits yes\u009b\u202e", "model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257, "n_positions": 1024}`
	p := filepath.Join(dir, "c.json")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"calc", "--model", p}, {"calc", "--model", p, "--json"}} {
		out, errs, code := runKVPlot(args...)
		if code != 0 {
			t.Fatalf("kvplot %v: exit %d: %s", args, code, errs)
		}
		for _, bad := range []string{"\x1b", "\r", "\u009b", "\u202e", "\nfits yes"} {
			if strings.Contains(out, bad) {
				t.Errorf("kvplot %v printed %q raw:\n%s", args, bad, out)
			}
		}
		if !strings.Contains(out, `x\`) || !strings.Contains(out, "[2J") {
			t.Errorf("kvplot %v does not show the escape as text:\n%s", args, out)
		}
	}
	// A native spec's name must be one line: validate refuses it.
	specs := copySpecs(t, "../../specs/seed")
	m := filepath.Join(specs, "models", "llama-2-13b.yaml")
	b, _ := os.ReadFile(m)
	b = []byte(strings.Replace(string(b), "name: ", "name: \"evil\\nfits yes\" #", 1))
	if err := os.WriteFile(m, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runKVPlot("validate", "--specs", specs)
	if code != 1 || !strings.Contains(errs, "name: must be one line of text") || strings.Contains(errs, "\nfits yes") {
		t.Errorf("validate with a two-line name = exit %d, %q; want exit 1 refusing it, escaped", code, errs)
	}
}

// A model file name validate accepts builds and links; one the site
// cannot link to is refused by validate and build alike.
func TestOddFileNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"a_b.c-D9.yaml", true},
		{"a:b.yaml", false},
		{"a#b.yaml", false},
		{"a?b.yaml", false},
		{"a%41b.yaml", false},
		{"a b.yaml", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specs := copySpecs(t, "../../specs/seed")
			src := filepath.Join(specs, "models", "llama-2-13b.yaml")
			if err := os.Rename(src, filepath.Join(specs, "models", tc.name)); err != nil {
				t.Fatal(err)
			}
			_, verrs, vcode := runKVPlot("validate", "--specs", specs)
			out := filepath.Join(t.TempDir(), "out")
			_, berrs, bcode := runKVPlot("build", "--specs", specs, "--out", out)
			if !tc.ok {
				if vcode != 1 || bcode != 1 || !strings.Contains(verrs, "file name") || !strings.Contains(berrs, "file name") {
					t.Errorf("validate = %d %q, build = %d %q; want both to refuse the file name", vcode, verrs, bcode, berrs)
				}
				return
			}
			if vcode != 0 || bcode != 0 {
				t.Fatalf("validate = %d %q, build = %d %q; want both to pass", vcode, verrs, bcode, berrs)
			}
			if _, err := os.Stat(filepath.Join(out, "specs", "models", tc.name)); err != nil {
				t.Errorf("spec file not published under its name: %v", err)
			}
		})
	}
}

// The site does not depend on how --specs is spelled and holds no local
// absolute path.
func TestSiteIndependentOfSpecsSpelling(t *testing.T) {
	abs, err := filepath.Abs("../../specs/seed")
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildSiteWith(abs, site.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := buildSiteWith("../../specs/./seed/", site.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d files with an absolute --specs, %d with a relative one", len(a), len(b))
	}
	for p, x := range a {
		if !bytes.Equal(x, b[p]) {
			t.Errorf("%s differs between --specs spellings", p)
		}
		if bytes.Contains(x, []byte(abs)) {
			t.Errorf("%s holds the local path %s", p, abs)
		}
	}
}

// Flags that describe an impossible machine are refused in one line, in
// the flag's terms, instead of printing figures for it.
func TestFlagsCheckedAgainstTheMachine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"kv cache memory beyond the GPU", []string{"--gpu", "h100-sxm", "--engine", "vllm", "--kv-cache-memory", "1TiB"}, "--kv-cache-memory 1TiB is more than the whole GPU (79.19 GiB)"},
		{"half a byte of GPU", []string{"--gpu-memory", "0.5B"}, "less than kvplot's minimum of 1 MiB"},
		{"a kilobyte GPU", []string{"--gpu-memory", "1000KB"}, "less than kvplot's minimum of 1 MiB"},
		{"sglang on a GPU smaller than its reserve", []string{"--gpu-memory", "2GiB", "--engine", "sglang"}, "too small for SGLang"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runKVPlot(append([]string{"calc", "--specs", "../../specs", "--model", "llama-3-8b"}, tc.args...)...)
			if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
				t.Errorf("calc %v = exit %d, stdout %q, stderr %q; want exit 1 and one line containing %q", tc.args, code, out, errs, tc.want)
			}
			if strings.Contains(errs, "mem_fraction_static") {
				t.Errorf("calc %v blames a mem_fraction_static the user never set: %q", tc.args, errs)
			}
		})
	}
}
