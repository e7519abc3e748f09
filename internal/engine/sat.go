package engine

import "github.com/kvplot/kvplot/internal/analysis"

// The memory model's saturating arithmetic, under the short names the
// emulations use: an engine figure saturates exactly as analysis's do.
var (
	ceilDiv = analysis.CeilDiv
	mulSat  = analysis.MulSat
	addSat  = analysis.AddSat
	mulSatN = analysis.MulSatN
	addSatN = analysis.AddSatN
	subSat  = analysis.SubSat
	divSat  = analysis.DivSat
)
