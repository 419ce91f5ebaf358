// Keras' own model files, read directly (`load keras FILE.keras|FILE.h5`): the native Keras 3
// archive and the legacy HDF5 file of an LSTM-64 and of two stacked GRU-8s, each forecasting
// every test window of the demo data within 1e-5 of Keras itself (the files and Keras' forecasts
// come from tools/make_keras_files.py; TensorFlow is not needed here).

import CHDF5
import Foundation
import KerasFiles
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct KerasFileTests {
  static let folder = packageRoot() + "/Tests/ShellTests/KerasFiles"

  @Test(arguments: ["lstm64.keras", "lstm64.h5", "gru8x2.keras", "gru8x2.h5"])
  func forecastsEveryDemoTestWindowAsKerasDoes(file: String) throws {
    let fixture = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/forecasts.json")))
        as? [String: Any])
    let kind = (file as NSString).deletingPathExtension
    let keras = try #require((fixture["models"] as? [String: [Double]])?[kind])
    let (engine, dir, _) = makeEngine()
    try engine.execute("load demo")
    let out = try engine.execute("load keras \(Self.folder)/\(file) as m")
    #expect(out.contains("imported m from ") && out.contains(kind == "lstm64" ? "LSTM-64, " : "GRU-8x2, "), "\(out)")
    try engine.execute("predict m to=m.csv")
    let rows = try String(contentsOfFile: dir + "/m.csv", encoding: .utf8).split(separator: "\n").dropFirst()
      .map { $0.split(separator: ",").map(String.init) }
    // The same windows in the same order as the script cut them from Tinycast's own predict.
    #expect(rows.count == fixture["windows"] as? Int)
    #expect(rows.first.map { Array($0[0..<3]) } == fixture["first"] as? [String])
    #expect(rows.last.map { Array($0[0..<3]) } == fixture["last"] as? [String])
    var worst = 0.0
    for (row, k) in zip(rows, keras) {
      let ours = Double(row[4])!
      worst = max(worst, abs(ours - k) / max(abs(k), 1e-3))
    }
    #expect(worst <= 1e-5, "\(file): worst relative difference \(worst) over \(rows.count) windows")
    // The architecture came from the file: the width, the cell and the stack.
    let m = try #require(engine.workspace.models["m"])
    #expect(m.architecture.contains(kind == "lstm64" ? "LSTM-64 -> Dropout(0.2)" : "GRU-8x2 -> Dropout(0.2)"))
  }

  /// A model file for another window length is refused before anything changes.
  /// HDF5 is told not to clean up at exit (Tinycast only reads, and after some damaged files the
  /// clean-up cannot finish, printing "infinite loop closing library"): the first file opened,
  /// even one refused, sets it, and the library then refuses to be told again.
  @Test func hdf5RunsNoCleanUpAtExit() {
    #expect(throws: HDF5Error.self) {
      try HDF5File(path: packageRoot() + "/Tests/ShellTests/BadInputs/data/truncated.h5")
    }
    #expect(H5dont_atexit() < 0)
  }

  @Test func aFileForAnotherWindowSaysWhichWindow() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load demo")
    try engine.execute("window lookback=28")
    #expect(
      errorText(engine, "load keras \(Self.folder)/gru8x2.keras")?.hasPrefix(
        "\(Self.folder)/gru8x2.keras was trained on 14-day windows") == true)
    #expect(engine.workspace.models.names.isEmpty)
  }

  /// The shell reads Keras files in a child process: the same forecasts as in process, and a
  /// file on which HDF5 itself loops forever (found by fuzzing: libhdf5 1.10 in H5HG_read) ends
  /// in one line after the timeout, the shell going on.
  @Test func theShellReadsKerasFilesInAChildItCanStop() throws {
    let binary = try #require(tinycastBinary(), "make test builds the tinycast binary with the tests")
    let (_, dir, _) = makeEngine()
    writeFile(
      dir + "/s.tcs",
      "load demo\nload keras \(Self.folder)/gru8x2.h5 as g\npredict g to=g.csv\n"
        + "load keras \(Self.folder)/loops-hdf5.h5\n")
    let started = Date()
    let out = try run("/usr/bin/env", ["TINYCAST_KERAS_TIMEOUT=3", binary, "run", dir + "/s.tcs"])
    #expect(out.output.contains("s.tcs:4: error: \(Self.folder)/loops-hdf5.h5: HDF5 did not finish reading it in 3 s"))
    #expect(Date().timeIntervalSince(started) < 60)
    let fixture = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/forecasts.json")))
        as? [String: Any])
    let keras = try #require((fixture["models"] as? [String: [Double]])?["gru8x2"])
    let rows = try String(contentsOfFile: dir + "/g.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(rows.count == keras.count)
    let worst = zip(rows, keras).map { row, k in abs(Double(row.split(separator: ",")[4])! - k) / max(abs(k), 1e-3) }
      .max()
    #expect((worst ?? 1) <= 1e-5, "worst relative difference \(worst ?? 1)")
  }
}
