package main

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// textWriter passes text to a terminal with control characters escaped:
// names from specs and config files (_name_or_path, name:, file names) may
// hold ESC sequences, carriage returns, or bidirectional overrides that
// would clear the screen or forge a line such as "fits yes". Newlines and
// tabs pass; every other control character, and invalid UTF-8, is written
// as a \uXXXX escape, which is also valid inside a JSON string.
type textWriter struct {
	w     io.Writer
	carry []byte // an incomplete UTF-8 sequence from the last Write
}

func newTextWriter(w io.Writer) io.Writer {
	if _, ok := w.(*textWriter); ok {
		return w
	}
	return &textWriter{w: w}
}

func (t *textWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.carry) > 0 {
		p = append(t.carry, p...)
		t.carry = nil
	}
	var out []byte
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				out = fmt.Appendf(out, `\u%04x`, c)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			t.carry = append([]byte(nil), p[i:]...)
			break
		}
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\u%04x`, c)
		case isTerminalControl(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// isTerminalControl reports the non-ASCII runes that steer a terminal or
// reorder text: C1 controls, line and paragraph separators, and the
// bidirectional marks, embeddings, overrides and isolates.
func isTerminalControl(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
