package main

import (
	"fmt"

	"github.com/kvplot/kvplot/internal/spec"
	"github.com/kvplot/kvplot/internal/units"
)

// Checks of calc's memory flags against the machine they describe: each
// returns a one-line error in the flag's own terms (exit 1: the flags parse,
// the machine they describe is impossible), or nil.

// checkGPUMemory refuses a --gpu-memory below what any accelerator has.
func checkGPUMemory(text string, b int64) error {
	if b < spec.MinAcceleratorBytes {
		return fmt.Errorf("calc: --gpu-memory %s is %d bytes, less than kvplot's minimum of 1 MiB for an accelerator: is the unit right (e.g. 80GB)?", text, b)
	}
	return nil
}

// checkKVCacheMemory refuses a --kv-cache-memory the GPU cannot hold.
func checkKVCacheMemory(text string, kvBytes, capacityBytes int64) error {
	if capacityBytes > 0 && kvBytes >= capacityBytes {
		return fmt.Errorf("calc: --kv-cache-memory %s is more than the whole GPU (%s): give at most what is left after the weights",
			text, units.FormatGiB(capacityBytes))
	}
	return nil
}
