package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvplot/kvplot/internal/analysis"
	"github.com/kvplot/kvplot/internal/checkpoint"
	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// calcCheckpoint is calc's checkpoint object: what the safetensors headers
// of --checkpoint DIR (or the spec's checkpoint:) say the model stores,
// beside the bytes kvplot derives from its config. Bytes are integers.
type calcCheckpoint struct {
	Dir     string `json:"dir"`
	Files   int    `json:"files"`
	Tensors int    `json:"tensors"`
	// StoredBytes is every tensor's; LoadedBytes the part in a tensor class
	// (not the not-loaded or unclassified tensors).
	StoredBytes     int64            `json:"stored_bytes"`
	LoadedBytes     int64            `json:"loaded_bytes"`
	ConfigBytes     int64            `json:"config_bytes"`
	DifferenceBytes int64            `json:"difference_bytes"`
	BytesByDType    map[string]int64 `json:"bytes_by_dtype"`
	Classes         []ckClass        `json:"classes"`
	NotLoaded       []ckSkipped      `json:"not_loaded"`
	Unclassified    []ckTensor       `json:"unclassified"`
	// IndexTotalSize is model.safetensors.index.json's metadata.total_size,
	// null without an index or the field.
	IndexTotalSize *int64   `json:"index_total_size"`
	IgnoredFiles   []string `json:"ignored_files"`
}

type ckClass struct {
	Class           string           `json:"class"`
	CheckpointBytes int64            `json:"checkpoint_bytes"`
	ConfigBytes     int64            `json:"config_bytes"`
	DifferenceBytes int64            `json:"difference_bytes"`
	Tensors         int              `json:"tensors"`
	BytesByDType    map[string]int64 `json:"bytes_by_dtype"`
	// Reason names a known cause of a difference; SkippedByEngines says
	// engines do not load the bytes it explains.
	Reason           string `json:"reason,omitempty"`
	SkippedByEngines bool   `json:"skipped_by_engines,omitempty"`
}

type ckSkipped struct {
	Reason  string `json:"reason"`
	Tensors int    `json:"tensors"`
	Bytes   int64  `json:"bytes"`
	First   string `json:"first"`
}

type ckTensor struct {
	Name  string  `json:"name"`
	File  string  `json:"file"`
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
	Bytes int64   `json:"bytes"`
}

// checkpointModel makes --checkpoint DIR's config.json the model when
// --model is absent.
func checkpointModel(f *calcFlags) {
	if f.model == "" && f.checkpoint != "" {
		if p := filepath.Join(f.checkpoint, "config.json"); isFile(p) {
			f.model = p
		}
	}
}

// checkpointFor reads checkpoint directory dir (the flag's, else the
// spec's checkpoint:) and compares it with model m stored as w; nil
// without either.
func checkpointFor(dir string, m spec.Model, w analysis.WeightScheme) (*calcCheckpoint, error) {
	if dir == "" {
		dir = m.Checkpoint
	}
	if dir == "" {
		return nil, nil
	}
	ck, err := checkpoint.Read(dir)
	if err != nil {
		return nil, asProblems(err)
	}
	s := checkpoint.Summarize(ck, len(m.Arch.Layers))
	cmp := checkpoint.Compare(s, &m.Arch, w)
	r := &calcCheckpoint{Dir: filepath.ToSlash(dir), Files: s.Files, Tensors: s.Tensors, StoredBytes: s.Bytes, LoadedBytes: s.Loaded,
		ConfigBytes: cmp.ConfigBytes, DifferenceBytes: cmp.DifferenceBytes, BytesByDType: dtypeMap(s.ByDType),
		Classes: []ckClass{}, NotLoaded: []ckSkipped{}, Unclassified: []ckTensor{}, IgnoredFiles: append([]string{}, ck.Ignored...)}
	for _, c := range cmp.Classes {
		r.Classes = append(r.Classes, ckClass{Class: c.Class.String(), CheckpointBytes: c.CheckpointBytes, ConfigBytes: c.ConfigBytes,
			DifferenceBytes: c.DifferenceBytes, Tensors: c.Tensors, BytesByDType: dtypeMap(c.DTypes), Reason: c.Reason, SkippedByEngines: c.Skipped})
	}
	for _, g := range s.NotLoaded {
		r.NotLoaded = append(r.NotLoaded, ckSkipped{Reason: g.Reason, Tensors: g.Tensors, Bytes: g.Bytes, First: g.First})
	}
	for _, t := range s.Unclassified {
		r.Unclassified = append(r.Unclassified, ckTensor{Name: t.Name, File: t.File, DType: t.DType, Shape: append([]int64{}, t.Shape...), Bytes: t.Bytes})
	}
	if ck.Index != nil && ck.Index.TotalSize >= 0 {
		ts := ck.Index.TotalSize
		r.IndexTotalSize = &ts
	}
	return r, nil
}

