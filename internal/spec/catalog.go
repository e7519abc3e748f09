package spec

import (
	"errors"
	"fmt"
	"os"
	"path"
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
	// SMCount is the streaming multiprocessors (compute units) of the GPU,
	// 0 if unknown; SMCountSource says where the figure is from.
	SMCount       int64
	SMCountSource string
	Source        string
	// GPUsPerNode is how many of these a server holds (gpus_per_node),
	// analysis.DefaultGPUsPerNode when not stated.
	GPUsPerNode int64
	// PeakTFLOPS is the dense tensor peak per compute format (bf16, fp8,
	// int8, fp4) in 10^12 operations per second, sparsity excluded; absent
	// formats are unknown. TFLOPSSource says where the figures are from.
	PeakTFLOPS   map[string]float64
	TFLOPSSource string
	// Interconnect is the accelerator-to-accelerator link tensor
	// parallelism uses; nil if unknown.
	Interconnect *Interconnect
	// PricePerHour is a rental price in US dollars per accelerator-hour, 0
	// if not given; PriceSource names where and when it was seen.
	PricePerHour float64
	PriceSource  string
	File         string
	// Line and Col locate the accelerator's entry in File.
	Line, Col int
	field     string // "accelerators[i]"
	namePos   position
}

// Interconnect is a link between accelerators of one node.
type Interconnect struct {
	// Name is the link's generation (NVLink 4, PCIe 4.0 x16, Infinity Fabric).
	Name string
	// BandwidthBytes is per accelerator and direction, in bytes per second.
	BandwidthBytes int64
	BandwidthText  string
	// LatencyUS is the time of one small all-reduce across the node, in
	// microseconds.
	LatencyUS float64
	Source    string
}

// Speed is the accelerator's figures for speed bounds, in the analysis's
// units; unknown figures stay 0.
func (a Accelerator) Speed() analysis.Speed {
	s := analysis.Speed{BandwidthBytesPerS: float64(a.BandwidthBytes), PeakFLOPS: map[string]float64{}}
	for k, v := range a.PeakTFLOPS {
		s.PeakFLOPS[k] = v * 1e12
	}
	if l := a.Interconnect; l != nil {
		s.LinkBytesPerS = float64(l.BandwidthBytes)
		s.LinkLatencyS = l.LatencyUS * 1e-6
	}
	return s
}

// PeakFormats lists the compute formats accelerators.yaml may give a peak for.
var PeakFormats = []string{"bf16", "fp8", "int8", "fp4"}

// Fleet is named hardware: Count accelerators, GPUsPerNode to a node. TP
// and PP pin the layout when the fleet states them (above 0); otherwise
// kvplot chooses one per model (see Catalog.Layout).
type Fleet struct {
	Name, Title, Description string
	Accelerator              string // accelerator ID
	Count, TP, PP            int64
	// GPUsPerNode is the node size (gpus_per_node), 0 for the accelerator's.
	GPUsPerNode int64
	File        string
	// Line and Col locate the fleet's entry in File.
	Line, Col int
	field     string // "fleets[i]"
	accelPos  position
	tpPos     position
	ppPos     position
	titlePos  position
}

// position is a line and column in a spec file, 0 when unknown.
type position struct{ line, col int }

func posOf(n *yaml.Node) position {
	if n == nil {
		return position{}
	}
	return position{n.Line, n.Column}
}

