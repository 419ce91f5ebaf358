// Stacked recurrent layers (`train ... layers=N`) as a user meets them today: trained, scored,
// stored and replayed like any network, the same bits for any thread count; and, until
// compression and the C and Keras exports learn every layer, refused there in one line.

import Compression
import Foundation
import Shell
import TestSupport
import Testing
import Workbench

@Suite struct StackedLayerTests {
  @Test func stackedNetworksTrainStoreAndReplay() throws {
    let (engine, dir, _) = makeEngine()
    try engine.execute("load csv small.csv")
    let out = try engine.execute("train kind=lstm units=5 layers=2 epochs=2 runs=2 seed=1 as s2")
    #expect(out.contains("s2: LSTM-5x2, "), "\(out)")
    try engine.execute("train kind=gru units=4 layers=3 epochs=2 runs=1 seed=2 norm=level weekday=on as g3")
    let s2 = try #require(engine.workspace.models["s2"])
    // Two layers of 5: [1 -> 20] and [5 -> 20] input kernels, [5, 20] recurrent, [20] biases; Dense 5 -> 1.
    #expect(s2.parameterCount == (1 * 20 + 5 * 20 + 20) + (5 * 20 + 5 * 20 + 20) + 5 + 1)
    #expect(s2.architecture.contains("LSTM-5x2 -> Dropout(0.2) -> Dense(1)"), "\(s2.architecture)")
    #expect(s2.lineage.last!.contains(" layers=2 "), "\(s2.lineage)")
    // The same bits for any thread count.
    for threads in [1, 3] {
      try engine.execute("set threads=\(threads)")
      try engine.execute("train kind=lstm units=5 layers=2 epochs=2 runs=2 seed=1 as s2-t\(threads)")
      #expect(engine.workspace.models["s2-t\(threads)"]!.hasIdenticalReplicas(to: s2), "threads=\(threads)")
    }
    // Both containers give back the same network; compare scores it (without C figures).
    for container in ["json", "compact"] {
      try engine.execute("set container=\(container)")
      for name in ["s2", "g3"] {
        try engine.execute("export \(name) to=\(name)-\(container).tcm")
        try engine.execute("load model \(name)-\(container).tcm as \(name)-\(container)")
        let back = try #require(engine.workspace.models["\(name)-\(container)"])
        #expect(back.replicas[0].isIdentical(to: engine.workspace.models[name]!.replicas[0]), "\(name) \(container)")
      }
    }
    #expect(try engine.execute("compare s2 g3").contains("g3"))
    try expectSavedSessionReplays(engine, dir: dir)
  }

  @Test func whatDoesNotYetTakeStackedNetworksSaysSoInOneLine() throws {
    let (engine, _, _) = makeEngine()
    try engine.execute("load csv small.csv")
    try engine.execute("train units=3 layers=2 epochs=1 runs=1 seed=1 as s")
    for command in ["prune s 0.5", "quantize s int8", "finetune s epochs=1", "factor s rank=1", "sensitivity s"] {
      let verb = command.split(separator: " ")[0]
      #expect(
        errorText(engine, command)
          == "s stacks 2 recurrent layers; \(verb) works on one-layer networks so far (train it with layers=1 to "
          + "compress it)", "\(command)")
    }
    for format in ["c", "keras"] {
      #expect(
        errorText(engine, "export s to=out format=\(format)")?.hasPrefix(
          "s stacks 2 recurrent layers; format=\(format) takes one-layer networks so far") == true, "\(format)")
    }
    #expect(errorText(engine, "train layers=0")?.contains("layers") == true)
  }
}
