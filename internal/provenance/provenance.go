// Package provenance says what produced a page or a diff: the kvplot build
// (its version and, when the Go build information has it, the VCS revision),
// a hash of the spec files that were read, and the settings in force. A
// reader of a page detached from the site, or of a pull-request comment,
// can tell from it which program and which specs made the numbers.
package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Build is the kvplot program that ran.
type Build struct {
	// Version is the main module's version ("v1.2.0", a pseudo-version,
	// or "(devel)" for a build from a work tree without one).
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, "" when the
	// build information does not record it; Modified marks a work tree
	// with uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

// CurrentBuild reads the running binary's build information.
func CurrentBuild() Build {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Build{Version: "(unknown)"}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Build {
	b := Build{Version: bi.Main.Version}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is "kvplot v1.2.0 (revision 0123456789ab, modified)", or less
// when less is known.
func (b Build) String() string {
	s := "kvplot " + b.Version
	var parts []string
	if b.Revision != "" {
		parts = append(parts, "revision "+short(b.Revision))
	}
	if b.Modified {
		parts = append(parts, "modified")
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Specs identifies a spec tree by the content of the files kvplot read.
type Specs struct {
	// Hash is "sha256:" and the hex digest over the files' paths relative
	// to the spec directory and their bytes, in path order. It does not
	// depend on where the tree lives.
	Hash string `json:"hash"`
	// Files counts the files hashed.
	Files int `json:"files"`
}

// Short is the first 12 hex digits of the hash, for prose.
func (s Specs) Short() string {
	h := strings.TrimPrefix(s.Hash, "sha256:")
	return "sha256:" + short(h)
}

// SpecFiles lists the files catalog c was read from: model specs and the
// Hugging Face configs they reference, accelerators.yaml, fleets.yaml and
// site.yaml when present. Paths are as loaded, sorted, without repeats.
func SpecFiles(c *spec.Catalog) []string {
	set := map[string]bool{}
	add := func(p string) {
		if p != "" {
			set[p] = true
		}
	}
	for _, m := range c.Models {
		add(m.File)
		add(m.ConfigFile)
	}
	for _, a := range c.Accelerators {
		add(a.File)
	}
	for _, f := range c.Fleets {
		add(f.File)
	}
	add(c.Settings.File)
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// HashSpecs hashes the files catalog c was read from (see Specs.Hash).
func HashSpecs(c *spec.Catalog) (Specs, error) {
	type entry struct {
		rel  string
		data []byte
	}
	var entries []entry
	for _, p := range SpecFiles(c) {
		data, err := os.ReadFile(p)
		if err != nil {
			return Specs{}, fmt.Errorf("hashing the spec tree: %w", err)
		}
		rel, err := filepath.Rel(c.Dir, p)
		if err != nil {
			rel = filepath.Base(p)
		}
		entries = append(entries, entry{filepath.ToSlash(rel), data})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].rel < entries[j].rel })
	h := sha256.New()
	for _, e := range entries {
		// Length-prefixed, so that no two trees hash the same stream.
		fmt.Fprintf(h, "%d:%s\x00%d:", len(e.rel), e.rel, len(e.data))
		h.Write(e.data)
	}
	return Specs{Hash: "sha256:" + hex.EncodeToString(h.Sum(nil)), Files: len(entries)}, nil
}

// Settings describes the settings in force in one line: the headline
// engine (with the simple policy's reserves when it is the one), formats,
// scenario and grids.
func Settings(s spec.Settings) string {
	weights := "each model's own weight format"
	if s.WeightDType != "" {
		weights = "weights " + s.WeightDType + " for every model"
	}
	engine := "headline engine " + s.Engine
	if s.Engine == "simple" || s.Engine == "" {
		o := s.Overhead
		engine = fmt.Sprintf("headline engine simple (%s + %s%% of capacity reserved, %s × weights for activations)",
			units.FormatGiB(o.FixedBytes), trimFloat(100*o.CapacityFraction), trimFloat(o.WeightsMultiple))
	}
	parts := []string{
		engine,
		"KV cache " + s.KVDType.Name,
		weights,
		fmt.Sprintf("scenario %d × %s tokens", s.ScenarioBatch, units.Group(s.ScenarioContext)),
	}
	if len(s.Contexts) > 0 && len(s.Batches) > 0 {
		parts = append(parts, fmt.Sprintf("contexts %s–%s, batches %d–%d",
			units.FormatTokens(s.Contexts[0]), units.FormatTokens(s.Contexts[len(s.Contexts)-1]), s.Batches[0], s.Batches[len(s.Batches)-1]))
	}
	return strings.Join(parts, "; ")
}

// trimFloat prints f with up to 4 decimals and no trailing zeros.
func trimFloat(f float64) string {
	s := fmt.Sprintf("%.4f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Of is the provenance of pages built from catalog c by this binary.
type Of struct {
	Build    Build  `json:"kvplot"`
	Specs    Specs  `json:"specs"`
	Settings string `json:"settings"`
}

// For hashes catalog c's files and describes its settings, for the
// running binary.
func For(c *spec.Catalog) (Of, error) {
	h, err := HashSpecs(c)
	if err != nil {
		return Of{}, err
	}
	return Of{Build: CurrentBuild(), Specs: h, Settings: Settings(c.Settings)}, nil
}

// String is one line for a page footer.
func (o Of) String() string {
	return fmt.Sprintf("Made by %s from specs %s (%d files). Settings: %s.", o.Build, o.Specs.Short(), o.Specs.Files, o.Settings)
}
