package pages

import (
	"fmt"
	"math"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/units"
)

// dataRow builds one table row twice: the cells people read and the values
// the data files hold (numbers as numbers, null where a cell does not
// apply). Each null carries a reason; the reasons of a row form its note,
// the last data column.
type dataRow struct {
	cells []string
	raw   []any
	notes []string
}

// add appends a cell and its value.
func (r *dataRow) add(cell string, v any) {
	r.cells = append(r.cells, cell)
	r.raw = append(r.raw, v)
}

// null appends a cell that does not apply: null in the data, with reason
// in the row's note.
func (r *dataRow) null(cell, reason string) {
	r.add(cell, nil)
	r.note(reason)
}

// note adds a reason to the row's note, once.
func (r *dataRow) note(reason string) {
	for _, n := range r.notes {
		if n == reason {
			return
		}
	}
	r.notes = append(r.notes, reason)
}

// extra appends a data-only value (after every shown column).
func (r *dataRow) extra(v any) { r.raw = append(r.raw, v) }

// done returns the shown cells and the data values, the note last (null
// when every cell applies).
func (r *dataRow) done() ([]string, []any) {
	var note any
	if len(r.notes) > 0 {
		note = strings.Join(r.notes, "; ")
	}
	return r.cells, append(r.raw, note)
}

// dataTable collects dataRows into a table's Rows and Raw.
type dataTable struct {
	rows [][]string
	raw  [][]any
}

func (t *dataTable) append(r *dataRow) {
	c, v := r.done()
	t.rows, t.raw = append(t.rows, c), append(t.raw, v)
}

// addContext appends a max-context cell: a number of tokens, "(model
// limit)" where the model's own limit binds; null with a reason when
// nothing fits or when memory never binds and the limit is unknown.
func (r *dataRow) addContext(l analysis.ContextLimit, where, whyNot string) {
	switch {
	case l.LimitedByModel:
		r.add(ctxLimitText(l), l.Tokens)
	case l.Unbounded:
		r.null(ctxLimitText(l), where+"memory never limits the context (every layer's cache stops growing) and the model states no limit")
	case l.Tokens == 0:
		r.null(ctxLimitText(l), where+"does not fit: "+whyNot)
	default:
		r.add(ctxLimitText(l), l.Tokens)
	}
}

// addConcurrency appends the sequences of ctx tokens one replica holds:
// null beyond the model's limit.
func (r *dataRow) addConcurrency(h headline, ctx int64, where string) {
	r.addConcurrencyTimes(h, ctx, 1, where)
}

// addConcurrencyTimes appends replicas × the sequences of ctx tokens one
// replica holds (the whole fleet's count when replicas is the fleet's).
func (r *dataRow) addConcurrencyTimes(h headline, ctx, replicas int64, where string) {
	if m := h.plan.Model; m != nil && !m.ContextServable(ctx) {
		r.null("beyond model limit", fmt.Sprintf("%s%s tokens is beyond the model's limit of %s", where, units.Group(ctx), units.Group(m.MaxContext)))
		return
	}
	if !h.fits() {
		r.null("does not fit", where+"does not fit: "+h.whyNot())
		return
	}
	n := h.concurrency(ctx)
	if replicas > 1 {
		n = min(n, math.MaxInt64/replicas) * replicas
	}
	r.add(units.Group(n), n)
}

// tokenKey names a column by a token count: "8192".
func tokenKey(n int64) string { return fmt.Sprint(n) }