// at returns a problem in file p at pos.
func at(p string, pos position, field, format string, args ...any) Problem {
	return Problem{Path: p, Line: pos.line, Col: pos.col, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Catalog is a whole spec directory.
type Catalog struct {
	Dir          string
	Models       []Model
	Accelerators []Accelerator
	Fleets       []Fleet
	Settings     Settings
	tree         tree
}

// ReadFile reads one of the catalog's spec files again (to publish it),
// under the same rules as loading: inside the spec directory, a regular
// file, at most MaxFileBytes.
func (c *Catalog) ReadFile(p string) ([]byte, error) { return c.tree.read(p) }

var accelFields = []string{"id", "name", "vendor", "class", "memory", "runtime_memory", "runtime_memory_source", "bandwidth", "sm_count", "sm_count_source", "source", "gpus_per_node",
	"tflops", "tflops_source", "interconnect", "price_per_hour", "price_source"}
var fleetFields = []string{"name", "title", "accelerator", "count", "tp", "pp", "gpus_per_node", "description"}

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
		return nil, Problems{{Path: dir, Message: "not a directory: --specs wants a spec directory holding models/, accelerators.yaml and fleets.yaml"}}
	}
	t, err := newTree(dir)
	if err != nil {
		return nil, Problems{{Path: dir, Message: readError(err)}}
	}
	c.tree = t
	if empty, err := isEmptyDir(dir); err != nil {
		return nil, Problems{{Path: dir, Message: readError(err)}}
	} else if empty {
		return nil, Problems{{Path: dir, Message: "spec directory is empty: it needs models/, accelerators.yaml and fleets.yaml (site.yaml is optional)"}}
	}
	for _, name := range []string{"accelerators", "fleets", "site"} {
		for _, ext := range []string{".yml", ".json"} {
			if _, err := os.Stat(filepath.Join(dir, name+ext)); err == nil {
				all = append(all, Problem{Path: filepath.Join(dir, name+ext), Message: fmt.Sprintf("kvplot reads %s.yaml, not %s%s: rename it", name, name, ext)})
			}
		}
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
		if msg := siteFileName(filepath.Base(p)); msg != "" {
			all = append(all, Problem{Path: p, Message: msg})
			continue
		}
		m, err := loadModelIn(t, p, ReadOptions{})
		if err != nil {
			all = append(all, err.(Problems)...)
			continue
		}
		if m.ConfigFile != "" {
			if msg := siteFileName(path.Base(m.ConfigFile)); msg != "" {
				all = append(all, Problem{Path: p, Field: "config", Message: msg})
				continue
			}
		}
		if prev, dup := bySlug[m.Slug]; dup {
			all = append(all, Problem{Path: p, Message: fmt.Sprintf("model %q is also defined in %s (a model's name is its file name without extension)", m.Slug, prev)})
			continue
		}
		if prev, dup := byName[strings.ToLower(m.Name)]; dup {
			all = append(all, at(p, m.namePos, "name", "model name %q is also used by %s", m.Name, prev))
			continue
		}
		bySlug[m.Slug], byName[strings.ToLower(m.Name)] = p, p
		c.Models = append(c.Models, m)
	}

	accels, declaredAccels, accelsReadable := loadList(t, filepath.Join(dir, "accelerators.yaml"), "accelerators", &all, parseAccelerator)
	c.Accelerators = accels
	c.Fleets, _, _ = loadList(t, filepath.Join(dir, "fleets.yaml"), "fleets", &all, parseFleet)
	all = append(all, uniqueNames(c.Accelerators, func(a Accelerator) (string, string, position, string) {
		return a.Name, a.File, a.namePos, a.field + ".name"
	}, "accelerator name")...)
	all = append(all, uniqueNames(c.Fleets, func(f Fleet) (string, string, position, string) {
		return f.Title, f.File, f.titlePos, f.field + ".title"
	}, "fleet title")...)
	var accelIDs []string
	for _, a := range c.Accelerators {
		accelIDs = append(accelIDs, a.ID)
	}
	sort.Strings(accelIDs)
	for _, fl := range c.Fleets {
		if _, ok := c.Accelerator(fl.Accelerator); !ok && fl.Accelerator != "" && accelsReadable && !declaredAccels[fl.Accelerator] {
			all = append(all, at(fl.File, fl.accelPos, fl.field+".accelerator", "unknown accelerator %q%s", fl.Accelerator, didYouMean(fl.Accelerator, accelIDs, "accelerators.yaml")))
		}
	}
	s, ps := loadSettings(t, filepath.Join(dir, "site.yaml"))
	all = append(all, ps...)
	c.Settings = s
	all = append(all, c.checkSettingsRefs()...)
	for i := range c.Accelerators {
		if v, ok := c.Settings.Prices[c.Accelerators[i].ID]; ok {
			c.Accelerators[i].PricePerHour = v
			c.Accelerators[i].PriceSource = "site.yaml prices: " + c.Settings.PricesSource
		}
	}
	if len(all) > 0 {
		sortProblems(all)
		return c, all
	}
	c.orderModels()
	return c, nil
}

// siteFileName says why a spec file's name cannot be published as is, ""
// when it can: the site copies model specs and their configs under specs/
// and links to them by name, so a name must be a plain URL path segment.
func siteFileName(name string) string {
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' && i > 0
		if !ok {
			return fmt.Sprintf("file name %s: the site publishes and links spec files by name, so it may hold only letters, digits, '-', '_' and '.' (not first)", quoteShort(name))
		}
	}
	return ""
}

