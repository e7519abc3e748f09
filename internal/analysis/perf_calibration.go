package analysis

// DefaultSpeedCalibration is kvplot's fitted speed record. Fitted on the
// "fit" rows of cmd/kvplot/testdata/perf/measurements.csv (gpt-fast's
// Llama-2 and Mixtral runs on A100, TensorRT-LLM v0.5 Llama-2-7B on A100,
// H100 and L40S, llama.cpp, MLC and ExLlama on RTX 3090/4090);
// TestSpeedCalibrationFit refits them and fails if they differ.
var DefaultSpeedCalibration = SpeedCalibration{
	Name:                  "kvplot-2026-11",
	DecodeDense:           0.827,
	DecodeWeightQuantized: 0.719,
	DecodeMoE:             1,
	DecodeTP:              0.999,
	DecodeLayerOverheadS:  56e-6,
	DecodeStepOverheadS:   0,
	PrefillEfficiency:     0.560,
	PrefillOverheadS:      3.5e-3,
	FitOn:                 "32 published measurements (gpt-fast Llama-2/Mixtral on A100; TensorRT-LLM v0.5 Llama-2-7B on A100, H100, L40S; llama.cpp, MLC, ExLlama on RTX 3090/4090)",
	DecodeErrorP80Pct:     29.4,
	PrefillErrorP80Pct:    40.7,
	HeldOut:               "29 held-out measurements: median |error| 3% single-GPU decode, 7% tensor-parallel decode, 21% time to first token; 23 of 29 within ±25%/±35%",
	HeldOutWithinTarget:   23,
	HeldOutCount:          29,
}
