package spec

import (
	"fmt"
	"os"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/engine"
	"github.com/kvplot/kvplot/internal/units"
	"go.yaml.in/yaml/v3"
)

// Settings are a spec set's scenario and grid choices (site.yaml).
type Settings struct {
	// File is the site.yaml read, "" when there was none (defaults).
	File string
	// Contexts and Batches are the grids of the growth charts and tables.
	Contexts []int64
	Batches  []int64
	// WeightDType overrides every model's own weight format when set.
	WeightDType string
	KVDType     analysis.DType
	// ScenarioContext and ScenarioBatch are the page scenario (memory bars).
	ScenarioContext int64
	ScenarioBatch   int64
	Overhead        analysis.SimpleOverhead
	// ModelOrder lists model slugs to show first, in this order.
	ModelOrder []string
	// HeatmapFleet is the fleet of each model page's context × batch heatmap.
	HeatmapFleet string
	// Engine is the headline engine profile: every max-context and
	// concurrency figure of the site is what it would hold. vllm (default,
	// the newest modelled version), vllm@VERSION, sglang or simple.
	Engine string
	// Prices override accelerators' price_per_hour (US dollars per
	// accelerator-hour) by accelerator ID; PricesSource says where and when
	// they were seen.
	Prices       map[string]float64
	PricesSource string
	Report       ReportSettings
	// refs are the model and fleet names the settings mention, checked
	// against the catalog by LoadCatalog.
	refs []settingsRef
}

// settingsRef is a name in site.yaml that must exist in the catalog.
type settingsRef struct {
	kind  string // "model" or "fleet"
	value string
	field string
	pos   position
}

// ReportSettings shape `kvplot report`, whose defaults are the seed's.
type ReportSettings struct {
	CompareFleet    string  // the max-context column of the comparison
	CompareContexts []int64 // the KV columns of the comparison
	DetailModel     string
	DetailContexts  []int64
	BatchContext    int64
	BatchSizes      []int64
	PerTokenContext int64
	FleetBatches    []int64
}

// DefaultSettings are used for fields site.yaml leaves out.
func DefaultSettings() Settings {
	kv, _ := analysis.LookupKVDType("bf16")
	return Settings{
		Contexts:        []int64{1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072},
		Batches:         []int64{1, 2, 4, 8, 16, 32},
		KVDType:         kv,
		Engine:          "vllm",
		ScenarioContext: 8192,
		ScenarioBatch:   8,
		Overhead:        analysis.SimpleOverhead{FixedBytes: 1 << 30, CapacityFraction: 0.1},
		Report: ReportSettings{
			CompareContexts: []int64{1024, 8192, 32768},
			DetailContexts:  []int64{256, 512, 1024, 2048, 4096, 8192, 16384, 32768},
			BatchContext:    4096,
			BatchSizes:      []int64{1, 2, 4, 8, 16, 32},
			PerTokenContext: 32768,
			FleetBatches:    []int64{1, 4},
		},
	}
}

var settingsFields = []string{"contexts", "batches", "weight_dtype", "kv_dtype", "scenario", "overhead", "models", "heatmap_fleet", "engine", "prices", "prices_source", "report"}
var overheadFields = []string{"policy", "fixed", "capacity_fraction", "weights_multiple"}
var reportFields = []string{"compare_fleet", "compare_contexts", "detail_model", "detail_contexts", "batch_context", "batch_sizes", "per_token_context", "fleet_batches"}

// MaxGridCells bounds contexts × batches.
const MaxGridCells = 4096

// MaxContextTokens and MaxBatch bound any context or batch a user asks for.
const (
	MaxContextTokens = int64(1) << 32
	MaxBatch         = int64(1) << 20
)

// LoadSettings reads site.yaml; a missing file gives the defaults.
func LoadSettings(p string) (Settings, Problems) { return loadSettings(tree{}, p) }

