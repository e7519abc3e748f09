package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// calcJSON runs calc --json on the default specs and decodes the object.
func calcJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, code := runKVPlot(append([]string{"calc", "--specs", "../../specs", "--json"}, args...)...)
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
