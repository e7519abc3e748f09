package diff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvplot/kvplot/internal/units"
)

// OutcomeText is an outcome in a few words: "fits, 131,072 tokens",
// "fits, unbounded", "does not fit", "no layout", or "—" for a pair one
// side does not have.
func OutcomeText(o *Outcome) string {
	switch {
	case o == nil:
		return absent
	case o.Verdict != Fits:
		return string(o.Verdict)
	case o.MaxContextUnbounded:
		return "fits, context unbounded (model limit unknown)"
	case o.MaxContextLimitedBy == "model":
		return "fits, " + units.Group(*o.MaxContextTokens) + " tokens (model limit)"
	}
	return "fits, " + units.Group(*o.MaxContextTokens) + " tokens"
}

// ContextText is a max context: grouped tokens or "unbounded".
func ContextText(tokens int64, unbounded bool) string {
	if unbounded {
		return "unbounded"
	}
	return units.Group(tokens)
}

// ContextTexts are a max-context move's two sides, marked where the
// model's own limit decides: "40,960 (model limit)".
func (m Move) ContextTexts() (base, head string) {
	side := func(tokens int64, unbounded bool, by string) string {
		s := ContextText(tokens, unbounded)
		if by == "model" {
			s += " (model limit)"
		}
		return s
	}
	return side(m.Base, m.BaseUnbounded, m.BaseLimitedBy), side(m.Head, m.HeadUnbounded, m.HeadLimitedBy)
}

// ChangeText is a move's relative change: "+100.0%", "−50.0%", "×12.3"
// from ten-fold up, "new" from 0, "now unbounded", "now bounded".
func (m Move) ChangeText() string {
	switch {
	case m.BaseUnbounded && !m.HeadUnbounded:
		return "now bounded"
	case m.HeadUnbounded && !m.BaseUnbounded:
		return "now unbounded"
	case m.Ratio == nil:
		return "from 0"
	}
	return ratioText(*m.Ratio)
}

func ratioText(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("×%.1f", r)
	}
	pct := 100 * (r - 1)
	s := fmt.Sprintf("%+.1f%%", pct)
	return strings.Replace(s, "-", "−", 1)
}

// summary is the report's one paragraph.
func summary(r *Report) string {
	var parts []string
	parts = append(parts, specSummary(r))
	parts = append(parts, flipSummary(r))
	ctx := "the scenario context"
	if r.Base.ScenarioContextTokens == r.Head.ScenarioContextTokens {
		ctx = units.Group(r.Head.ScenarioContextTokens) + "-token sequences"
	}
	shared := r.shared()
	for _, f := range []struct {
		what      string
		moves     []Move
		unbounded bool
	}{{"Max context (batch 1)", r.Context, true}, {"Max concurrency (" + ctx + ", whole fleet)", r.Concurrency, false}} {
		if s := moveSummary(f.what, f.moves, shared, f.unbounded); s != "" {
			parts = append(parts, s)
		} else if shared > 0 {
			parts = append(parts, fmt.Sprintf("%s is unchanged on the %d pairs that fit on both sides.", f.what, shared))
		}
	}
	return strings.Join(parts, " ")
}

