package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContextLimit pins each model's context limit against what its maker
// publishes.
func TestContextLimit(t *testing.T) {
	for _, c := range []struct {
		file string
		want int64
		why  string
	}{
		// https://huggingface.co/meta-llama/Meta-Llama-3-8B: "8k" context,
		// max_position_embeddings 8192, no rope_scaling.
		{"llama-3-8b.config.json", 8192, "known, unscaled"},
		// https://huggingface.co/openai-community/gpt2: 1,024 learned positions.
		{"gpt2.config.json", 1024, "learned positions (n_positions)"},
		// ChatGLM2-6B states seq_length 32768 (https://huggingface.co/THUDM/chatglm2-6b).
		{"chatglm2-6b.config.json", 32768, "alias seq_length"},
		// https://huggingface.co/meta-llama/Llama-3.1-70B: 128K context;
		// rope_type llama3 keeps max_position_embeddings 131072.
		{"llama-3.1-70b.config.json", 131072, "llama3 scaling keeps the stated limit"},
		// https://huggingface.co/openai/gpt-oss-120b: yarn factor 32 from
		// 4,096 original positions = 131,072 (the card's 128k).
		{"gpt-oss-120b.config.json", 131072, "yarn from original positions"},
		// https://huggingface.co/deepseek-ai/DeepSeek-V3: yarn factor 40 × 4,096.
		{"deepseek-v3.config.json", 163840, "yarn from original positions"},
		// Gemma 3's 128K (https://huggingface.co/google/gemma-3-4b-it) is
		// already scaled: its linear factor 8 is not applied again.
		{"gemma-3-4b-it.config.json", 131072, "gemma3 default, not rescaled"},
		// The config leaves max_position_embeddings out; transformers'
		// FalconConfig default is 2048, the sequence length of
		// https://huggingface.co/tiiuae/falcon-7b's training.
		{"falcon-7b-instruct.config.json", 2048, "family default"},
		{"falcon-40b.config.json", 2048, "family default (RefinedWeb)"},
	} {
		t.Run(c.file, func(t *testing.T) {
			m, err := LoadModel(filepath.Join("..", "..", "specs", "hf", c.file))
			if err != nil {
				t.Fatal(err)
			}
			if m.Arch.MaxContext != c.want {
				t.Errorf("MaxContext(%s) = %d, want %d (%s)", c.file, m.Arch.MaxContext, c.want, c.why)
			}
		})
	}
}

func TestContextLimitRopeScaled(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("..", "..", "specs", "hf", "qwen3-8b.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, rope string
		want       int64
	}{
		// https://huggingface.co/Qwen/Qwen3-8B: "32,768 natively and 131,072
		// tokens with YaRN", enabled by adding this rope_scaling.
		{"qwen3 yarn", `{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}`, 131072},
		// The older key name "type" means the same.
		{"type key", `{"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}`, 131072},
		// Linear and dynamic scaling stretch the stated positions (40,960).
		{"linear", `{"rope_type": "linear", "factor": 2.0}`, 81920},
		{"dynamic", `{"type": "dynamic", "factor": 1.5}`, 61440},
		{"longrope keeps", `{"rope_type": "longrope", "short_factor": [1.0], "long_factor": [1.0]}`, 40960},
		{"null", `null`, 40960},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := strings.Replace(string(base), `"rope_scaling": null`, `"rope_scaling": `+c.rope, 1)
			if c.rope != "null" && data == string(base) {
				t.Fatal("qwen3-8b config no longer has rope_scaling null")
			}
			m, err := ParseModel("qwen3-8b.config.json", []byte(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Arch.MaxContext != c.want {
				t.Errorf("MaxContext(%s) = %d, want %d", c.rope, m.Arch.MaxContext, c.want)
			}
		})
	}
}

func TestContextLimitUnknown(t *testing.T) {
	// No field gives a limit and the family has no default: unknown (0),
	// not a guess such as vLLM's 2048.
	cfg := `{"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 2,
	"num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 11008,
	"rope_scaling": {"rope_type": "linear", "factor": 4.0}}`
	m, err := ParseModel("x.config.json", []byte(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch.MaxContext != 0 {
		t.Errorf("MaxContext(no limit stated) = %d, want 0 (unknown)", m.Arch.MaxContext)
	}
	// A scaling that is not a mapping is an error naming the field.
	bad := strings.Replace(cfg, `{"rope_type": "linear", "factor": 4.0}`, `4`, 1)
	bad = strings.Replace(bad, `"num_hidden_layers": 2,`, `"num_hidden_layers": 2, "max_position_embeddings": 4096,`, 1)
	if _, err := ParseModel("x.config.json", []byte(bad), nil); err == nil || !strings.Contains(err.Error(), "rope_scaling") {
		t.Errorf("rope_scaling 4: err = %v, want a problem at rope_scaling", err)
	}
}
