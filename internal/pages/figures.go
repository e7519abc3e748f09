package pages

import (
	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/spec"
)

// Figures are the site's headline answer for one model on one fleet, as
// the index, the fleet pages and the model tables show it: the layout
// kvplot chooses, whether the headline engine (site.yaml engine:) leaves
// room for a cache, the longest context of one sequence and how many
// sequences of a given context one replica holds. kvplot diff compares
// these, so that a review sees the numbers the site will show.
type Figures struct {
	// Placed is false when no layout of the fleet can split the model;
	// Why then says why, in words.
	Placed bool
	// Fits is set when the headline engine leaves memory for a cache;
	// Why says why not otherwise.
	Fits bool
	Why  string
	// Simple is set when the headline engine is kvplot's simple policy,
	// whose figures are Plan's own.
	Simple bool
	// Plan is the chosen layout (when Placed).
	Plan analysis.Plan
	// MaxContext is one sequence's (batch 1), capped by the model's limit.
	MaxContext analysis.ContextLimit
	// Servable is false when the asked context exceeds the model's own
	// limit; Concurrency, per replica, is then 0 and not an answer.
	Servable    bool
	Concurrency int64
}

// HeadlineFigures computes Figures for model m on fleet f of catalog c,
// with concurrency counted in sequences of context tokens.
func HeadlineFigures(c *spec.Catalog, m spec.Model, f spec.Fleet, context int64) Figures {
	p, err := c.Plan(m, f)
	if err != nil {
		return Figures{Why: err.Error()}
	}
	h := headlineFor(headlineProfile(c.Settings), c, m, f, p)
	fig := Figures{Placed: true, Fits: h.fits(), Simple: h.simple, Plan: p, MaxContext: h.maxContext(1), Servable: m.Arch.ContextServable(context)}
	if !fig.Fits {
		fig.Why = h.whyNot()
		return fig
	}
	if fig.Servable {
		fig.Concurrency = h.concurrency(context)
	}
	return fig
}
