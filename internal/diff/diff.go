// Package diff says what a change to the specs does. It compares two loaded
// spec trees (typically the main branch's and a pull request's): the
// models, accelerators, fleets and settings added, removed or changed, field
// by field; the model × fleet pairs whose verdict flips between fits, does
// not fit and no layout; and the pairs whose max context or max concurrency
// moves most. The Report renders as Markdown for a pull-request comment, as
// JSON for scripts, and as a page for the site renderer.
package diff

import (
	"fmt"
	"math"
	"sort"

	"github.com/kvplot/kvplot/internal/pages"
	"github.com/kvplot/kvplot/internal/provenance"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Verdict is whether a model can be served on a fleet.
type Verdict string

// The verdicts, as the site shows them.
const (
	// Fits: weights and reserves leave room for the cache of at least one
	// token of one sequence.
	Fits Verdict = "fits"
	// DoesNotFit: a layout exists but weights and reserves fill the memory.
	DoesNotFit Verdict = "does not fit"
	// NoLayout: the fleet cannot split the model at all (for example a
	// tensor-parallel degree that does not divide the attention heads).
	NoLayout Verdict = "no layout"
)

// Outcome is what one spec tree says about one model on one fleet.
type Outcome struct {
	Verdict Verdict `json:"verdict"`
	// Reason says why a model does not fit or has no layout.
	Reason string `json:"reason,omitempty"`
	// MaxContextTokens is the longest context one sequence (batch 1) can
	// be served with: what memory holds, capped by the model's own limit;
	// null unless the model fits. MaxContextLimitedBy says which of the two
	// decides ("memory" or "model"). MaxContextUnbounded is set when memory
	// does not limit it (every layer windowed or stateful) and the model's
	// limit is unknown.
	MaxContextTokens    *int64 `json:"max_context_tokens"`
	MaxContextLimitedBy string `json:"max_context_limited_by,omitempty"`
	MaxContextUnbounded bool   `json:"max_context_unbounded"`
	// KVCapacityTokens is the memory-only figure: the longest context the
	// cache budget holds whatever the model was built for; null unless the
	// model fits, and when memory does not limit it.
	KVCapacityTokens *int64 `json:"kv_capacity_tokens"`
	// MaxConcurrency is how many sequences of ConcurrencyContextTokens
	// (the settings' scenario context) the whole fleet holds, all replicas
	// together; null unless the model fits, and when that context is
	// beyond the model's own limit.
	MaxConcurrency           *int64 `json:"max_concurrency"`
	ConcurrencyContextTokens int64  `json:"concurrency_context_tokens"`
	Replicas                 int64  `json:"replicas"`
}

// Cell is one model × fleet pair on both sides; Base or Head is nil when
// the model or the fleet exists on one side only.
type Cell struct {
	Model      string   `json:"model"`
	ModelName  string   `json:"model_name"`
	Fleet      string   `json:"fleet"`
	FleetTitle string   `json:"fleet_title"`
	Base       *Outcome `json:"base"`
	Head       *Outcome `json:"head"`
}

// Flipped reports whether the pair exists on both sides with different
// verdicts.
func (c Cell) Flipped() bool {
	return c.Base != nil && c.Head != nil && c.Base.Verdict != c.Head.Verdict
}

// SpecChange is one model, accelerator, fleet or the settings added,
// removed or changed.
type SpecChange struct {
	// Kind is "settings", "accelerator", "fleet" or "model".
	Kind string `json:"kind"`
	// Key is the model's slug, the accelerator's id, the fleet's name, or
	// "site.yaml".
	Key  string `json:"key"`
	Name string `json:"name"`
	// Op is "added", "removed" or "changed".
	Op     string        `json:"op"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// Move is a change of one figure (max context or max concurrency) on a
// pair that fits on both sides.
type Move struct {
	Model      string `json:"model"`
	ModelName  string `json:"model_name"`
	Fleet      string `json:"fleet"`
	FleetTitle string `json:"fleet_title"`
	Base       int64  `json:"base"`
	Head       int64  `json:"head"`
	// BaseUnbounded and HeadUnbounded mark a max context memory does not
	// limit; Base or Head is then meaningless.
	BaseUnbounded bool `json:"base_unbounded,omitempty"`
	HeadUnbounded bool `json:"head_unbounded,omitempty"`
	// BaseLimitedBy and HeadLimitedBy say what decides a max context:
	// "memory" or "model" (its own limit); empty for concurrency.
	BaseLimitedBy string `json:"base_limited_by,omitempty"`
	HeadLimitedBy string `json:"head_limited_by,omitempty"`
	// Ratio is Head ÷ Base; null when either side is unbounded or Base is 0.
	Ratio *float64 `json:"ratio"`
	order int      // the cell's position, the last tie-breaker
}

// Side describes one spec tree.
type Side struct {
	Specs    provenance.Specs `json:"specs"`
	Settings string           `json:"settings"`
	Models   int              `json:"models"`
	Fleets   int              `json:"fleets"`
	// ScenarioContextTokens is the context of the concurrency figures.
	ScenarioContextTokens int64 `json:"scenario_context_tokens"`
}

// Report is everything a reviewer sees about a change to the specs.
type Report struct {
	Kvplot provenance.Build `json:"kvplot"`
	Base   Side             `json:"base"`
	Head   Side             `json:"head"`
	// Summary is the one-paragraph account of the change.
	Summary     string       `json:"summary"`
	SpecChanges []SpecChange `json:"spec_changes"`
	// Flips are the pairs whose verdict differs, in catalog order.
	Flips []Cell `json:"flips"`
	// Context and Concurrency are the pairs whose max context (batch 1)
	// or max concurrency moved, largest relative change first.
	Context     []Move `json:"max_context_changes"`
	Concurrency []Move `json:"max_concurrency_changes"`
	// Cells are every pair of either side: head's models and fleets in
	// its order, then those only the base has.
	Cells []Cell `json:"cells"`
}

// Compare compares the base and head spec trees. build names the kvplot
// that runs the comparison; it is recorded, not used.
func Compare(base, head *spec.Catalog, build provenance.Build) (*Report, error) {
	r := &Report{Kvplot: build}
	for _, s := range []struct {
		c    *spec.Catalog
		side *Side
	}{{base, &r.Base}, {head, &r.Head}} {
		h, err := provenance.HashSpecs(s.c)
		if err != nil {
			return nil, err
		}
		*s.side = Side{Specs: h, Settings: provenance.Settings(s.c.Settings), Models: len(s.c.Models), Fleets: len(s.c.Fleets),
			ScenarioContextTokens: s.c.Settings.ScenarioContext}
	}
	r.SpecChanges = specChanges(base, head)
	r.Cells = cells(base, head)
	for i, c := range r.Cells {
		if c.Flipped() {
			r.Flips = append(r.Flips, c)
		}
		if c.Base == nil || c.Head == nil || c.Base.Verdict != Fits || c.Head.Verdict != Fits {
			continue
		}
		if m, ok := contextMove(c, i); ok {
			r.Context = append(r.Context, m)
		}
		if m, ok := concurrencyMove(c, i); ok {
			r.Concurrency = append(r.Concurrency, m)
		}
	}
	sortMoves(r.Context)
	sortMoves(r.Concurrency)
	r.Summary = summary(r)
	return r, nil
}

// Flipped reports whether any verdict flips.
func (r *Report) Flipped() bool { return len(r.Flips) > 0 }

// evaluate is one tree's verdict and headline figures for model m on
// fleet f: the site's own (pages.HeadlineFigures), so that the diff shows
// the numbers the site will.
func evaluate(c *spec.Catalog, m spec.Model, f spec.Fleet) *Outcome {
	ctx := c.Settings.ScenarioContext
	o := &Outcome{ConcurrencyContextTokens: ctx}
	fig := pages.HeadlineFigures(c, m, f, ctx)
	if !fig.Placed {
		o.Verdict, o.Reason = NoLayout, fig.Why
		return o
	}
	p := fig.Plan
	o.Replicas = p.Fleet.Replicas()
	l := fig.MaxContext
	if !fig.Fits || (l.Tokens == 0 && !l.Unbounded) {
		o.Verdict, o.Reason = DoesNotFit, fig.Why
		if st := p.Binding(); fig.Simple || o.Reason == "" {
			need := st.WeightsBytes + st.ActivationBytes + st.RuntimeBytes
			o.Reason = fmt.Sprintf("weights %s + reserves %s per GPU exceed its %s",
				units.FormatGiB(st.WeightsBytes), units.FormatGiB(st.ActivationBytes+st.RuntimeBytes), units.FormatGiB(st.CapacityBytes))
			if need <= st.CapacityBytes {
				o.Reason = "no room for the cache of one token"
			}
		}
		return o
	}
	o.Verdict = Fits
	tokens := l.Tokens
	o.MaxContextTokens = &tokens
	o.MaxContextUnbounded = l.Unbounded && !l.LimitedByModel
	switch {
	case l.LimitedByModel:
		o.MaxContextLimitedBy = "model"
	case !l.Unbounded:
		o.MaxContextLimitedBy = "memory"
	}
	if !l.Unbounded {
		kv := l.KVCapacityTokens
		o.KVCapacityTokens = &kv
	}
	if fig.Servable {
		n := mulSat(fig.Concurrency, o.Replicas)
		o.MaxConcurrency = &n
	}
	return o
}

func mulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// cells evaluates every model × fleet pair of either side.
func cells(base, head *spec.Catalog) []Cell {
	type model struct {
		slug, name string
		b, h       *spec.Model
	}
	type fleet struct {
		name, title string
		b, h        *spec.Fleet
	}
	var models []model
	seen := map[string]int{}
	for i := range head.Models {
		m := &head.Models[i]
		seen[m.Slug] = len(models)
		models = append(models, model{slug: m.Slug, name: m.Name, h: m})
	}
	for i := range base.Models {
		m := &base.Models[i]
		if j, ok := seen[m.Slug]; ok {
			models[j].b = m
			continue
		}
		models = append(models, model{slug: m.Slug, name: m.Name, b: m})
	}
	var fleets []fleet
	seenF := map[string]int{}
	for i := range head.Fleets {
		f := &head.Fleets[i]
		seenF[f.Name] = len(fleets)
		fleets = append(fleets, fleet{name: f.Name, title: f.Title, h: f})
	}
	for i := range base.Fleets {
		f := &base.Fleets[i]
		if j, ok := seenF[f.Name]; ok {
			fleets[j].b = f
			continue
		}
		fleets = append(fleets, fleet{name: f.Name, title: f.Title, b: f})
	}
	out := make([]Cell, 0, len(models)*len(fleets))
	for _, m := range models {
		for _, f := range fleets {
			c := Cell{Model: m.slug, ModelName: m.name, Fleet: f.name, FleetTitle: f.title}
			if m.b != nil && f.b != nil {
				c.Base = evaluate(base, *m.b, *f.b)
			}
			if m.h != nil && f.h != nil {
				c.Head = evaluate(head, *m.h, *f.h)
			}
			if c.Base == nil && c.Head == nil {
				continue // a removed model on an added fleet, or the reverse
			}
			out = append(out, c)
		}
	}
	return out
}

func moveOf(c Cell, order int, base, head int64) Move {
	return Move{Model: c.Model, ModelName: c.ModelName, Fleet: c.Fleet, FleetTitle: c.FleetTitle, Base: base, Head: head, order: order}
}

func ratio(base, head int64) *float64 {
	if base <= 0 {
		return nil
	}
	r := float64(head) / float64(base)
	return &r
}

func contextMove(c Cell, order int) (Move, bool) {
	b, h := c.Base, c.Head
	if *b.MaxContextTokens == *h.MaxContextTokens && b.MaxContextUnbounded == h.MaxContextUnbounded {
		return Move{}, false
	}
	m := moveOf(c, order, *b.MaxContextTokens, *h.MaxContextTokens)
	m.BaseUnbounded, m.HeadUnbounded = b.MaxContextUnbounded, h.MaxContextUnbounded
	m.BaseLimitedBy, m.HeadLimitedBy = b.MaxContextLimitedBy, h.MaxContextLimitedBy
	if !m.BaseUnbounded && !m.HeadUnbounded {
		m.Ratio = ratio(m.Base, m.Head)
	}
	return m, true
}

func concurrencyMove(c Cell, order int) (Move, bool) {
	b, h := c.Base, c.Head
	if b.MaxConcurrency == nil || h.MaxConcurrency == nil || *b.MaxConcurrency == *h.MaxConcurrency {
		return Move{}, false
	}
	m := moveOf(c, order, *b.MaxConcurrency, *h.MaxConcurrency)
	m.Ratio = ratio(m.Base, m.Head)
	return m, true
}

// size is how large a move is: |log2(head ÷ base)|, +Inf for a move from
// or to unbounded or from 0.
func (m Move) size() float64 {
	if m.Ratio == nil {
		return math.Inf(1)
	}
	if *m.Ratio <= 0 {
		return math.Inf(1)
	}
	return math.Abs(math.Log2(*m.Ratio))
}

// sortMoves puts the largest relative changes first; equal changes keep
// catalog order.
func sortMoves(ms []Move) {
	sort.SliceStable(ms, func(i, j int) bool {
		si, sj := ms[i].size(), ms[j].size()
		if si != sj {
			return si > sj
		}
		return ms[i].order < ms[j].order
	})
}

// specChanges compares the trees entity by entity: settings, accelerators
// (by id), fleets (by name), models (by slug). Within a kind, entries are
// sorted by key.
func specChanges(base, head *spec.Catalog) []SpecChange {
	var out []SpecChange
	if fs := compareFields(base.Settings, head.Settings); len(fs) > 0 {
		out = append(out, SpecChange{Kind: "settings", Key: "site.yaml", Name: "settings", Op: "changed", Fields: fs})
	}
	out = append(out, entityChanges("accelerator", base.Accelerators, head.Accelerators, func(a spec.Accelerator) (string, string) { return a.ID, a.Name })...)
	out = append(out, entityChanges("fleet", base.Fleets, head.Fleets, func(f spec.Fleet) (string, string) { return f.Name, f.Title })...)
	out = append(out, entityChanges("model", base.Models, head.Models, func(m spec.Model) (string, string) { return m.Slug, m.Name })...)
	return out
}

func entityChanges[T any](kind string, base, head []T, key func(T) (string, string)) []SpecChange {
	b := map[string]T{}
	for _, v := range base {
		k, _ := key(v)
		b[k] = v
	}
	h := map[string]T{}
	for _, v := range head {
		k, _ := key(v)
		h[k] = v
	}
	var out []SpecChange
	for k, bv := range b {
		_, name := key(bv)
		hv, ok := h[k]
		if !ok {
			out = append(out, SpecChange{Kind: kind, Key: k, Name: name, Op: "removed"})
			continue
		}
		if fs := compareFields(bv, hv); len(fs) > 0 {
			_, name = key(hv)
			out = append(out, SpecChange{Kind: kind, Key: k, Name: name, Op: "changed", Fields: fs})
		}
	}
	for k, hv := range h {
		if _, ok := b[k]; !ok {
			_, name := key(hv)
			out = append(out, SpecChange{Kind: kind, Key: k, Name: name, Op: "added"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// tally counts the verdicts of the pairs of one model or fleet on one side.
func (r *Report) tally(model, fleet string, head bool) (fits, total int) {
	for _, c := range r.Cells {
		if (model != "" && c.Model != model) || (fleet != "" && c.Fleet != fleet) {
			continue
		}
		o := c.Base
		if head {
			o = c.Head
		}
		if o == nil {
			continue
		}
		total++
		if o.Verdict == Fits {
			fits++
		}
	}
	return fits, total
}
