package spec

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gpt2Config is a small valid config.json (specs/hf/gpt2.config.json).
func gpt2Config(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "specs", "hf", "gpt2.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadWithin loads tree/models/m.yaml referring to config, failing the test
// if it takes more than 5 s (a FIFO or device read would block or grow).
func loadWithin(t *testing.T, specFile string) (Model, error) {
	t.Helper()
	type result struct {
		m   Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := LoadModel(specFile)
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("LoadModel(%s) still running after 5 s", specFile)
	}
	return Model{}, nil
}

// The spec directory is the boundary: a config outside it (by .., by an
// absolute path or through a symlink) is refused naming the field, and its
// content never reaches the message.
func TestConfigStaysInsideSpecTree(t *testing.T) {
	base := t.TempDir()
	tree := filepath.Join(base, "specs")
	secret := []byte(`{"model_type": "gpt2", "n_embd": 768, "token": "hf_SECRET"}`)
	write(t, filepath.Join(base, "private", "config.json"), secret)
	write(t, filepath.Join(tree, "hf", "gpt2.config.json"), gpt2Config(t))
	write(t, filepath.Join(base, "outside.json"), gpt2Config(t))
	if err := os.Symlink(filepath.Join(base, "outside.json"), filepath.Join(tree, "hf", "link-out.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("gpt2.config.json", filepath.Join(tree, "hf", "link-in.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(tree, "hf", "zero.json")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(tree, ".env"), []byte("TOKEN=hf_SECRET\n"))
	if err := syscall.Mkfifo(filepath.Join(tree, "hf", "fifo.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(tree, "hf", "big.json")
	write(t, big, nil)
	if err := os.Truncate(big, MaxFileBytes+1); err != nil { // sparse: no disk, no memory
		t.Fatal(err)
	}
	tests := []struct {
		name, config, want string
	}{
		{"inside", "../hf/gpt2.config.json", ""},
		{"symlink that stays inside", "../hf/link-in.json", ""},
		{"dot-dot out of the tree", "../../private/config.json", `config: "../../private/config.json": outside the spec directory`},
		{"absolute path", filepath.Join(base, "private", "config.json"), "outside the spec directory"},
		{"symlink out of the tree", "../hf/link-out.json", `config: "../hf/link-out.json": outside the spec directory`},
		{"symlink to a device", "../hf/zero.json", "outside the spec directory"},
		{"a device named directly", "/dev/zero", "config: must name a Hugging Face config file ending in .json"},
		{"not a json file", "../.env", `config: must name a Hugging Face config file ending in .json, got "../.env"`},
		{"a FIFO does not block", "../hf/fifo.json", "not a regular file"},
		{"over the size limit", "../hf/big.json", "larger than kvplot's limit of 16 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(tree, "models", "m.yaml")
			write(t, p, []byte("name: M\nconfig: "+tc.config+"\n"))
			m, err := loadWithin(t, p)
			if tc.want == "" {
				if err != nil || m.Arch.Hidden != 768 {
					t.Fatalf("LoadModel = hidden %d, %v; want gpt2 read", m.Arch.Hidden, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadModel(config: %s) succeeded, want %q", tc.config, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "SECRET") || strings.Count(msg, "\n") > 0 {
				t.Errorf("LoadModel(config: %s) = %q, want one line containing %q and no file content", tc.config, msg, tc.want)
			}
		})
	}
}

// A catalog reads only regular files inside its directory: a FIFO model
// spec and a model spec symlinked from elsewhere are errors, promptly.
func TestCatalogReadsOnlyItsOwnRegularFiles(t *testing.T) {
	base := t.TempDir()
	tree := filepath.Join(base, "specs")
	if err := os.CopyFS(tree, os.DirFS(filepath.Join("..", "..", "specs", "seed"))); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "models", "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(base, "elsewhere.yaml"), []byte("name: Elsewhere\narchitecture: {}\n"))
	if err := os.Symlink(filepath.Join(base, "elsewhere.yaml"), filepath.Join(tree, "models", "linked.yaml")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadCatalog(tree); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("LoadCatalog still running after 5 s (blocked on a FIFO?)")
	}
	if err == nil {
		t.Fatal("LoadCatalog succeeded; want the FIFO and the outside symlink refused")
	}
	for _, want := range []string{"models/fifo.yaml: not a regular file", "models/linked.yaml: outside the spec directory"} {
		if !strings.Contains(filepath.ToSlash(err.Error()), want) {
			t.Errorf("LoadCatalog error:\n%s\nwant a line containing %q", err, want)
		}
	}
}

// A file of millions of tiny values is refused before parsing, in bounded
// time and memory, though it is under the byte limit.
func TestManyValuesRefused(t *testing.T) {
	tree := t.TempDir()
	cfg := strings.Replace(string(gpt2Config(t)), "{", `{"junk": [`+strings.Repeat("1,", 2_000_000)+`1],`, 1)
	write(t, filepath.Join(tree, "hf", "junk.json"), []byte(cfg))
	p := filepath.Join(tree, "models", "m.yaml")
	write(t, p, []byte("name: M\nconfig: ../hf/junk.json\n"))
	_, err := loadWithin(t, p)
	if err == nil || !strings.Contains(err.Error(), "more than kvplot's limit of 100,000") {
		t.Fatalf("LoadModel(2M values) = %v, want the value limit", err)
	}
}

// A value too large for a float64 in a field kvplot does not read is not a
// syntax error.
func TestHugeNumberInIgnoredField(t *testing.T) {
	tree := t.TempDir()
	cfg := strings.Replace(string(gpt2Config(t)), "{", `{"unused_scale": 1e400,`, 1)
	write(t, filepath.Join(tree, "hf", "c.json"), []byte(cfg))
	p := filepath.Join(tree, "models", "m.yaml")
	write(t, p, []byte("name: M\nconfig: ../hf/c.json\n"))
	if m, err := LoadModel(p); err != nil || m.Arch.Hidden != 768 {
		t.Fatalf("LoadModel = hidden %d, %v; want gpt2 read", m.Arch.Hidden, err)
	}
}

// Messages quote a short prefix of a bad value and escape control
// characters, so a hostile value cannot flood or rewrite a terminal.
func TestMessagesQuoteShortEscapedValues(t *testing.T) {
	long := strings.Repeat("A", 10_000)
	m := []byte("name: M\nsecret_" + long + ": 1\narchitecture:\n  hidden_size: \"\x1b[2J" + long + "\"\n")
	_, err := ParseModel("evil\x1b[31m.yaml", m, nil)
	if err == nil {
		t.Fatal("ParseModel succeeded; want problems")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\x1b") {
		t.Errorf("message carries a raw escape: %q", msg)
	}
	for _, line := range strings.Split(msg, "\n") {
		if len(line) > 600 {
			t.Errorf("message line of %d bytes; want a short prefix of the value: %.200s…", len(line), line)
		}
	}
}

// The byte limit is inclusive: a file of exactly MaxFileBytes is read (and
// then judged on its content), one byte more is refused.
func TestSizeLimitBoundary(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		size    int64
		refused bool
	}{{MaxFileBytes, false}, {MaxFileBytes + 1, true}} {
		p := filepath.Join(dir, "f.yaml")
		write(t, p, nil)
		if err := os.Truncate(p, tc.size); err != nil {
			t.Fatal(err)
		}
		data, err := readBounded(p)
		switch {
		case tc.refused && err != errTooLarge:
			t.Errorf("readBounded(%d bytes) = %v, want the size limit", tc.size, err)
		case !tc.refused && (err != nil || int64(len(data)) != tc.size):
			t.Errorf("readBounded(%d bytes) = %d bytes, %v; want it all", tc.size, len(data), err)
		}
	}
}

// YAML files are bounded in values too: lines and flow entries count.
func TestManyYAMLValuesRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "models", "m.yaml")
	write(t, p, []byte("name: M\ndescription: |\n"+strings.Repeat("  x\n", MaxFileValues+10)))
	_, err := loadWithin(t, p)
	if err == nil || !strings.Contains(err.Error(), "more than kvplot's limit of 100,000") {
		t.Fatalf("LoadModel(100,010 lines) = %v, want the value limit", err)
	}
	if n := valueCount("m.yaml", []byte("a: [1, 2, 3]\nb: {c: 4}\n")); n < 7 {
		t.Errorf("valueCount(6 values) = %d, want at least 7", n)
	}
}

// Only %q arguments (values from specs) are cut; %s arguments such as
// kvplot's own lists stay whole. A value of exactly maxQuoted characters
// is not cut.
func TestCutQuoted(t *testing.T) {
	long := strings.Repeat("y", 500)
	exact := strings.Repeat("z", maxQuoted)
	args := []any{long, 5, long, exact}
	cutQuoted("%s has %d: %q and %q 100%%", args)
	if args[0] != long || args[1] != 5 || args[3] != exact {
		t.Errorf("cutQuoted changed a %%s, %%d or a short %%q argument: %v", args)
	}
	if s := args[2].(string); s != strings.Repeat("y", maxQuoted)+"…" {
		t.Errorf("cutQuoted(%%q of 500 characters) = %d characters, want %d and an ellipsis", len([]rune(s)), maxQuoted)
	}
	if got := quoteShort(exact); got != `"`+exact+`"` {
		t.Errorf("quoteShort(%d characters) = %s, want it whole", maxQuoted, got)
	}
}

// Flags and widths do not hide a %q from cutQuoted.
func TestCutQuotedWithFlags(t *testing.T) {
	long := strings.Repeat("w", 300)
	args := []any{7, long, long}
	cutQuoted("%-4d %+10q %s", args)
	if args[0] != 7 || args[2] != long {
		t.Errorf("cutQuoted changed a %%d or %%s argument: %v", args[0])
	}
	if s, _ := args[1].(string); len([]rune(s)) != maxQuoted+1 {
		t.Errorf("cutQuoted(%%+10q of 300 characters) = %d characters, want %d", len([]rune(s)), maxQuoted+1)
	}
}