// isEmptyDir reports whether dir holds nothing but hidden files.
func isEmptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			return false, nil
		}
	}
	return true, nil
}

// uniqueNames reports display names used twice (case-insensitive): charts
// and tables tell entries apart by them.
func uniqueNames[T any](list []T, get func(T) (name, file string, pos position, field string), what string) Problems {
	var ps Problems
	seen := map[string]position{}
	for _, v := range list {
		name, file, pos, field := get(v)
		key := strings.ToLower(strings.TrimSpace(name))
		if key == "" {
			continue
		}
		if prev, dup := seen[key]; dup {
			ps = append(ps, at(file, pos, field, "%s %q is also used at line %d", what, name, prev.line))
			continue
		}
		seen[key] = pos
	}
	return ps
}

// didYouMean is a suggestion for an unknown reference: the closest known
// name, or the list of known names when there are few, or where they live.
func didYouMean(s string, known []string, where string) string {
	if g := suggest(s, known); g != "" {
		return fmt.Sprintf(" (did you mean %q?)", g)
	}
	switch {
	case len(known) == 0:
		return fmt.Sprintf(" (%s defines none)", where)
	case len(known) <= 8:
		return fmt.Sprintf(" (known: %s)", strings.Join(known, ", "))
	}
	return fmt.Sprintf(" (not in %s)", where)
}

// loadList reads a file holding one top-level list under key.
// It also returns every id (or name) the file declares, valid or not, and
// whether the list itself could be read: references to a declared but
// invalid entry, or into an unreadable file, are not reported again.
func loadList[T any](t tree, p, key string, all *Problems, parse func(*file, *obj) (T, bool)) (out []T, declared map[string]bool, readable bool) {
	declared = map[string]bool{}
	data, err := t.read(p)
	if err != nil {
		*all = append(*all, Problem{Path: p, Message: readError(err)})
		return nil, declared, false
	}
	f := &file{path: p}
	root := f.parse(data)
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
			readable = true
			if len(list.Content) == 0 {
				f.errorf(list, key, "must not be empty")
			}
			if len(list.Content) > maxListEntries {
				f.errorf(list, key, "has %d entries; at most %d", len(list.Content), maxListEntries)
				break
			}
			type seenAt struct {
				i    int
				line int
			}
			seen := map[string]seenAt{}
			for i, e := range list.Content {
				item := f.object(e, fmt.Sprintf("%s[%d].", key, i))
				idField, idNode := item.field("id", "name")
				id, _ := item.str("id", "name")
				if id != "" {
					declared[id] = true
					if prev, dup := seen[id]; dup {
						f.errorf(idNode, fmt.Sprintf("%s[%d].%s", key, i, idField), "%q is defined twice (also %s[%d] at line %d)", id, key, prev.i, prev.line)
						continue
					}
					seen[id] = seenAt{i, idNode.Line}
				}
				if v, ok := parse(f, item); ok {
					out = append(out, v)
				}
			}
		}
	}
	*all = append(*all, f.problems...)
	return out, declared, readable
}