func dtypeMap(ds []checkpoint.DTypeBytes) map[string]int64 {
	m := make(map[string]int64, len(ds))
	for _, d := range ds {
		m[d.DType] = d.Bytes
	}
	return m
}

// asProblems prints a checkpoint's problems as kvplot prints a spec's.
func asProblems(err error) error {
	var cps checkpoint.Problems
	if !errors.As(err, &cps) {
		return err
	}
	ps := make(spec.Problems, len(cps))
	for i, p := range cps {
		ps[i] = spec.Problem{Path: p.File, Field: p.Field, Message: p.Message}
	}
	return ps
}

// mismatches says what in a checkpoint disagrees with its config in a way
// that changes what an engine loads: classes whose bytes differ (a stored
// copy of a tied head aside), and tensors kvplot cannot place. "" when
// nothing does.
func (c *calcCheckpoint) mismatches() string {
	var parts []string
	for _, cl := range c.Classes {
		if cl.DifferenceBytes != 0 && !cl.SkippedByEngines {
			parts = append(parts, fmt.Sprintf("%s %s bytes", cl.Class, signed(cl.DifferenceBytes)))
		}
	}
	if n := len(c.Unclassified); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unclassified tensor(s)", n))
	}
	return strings.Join(parts, ", ")
}

// writeCheckpoint prints the checkpoint section of calc's text output.
func writeCheckpoint(b io.Writer, c *calcCheckpoint) {
	if c == nil {
		return
	}
	g := units.Group
	fmt.Fprintf(b, "Checkpoint %s (%d file(s), %s tensors; headers only, the weights are not read):\n", c.Dir, c.Files, g(int64(c.Tensors)))
	var dts []string
	for _, d := range sortedKeys(c.BytesByDType) {
		dts = append(dts, d+" "+g(c.BytesByDType[d]))
	}
	fmt.Fprintf(b, "  stored           %s bytes (%s): %s\n", g(c.StoredBytes), units.FormatGiB(c.StoredBytes), strings.Join(dts, ", "))
	fmt.Fprintf(b, "  %-16s %18s %18s %16s\n", "bytes by class", "checkpoint", "config", "difference")
	for _, cl := range c.Classes {
		if cl.CheckpointBytes == 0 && cl.ConfigBytes == 0 {
			continue
		}
		fmt.Fprintf(b, "  %-16s %18s %18s %16s\n", cl.Class, g(cl.CheckpointBytes), g(cl.ConfigBytes), signed(cl.DifferenceBytes))
	}
	fmt.Fprintf(b, "  %-16s %18s %18s %16s\n", "total loaded", g(c.LoadedBytes), g(c.ConfigBytes), signed(c.DifferenceBytes))
	for _, cl := range c.Classes {
		if cl.DifferenceBytes == 0 {
			continue
		}
		why := cl.Reason
		if why == "" {
			why = "kvplot knows no reason: the config-derived count does not describe this checkpoint"
		}
		var dts []string
		for _, d := range sortedKeys(cl.BytesByDType) {
			dts = append(dts, d)
		}
		stored := "nothing"
		if len(dts) > 0 {
			stored = strings.Join(dts, ", ")
		}
		fmt.Fprintf(b, "  %s differs by %s bytes (stored: %s): %s\n", cl.Class, signed(cl.DifferenceBytes), stored, why)
	}
	for _, s := range c.NotLoaded {
		fmt.Fprintf(b, "  not loaded       %s tensor(s), %s bytes: %s (e.g. %s)\n", g(int64(s.Tensors)), g(s.Bytes), s.Reason, s.First)
	}
	if n := len(c.Unclassified); n > 0 {
		var bytes int64
		var names []string
		for i, t := range c.Unclassified {
			bytes += t.Bytes
			if i < 10 {
				names = append(names, t.Name)
			}
		}
		more := ""
		if n > 10 {
			more = fmt.Sprintf(" and %d more", n-10)
		}
		fmt.Fprintf(b, "  unclassified     %s tensor(s), %s bytes kvplot cannot place in a class (not counted above): %s%s\n", g(int64(n)), g(bytes), strings.Join(names, ", "), more)
	}
	if c.IndexTotalSize != nil {
		if *c.IndexTotalSize == c.StoredBytes {
			fmt.Fprintf(b, "  index            total_size %s bytes, as the shards hold\n", g(*c.IndexTotalSize))
		} else {
			fmt.Fprintf(b, "  index            total_size %s bytes, but the shards hold %s (the headers are what kvplot counts)\n", g(*c.IndexTotalSize), g(c.StoredBytes))
		}
	}
	if len(c.IgnoredFiles) > 0 {
		fmt.Fprintf(b, "  ignored          %s (not in the index)\n", strings.Join(c.IgnoredFiles, ", "))
	}
}

