// The file readers libFuzzer drives (`make fuzz`, through the shell's FuzzTargets) and the tests
// replay over the committed corpora. Each takes arbitrary bytes; the only acceptable outcomes are
// a result or a thrown error: never a crash, a trap or a hang.

import Artifacts
import Compression
import Foundation
import KerasFiles
import Modeling
import SalesData

public enum FormatFuzzTargets {
  /// The CSV reader (Kaggle's layout, and with two covariate columns), then series assembly and
  /// windowing of whatever it accepted.
  public static func csv(_ bytes: [UInt8]) {
    var withCovariates = CSVColumns()
    withCovariates.covariates = ["promo", "price"]
    for columns in [CSVColumns.standard, withCovariates] {
      if let table = try? SalesCSV.parse(bytes: bytes, path: "fuzz.csv", columns: columns) { assemble(table) }
    }
  }

  static func assemble(_ table: SalesTable) {
    for gaps in GapPolicy.allCases {
      guard let dataset = try? SalesDataset.assemble(table, stores: .all, items: .all, gaps: gaps),
        dataset.rowCount < 200_000
      else { continue }
      var config = WindowConfig()
      config.lookback = 3
      _ = try? WindowedData(dataset: dataset, config: config)
    }
  }

  /// The model-file reader; what it accepts must encode again and forecast.
  public static func tcm(_ bytes: [UInt8]) {
    guard let (model, meta) = try? ModelFile.decode(bytes), model.units <= 64 else { return }
    let again = ModelFile.encode(model, metadata: meta)
    guard (try? ModelFile.decode(again)) != nil else {
      preconditionFailure("a decoded model did not decode after encoding")
    }
    let values = (0..<40).map { Float($0 % 7) }
    // The covariates the model reads, so that it can forecast.
    let names = model.inputs.covariates.map(\.name)
    let covariates = names.map { _ in (0..<40).map { Float($0 % 5) } }
    let d = SalesDataset(
      source: "fuzz", series: [DailySeries(store: 1, item: 1, startDay: 0, values: values, covariates: covariates)],
      covariateNames: names)
    var config = WindowConfig()
    config.lookback = meta.lookback
    if let data = try? WindowedData(dataset: d, config: config) {
      _ = model.predictScaled(data.test, data: data, threads: 1)
    }
  }

  /// The whole-model bundle reader. The bytes are sealed with their checksum first, so that
  /// the fuzzer's changes reach the header and replicas rather than stopping at the CRC; what
  /// it accepts must encode, and that encoding decode to the same model (a header written
  /// otherwise, with other spacing or "05" for 5, encodes canonically: not the same bytes).
  public static func bundle(_ bytes: [UInt8]) {
    var sealed = bytes
    if sealed.count >= 16 {
      let crc = crc32(sealed[0..<(sealed.count - 4)])
      ModelFile.appendLE(&sealed, crc)
      sealed.removeSubrange((sealed.count - 8)..<(sealed.count - 4))
    }
    guard let entry = try? ModelBundle.decode(sealed), entry.replicas.allSatisfy({ $0.units <= 64 }) else { return }
    let canonical = ModelBundle.encode(entry)
    guard let again = try? ModelBundle.decode(canonical), ModelBundle.encode(again) == canonical,
      again.hasIdenticalReplicas(to: entry), again.logs == entry.logs
    else { preconditionFailure("a decoded bundle did not come back from its own encoding") }
    _ = ModelBundle.identity(entry)
  }

  /// The Keras-weights reader.
  public static func keras(_ bytes: [UInt8]) {
    _ = try? KerasWeights.decode(Data(bytes))
  }

  /// The architecture check of Keras' own files (their config JSON). The weights' containers
  /// are ZIPFoundation's and libhdf5's; the shell reads those in a child process it can stop.
  public static func kerasConfig(_ bytes: [UInt8]) {
    try? KerasModelFile.checkConfig(Data(bytes))
  }
}
