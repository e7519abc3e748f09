package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/units"
	"go.yaml.in/yaml/v3"
)

// Accelerator is one kind of GPU or accelerator.
type Accelerator struct {
	ID, Name, Vendor, Class string
	// NameplateBytes is the marketed memory, NameplateText as written (with its unit).
	NameplateBytes int64
	NameplateText  string
	// RuntimeBytes is the total the runtime reports (CUDA/PyTorch); budgets
	// use it. RuntimeText is as written; RuntimeSource says where it is from.
	RuntimeBytes  int64
	RuntimeText   string
	RuntimeSource string
	// BandwidthBytes is memory bandwidth in bytes per second, 0 if unknown.
	BandwidthBytes int64
	BandwidthText  string
	Source         string
	File           string
}

// Fleet is a named deployment.
type Fleet struct {
	Name, Title, Description string
	Accelerator              string // accelerator ID
	Count, TP, PP            int64
	File                     string
}

// Catalog is a whole spec directory.
type Catalog struct {
	Dir          string
	Models       []Model
	Accelerators []Accelerator
	Fleets       []Fleet
	Settings     Settings
}

var accelFields = []string{"id", "name", "vendor", "class", "memory", "runtime_memory", "runtime_memory_source", "bandwidth", "source"}
var fleetFields = []string{"name", "title", "accelerator", "count", "tp", "pp", "description"}