// signed prints a difference with its sign and digit groups.
func signed(n int64) string {
	switch {
	case n > 0:
		return "+" + units.Group(n)
	case n < 0:
		return "−" + units.Group(-n)
	}
	return "0"
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateCheckpoint is validate --checkpoint DIR: the checkpoint against
// its config (--model, else DIR/config.json). It fails when the headers are
// malformed, or the checkpoint and the config disagree on what an engine
// loads.
func validateCheckpoint(stdout io.Writer, f calcFlags) error {
	checkpointModel(&f)
	if f.model == "" {
		return usagef("validate: --checkpoint %s has no config.json: give --model", f.checkpoint)
	}
	f.batch, f.context, f.engine = 1, 1, "simple"
	res, err := calc(f, func(name string) bool { return name == "specs" && f.specs != "specs" })
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), %s weights\n", res.Model.Name, res.Model.File, res.WeightsFormat)
	writeCheckpoint(&b, res.Checkpoint)
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	if bad := res.Checkpoint.mismatches(); bad != "" {
		return fmt.Errorf("checkpoint %s does not match %s: %s", res.Checkpoint.Dir, res.Model.File, bad)
	}
	fmt.Fprintf(stdout, "%s: ok: the checkpoint stores what the config describes\n", res.Checkpoint.Dir)
	return nil
}

// validateSpecCheckpoints checks each catalog model that names a
// checkpoint against it, one line per model.
func validateSpecCheckpoints(stdout io.Writer, c *spec.Catalog) error {
	var bad []string
	for _, m := range c.Models {
		if m.Checkpoint == "" {
			continue
		}
		sc := spec.ScenarioFor(m, c.Settings)
		r, err := checkpointFor("", m, sc.Weights)
		if err != nil {
			return err
		}
		if mm := r.mismatches(); mm != "" {
			fmt.Fprintf(stdout, "%s: checkpoint %s: differs: %s\n", m.File, r.Dir, mm)
			bad = append(bad, m.File)
			continue
		}
		fmt.Fprintf(stdout, "%s: checkpoint %s: %s bytes, as the config describes\n", m.File, r.Dir, units.Group(r.LoadedBytes))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d model(s) do not match their checkpoint: %s (kvplot calc --model FILE shows each class)", len(bad), strings.Join(bad, ", "))
	}
	return nil
}
