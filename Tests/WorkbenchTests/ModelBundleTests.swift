// Model bundles (.tcb): a whole workspace model in one file. What comes back is the same model,
// replica for replica, seed for seed, epoch for epoch; training on from it gives the numbers
// training on from the original gives; a damaged bundle is refused in one line.

import Foundation
import Modeling
import SalesData
import Testing
import Workbench

@Suite struct ModelBundleTests {
  /// A GRU over the level and calendar, 2 runs, then pruned: replicas, logs, masks and inputs
  /// a bundle has to carry.
  func trainedAndPruned() throws -> (Workspace, ModelEntry) {
    var ws = try demoWorkspace()
    var t = TrainSpec()
    t.cell = .gru
    t.units = 3
    t.inputs = RecurrentInputs(levelNormalized: true, calendar: CalendarFeatures(weekday: true, yearHarmonics: 2))
    t.loss = .mae
    t.training = quickTraining(seed: 41)
    t.training.epochs = 2
    t.training.runs = 2
    t.name = "g"
    _ = try ws.train(t, progress: .none)
    var p = PruneSpec()
    p.source = "g"
    p.sparsity = 0.5
    p.name = "gp"
    let pruned = try ws.prune(p, progress: .none).model
    return (ws, pruned)
  }

  @Test func aBundleBringsBackTheSameModel() throws {
    let (_, original) = try trainedAndPruned()
    let bytes = ModelBundle.encode(original)
    let back = try ModelBundle.decode(bytes)
    #expect(back.hasIdenticalReplicas(to: original))
    #expect(back.replicas.count == 2)
    #expect(back.name == original.name && back.datasetName == original.datasetName)
    #expect(back.method == original.method && back.method.description == "pruned")
    #expect(back.window == original.window && back.scaler == original.scaler)
    #expect(back.pruned && back.seeds == original.seeds && back.lineage == original.lineage)
    // The source's training logs, every number to the bit (the pruned model inherits none).
    #expect(back.logs == original.logs)
    // Encoding again gives the same bytes: nothing was lost or rounded on the way.
    #expect(ModelBundle.encode(back) == bytes)
  }

  @Test func trainingLogsComeBackToTheBit() throws {
    let (ws, _) = try trainedAndPruned()
    let trained = try ws.model("g")
    let back = try ModelBundle.decode(ModelBundle.encode(trained))
    #expect(back.logs == trained.logs)
    #expect(back.logs[0].epochs.count == 2 && back.logs[0].bestValidationLoss == trained.logs[0].bestValidationLoss)
    #expect(back.method.description == "gru" && back.resultLine == trained.resultLine)
    // The identity ignores how long the epochs took: the same training again has the same one.
    let (again, _) = try trainedAndPruned()
    #expect(ModelBundle.identity(try again.model("g")) == ModelBundle.identity(trained))
    #expect(ModelBundle.identity(try again.model("gp")) != ModelBundle.identity(trained))
  }

  @Test func fineTuningFromABundleMatchesFineTuningTheOriginal() throws {
    var (ws, pruned) = try trainedAndPruned()
    var other = try demoWorkspace()
    let path = temporaryFile("gp.tcb")
    try Data(ModelBundle.encode(pruned)).write(to: URL(fileURLWithPath: path))
    let loaded = try other.loadModel(path: path, given: "gp.tcb", name: nil)
    #expect(loaded.model.hasIdenticalReplicas(to: pruned))
    var f = FinetuneSpec()
    f.source = "gp"
    f.epochs = 1
    f.seed = 77
    f.name = "gpf"
    let here = try ws.finetune(f, progress: .none).model
    let there = try other.finetune(f, progress: .none).model
    #expect(here.hasIdenticalReplicas(to: there))
    #expect(there.nonzeroCount == here.nonzeroCount && there.nonzeroCount < there.parameterCount)
    pruned = here
  }

  @Test func aDamagedOrForeignBundleIsOneLine() throws {
    let (_, pruned) = try trainedAndPruned()
    let bytes = ModelBundle.encode(pruned)
    func refusal(_ b: [UInt8]) -> String {
      do {
        _ = try ModelBundle.decode(b)
        return "accepted"
      } catch { return error.message }
    }
    var flipped = bytes
    flipped[bytes.count / 2] ^= 0x40
    #expect(refusal(flipped) == "the bundle is damaged (its checksum does not match)")
    #expect(refusal(Array(bytes.prefix(40))).contains("checksum"))
    #expect(refusal(Array("TCM1 not a bundle".utf8)) == "not a Tinycast model bundle")
    #expect(refusal([]) == "not a Tinycast model bundle")
    // A bundle of a newer version says which one it is.
    var newer = bytes
    newer[4] = 9
    let crc = crc32OfBundle(Array(newer.dropLast(4)))
    newer.replaceSubrange((newer.count - 4)..., with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
    #expect(refusal(newer) == "bundle version 9; this Tinycast reads version 1")
  }

  @Test func aBundleNeedsItsDataset() throws {
    let (_, pruned) = try trainedAndPruned()
    var ws = Workspace()
    var load = LoadSpec()
    load.stores = try IDSelection(parsing: "1")
    load.items = try IDSelection(parsing: "1")
    load.name = "other"
    _ = try ws.load(load)
    let path = temporaryFile("gp.tcb")
    try Data(ModelBundle.encode(pruned)).write(to: URL(fileURLWithPath: path))
    #expect(throws: CommandError.self) { _ = try ws.loadModel(path: path, given: "gp.tcb", name: nil) }
    do { _ = try ws.loadModel(path: path, given: "gp.tcb", name: nil) } catch {
      #expect(error.message == "gp.tcb was trained on dataset 'demo', which is not loaded")
    }
    #expect(ws.models.isEmpty)
  }
}

/// The CRC-32 a bundle ends with, recomputed (the test forges a header and re-seals it).
private func crc32OfBundle(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  for b in bytes {
    crc ^= UInt32(b)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}

private func temporaryFile(_ name: String) -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tinycast-bundle-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir.appendingPathComponent(name).path
}
