package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kvplot/kvplot/internal/units"
)

// CommentMarker starts every Markdown report, so that a workflow can find
// the comment it posted before and update it instead of adding another.
const CommentMarker = "<!-- kvplot-diff -->"

// PagePlaceholder stands for the full page's address in the Markdown when
// none is given; a workflow replaces it once it knows where diff.html is.
const PagePlaceholder = "KVPLOT_DIFF_PAGE_URL"

// MaxMarkdownBytes bounds the Markdown report. GitHub refuses comments
// over 65,536 characters; the margin leaves room for a workflow's edits.
const MaxMarkdownBytes = 60000

// limits are how many rows of each part the Markdown shows.
type limits struct{ flips, specs, fields, moves int }

// shrinking lists ever smaller limits, tried in turn until the Markdown
// fits in MaxMarkdownBytes.
var shrinking = []limits{
	{flips: 100, specs: 60, fields: 8, moves: 10},
	{flips: 40, specs: 30, fields: 5, moves: 10},
	{flips: 20, specs: 15, fields: 3, moves: 5},
	{flips: 10, specs: 8, fields: 2, moves: 5},
	{flips: 5, specs: 4, fields: 1, moves: 3},
}

// Markdown renders the report as a GitHub pull-request comment: the
// summary, the flips, the spec changes and the largest moves, within
// MaxMarkdownBytes. pageURL links the full page; "" leaves PagePlaceholder.
func (r *Report) Markdown(pageURL string) []byte {
	if pageURL == "" {
		pageURL = PagePlaceholder
	}
	var out []byte
	for _, l := range shrinking {
		out = r.markdown(pageURL, l)
		if len(out) <= MaxMarkdownBytes {
			return out
		}
	}
	// Even the smallest limits are too much (names of absurd length): cut.
	note := "\n\n… cut to fit a comment; see the full page.\n"
	cut := MaxMarkdownBytes - len(note)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return append(out[:cut:cut], note...)
}

func (r *Report) markdown(pageURL string, l limits) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n### kvplot diff: what this change to the specs does\n\n%s\n", CommentMarker, mdText(r.Summary))

	if len(r.Flips) > 0 {
		fmt.Fprintf(&b, "\n#### Verdicts that flip\n\n| Model | Fleet | Base | Head | Why |\n|---|---|---|---|---|\n")
		for i, c := range r.Flips {
			if i == l.flips {
				fmt.Fprintf(&b, "\n… and %d more in the full page.\n", len(r.Flips)-i)
				break
			}
			why := c.Head.Reason
			if c.Head.Verdict == Fits {
				why = "was: " + c.Base.Reason
			}
			fmt.Fprintf(&b, "| %s | %s | %s | **%s** | %s |\n", mdCell(c.ModelName), mdCell(c.FleetTitle), mdCell(OutcomeText(c.Base)), mdCell(OutcomeText(c.Head)), mdCell(why))
		}
	}

	if len(r.SpecChanges) > 0 {
		fmt.Fprintf(&b, "\n#### Spec changes\n\n")
		for i, c := range r.SpecChanges {
			if i == l.specs {
				fmt.Fprintf(&b, "- … and %d more in the full page\n", len(r.SpecChanges)-i)
				break
			}
			b.WriteString("- " + specChangeLine(r, c, l.fields) + "\n")
		}
	}

	ctxLabel := "sequences of the scenario context"
	if r.Base.ScenarioContextTokens == r.Head.ScenarioContextTokens {
		ctxLabel = units.Group(r.Head.ScenarioContextTokens) + "-token sequences"
	}
	writeMoves(&b, "Largest changes in max context (batch 1, tokens)", r.Context, l.moves, func(m Move) (string, string) {
		return m.ContextTexts()
	})
	writeMoves(&b, "Largest changes in max concurrency ("+ctxLabel+", whole fleet)", r.Concurrency, l.moves, func(m Move) (string, string) {
		return units.Group(m.Base), units.Group(m.Head)
	})

	fmt.Fprintf(&b, "\n[Full diff page](%s) · %s · base specs `%s` (%d files) · head specs `%s` (%d files)\n\n",
		pageURL, mdText(r.Kvplot.String()), r.Base.Specs.Short(), r.Base.Specs.Files, r.Head.Specs.Short(), r.Head.Specs.Files)
	if r.Base.Settings == r.Head.Settings {
		fmt.Fprintf(&b, "Settings: %s.\n", mdText(r.Head.Settings))
	} else {
		fmt.Fprintf(&b, "Base settings: %s.  \nHead settings: %s.\n", mdText(r.Base.Settings), mdText(r.Head.Settings))
	}
	return b.Bytes()
}

func writeMoves(b *bytes.Buffer, title string, ms []Move, limit int, values func(Move) (string, string)) {
	if len(ms) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### %s\n\n| Model | Fleet | Base | Head | Change |\n|---|---|--:|--:|--:|\n", mdText(title))
	for i, m := range ms {
		if i == limit {
			fmt.Fprintf(b, "\n%d of %d changes shown; the full page and diff.json have all.\n", limit, len(ms))
			break
		}
		bv, hv := values(m)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(m.ModelName), mdCell(m.FleetTitle), bv, hv, m.ChangeText())
	}
}

// specChangeLine is one bullet: what changed and its first fields.
func specChangeLine(r *Report, c SpecChange, maxFields int) string {
	head := fmt.Sprintf("%s `%s`", strings.ToUpper(c.Kind[:1])+c.Kind[1:], mdCode(c.Key))
	if c.Kind != "settings" && c.Name != c.Key {
		head += " (" + mdText(c.Name) + ")"
	}
	switch c.Op {
	case "added":
		s := head + " added"
		switch c.Kind {
		case "model":
			fits, total := r.tally(c.Key, "", true)
			s += fmt.Sprintf(": fits on %d of %d fleets", fits, total)
		case "fleet":
			fits, total := r.tally("", c.Key, true)
			s += fmt.Sprintf(": holds %d of %d models", fits, total)
		}
		return s
	case "removed":
		return head + " removed"
	}
	var fs []string
	for i, f := range c.Fields {
		if i == maxFields {
			fs = append(fs, fmt.Sprintf("and %d more", len(c.Fields)-i))
			break
		}
		fs = append(fs, fmt.Sprintf("`%s` %s → %s", mdCode(f.Field), mdText(f.Base), mdText(f.Head)))
	}
	return head + " changed: " + strings.Join(fs, "; ")
}

// mdText escapes text from specs for GitHub Markdown: what could format,
// link, run as HTML or mention someone is shown as typed.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '#', '!', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@':
			b.WriteString("@\u2060") // a word joiner: no @mention
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCell is mdText for a table cell ("" becomes a dash).
func mdCell(s string) string {
	if s == "" {
		return absent
	}
	return mdText(s)
}

// mdCode makes s safe inside a one-backtick code span.
func mdCode(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "`", "'")
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// JSON renders the report for scripts, indented, with a final newline.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