// maxListEntries bounds the accelerators and fleets a spec set may define.
const maxListEntries = 1000

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
	a := Accelerator{File: f.path, field: strings.TrimSuffix(o.prefix, ".")}
	if o.n != nil {
		a.Line, a.Col = o.n.Line, o.n.Column
	}
	a.ID = requireStr(f, o, "id")
	if a.ID != "" && !slugRe(a.ID) {
		f.errorf(o.vals["id"], o.prefix+"id", "must be a slug of lowercase letters, digits, '-', '.' or '_', got %q", a.ID)
	}
	a.Name = requireStr(f, o, "name")
	a.namePos = posOf(o.pos("name"))
	a.Vendor, _ = o.label("vendor")
	a.Class, _ = o.str("class")
	if a.Class != "" && a.Class != "datacenter" && a.Class != "workstation" && a.Class != "consumer" {
		f.errorf(o.vals["class"], o.prefix+"class", "must be datacenter, workstation or consumer, got %q", a.Class)
	}
	text, present := sizeText(f, o, "memory", " GB")
	if !present {
		f.errorf(o.n, o.prefix+"memory", "missing")
	}
	a.NameplateText = text
	if text != "" {
		a.NameplateBytes = sizeField(f, o, "memory", text)
	}
	if rt, present := sizeText(f, o, "runtime_memory", " GiB"); present {
		a.RuntimeText = rt
		if rt != "" {
			a.RuntimeBytes = sizeField(f, o, "runtime_memory", rt)
		}
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
	if bw, ok := sizeText(f, o, "bandwidth", " GB/s"); ok && bw != "" {
		a.BandwidthText = bw
		b, err := units.ParseBandwidth(bw)
		switch {
		case err != nil:
			f.errorf(o.vals["bandwidth"], o.prefix+"bandwidth", "%v", err)
		case b == 0:
			f.errorf(o.vals["bandwidth"], o.prefix+"bandwidth", "must be more than 0 bytes per second (leave it out if unknown)")
		}
		a.BandwidthBytes = b
	}
	if n, ok := o.integer(1, 1<<20, "sm_count"); ok {
		a.SMCount = n
		if s, ok := o.str("sm_count_source"); ok && s != "" {
			a.SMCountSource = s
		} else {
			f.errorf(o.vals["sm_count"], o.prefix+"sm_count_source", "missing: say where the SM count of %d is from", n)
		}
	}
	if s, ok := o.str("source"); ok && checkURL(f, o.vals["source"], o.prefix+"source", s) {
		a.Source = s
	}
	if n, ok := o.integer(1, MaxParallel, "gpus_per_node"); ok {
		a.GPUsPerNode = n
	}
	parseSpeed(f, o, &a)
	return a, len(f.problems) == before
}

// maxTFLOPS bounds a peak: far above any accelerator, below overflow.
const maxTFLOPS = 1e6

// parseSpeed reads an accelerator's compute peaks, interconnect and price.
func parseSpeed(f *file, o *obj, a *Accelerator) {
	if _, v := o.field("tflops"); v != nil {
		t := f.object(v, o.prefix+"tflops.")
		t.strict(PeakFormats...)
		a.PeakTFLOPS = map[string]float64{}
		for _, k := range PeakFormats {
			if x, ok := t.number(0, maxTFLOPS, k); ok {
				if x == 0 {
					f.errorf(t.vals[k], t.prefix+k, "must be more than 0 (leave it out if unknown)")
					continue
				}
				a.PeakTFLOPS[k] = x
			}
		}
		if len(a.PeakTFLOPS) > 0 && a.PeakTFLOPS["bf16"] == 0 && !t.has("bf16") {
			f.errorf(v, t.prefix+"bf16", "missing: speed bounds need the bf16 peak")
		}
		src, ok := o.str("tflops_source")
		switch {
		case !ok && !o.has("tflops_source"):
			f.errorf(o.pos("tflops"), o.prefix+"tflops_source", "missing: peak figures need their source")
		case ok && checkURL(f, o.vals["tflops_source"], o.prefix+"tflops_source", src):
			a.TFLOPSSource = src
		}
	} else if o.has("tflops_source") {
		f.errorf(o.pos("tflops_source"), o.prefix+"tflops_source", "given without tflops")
	}
	if _, v := o.field("interconnect"); v != nil {
		l := f.object(v, o.prefix+"interconnect.")
		l.strict("name", "bandwidth", "latency_us", "source")
		link := &Interconnect{Name: requireStr(f, l, "name")}
		if bw, present := sizeText(f, l, "bandwidth", " GB/s"); !present {
			f.errorf(v, l.prefix+"bandwidth", "missing")
		} else if bw != "" {
			b, err := units.ParseBandwidth(bw)
			switch {
			case err != nil:
				f.errorf(l.vals["bandwidth"], l.prefix+"bandwidth", "%v", err)
			case b == 0:
				f.errorf(l.vals["bandwidth"], l.prefix+"bandwidth", "must be more than 0 bytes per second")
			}
			link.BandwidthBytes, link.BandwidthText = b, bw
		}
		if x, ok := l.number(0, 1e6, "latency_us"); ok {
			link.LatencyUS = x
		} else if !l.has("latency_us") {
			f.errorf(v, l.prefix+"latency_us", "missing")
		}
		if src, ok := l.str("source"); ok && checkURL(f, l.vals["source"], l.prefix+"source", src) {
			link.Source = src
		} else if !l.has("source") {
			f.errorf(v, l.prefix+"source", "missing: interconnect figures need their source")
		}
		a.Interconnect = link
	}
	if x, ok := o.number(0, 1e6, "price_per_hour"); ok {
		if x == 0 {
			f.errorf(o.vals["price_per_hour"], o.prefix+"price_per_hour", "must be more than 0 (leave it out if unknown)")
		}
		a.PricePerHour = x
		if src, ok := o.str("price_source"); ok && strings.TrimSpace(src) != "" {
			a.PriceSource = src
		} else if !o.has("price_source") {
			f.errorf(o.pos("price_per_hour"), o.prefix+"price_source", "missing: a price needs its source and date")
		}
	} else if o.has("price_source") && !o.has("price_per_hour") {
		f.errorf(o.pos("price_source"), o.prefix+"price_source", "given without price_per_hour")
	}
}

