// Command kvplot-gen writes a large synthetic spec catalog for kvplot's
// scale benchmarks (make bench): models varied from the real architectures
// of a spec directory's hf/ configs, fleets over its accelerators, and a
// site.yaml. The catalog passes kvplot validate; its models are plausible,
// not real.
//
// Usage:
//
//	kvplot-gen --out DIR [--models N] [--fleets M] [--from DIR]
//
// DIR must not exist or be empty. The same flags always give the same files.
//
// Exit codes: 0 success, 1 failure, 2 bad usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kvplot/kvplot/internal/catalogen"
	"github.com/spf13/pflag"
)

func main() { os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr)) }

// usageError is bad usage of the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errHelp is returned after help was printed on request: exit code 0.
var errHelp = errors.New("help requested")

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil || errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kvplot-gen: %s\nRun 'kvplot-gen --help' for usage.\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "kvplot-gen: %v\n", err)
	return 1
}

// run is kvplot-gen with its arguments (without the program name).
func run(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("kvplot-gen", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	out := fs.String("out", "", "directory to write the catalog into (new or empty)")
	models := fs.Int("models", 500, "number of models")
	fleets := fs.Int("fleets", 40, "number of fleets")
	from := fs.String("from", "specs", "spec directory whose hf/ configs and accelerators.yaml the catalog is derived from")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: kvplot-gen --out DIR [--models N] [--fleets M] [--from DIR]\n\nFlags:\n%s", fs.FlagUsages())
			return errHelp
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case *out == "":
		return usageError{"--out is required"}
	case *models < 1 || *models > catalogen.MaxModels:
		return usageError{fmt.Sprintf("--models: want 1 to %d, got %d", catalogen.MaxModels, *models)}
	case *fleets < 1 || *fleets > catalogen.MaxFleets:
		return usageError{fmt.Sprintf("--fleets: want 1 to %d, got %d", catalogen.MaxFleets, *fleets)}
	}
	base, err := catalogen.LoadBase(*from)
	if err != nil {
		return err
	}
	files, err := catalogen.Generate(base, catalogen.Options{Models: *models, Fleets: *fleets})
	if err != nil {
		return err
	}
	if err := catalogen.Write(*out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d models and %d fleets (%d files) to %s\n", *models, *fleets, len(files), *out)
	return nil
}
