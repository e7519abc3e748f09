package spec

import (
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// contextFields are the config fields that decide a model's context limit,
// in the order they are looked for.
var contextFields = []string{"max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "n_ctx"}

func init() {
	// Native architecture blocks may state RoPE scaling too.
	hfFields = append(hfFields, "rope_scaling", "rope_parameters")
}

// ropeKeepsLimit are the rope_scaling types whose max_position_embeddings
// already is the extended limit (vLLM's _get_and_verify_max_len leaves it as
// it is): Phi-3's longrope (and its old name su), and Llama 3.1's llama3.
var ropeKeepsLimit = map[string]bool{"su": true, "longrope": true, "llama3": true}

// contextLimit is the longest sequence a model was built for, by the rule
// vLLM applies to a config (its derived max_model_len): the first of
// contextFields present (or the family's default); then, when rope_scaling
// (rope_parameters in newer configs) stretches the positions, × factor —
// from original_max_position_embeddings for yarn — unless the type is one
// of ropeKeepsLimit or the model is a Gemma 3, whose limit is already
// scaled. 0 means unknown: nothing is assumed.
func contextLimit(o *obj, modelType string) int64 {
	// The family's config-class default answers when no field is stated
	// (Falcon's 2048: see family.go).
	base, _ := o.integer(1, MaxContextTokens, contextFields...)
	name, rs := o.field("rope_scaling", "rope_parameters")
	if base == 0 || rs == nil || strings.Contains(modelType, "gemma3") {
		return base
	}
	field := o.prefix + name
	if rs.Kind != yaml.MappingNode {
		o.f.errorf(rs, field, "must be a mapping of fields, got %s", kindName(rs))
		return 0
	}
	r := o.f.object(rs, field+".")
	kind, ok := r.str("rope_type", "type")
	if !ok || ropeKeepsLimit[kind] || kind == "default" {
		return base
	}
	if kind == "yarn" {
		if orig, has := r.integer(1, MaxContextTokens, "original_max_position_embeddings"); has {
			base = orig
		}
	}
	factor, has := r.number(1e-6, 1e6, "factor")
	if !has {
		return base
	}
	n := math.Floor(float64(base) * factor)
	if n > float64(MaxContextTokens) || n < 1 {
		o.f.errorf(r.valueNode("factor"), field+".factor", "scales the context to %.0f tokens, outside 1 to %d", n, MaxContextTokens)
		return 0
	}
	return int64(n)
}
