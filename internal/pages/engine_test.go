package pages

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvplot/kvplot/internal/engine"
)

// TestVLLMNoteNeverEmptyReason checks the engine table's vLLM column: a
// start-up without tokens always says why, and "would not start:" is
// never printed without a reason.
func TestVLLMNoteNeverEmptyReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		est  engine.Estimate
		err  error
		want string
	}{
		{"starts", engine.Estimate{KVCacheTokens: 1000, AvailableKVBytes: 10 << 30}, nil, "10.00 GiB available"},
		{"refuses with a reason", engine.Estimate{StartupError: "no memory is left for the KV cache"}, nil, "would not start: no memory is left for the KV cache"},
		{"no tokens, no reason", engine.Estimate{AvailableKVBytes: 1 << 20}, nil, "no KV cache: "},
		{"cannot be placed", engine.Estimate{}, errors.New("fleet x: pp 9 exceeds the model's 8 layers"), "cannot be placed: fleet x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := engineNote(tc.est, tc.err)
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("vllmNote(%s) = %q, want it to start %q", tc.name, got, tc.want)
			}
			if r, ok := strings.CutPrefix(got, "would not start:"); ok && strings.TrimSpace(r) == "" {
				t.Errorf("vllmNote(%s) = %q: no reason", tc.name, got)
			}
		})
	}
}

// TestEngineSectionNamesVersions checks that the model page's engine text
// names the engine versions it follows.
func TestEngineSectionNamesVersions(t *testing.T) {
	_, s := buildDefault(t)
	for _, p := range s.Pages {
		for _, b := range p.Blocks {
			tx, ok := b.(Text)
			if !ok || tx.ID != "engines" {
				continue
			}
			body := strings.Join(tx.Paragraphs, " ")
			for _, v := range []string{"vLLM " + engine.VLLM019.Version, "SGLang " + engine.SGLangVersion} {
				if !strings.Contains(body, v) {
					t.Errorf("%s: engine section does not name %q:\n%s", p.Path, v, body)
				}
			}
			return
		}
	}
	t.Fatal("no model page has an engine section")
}
