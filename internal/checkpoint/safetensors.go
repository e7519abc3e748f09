package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxHeaderBytes caps a safetensors header: 100,000,000 bytes, the limit of
// the reference implementation (huggingface/safetensors, tensor.rs
// MAX_HEADER_SIZE), which refuses to load a file with a larger header. The
// largest real headers (a shard of a trillion-parameter MoE) are a few MB.
const MaxHeaderBytes = 100_000_000

// dtypeBits is the size in bits of one element of each safetensors dtype,
// as the format defines it (huggingface/safetensors, safetensors/src/tensor.rs,
// Dtype::bitsize, at commit 24b0b28 of May 2026). F4 and F6 are packed: a
// tensor of them must fill whole bytes.
var dtypeBits = map[string]int64{
	"BOOL": 8, "U8": 8, "I8": 8,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
	"F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"C64": 64, "F64": 64, "I64": 64, "U64": 64,
}

// DTypes lists the safetensors dtypes kvplot knows, sorted.
func DTypes() []string {
	out := make([]string, 0, len(dtypeBits))
	for d := range dtypeBits {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Tensor is one tensor a safetensors header describes.
type Tensor struct {
	Name  string
	File  string // the shard holding it, as named in the checkpoint directory
	DType string
	Shape []int64
	// Bytes is the stored size: the span of its data_offsets, checked
	// against shape × dtype.
	Bytes int64
}

// Header is what a safetensors file's header says.
type Header struct {
	// HeaderBytes is the JSON header's length; DataBytes the bytes after it.
	HeaderBytes int64
	DataBytes   int64
	Tensors     []Tensor // in data order
	Metadata    map[string]string
}

// Problem is one thing wrong with a checkpoint: in File, about Field (a
// tensor's "name.data_offsets", "header length", ...; "" for the file).
type Problem struct {
	File    string
	Field   string
	Message string
}

func (p Problem) String() string {
	s := p.File + ": "
	if p.Field != "" {
		s += p.Field + ": "
	}
	return printable(s + p.Message)
}

// Problems is every problem found in a checkpoint, one per line.
type Problems []Problem

// MaxShown caps how many problems Error prints.
const MaxShown = 20

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i == MaxShown {
			fmt.Fprintf(&b, "\ntoo many problems: %d more not shown", len(ps)-MaxShown)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// printable replaces control characters and invalid UTF-8 (which a hostile
// tensor name may hold) by Go escapes, so a problem stays one line.
func printable(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x20 || r == 0x7f:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// shortName cuts a name from a hostile header to a readable length.
func shortName(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ReadHeader reads the header of safetensors file name (shown in
// problems) from r, size bytes long: the 8-byte little-endian header
// length, then that many bytes of JSON. It reads nothing past the header,
// and checks every tensor against the format: a known dtype, a shape whose
// size in that dtype is its data_offsets span, and offsets that tile the
// data after the header exactly (no overlap, no gap, nothing past the end
// of the file).
func ReadHeader(name string, r io.ReaderAt, size int64) (Header, error) {
	var h Header
	fail := func(field, format string, args ...any) (Header, error) {
		return h, Problems{{File: name, Field: field, Message: fmt.Sprintf(format, args...)}}
	}
	if size < 8 {
		return fail("", "%d bytes: too short for a safetensors file (an 8-byte header length comes first)", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return fail("", "cannot read: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n > MaxHeaderBytes:
		return fail("header length", "%d bytes is more than the format's limit of %d: not a safetensors file, or a corrupt one", n, MaxHeaderBytes)
	case int64(n) > size-8:
		return fail("header length", "%d bytes is beyond the file (%d bytes after the length): truncated or not a safetensors file", n, size-8)
	case n < 2:
		return fail("header length", "%d bytes cannot hold a JSON object", n)
	}
	h.HeaderBytes, h.DataBytes = int64(n), size-8-int64(n)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return fail("", "cannot read the header: %v", err)
	}
	if !utf8.Valid(buf) {
		return fail("header", "not valid UTF-8")
	}
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{File: name, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	entries, err := decodeObject(buf)
	if err != nil {
		return fail("header", "%v", err)
	}
	var spans []span
	for _, e := range entries {
		if e.key == "__metadata__" {
			h.Metadata = readMetadata(e.val, func(field, msg string) { add("__metadata__"+field, "%s", msg) })
			continue
		}
		t, ok := readTensor(e.key, e.val, func(field, msg string) { add(shortName(e.key)+"."+field, "%s", msg) })
		if ok {
			t.File = name
			spans = append(spans, t)
		}
	}
	if len(ps) == 0 {
		checkTiling(spans, h.DataBytes, add)
	}
	if len(ps) > 0 {
		return h, ps
	}
	for _, s := range spans {
		h.Tensors = append(h.Tensors, s.Tensor)
	}
	return h, nil
}

// span is a tensor with its data_offsets.
type span struct {
	Tensor
	start, end int64
}

// checkTiling checks that the tensors' data_offsets cover the data after
// the header exactly, as the format requires: sorted by offset, each
// starts where the previous ended, the first at 0 and the last at the end
// of the file. It sorts spans into data order.
func checkTiling(spans []span, dataBytes int64, add func(field, format string, args ...any)) {
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.Name < b.Name
	})
	var at int64
	prev := ""
	for _, s := range spans {
		field := shortName(s.Name) + ".data_offsets"
		switch {
		case s.end > dataBytes:
			add(field, "[%d, %d] ends beyond the data (%d bytes after the header): the file is truncated or the offsets are wrong", s.start, s.end, dataBytes)
			return
		case s.start < at:
			add(field, "[%d, %d] overlaps %s, which ends at %d", s.start, s.end, shortName(prev), at)
			return
		case s.start > at && prev == "":
			add(field, "[%d, %d] leaves bytes 0 to %d of the data undescribed (the format packs tensors from offset 0)", s.start, s.end, s.start)
			return
		case s.start > at:
			add(field, "[%d, %d] leaves a gap of %d bytes after %s (the format packs tensors without gaps)", s.start, s.end, s.start-at, shortName(prev))
			return
		}
		at, prev = s.end, s.Name
	}
	if at != dataBytes {
		add("data", "%d bytes after the last tensor's data are not described by the header (the file has %d bytes of data, the tensors %d)", dataBytes-at, dataBytes, at)
	}
}

// entry is one key and value of a JSON object, in file order.
type entry struct {
	key string
	val any
}

// decodeObject decodes a JSON object, keeping its keys in order and
// refusing duplicates (which JSON readers resolve differently) and
// anything but white space after it.
func decodeObject(data []byte) ([]entry, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, jsonError(d, err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	var out []entry
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, jsonError(d, err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("invalid JSON at byte %d", d.InputOffset())
		}
		if seen[key] {
			return nil, fmt.Errorf("%q appears twice", shortName(key))
		}
		seen[key] = true
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, jsonError(d, err)
		}
		out = append(out, entry{key, v})
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, jsonError(d, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON object at byte %d", d.InputOffset())
	}
	return out, nil
}

// jsonError words a decoding error without Go type names.
func jsonError(d *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: unexpected end of the header")
	}
	return fmt.Errorf("invalid JSON at byte %d", d.InputOffset())
}

// readMetadata reads the optional __metadata__: an object of strings.
func readMetadata(v any, add func(field, msg string)) map[string]string {
	o, ok := v.(map[string]any)
	if !ok {
		add("", "must be an object of strings, got "+jsonKind(v))
		return nil
	}
	out := make(map[string]string, len(o))
	for k, x := range o {
		s, ok := x.(string)
		if !ok {
			add("."+shortName(k), "must be a string, got "+jsonKind(x))
			continue
		}
		out[k] = s
	}
	return out
}

// readTensor reads one tensor entry: {dtype, shape, data_offsets}.
func readTensor(name string, v any, add func(field, msg string)) (span, bool) {
	s := span{Tensor: Tensor{Name: name}}
	o, ok := v.(map[string]any)
	if !ok {
		add("", "must be an object with dtype, shape and data_offsets, got "+jsonKind(v))
		return s, false
	}
	good := true
	switch d, ok := o["dtype"].(string); {
	case o["dtype"] == nil:
		add("dtype", "missing")
		good = false
	case !ok:
		add("dtype", "must be a string, got "+jsonKind(o["dtype"]))
		good = false
	case dtypeBits[d] == 0:
		add("dtype", fmt.Sprintf("unknown dtype %q (the format's dtypes are %s)", shortName(d), strings.Join(DTypes(), ", ")))
		good = false
	default:
		s.DType = d
	}
	shape, ok := readInts(o["shape"], -1, add, "shape")
	good = good && ok
	s.Shape = shape
	offs, ok := readInts(o["data_offsets"], 2, add, "data_offsets")
	good = good && ok
	if !good {
		return s, false
	}
	s.start, s.end = offs[0], offs[1]
	if s.end < s.start {
		add("data_offsets", fmt.Sprintf("[%d, %d] ends before it starts", s.start, s.end))
		return s, false
	}
	s.Bytes = s.end - s.start
	elems := int64(1)
	for _, d := range shape {
		hi, lo := bits.Mul64(uint64(elems), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			add("shape", fmt.Sprintf("%s has more elements than a file can hold", shapeString(shape)))
			return s, false
		}
		elems = int64(lo)
	}
	hi, nbits := bits.Mul64(uint64(elems), uint64(dtypeBits[s.DType]))
	switch {
	case hi != 0 || nbits > math.MaxInt64:
		add("shape", fmt.Sprintf("%s of %s has more bytes than a file can hold", shapeString(shape), s.DType))
		return s, false
	case nbits%8 != 0:
		add("shape", fmt.Sprintf("%s of %s is %d bits, not a whole number of bytes", shapeString(shape), s.DType, nbits))
		return s, false
	case int64(nbits/8) != s.Bytes:
		add("data_offsets", fmt.Sprintf("[%d, %d] spans %d bytes, but shape %s of %s is %d bytes", s.start, s.end, s.Bytes, shapeString(shape), s.DType, nbits/8))
		return s, false
	}
	return s, true
}

// readInts reads a JSON array of non-negative integers (of length n when
// n >= 0).
func readInts(v any, n int, add func(field, msg string), field string) ([]int64, bool) {
	if v == nil {
		add(field, "missing")
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		add(field, "must be a list of integers, got "+jsonKind(v))
		return nil, false
	}
	if n >= 0 && len(arr) != n {
		add(field, fmt.Sprintf("must be a list of %d integers, got %d", n, len(arr)))
		return nil, false
	}
	out := make([]int64, len(arr))
	for i, x := range arr {
		num, ok := x.(json.Number)
		if !ok {
			add(field, fmt.Sprintf("[%d] must be an integer, got %s", i, jsonKind(x)))
			return nil, false
		}
		k, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || k < 0 {
			add(field, fmt.Sprintf("[%d] must be a non-negative integer below 2^63, got %s", i, shortName(string(num))))
			return nil, false
		}
		out[i] = k
	}
	return out, true
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a value"
}

func shapeString(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
