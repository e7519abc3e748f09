package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runGen(args ...string) (stdout, stderr string, code int) {
	var out, errs bytes.Buffer
	code = exitCode(run(args, &out, &errs), &errs)
	return out.String(), errs.String(), code
}

func TestRun(t *testing.T) {
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout on success, in stderr otherwise
	}{
		{"writes a catalog", []string{"--from", "../../specs", "--models", "3", "--fleets", "2", "--out", filepath.Join(tmp, "new")}, 0, "wrote 3 models and 2 fleets"},
		{"help exits 0", []string{"--help"}, 0, "Usage: kvplot-gen"},
		{"out is required", []string{"--models", "3"}, 2, "--out is required"},
		{"models out of range", []string{"--out", filepath.Join(tmp, "a"), "--models", "0"}, 2, "--models: want 1 to"},
		{"unknown flag", []string{"--out", filepath.Join(tmp, "b"), "--modles", "3"}, 2, "unknown flag"},
		{"stray argument", []string{"--out", filepath.Join(tmp, "c"), "extra"}, 2, `unexpected argument "extra"`},
		{"non-empty out fails", []string{"--from", "../../specs", "--models", "1", "--fleets", "1", "--out", full}, 1, "is not empty"},
		{"missing base fails", []string{"--from", filepath.Join(tmp, "nothing"), "--out", filepath.Join(tmp, "d")}, 1, "no hf/*.config.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runGen(tc.args...)
			got := stderr
			if tc.wantCode == 0 {
				got = stdout
			}
			if code != tc.wantCode || !strings.Contains(got, tc.want) {
				t.Errorf("kvplot-gen %s = exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.wantCode, tc.want)
			}
		})
	}
}