// LoadCatalog reads a spec directory: models/*.yaml|*.json, accelerators.yaml,
// fleets.yaml and an optional site.yaml. It returns every problem found, in
// all files, as Problems.
func LoadCatalog(dir string) (*Catalog, error) {
	c := &Catalog{Dir: dir}
	var all Problems
	st, err := os.Stat(dir)
	if err != nil {
		return nil, Problems{{Path: dir, Message: readError(err)}}
	}
	if !st.IsDir() {
		return nil, Problems{{Path: dir, Message: "not a directory"}}
	}
	modelDir := filepath.Join(dir, "models")
	entries, err := os.ReadDir(modelDir)
	if err != nil {
		all = append(all, Problem{Path: modelDir, Message: readError(err) + " (a spec directory needs a models/ folder)"})
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		switch strings.ToLower(filepath.Ext(n)) {
		case ".yaml", ".yml", ".json":
			files = append(files, filepath.Join(modelDir, n))
		}
	}
	sort.Strings(files)
	if err == nil && len(files) == 0 {
		all = append(all, Problem{Path: modelDir, Message: "no model specs (*.yaml, *.json) found"})
	}
	bySlug := map[string]string{}
	byName := map[string]string{}
	for _, p := range files {
		m, err := LoadModel(p)
		if err != nil {
			all = append(all, err.(Problems)...)
			continue
		}
		if prev, dup := bySlug[m.Slug]; dup {
			all = append(all, Problem{Path: p, Message: fmt.Sprintf("model %q is also defined in %s", m.Slug, prev)})
			continue
		}
		if prev, dup := byName[strings.ToLower(m.Name)]; dup {
			all = append(all, Problem{Path: p, Field: "name", Message: fmt.Sprintf("model name %q is also used by %s", m.Name, prev)})
			continue
		}
		bySlug[m.Slug], byName[strings.ToLower(m.Name)] = p, p
		c.Models = append(c.Models, m)
	}

	c.Accelerators = loadList(filepath.Join(dir, "accelerators.yaml"), "accelerators", &all, parseAccelerator)
	c.Fleets = loadList(filepath.Join(dir, "fleets.yaml"), "fleets", &all, parseFleet)
	ids := map[string]Accelerator{}
	for _, a := range c.Accelerators {
		ids[a.ID] = a
	}
	for _, fl := range c.Fleets {
		if _, ok := ids[fl.Accelerator]; !ok && fl.Accelerator != "" {
			var known []string
			for id := range ids {
				known = append(known, id)
			}
			sort.Strings(known)
			msg := fmt.Sprintf("fleet %q: unknown accelerator %q", fl.Name, fl.Accelerator)
			if s := suggest(fl.Accelerator, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			all = append(all, Problem{Path: fl.File, Field: "accelerator", Message: msg})
		}
	}
	s, ps := LoadSettings(filepath.Join(dir, "site.yaml"))
	all = append(all, ps...)
	c.Settings = s
	all = append(all, c.checkSettingsRefs()...)
	if len(all) > 0 {
		sortProblems(all)
		return c, all
	}
	c.orderModels()
	return c, nil
}

// loadList reads a file holding one top-level list under key.
func loadList[T any](p, key string, all *Problems, parse func(*file, *obj) (T, bool)) []T {
	data, err := os.ReadFile(p)
	if err != nil {
		*all = append(*all, Problem{Path: p, Message: readError(err)})
		return nil
	}
	f := &file{path: p}
	root := f.parse(data)
	var out []T
	if root != nil {
		o := f.object(root, "")
		o.strict(key)
		list, ok := o.vals[key]
		switch {
		case !ok && root.Kind == yaml.MappingNode:
			f.errorf(root, key, "missing: the file must hold a list under %q", key)
		case ok && list.Kind != yaml.SequenceNode:
			f.errorf(list, key, "must be a list, got %s", kindName(list))
		case ok:
			if len(list.Content) == 0 {
				f.errorf(list, key, "must not be empty")
			}
			seen := map[string]int{}
			for i, e := range list.Content {
				item := f.object(e, fmt.Sprintf("%s[%d].", key, i))
				id, _ := item.str("id", "name")
				if id != "" {
					if prev, dup := seen[id]; dup {
						f.errorf(e, fmt.Sprintf("%s[%d]", key, i), "%q is defined twice (also at %s[%d])", id, key, prev)
						continue
					}
					seen[id] = i
				}
				if v, ok := parse(f, item); ok {
					out = append(out, v)
				}
			}
		}
	}
	*all = append(*all, f.problems...)
	return out
}

var slugRe = func(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

func parseAccelerator(f *file, o *obj) (Accelerator, bool) {
	before := len(f.problems)
	o.strict(accelFields...)
	a := Accelerator{File: f.path}
	a.ID = requireStr(f, o, "id")
	if a.ID != "" && !slugRe(a.ID) {
		f.errorf(o.vals["id"], o.prefix+"id", "must be a slug of lowercase letters, digits, '-', '.' or '_', got %q", a.ID)
	}
	a.Name = requireStr(f, o, "name")
	a.Vendor, _ = o.str("vendor")
	a.Class, _ = o.str("class")
	if a.Class != "" && a.Class != "datacenter" && a.Class != "workstation" && a.Class != "consumer" {
		f.errorf(o.vals["class"], o.prefix+"class", "must be datacenter, workstation or consumer, got %q", a.Class)
	}
	a.NameplateText = requireStr(f, o, "memory")
	if a.NameplateText != "" {
		a.NameplateBytes = sizeField(f, o, "memory", a.NameplateText)
	}
	if rt, ok := o.str("runtime_memory"); ok {
		a.RuntimeText = rt
		a.RuntimeBytes = sizeField(f, o, "runtime_memory", rt)
		if a.NameplateBytes > 0 && a.RuntimeBytes > a.NameplateBytes*11/10 {
			f.errorf(o.vals["runtime_memory"], o.prefix+"runtime_memory", "%s is more than the nameplate %s", rt, a.NameplateText)
		}
	} else {
		a.RuntimeBytes, a.RuntimeText = a.NameplateBytes, a.NameplateText
		a.RuntimeSource = "runtime total not given: nameplate used"
	}
	if s, ok := o.str("runtime_memory_source"); ok {
		a.RuntimeSource = s
	}
	if bw, ok := o.str("bandwidth"); ok {
		a.BandwidthText = bw
		b, err := units.ParseBandwidth(bw)
		if err != nil {
			f.errorf(o.vals["bandwidth"], o.prefix+"bandwidth", "%v", err)
		}
		a.BandwidthBytes = b
	}
	if s, ok := o.str("source"); ok && checkURL(f, o.vals["source"], o.prefix+"source", s) {
		a.Source = s
	}
	return a, len(f.problems) == before
}

func sizeField(f *file, o *obj, name, text string) int64 {
	b, err := units.ParseBytes(text)
	if err != nil {
		f.errorf(o.vals[name], o.prefix+name, "%v", err)
		return 0
	}
	if b == 0 {
		f.errorf(o.vals[name], o.prefix+name, "must be more than 0 bytes")
	}
	return b
}

func requireStr(f *file, o *obj, name string) string {
	s, ok := o.str(name)
	if !ok && o.firstPresent(name) == "" {
		f.errorf(o.n, o.prefix+name, "missing")
	} else if ok && strings.TrimSpace(s) == "" {
		f.errorf(o.vals[name], o.prefix+name, "must not be empty")
	}
	return s
}

func parseFleet(f *file, o *obj) (Fleet, bool) {
	before := len(f.problems)
	o.strict(fleetFields...)
	fl := Fleet{File: f.path, TP: 1, PP: 1, Count: 1}
	fl.Name = requireStr(f, o, "name")
	if fl.Name != "" && !slugRe(fl.Name) {
		f.errorf(o.vals["name"], o.prefix+"name", "must be a slug of lowercase letters, digits, '-', '.' or '_', got %q", fl.Name)
	}
	fl.Title, _ = o.str("title")
	if fl.Title == "" {
		fl.Title = fl.Name
	}
	fl.Description, _ = o.str("description")
	fl.Accelerator = requireStr(f, o, "accelerator")
	if n, ok := o.integer(1, 1<<20, "count"); ok {
		fl.Count = n
	}
	if n, ok := o.integer(1, 4096, "tp"); ok {
		fl.TP = n
	}
	if n, ok := o.integer(1, 4096, "pp"); ok {
		fl.PP = n
	}
	if fl.Count%(fl.TP*fl.PP) != 0 {
		f.errorf(o.pos("count"), o.prefix+"count", "%d accelerators is not a multiple of tp×pp = %d", fl.Count, fl.TP*fl.PP)
	}
	return fl, len(f.problems) == before
}

// Accelerator returns the accelerator with the given ID.
func (c *Catalog) Accelerator(id string) (Accelerator, bool) {
	for _, a := range c.Accelerators {
		if a.ID == id {
			return a, true
		}
	}
	return Accelerator{}, false
}

// Fleet returns the fleet with the given name.
func (c *Catalog) Fleet(name string) (Fleet, bool) {
	for _, f := range c.Fleets {
		if f.Name == name {
			return f, true
		}
	}
	return Fleet{}, false
}

// Model returns the model whose slug or name is s (case-insensitive).
func (c *Catalog) Model(s string) (Model, bool) {
	for _, m := range c.Models {
		if m.Slug == s || strings.EqualFold(m.Name, s) {
			return m, true
		}
	}
	return Model{}, false
}

// AnalysisFleet turns a fleet spec into the analysis shape.
func (c *Catalog) AnalysisFleet(f Fleet) analysis.Fleet {
	a, _ := c.Accelerator(f.Accelerator)
	return analysis.Fleet{Name: f.Name, CapacityBytes: a.RuntimeBytes, Count: f.Count, TP: f.TP, PP: f.PP}
}

// orderModels applies settings' model order, then the rest by slug.
func (c *Catalog) orderModels() {
	rank := map[string]int{}
	for i, s := range c.Settings.ModelOrder {
		rank[s] = i + 1
	}
	sort.SliceStable(c.Models, func(i, j int) bool {
		ri, rj := rank[c.Models[i].Slug], rank[c.Models[j].Slug]
		if ri == 0 {
			ri = 1 << 30
		}
		if rj == 0 {
			rj = 1 << 30
		}
		if ri != rj {
			return ri < rj
		}
		return c.Models[i].Slug < c.Models[j].Slug
	})
}

func (c *Catalog) checkSettingsRefs() Problems {
	var ps Problems
	s := c.Settings
	p := s.File
	for _, slug := range s.ModelOrder {
		if _, ok := c.Model(slug); !ok {
			ps = append(ps, Problem{Path: p, Field: "models", Message: fmt.Sprintf("unknown model %q", slug)})
		}
	}
	if s.Report.DetailModel != "" {
		if _, ok := c.Model(s.Report.DetailModel); !ok {
			ps = append(ps, Problem{Path: p, Field: "report.detail_model", Message: fmt.Sprintf("unknown model %q", s.Report.DetailModel)})
		}
	}
	if s.Report.CompareFleet != "" {
		if _, ok := c.Fleet(s.Report.CompareFleet); !ok {
			ps = append(ps, Problem{Path: p, Field: "report.compare_fleet", Message: fmt.Sprintf("unknown fleet %q", s.Report.CompareFleet)})
		}
	}
	if s.HeatmapFleet != "" {
		if _, ok := c.Fleet(s.HeatmapFleet); !ok {
			ps = append(ps, Problem{Path: p, Field: "heatmap_fleet", Message: fmt.Sprintf("unknown fleet %q", s.HeatmapFleet)})
		}
	}
	return ps
}

// Scenario is how the catalog's settings serve model m: the model's own
// weight format unless the settings override it, the settings' KV format
// and overhead.
func (c *Catalog) Scenario(m Model) analysis.Scenario {
	return ScenarioFor(m, c.Settings)
}

// ScenarioFor applies settings s to model m.
func ScenarioFor(m Model, s Settings) analysis.Scenario {
	w := m.Weights
	if s.WeightDType != "" {
		d, _ := analysis.LookupDType(s.WeightDType)
		w = analysis.WeightScheme{Default: d, Keep16: []analysis.TensorClass{analysis.Embeddings, analysis.LMHead, analysis.RouterWeights}}
	}
	return analysis.Scenario{Weights: w, KV: s.KVDType, Overhead: s.Overhead}
}

// Plan places model m on fleet f with the catalog's settings.
func (c *Catalog) Plan(m Model, f Fleet) (analysis.Plan, error) {
	return analysis.NewPlan(&m.Arch, c.Scenario(m), c.AnalysisFleet(f))
}
