// ONNX out (`export ... format=onnx`): the exported model passes onnx.checker and ONNX Runtime
// forecasts every test window as `predict` does: float within 1e-5; int8 (weights in QDQ form)
// within the bounds that the activation quantization costs (Tinycast's integer path quantizes
// each step's h to int8, ONNX's LSTM keeps it in float; docs/MODEL-FORMAT.md). Needs Python's onnx and
// onnxruntime (.ci/run installs them); without them the test says so and skips.

import Foundation
import Shell
import TestSupport
import Testing
import Workbench

/// Whether Python can import onnx and onnxruntime; nil with the reason when not.
func onnxRuntimeMissing() -> String? {
  guard let out = try? run("/usr/bin/env", ["python3", "-c", "import onnx, onnxruntime"]) else {
    return "python3 is missing"
  }
  return out.status == 0 ? nil : "Python's onnx or onnxruntime is missing (pip install onnx onnxruntime)"
}

@Suite struct ONNXExportTests {
  @Test(.enabled(if: onnxRuntimeMissing() == nil, Comment(rawValue: onnxRuntimeMissing() ?? "")))
  func onnxRuntimeForecastsLikePredict() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    // The article's LSTM-64 in float, and an LSTM-32 on the integer path.
    try engine.execute("train units=64 epochs=1 runs=1 seed=1 as lstm64")
    try engine.execute("prune lstm64 0.5 as p50")
    try engine.execute("train units=32 epochs=2 runs=1 seed=1 as lstm32")
    try engine.execute("quantize lstm32 int8 as q8")
    try engine.execute("train kind=gru units=6 epochs=2 runs=1 seed=2 as gru6")
    try engine.execute("quantize gru6 int8 as gru6q8")
    try engine.execute("train units=5 layers=2 epochs=2 runs=1 seed=3 as deep")
    try engine.execute("quantize deep int8 as deepq8")
    let data = engine.workspace.datasets["small"]!.windows
    try engine.execute("window steps=3")
    try engine.execute("train kind=gru units=4 epochs=2 runs=1 seed=4 as week")
    // int8: the mean and 99th percentile of the relative differences (on the demo data: 1.0% and
    // 5.7% for an LSTM-32, 1.2% and 6.9% for two GRU-8s).
    let int8Bound = "mean=0.03,p99=0.15"
    for (name, bound) in [
      ("lstm64", "1e-5"), ("p50", "1e-5"), ("gru6", "1e-5"), ("deep", "1e-5"), ("week", "1e-5"),
      ("q8", int8Bound), ("gru6q8", int8Bound), ("deepq8", int8Bound),
    ] {
      let out = try engine.execute("export \(name) to=\(name).onnx format=onnx")
      #expect(out.contains("ONNX (IR 8, opset 17)"), "\(out)")
      // The windows of the model's own cut (the 3-day model's windows are fewer).
      let windows = engine.workspace.models[name]!.window.steps == 3 ? try windowsOf(engine) : data
      let input = windows.test.map { w in
        (0..<windows.lookback).map { t in String(windows.raw[Int(w.series)][Int(w.start) + t]) }.joined(separator: " ")
      }
      writeFile(dir + "/\(name)-windows.txt", input.joined(separator: "\n") + "\n")
      let ours = try predictedForecasts(engine, name, dir: dir)
      let steps = ours.count / windows.test.count
      let lines = stride(from: 0, to: ours.count, by: steps).map { k in
        ours[k..<(k + steps)].map { "\($0)" }.joined(separator: " ")
      }
      writeFile(dir + "/\(name)-forecasts.txt", lines.joined(separator: "\n") + "\n")
      let check = try run(
        "/usr/bin/env",
        [
          "python3", packageRoot() + "/tools/check_onnx_export.py", "\(dir)/\(name).onnx", "\(dir)/\(name)-windows.txt",
          "\(dir)/\(name)-forecasts.txt", "\(bound)",
        ])
      #expect(check.status == 0, "\(name): \(check.output)")
    }
    // What ONNX cannot take yet is refused in one line.
    try engine.execute("window steps=1")
    try engine.execute("train units=3 epochs=1 runs=1 seed=5 norm=level weekday=on as cal")
    #expect(
      errorText(engine, "export cal to=cal.onnx format=onnx")?.contains(
        "format=onnx takes networks reading plain sales") == true)
  }

  func windowsOf(_ engine: Engine) throws -> WindowedData {
    try #require(engine.workspace.datasets["small"]?.windows)
  }
}
