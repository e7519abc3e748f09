package spec

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/units"
	"go.yaml.in/yaml/v3"
)

// Model is a model spec: an architecture and what kvplot shows about it.
type Model struct {
	// Slug is the model's identifier: the file name without extension.
	Slug        string
	Name        string
	Description string
	Source      string // http(s) URL of the model's page
	// File is the spec file as given; ConfigFile the Hugging Face config it
	// reads, if any.
	File       string
	ConfigFile string
	// ParamsPublished is the maker's official parameter count, 0 if none.
	// When ParamsCounted is set it is instead an exact count others made
	// from this same config (the maker published only a rounded figure):
	// agreement with it checks kvplot's arithmetic, not its reading.
	ParamsPublished int64
	ParamsSource    string
	ParamsCounted   bool
	// Family is the model_type whose rules read the config ("" for a native
	// architecture without one); Notes say what kvplot assumed while reading
	// it: the config-class defaults used for fields the config leaves out.
	Family  string
	Notes   []string
	Weights analysis.WeightScheme
	// WeightsFrom says where a quantized format came from
	// ("quantization_config awq: ..."), "" for a plain dtype.
	WeightsFrom string
	Arch        analysis.Model
	// Checkpoint is the checkpoint directory a native spec names
	// (checkpoint:), resolved against the spec file's directory; "" for none.
	Checkpoint    string
	namePos       position
	checkpointPos position
}

// modelFields are the top-level fields of a native model spec.
var modelFields = []string{"name", "description", "source", "config", "family", "architecture", "params_published", "params_source", "params_basis", "weights", "checkpoint"}

var weightFields = []string{"dtype", "group_size", "scale_bits", "keep_16bit", "overrides"}

// isNative tells a kvplot model spec from a Hugging Face config: a native
// spec has an architecture or a config reference, or (when one of those is
// misspelt or missing) kvplot's own fields and none of a config's hallmarks.
func isNative(o *obj) bool {
	if o.firstPresent("architecture", "config") != "" {
		return true
	}
	if o.firstPresent("model_type", "architectures", "_name_or_path", "transformers_version", "text_config",
		"vocab_size", "hidden_size", "n_embd", "d_model", "num_hidden_layers", "n_layer") != "" {
		return false
	}
	return o.firstPresent("name", "description", "source", "params_published", "params_source", "weights") != ""
}

// MaxParams bounds a model's parameter count: 2^50 (about 1.1 quadrillion),
// a thousand times the largest published models. A spec past it has a
// misplaced digit somewhere.
const MaxParams = int64(1) << 50

// ParseModel reads a model spec from data. path is the file's name as the
// user gave it (for messages and relative config references); readFile
// reads a referenced config.
func ParseModel(pathGiven string, data []byte, readFile func(string) ([]byte, error)) (Model, error) {
	return ParseModelAs(pathGiven, data, readFile, ReadOptions{})
}

// ReadOptions change how a model spec is read.
type ReadOptions struct {
	// Family forces a family: a raw config.json is read by the rules of
	// that model_type whatever its own says ("" for none).
	Family string
	// WeightsGiven says the caller sets the weight format itself
	// (--weight-dtype), so the config's own is not read.
	WeightsGiven bool
}

// ParseModelAs is ParseModel with options.
func ParseModelAs(pathGiven string, data []byte, readFile func(string) ([]byte, error), opt ReadOptions) (Model, error) {
	f := &file{path: pathGiven}
	m := parseModel(f, data, readFile, opt)
	if len(f.problems) > 0 {
		sortProblems(f.problems)
		return m, f.problems
	}
	return m, nil
}

// LoadModel reads a model spec file.
func LoadModel(p string) (Model, error) { return LoadModelAs(p, ReadOptions{}) }

// LoadModelAs reads a model spec file with options. A config it
// references must lie in the same spec tree: the directory holding models/
// when the file sits in a models folder, else the file's own directory.
func LoadModelAs(p string, opt ReadOptions) (Model, error) {
	return loadModelIn(modelTree(p), p, opt)
}

// loadModelIn reads model file p of spec tree t; its config must be in t.
func loadModelIn(t tree, p string, opt ReadOptions) (Model, error) {
	data, err := t.read(p)
	if err != nil {
		return Model{}, Problems{{Path: p, Message: readError(err)}}
	}
	m, err := ParseModelAs(p, data, t.read, opt)
	if err == nil && m.Checkpoint != "" {
		if err := t.check(m.Checkpoint); err != nil {
			return m, Problems{at(p, m.checkpointPos, "checkpoint", "%s", readError(err))}
		}
	}
	return m, err
}

