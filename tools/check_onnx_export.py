#!/usr/bin/env python3
"""Checks an ONNX export against Tinycast's own forecasts (issue 18).

  tinycast> export lstm64 to=lstm64.onnx format=onnx
  $ python3 tools/check_onnx_export.py lstm64.onnx WINDOWS.txt FORECASTS.txt BOUND

WINDOWS.txt holds one window of raw sales per line (oldest first), FORECASTS.txt Tinycast's
forecast for each (a multi-day model's days in turn on one line). The model is checked with
onnx.checker, run by ONNX Runtime on every window, and its forecasts compared with Tinycast's.
BOUND is the largest relative difference allowed (1e-5 for a float model), or for an int8 model
`mean=M,p99=P`: bounds on the mean and the 99th percentile of the relative differences (ONNX's
LSTM computes the activations in float where Tinycast's integer path quantizes them; see
docs/MODEL-FORMAT.md). Prints one line; exits 1 if a bound is broken, 2 if onnx or onnxruntime
is missing (the tests then skip).
"""
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(2)


def main():
    path, windows, forecasts, bound = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    x = np.array([[float(v) for v in line.split()] for line in open(windows) if line.strip()], dtype=np.float32)
    ours = np.array([[float(v) for v in line.split()] for line in open(forecasts) if line.strip()], dtype=np.float64)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = session.run(["forecast"], {"sales": x})
    rel = np.abs(y.astype(np.float64) - ours) / np.maximum(np.abs(ours), 1e-3)
    p99 = float(np.quantile(rel, 0.99))
    print(f"{len(x)} windows: max relative difference {rel.max():.3e}, mean {rel.mean():.3e}, 99th percentile "
          f"{p99:.3e}; opset {model.opset_import[0].version}, IR {model.ir_version}")
    if "=" in bound:
        limits = {k: float(v) for k, v in (part.split("=") for part in bound.split(","))}
        ok = rel.mean() <= limits["mean"] and p99 <= limits["p99"]
    else:
        ok = rel.max() <= float(bound)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