// shared counts the pairs that fit on both sides.
func (r *Report) shared() int {
	n := 0
	for _, c := range r.Cells {
		if c.Base != nil && c.Head != nil && c.Base.Verdict == Fits && c.Head.Verdict == Fits {
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// listNames is "a", "a and b", "a, b and c", or the first three and "N more".
func listNames(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func specSummary(r *Report) string {
	if len(r.SpecChanges) == 0 {
		return "The two spec trees describe the same models, accelerators, fleets and settings."
	}
	kinds := []struct{ kind, one, many string }{{"model", "model", "models"}, {"accelerator", "accelerator", "accelerators"}, {"fleet", "fleet", "fleets"}}
	var clauses []string
	for _, op := range []struct{ verb, past string }{{"add", "added"}, {"remove", "removed"}, {"change", "changed"}} {
		var items []string
		for _, k := range kinds {
			var names []string
			for _, c := range r.SpecChanges {
				if c.Kind == k.kind && c.Op == op.past {
					names = append(names, c.Name)
				}
			}
			if len(names) > 0 {
				items = append(items, plural(len(names), k.one, k.many)+" ("+listNames(names)+")")
			}
		}
		if op.verb == "change" {
			for _, c := range r.SpecChanges {
				if c.Kind == "settings" {
					var fields []string
					for _, f := range c.Fields {
						fields = append(fields, f.Field+" "+f.Base+" → "+f.Head)
					}
					items = append(items, "the settings ("+listNames(fields)+")")
				}
			}
		}
		if len(items) > 0 {
			clauses = append(clauses, op.verb+" "+listNames(items))
		}
	}
	s := "The head specs " + strings.Join(clauses, "; ") + "."
	for _, c := range r.SpecChanges {
		if c.Kind == "model" && c.Op == "added" {
			fits, total := r.tally(c.Key, "", true)
			s += fmt.Sprintf(" New model %s fits on %d of %d fleets.", c.Name, fits, total)
		}
		if c.Kind == "fleet" && c.Op == "added" {
			fits, total := r.tally("", c.Key, true)
			s += fmt.Sprintf(" New fleet %s holds %d of %d models.", c.Name, fits, total)
		}
	}
	return s
}

func flipSummary(r *Report) string {
	both := 0
	for _, c := range r.Cells {
		if c.Base != nil && c.Head != nil {
			both++
		}
	}
	if len(r.Flips) == 0 {
		return fmt.Sprintf("No verdict flips among the %d model × fleet pairs both trees have.", both)
	}
	s := fmt.Sprintf("%s of %d model × fleet pairs %s: ", plural(len(r.Flips), "verdict", "verdicts"), both, map[bool]string{true: "flips", false: "flip"}[len(r.Flips) == 1])
	if len(r.Flips) <= 3 {
		var each []string
		for _, c := range r.Flips {
			each = append(each, flipSentence(c))
		}
		return s + strings.Join(each, "; ") + "."
	}
	var gain, lose, other int
	for _, c := range r.Flips {
		switch {
		case c.Head.Verdict == Fits:
			gain++
		case c.Base.Verdict == Fits:
			lose++
		default:
			other++
		}
	}
	var counts []string
	if lose > 0 {
		counts = append(counts, fmt.Sprintf("%d no longer fit", lose))
	}
	if gain > 0 {
		counts = append(counts, fmt.Sprintf("%d now fit", gain))
	}
	if other > 0 {
		counts = append(counts, fmt.Sprintf("%d change between does not fit and no layout", other))
	}
	return s + listNames(counts) + "."
}

func flipSentence(c Cell) string {
	switch {
	case c.Head.Verdict == Fits:
		return fmt.Sprintf("%s now fits on %s (was: %s)", c.ModelName, c.FleetTitle, c.Base.Verdict)
	case c.Base.Verdict == Fits && c.Head.Verdict == DoesNotFit && c.Head.Reason != "":
		return fmt.Sprintf("%s no longer fits on %s (%s)", c.ModelName, c.FleetTitle, c.Head.Reason)
	case c.Base.Verdict == Fits:
		return fmt.Sprintf("%s no longer fits on %s (%s: %s)", c.ModelName, c.FleetTitle, c.Head.Verdict, c.Head.Reason)
	}
	return fmt.Sprintf("%s on %s goes from %s to %s", c.ModelName, c.FleetTitle, c.Base.Verdict, c.Head.Verdict)
}

// moveSummary says on how many pairs a figure moves and by how much.
func moveSummary(what string, ms []Move, shared int, unbounded bool) string {
	if len(ms) == 0 {
		return ""
	}
	var rs []float64
	unb := 0
	for _, m := range ms {
		if m.Ratio != nil {
			rs = append(rs, *m.Ratio)
		} else {
			unb++
		}
	}
	s := fmt.Sprintf("%s changes on %d of the %d pairs that fit on both sides", what, len(ms), shared)
	if len(rs) > 0 {
		sort.Float64s(rs)
		med := rs[len(rs)/2]
		if len(rs)%2 == 0 {
			med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
		}
		if len(rs) == 1 {
			s += ": " + ratioText(rs[0])
		} else {
			s += fmt.Sprintf(": %s on the median pair, from %s to %s", ratioText(med), ratioText(rs[0]), ratioText(rs[len(rs)-1]))
		}
	}
	if unb > 0 {
		if unbounded {
			s += fmt.Sprintf("; %s between bounded and unbounded", plural(unb, "pair moves", "pairs move"))
		} else {
			s += fmt.Sprintf("; %s from 0", plural(unb, "pair grows", "pairs grow"))
		}
	}
	return s + "."
}