func loadSettings(t tree, p string) (Settings, Problems) {
	s := DefaultSettings()
	data, err := t.read(p)
	if os.IsNotExist(err) {
		return s, nil
	}
	s.File = p
	if err != nil {
		return s, Problems{{Path: p, Message: readError(err)}}
	}
	f := &file{path: p}
	root := f.parse(data)
	if root == nil {
		if len(f.problems) == 1 && f.problems[0].Message == "file is empty" {
			// every field of site.yaml is optional
			return s, nil
		}
		return s, f.problems
	}
	o := f.object(root, "")
	o.strict(settingsFields...)
	if v, ok := o.vals["contexts"]; ok {
		s.Contexts = intList(f, v, "contexts", 1, MaxContextTokens)
	}
	if v, ok := o.vals["batches"]; ok {
		s.Batches = intList(f, v, "batches", 1, MaxBatch)
	}
	if len(s.Contexts)*len(s.Batches) > MaxGridCells {
		f.errorf(o.pos("contexts"), "contexts", "grid of %d contexts × %d batches exceeds %d cells", len(s.Contexts), len(s.Batches), MaxGridCells)
	}
	if d, ok := o.str("weight_dtype"); ok {
		if _, ok := analysis.LookupDType(d); !ok {
			f.errorf(o.vals["weight_dtype"], "weight_dtype", "unknown dtype %q (want one of %s)", d, strings.Join(analysis.DTypeNames(), ", "))
		}
		s.WeightDType = d
	}
	if d, ok := o.str("kv_dtype"); ok {
		kv, ok := analysis.LookupKVDType(d)
		if !ok {
			f.errorf(o.vals["kv_dtype"], "kv_dtype", "unknown KV dtype %q (want one of %s)", d, strings.Join(analysis.KVDTypeNames(), ", "))
		}
		s.KVDType = kv
	}
	if v, ok := o.vals["scenario"]; ok {
		so := f.object(v, "scenario.")
		so.strict("context", "batch")
		if n, ok := so.integer(1, MaxContextTokens, "context"); ok {
			s.ScenarioContext = n
		}
		if n, ok := so.integer(1, MaxBatch, "batch"); ok {
			s.ScenarioBatch = n
		}
	}
	if v, ok := o.vals["overhead"]; ok {
		oo := f.object(v, "overhead.")
		oo.strict(overheadFields...)
		if p, ok := oo.str("policy"); ok && p != "simple" {
			f.errorf(oo.vals["policy"], "overhead.policy", "unknown policy %q (want simple)", p)
		}
		s.Overhead = analysis.SimpleOverhead{}
		if t, ok := oo.str("fixed"); ok {
			b, err := units.ParseBytes(t)
			if err != nil {
				f.errorf(oo.vals["fixed"], "overhead.fixed", "%v", err)
			}
			s.Overhead.FixedBytes = b
		}
		if x, ok := oo.number(0, 0.99, "capacity_fraction"); ok {
			s.Overhead.CapacityFraction = x
		}
		if x, ok := oo.number(0, 100, "weights_multiple"); ok {
			s.Overhead.WeightsMultiple = x
		}
	}
	if v, ok := o.vals["models"]; ok {
		s.ModelOrder = strList(f, v, "models")
		if v.Kind == yaml.SequenceNode {
			for i, e := range v.Content {
				if e.Kind == yaml.ScalarNode && e.Tag == "!!str" {
					s.refs = append(s.refs, settingsRef{"model", e.Value, fmt.Sprintf("models[%d]", i), posOf(e)})
				}
			}
		}
	}
	ref := func(o *obj, kind, name string) string {
		v, ok := o.str(name)
		if ok {
			s.refs = append(s.refs, settingsRef{kind, v, o.prefix + name, posOf(o.vals[name])})
		}
		return v
	}
	s.HeatmapFleet = ref(o, "fleet", "heatmap_fleet")
	if v, ok := o.vals["prices"]; ok {
		po := f.object(v, "prices.")
		s.Prices = map[string]float64{}
		for _, id := range po.order {
			if x, ok := po.number(0, 1e6, id); ok {
				if x == 0 {
					f.errorf(po.vals[id], "prices."+id, "must be more than 0 (leave it out if unknown)")
					continue
				}
				s.Prices[id] = x
				s.refs = append(s.refs, settingsRef{"accelerator", id, "prices." + id, posOf(po.keys[id])})
			}
		}
		if src, ok := o.str("prices_source"); ok && strings.TrimSpace(src) != "" {
			s.PricesSource = src
		} else if !o.has("prices_source") {
			f.errorf(o.keys["prices"], "prices_source", "missing: prices need their source and date")
		}
	} else if o.has("prices_source") {
		f.errorf(o.keys["prices_source"], "prices_source", "given without prices")
	}
	if e, ok := o.str("engine"); ok {
		if _, err := engine.Lookup(e); err != nil {
			f.errorf(o.vals["engine"], "engine", "%v", err)
		} else {
			s.Engine = e
		}
	}
	if v, ok := o.vals["report"]; ok {
		ro := f.object(v, "report.")
		ro.strict(reportFields...)
		r := &s.Report
		r.CompareFleet = ref(ro, "fleet", "compare_fleet")
		r.DetailModel = ref(ro, "model", "detail_model")
		if v, ok := ro.vals["compare_contexts"]; ok {
			r.CompareContexts = intList(f, v, "report.compare_contexts", 1, MaxContextTokens)
		}
		if v, ok := ro.vals["detail_contexts"]; ok {
			r.DetailContexts = intList(f, v, "report.detail_contexts", 1, MaxContextTokens)
		}
		if n, ok := ro.integer(1, MaxContextTokens, "batch_context"); ok {
			r.BatchContext = n
		}
		if v, ok := ro.vals["batch_sizes"]; ok {
			r.BatchSizes = intList(f, v, "report.batch_sizes", 1, MaxBatch)
		}
		if n, ok := ro.integer(1, MaxContextTokens, "per_token_context"); ok {
			r.PerTokenContext = n
		}
		if v, ok := ro.vals["fleet_batches"]; ok {
			r.FleetBatches = intList(f, v, "report.fleet_batches", 1, MaxBatch)
		}
	}
	return s, f.problems
}

func intList(f *file, v *yaml.Node, field string, lo, hi int64) []int64 {
	if v.Kind != yaml.SequenceNode {
		f.errorf(v, field, "must be a list of whole numbers, got %s", kindName(v))
		return nil
	}
	if len(v.Content) == 0 {
		f.errorf(v, field, "must not be empty")
	}
	if len(v.Content) > 1024 {
		f.errorf(v, field, "has %d entries; at most 1024", len(v.Content))
		return nil
	}
	var out []int64
	for i, e := range v.Content {
		if n, ok := f.intValue(e, fmt.Sprintf("%s[%d]", field, i), lo, hi); ok {
			if len(out) > 0 && n <= out[len(out)-1] {
				f.errorf(e, fmt.Sprintf("%s[%d]", field, i), "must be larger than the entry before it (%d)", out[len(out)-1])
			}
			out = append(out, n)
		}
	}
	return out
}

func strList(f *file, v *yaml.Node, field string) []string {
	if v.Kind != yaml.SequenceNode {
		f.errorf(v, field, "must be a list, got %s", kindName(v))
		return nil
	}
	var out []string
	for i, e := range v.Content {
		if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
			f.errorf(e, fmt.Sprintf("%s[%d]", field, i), "must be a string, got %s", kindName(e))
			continue
		}
		out = append(out, e.Value)
	}
	return out
}