func readError(err error) string {
	var out outsideError
	switch {
	case errors.As(err, &out), errors.Is(err, errNotRegular), errors.Is(err, errTooLarge):
		return err.Error()
	case os.IsNotExist(err):
		return "cannot read: no such file"
	case os.IsPermission(err):
		return "cannot read: permission denied"
	}
	msg := err.Error()
	if pe, ok := err.(*os.PathError); ok {
		msg = pe.Err.Error()
	}
	return "cannot read: " + msg
}

func slugOf(p string) string {
	base := filepath.Base(p)
	for _, ext := range []string{".config.json", ".json", ".yaml", ".yml"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}

func parseModel(f *file, data []byte, readFile func(string) ([]byte, error), opt ReadOptions) Model {
	m := parseModelFields(f, data, readFile, opt)
	m.Notes = f.notes
	return m
}

func parseModelFields(f *file, data []byte, readFile func(string) ([]byte, error), opt ReadOptions) Model {
	forced := opt.Family
	m := Model{Slug: slugOf(f.path), File: f.path}
	m.Weights = analysis.WeightScheme{Default: mustDType("bf16")}
	root := f.parse(data)
	if root == nil {
		return m
	}
	o := f.object(root, "")
	if root.Kind != yaml.MappingNode {
		return m
	}
	if !isNative(o) {
		// A Hugging Face config.json as published.
		m.Name = m.Slug
		defer checkSize(f, root, "", &m.Arch)
		if n, ok := o.str("_name_or_path"); ok && n != "" {
			m.Name = escapeControls(n) // shown only: kept, made printable
		}
		if td, ok := o.str("torch_dtype", "dtype"); ok && !opt.WeightsGiven {
			if d, ok := analysis.LookupDType(td); ok {
				m.Weights.Default = d
			} else {
				f.errorf(o.vals[o.firstPresent("torch_dtype", "dtype")], "torch_dtype", "kvplot cannot size weights of dtype %q (it knows float32, float16, bfloat16 and float8)", td)
			}
		}
		a, ok := interpretHF(f, o, false, forced)
		if ok {
			a.Name = m.Name
			m.Arch = a
			m.Family = familyName(o, forced)
			if !opt.WeightsGiven {
				m.readQuant(f, o)
			}
		}
		return m
	}
	o.strict(modelFields...)
	m.namePos = posOf(o.pos("name"))
	m.Name, _ = o.label("name")
	switch {
	case o.firstPresent("name") == "":
		f.errorf(o.n, "name", "missing: a model spec needs a name")
	case strings.TrimSpace(m.Name) == "":
		f.errorf(o.pos("name"), "name", "must not be empty")
	}
	m.Description, _ = o.str("description")
	if c, ok := o.str("checkpoint"); ok {
		m.checkpointPos = posOf(o.vals["checkpoint"])
		if strings.TrimSpace(c) == "" || filepath.IsAbs(c) {
			f.errorf(o.vals["checkpoint"], "checkpoint", "must be a directory relative to this file, inside the spec tree, got %s", quoteShort(c))
		} else {
			m.Checkpoint = filepath.FromSlash(path.Join(path.Dir(filepath.ToSlash(f.path)), filepath.ToSlash(c)))
		}
	}
	if src, ok := o.str("source"); ok {
		if checkURL(f, o.vals["source"], "source", src) {
			m.Source = src
		}
	}
	m.ParamsPublished, _ = o.integer(1, 1<<50, "params_published")
	if ps, ok := o.str("params_source"); ok {
		if checkURL(f, o.vals["params_source"], "params_source", ps) {
			m.ParamsSource = ps
		}
	} else if m.ParamsPublished > 0 && !o.has("params_source") {
		f.errorf(o.pos("params_published"), "params_source", "missing: a published count needs the URL it is published at")
	}
	if basis, ok := o.str("params_basis"); ok {
		switch basis {
		case "published":
		case "counted":
			m.ParamsCounted = true
		default:
			f.errorf(o.vals["params_basis"], "params_basis", "must be published (the maker's own figure) or counted (an exact count others made from this config), got %q", basis)
		}
		if !o.has("params_published") {
			f.errorf(o.pos("params_basis"), "params_basis", "given without params_published")
		}
	}
	if fam, ok := o.str("family"); ok && forced == "" {
		if IsFamily(fam) {
			forced = fam
		} else {
			f.errorf(o.vals["family"], "family", "%q is not a family kvplot reads (it reads %s)", fam, familyList())
		}
	}
	if w, ok := o.vals["weights"]; ok {
		m.Weights = parseWeights(f, f.object(w, "weights."))
	}
	arch, hasArch := o.vals["architecture"]
	cfg, hasCfg := o.str("config")
	switch {
	case hasArch && hasCfg:
		f.errorf(o.pos("config"), "config", "give either config or architecture, not both")
	case !hasArch && !hasCfg:
		if _, v := o.field("config"); v != nil {
			break // not a string: reported by str
		}
		if o.firstPresent("config") != "" {
			f.errorf(o.vals["config"], "config", "must not be empty: give the path of a Hugging Face config.json")
			break
		}
		f.errorf(o.n, "architecture", "missing: give config (a Hugging Face config.json) or architecture (its fields inline)")
	case hasCfg && strings.TrimSpace(cfg) == "":
		f.errorf(o.vals["config"], "config", "must not be empty: give the path of a Hugging Face config.json")
	case hasArch:
		ao := f.object(arch, "architecture.")
		if a, ok := interpretHF(f, ao, true, forced); ok {
			m.Arch = a
			m.Family = familyName(ao, forced)
		}
	case hasCfg && !strings.EqualFold(path.Ext(cfg), ".json"):
		f.errorf(o.vals["config"], "config", "must name a Hugging Face config file ending in .json, got %s", quoteShort(cfg))
	case hasCfg:
		ref := cfg
		if !filepath.IsAbs(ref) {
			ref = path.Join(path.Dir(filepath.ToSlash(f.path)), filepath.ToSlash(cfg))
		}
		m.ConfigFile = ref
		data, err := readFile(filepath.FromSlash(ref))
		if err != nil {
			shown := ref
			var out outsideError
			if errors.As(err, &out) {
				shown = cfg // as written: the resolved path may hide the escape
			}
			f.errorf(o.vals["config"], "config", "%s: %s", quoteShort(shown), readError(err))
			return m
		}
		cf := &file{path: ref}
		croot := cf.parse(data)
		if croot != nil {
			co := cf.object(croot, "")
			if croot.Kind == yaml.MappingNode {
				if a, ok := interpretHF(cf, co, false, forced); ok {
					m.Arch = a
					m.Family = familyName(co, forced)
					if _, explicit := o.vals["weights"]; !explicit && !opt.WeightsGiven {
						m.readQuant(cf, co)
					}
				}
			}
		}
		f.problems = append(f.problems, cf.problems...)
		f.notes = append(f.notes, cf.notes...)
	}
	m.Arch.Name = m.Name
	field := "architecture"
	if !hasArch {
		field = "config"
	}
	checkSize(f, o.pos(field), field, &m.Arch)
	return m
}

// checkSize rejects an architecture too large to be real: each count is
// bounded on its own, but together they can still describe a model of
// absurd size (the analysis would saturate rather than overflow).
func checkSize(f *file, at *yaml.Node, field string, a *analysis.Model) {
	if len(f.problems) > 0 || len(a.Layers) == 0 {
		return
	}
	if total := a.Params().Total; total > MaxParams {
		f.errorf(at, field, "describes %s parameters, more than kvplot's limit of 2^50 (%s): check vocab_size, hidden_size, intermediate_size and the layer and expert counts",
			units.Group(total), units.Group(MaxParams))
	}
	if msg := unsized(a); msg != "" {
		f.errorf(at, field, "kvplot read this config but %s; it refuses rather than print a partial count", msg)
	}
}

// unsized names a part of a read architecture that came out empty: a
// layer whose mixer or feed-forward block counts no parameters, or a model
// of no parameters at all. Each is a gap in kvplot's rules, never an answer.
func unsized(a *analysis.Model) string {
	for i := range a.Layers {
		l := &a.Layers[i]
		p := a.StageParams(1, i, i+1, false, false)
		switch l.Kind {
		case analysis.FullAttention, analysis.SlidingAttention, analysis.ChunkedAttention, analysis.MLAAttention:
			if p[analysis.AttentionWeights] == 0 {
				return fmt.Sprintf("layer %d (%s attention) counts no attention parameters", i, l.Kind)
			}
		case analysis.MambaMixer, analysis.LinearAttention:
			if p[analysis.StateMixerWeights] == 0 {
				return fmt.Sprintf("layer %d (%s mixer) counts no mixer parameters", i, l.Kind)
			}
		case analysis.NoMixer:
			if p.Sum() == 0 {
				return fmt.Sprintf("layer %d has neither a mixer nor a feed-forward block", i)
			}
		}
		if l.FFN.Experts > 0 && p[analysis.ExpertWeights] == 0 {
			return fmt.Sprintf("layer %d has %d experts of no parameters", i, l.FFN.Experts)
		}
	}
	if a.Vision != nil && a.Params().Vision == 0 {
		return "its vision tower counts no parameters"
	}
	return ""
}

func mustDType(name string) analysis.DType {
	d, ok := analysis.LookupDType(name)
	if !ok {
		panic("unknown built-in dtype " + name)
	}
	return d
}

func parseWeights(f *file, o *obj) analysis.WeightScheme {
	o.strict(weightFields...)
	w := analysis.WeightScheme{Default: mustDType("bf16")}
	if s, ok := o.str("dtype"); ok {
		if d, ok := analysis.LookupDType(s); ok {
			w.Default = d
		} else {
			f.errorf(o.vals["dtype"], "weights.dtype", "unknown dtype %q (want one of %s)", s, strings.Join(analysis.DTypeNames(), ", "))
		}
	}
	if g, ok := o.integer(1, 1<<30, "group_size"); ok {
		w.Default.GroupSize = g
		if w.Default.ScaleBits == 0 {
			w.Default.ScaleBits = 16
		}
	}
	if b, ok := o.integer(1, 64, "scale_bits"); ok {
		w.Default.ScaleBits = b
	}
	if v, ok := o.vals["keep_16bit"]; ok {
		if v.Kind != yaml.SequenceNode {
			f.errorf(v, "weights.keep_16bit", "must be a list of tensor classes, got %s", kindName(v))
		} else {
			for i, e := range v.Content {
				c, ok := analysis.ParseTensorClass(e.Value)
				if !ok {
					f.errorf(e, fmt.Sprintf("weights.keep_16bit[%d]", i), "unknown tensor class %q%s", e.Value, classHint(e.Value))
					continue
				}
				w.Keep16 = append(w.Keep16, c)
			}
		}
	}
	if v, ok := o.vals["overrides"]; ok {
		ov := f.object(v, "weights.overrides.")
		w.Overrides = map[analysis.TensorClass]analysis.DType{}
		for _, k := range ov.order {
			c, ok := analysis.ParseTensorClass(k)
			if !ok {
				f.errorf(ov.keys[k], "weights.overrides."+k, "unknown tensor class%s", classHint(k))
				continue
			}
			s, ok := ov.str(k)
			if !ok {
				continue
			}
			d, ok := analysis.LookupDType(s)
			if !ok {
				f.errorf(ov.vals[k], "weights.overrides."+k, "unknown dtype %q (want one of %s)", s, strings.Join(analysis.DTypeNames(), ", "))
				continue
			}
			w.Overrides[c] = d
		}
	}
	return w
}

func classHint(s string) string {
	var names []string
	for _, c := range analysis.TensorClasses() {
		names = append(names, c.String())
	}
	if g := suggest(s, names); g != "" {
		return fmt.Sprintf(" (did you mean %q?)", g)
	}
	return " (want one of " + strings.Join(names, ", ") + ")"
}

// checkURL accepts only absolute http(s) URLs.
func checkURL(f *file, n *yaml.Node, field, s string) bool {
	l := strings.ToLower(s)
	if !(strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) || strings.ContainsAny(s, " \t\n\"'<>`") {
		f.errorf(n, field, "must be an http:// or https:// URL, got %q", s)
		return false
	}
	return true
}

// familyName is the family a config was read as.
func familyName(o *obj, forced string) string {
	if forced != "" {
		return forced
	}
	if mt, ok := o.str("model_type"); ok {
		return mt
	}
	if v, ok := o.vals["architectures"]; ok && v.Kind == yaml.SequenceNode {
		for _, e := range v.Content {
			if fam, ok := architectureIndex[e.Value]; ok {
				return fam.name
			}
		}
	}
	return ""
}

// readQuant sets the weights from a config's quantization_config.
func (m *Model) readQuant(f *file, o *obj) {
	fam, ok := lookupFamily(m.Family)
	if !ok {
		fam = &nativeFamily
	}
	w, how, ok := readQuant(f, o, &m.Arch, m.Weights.Default, fam)
	if ok {
		m.Weights, m.WeightsFrom = w, how
	}
}