// sizeText reads a size or bandwidth field: a string with a unit. A bare
// number gets a message showing the unit to add.
func sizeText(f *file, o *obj, name, unit string) (text string, present bool) {
	_, v := o.field(name)
	if v == nil {
		return "", false
	}
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		f.errorf(v, o.prefix+name, "%s has no unit: write e.g. %q (GB is 10^9 bytes, GiB is 2^30 bytes)", v.Value, v.Value+unit)
		return "", true
	}
	s, ok := o.str(name)
	if ok && strings.TrimSpace(s) == "" {
		f.errorf(v, o.prefix+name, "must not be empty")
		return "", true
	}
	return s, true
}

// MinAcceleratorBytes is the smallest accelerator memory kvplot accepts:
// anything below 1 MiB is a missing or mistaken unit.
const MinAcceleratorBytes = minAcceleratorBytes

const minAcceleratorBytes = 1 << 20

func sizeField(f *file, o *obj, name, text string) int64 {
	b, err := units.ParseBytes(text)
	if err != nil {
		f.errorf(o.vals[name], o.prefix+name, "%v", err)
		return 0
	}
	switch {
	case b == 0:
		f.errorf(o.vals[name], o.prefix+name, "must be more than 0 bytes, got %q", text)
	case b < minAcceleratorBytes:
		f.errorf(o.vals[name], o.prefix+name, "%q is %d bytes, less than 1 MiB: is the unit right (e.g. 80 GB)?", text, b)
		return 0
	}
	return b
}

func requireStr(f *file, o *obj, name string) string {
	s, ok := o.label(name)
	if !ok && !o.has(name) {
		f.errorf(o.n, o.prefix+name, "missing")
	} else if ok && strings.TrimSpace(s) == "" {
		f.errorf(o.vals[name], o.prefix+name, "must not be empty")
	}
	return s
}

func parseFleet(f *file, o *obj) (Fleet, bool) {
	before := len(f.problems)
	o.strict(fleetFields...)
	fl := Fleet{File: f.path, Count: 1, field: strings.TrimSuffix(o.prefix, ".")}
	if o.n != nil {
		fl.Line, fl.Col = o.n.Line, o.n.Column
	}
	fl.accelPos, fl.tpPos, fl.ppPos = posOf(o.valueNode("accelerator")), posOf(o.valueNode("tp")), posOf(o.valueNode("pp"))
	fl.titlePos = posOf(o.pos("title"))
	fl.Name = requireStr(f, o, "name")
	if fl.Name != "" && !slugRe(fl.Name) {
		f.errorf(o.vals["name"], o.prefix+"name", "must be a slug of lowercase letters, digits, '-', '.' or '_', got %q", fl.Name)
	}
	fl.Title, _ = o.label("title")
	if fl.Title == "" {
		fl.Title = fl.Name
	}
	fl.Description, _ = o.str("description")
	fl.Accelerator = requireStr(f, o, "accelerator")
	if n, ok := o.integer(1, MaxFleetAccelerators, "count"); ok {
		fl.Count = n
	}
	if n, ok := o.integer(1, MaxParallel, "tp"); ok {
		fl.TP = n
	}
	if n, ok := o.integer(1, MaxParallel, "pp"); ok {
		fl.PP = n
	}
	if n, ok := o.integer(1, MaxParallel, "gpus_per_node"); ok {
		fl.GPUsPerNode = n
	}
	if group := max(fl.TP, 1) * max(fl.PP, 1); len(f.problems) == before && fl.Count%group != 0 {
		f.errorf(o.pos("count"), o.prefix+"count", "%d accelerators is not a multiple of tp×pp = %d", fl.Count, group)
	}
	return fl, len(f.problems) == before
}

