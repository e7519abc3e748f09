// Command kvplot answers "does this model fit, with how much context, for how
// many concurrent requests, on which fleet?" from reviewed spec files, and
// builds a static site of charts that show it.
//
// Usage:
//
//	kvplot calc --model NAME|PATH [--specs DIR] [--fleet NAME | --gpu ID [--gpus N] [--tp N] [--pp N]]
//	            [--gpu-memory SIZE] [--weight-dtype D] [--kv-dtype D] [--batch N] [--context N] [--json]
//	            [--engine simple|vllm|sglang] [--gpu-memory-utilization F] [--max-num-batched-tokens N]
//	            [--block-size N] [--max-model-len N] [--kv-cache-memory SIZE] [--checkpoint DIR]
//	kvplot plan --model NAME|PATH (--fleet NAME | --gpu ID --gpus N) [--context N] [--json]
//	kvplot report [--specs DIR]
//	kvplot validate [--specs DIR] | validate --checkpoint DIR [--model PATH]
//	kvplot build [--specs DIR] [--out DIR] [--standalone]
//	kvplot diff BASE_SPECS HEAD_SPECS [--out DIR] [--fail-on flip] [--page-url URL]
//	kvplot snapshot [--site DIR] [--out DIR] [--page PATH]... [--width PX] [--scale N]
//
// Sizes are printed in GiB (2^30 bytes); sizes given on the command line
// need a unit: 80GB is 80·10^9 bytes, 79.19GiB is 79.19·2^30 bytes.
//
// Exit codes: 0 success, 1 bad input or a failed build, 2 bad usage, 3 a
// verdict flips under diff --fail-on flip.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kvplot/kvplot/internal/spec"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// usageError is bad usage of the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errHelp is returned after help was printed on request: exit code 0.
var errHelp = errors.New("help requested")

// exitCode prints err and maps it to the documented exit codes.
func exitCode(err error, stderr io.Writer) int {
	stderr = newTextWriter(stderr)
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "kvplot: %s\nRun 'kvplot help' for usage.\n", ue.msg)
		return 2
	}
	var fe flipError
	if errors.As(err, &fe) {
		fmt.Fprintf(stderr, "kvplot: %v\n", fe)
		return 3
	}
	var ps spec.Problems
	if errors.As(err, &ps) {
		fmt.Fprintln(stderr, ps.Error())
		return 1
	}
	fmt.Fprintf(stderr, "kvplot: %v\n", err)
	return 1
}

const usage = `kvplot: LLM memory planning from model and GPU specs.

Usage:
  kvplot calc --model NAME|PATH [flags]   answer one question: params, weights, KV cache, fit on a fleet
  kvplot plan --model M --gpu G --gpus N  rank the TP/PP/replica layouts of N accelerators for a model
  kvplot report [--specs DIR]             the plain-text memory report (the seed prototype's tables)
  kvplot validate [--specs DIR]           check every spec file and print each problem as file:line:col
  kvplot validate --checkpoint DIR        check a checkpoint's safetensors headers against its config.json
  kvplot build [--specs DIR] [--out DIR]  build the static chart site
  kvplot diff BASE_SPECS HEAD_SPECS       what a change to the specs does (diff.html, diff.md, diff.json)
  kvplot snapshot [--site DIR] [--out DIR] every chart of a built site as SVG and PNG (needs Chromium)
  kvplot help [COMMAND]                   show help

Sizes print in GiB (2^30 bytes). Exit codes: 0 ok, 1 bad input or failed build, 2 bad usage.
Run 'kvplot COMMAND --help' for a command's flags.
`

// run is kvplot with its arguments (without the program name).
func run(args []string, stdout, stderr io.Writer) error {
	stdout, stderr = newTextWriter(stdout), newTextWriter(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "calc":
		return runCalc(rest, stdout, stderr)
	case "plan":
		return runPlan(rest, stdout, stderr)
	case "report":
		return runReport(rest, stdout, stderr)
	case "validate":
		return runValidate(rest, stdout, stderr)
	case "build":
		return runBuild(rest, stdout, stderr)
	case "diff":
		return runDiff(rest, stdout, stderr)
	case "snapshot":
		return runSnapshot(rest, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	return usagef("unknown command %q (want calc, plan, report, validate, build, diff, snapshot or help)", cmd)
}