// Fleet limits: a fleet holds at most MaxFleetAccelerators accelerators,
// split at most MaxParallel ways by tensor or pipeline parallelism.
const (
	MaxFleetAccelerators = int64(1) << 20
	MaxParallel          = int64(4096)
)

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

// Hardware is fleet f as the layout search sees it: its accelerators, node
// size (the fleet's, else the accelerator's) and any pinned TP or PP.
func (c *Catalog) Hardware(f Fleet) analysis.Hardware {
	a, _ := c.Accelerator(f.Accelerator)
	node := f.GPUsPerNode
	if node == 0 {
		node = a.GPUsPerNode
	}
	if node == 0 {
		node = analysis.DefaultGPUsPerNode
	}
	return analysis.Hardware{Name: f.Name, CapacityBytes: a.RuntimeBytes, Count: f.Count, GPUsPerNode: node, TP: f.TP, PP: f.PP}
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
	var models, fleets []string
	for _, m := range c.Models {
		models = append(models, m.Slug)
	}
	for _, f := range c.Fleets {
		fleets = append(fleets, f.Name)
	}
	sort.Strings(models)
	sort.Strings(fleets)
	for _, r := range c.Settings.refs {
		switch r.kind {
		case "model":
			if _, ok := c.Model(r.value); !ok {
				ps = append(ps, at(c.Settings.File, r.pos, r.field, "unknown model %q%s", r.value, didYouMean(r.value, models, "models/")))
			}
		case "fleet":
			if _, ok := c.Fleet(r.value); !ok {
				ps = append(ps, at(c.Settings.File, r.pos, r.field, "unknown fleet %q%s", r.value, didYouMean(r.value, fleets, "fleets.yaml")))
			}
		case "accelerator":
			if _, ok := c.Accelerator(r.value); !ok {
				var ids []string
				for _, a := range c.Accelerators {
					ids = append(ids, a.ID)
				}
				sort.Strings(ids)
				ps = append(ps, at(c.Settings.File, r.pos, r.field, "unknown accelerator %q%s", r.value, didYouMean(r.value, ids, "accelerators.yaml")))
			}
		}
	}
	return ps
}

// SuggestModel returns the catalog model closest to s (by slug or name)
// when s looks like a misspelling of it, or "".
func (c *Catalog) SuggestModel(s string) string {
	var names []string
	for _, m := range c.Models {
		names = append(names, m.Slug)
	}
	sort.Strings(names)
	return suggest(s, names)
}

// Layout ranks the layouts of fleet f for model m at the settings'
// scenario context and picks one (see analysis.ChooseLayout).
func (c *Catalog) Layout(m Model, f Fleet) analysis.LayoutChoice {
	return analysis.ChooseLayout(&m.Arch, c.Scenario(m), c.Hardware(f), c.Settings.ScenarioContext)
}

// CheckFleets reports each model a fleet cannot place in any layout: only a
// fleet that pins tp or pp can be so (tp 1 on one node always works). Fleets
// are shared by all models, so LoadCatalog does not fail on these: a page
// shows the pair as not placeable with the same reason.
func (c *Catalog) CheckFleets() Problems {
	var ps Problems
	for _, f := range c.Fleets {
		for _, m := range c.Models {
			ch := c.Layout(m, f)
			if ch.Chosen >= 0 {
				continue
			}
			pos, field, why := f.ppPos, f.field+".pp", ch.Reason
			if f.TP > 0 && m.Arch.TPProblem(f.TP) != "" {
				pos, field = f.tpPos, f.field+".tp"
			}
			if len(ch.Options) > 0 {
				why = fmt.Sprintf("%s of model %q", ch.Options[0].Problem, m.Slug)
			}
			ps = append(ps, at(f.File, pos, field, "%s", why))
		}
	}
	sortProblems(ps)
	return ps
}

// TPProblem says why tensor parallelism of degree tp cannot split model
// m, or "" when it can (see analysis.Model.TPProblem).
func TPProblem(m *analysis.Model, tp int64) string { return m.TPProblem(tp) }

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

// Plan places model m on fleet f with the catalog's settings, in the
// layout Layout chooses. It fails, with the reason in words, when no layout
// works.
func (c *Catalog) Plan(m Model, f Fleet) (analysis.Plan, error) {
	ch := c.Layout(m, f)
	best, ok := ch.Best()
	if !ok {
		return analysis.Plan{}, errors.New(ch.Reason)
	}
	return best.Plan, nil
}
