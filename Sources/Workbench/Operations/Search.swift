// Questions between the single steps: how sensitive is each weight matrix to pruning
// (`sensitivity`), and where does a size/accuracy curve bend (`sweep`'s knee). Decisions are
// made on the validation windows: the test set only reports.

import Compression
import Evaluation
import Foundation
import Modeling
import SalesData

public struct SensitivityTable: Sendable {
  public var model: ModelEntry
  /// The headline metric the scores are.
  public var metric: HeadlineMetric
  public var levels: [Double]
  /// Validation score with every weight.
  public var base: Double
  /// Per prunable matrix (`layout.kernels` order: each layer's, then the Dense kernel), per level:
  /// validation score with that matrix alone pruned.
  public var rows: [[Double]]
  public var matrices: [(name: String, weights: Int)]
  public var command: RecordedCommand
  public var results: [String] {
    zip(matrices, rows).map { matrix, row in
      "\(matrix.name) "
        + zip(levels, row).map { "\(formatNumber($0))=\(resultNumber($1 - base))" }.joined(separator: " ")
    }
  }
}

/// What a sweep's models say together: where the curve bends, if it does.
public enum SweepKnee: Sendable {
  /// The metric moves less than the runs' own spread: no knee among these sizes.
  case flat(smallest: Int, range: Double, sizeRatio: Double, spread: Double)
  case knee(Int, smaller: Int?, larger: Int?)
  case none
}

public struct SweepSummary: Sendable {
  public var names: [String]
  public var bytes: [Double]
  /// The headline metric of each model (test set).
  public var metric: HeadlineMetric
  public var scores: [Double]
  public var knee: SweepKnee

  /// The knee of models of `bytes` exported bytes and test `metrics` (the same in a workspace
  /// and in the files `tinycast merge` reads, so both name the same knee).
  public init(names: [String], bytes: [Double], metrics: [ReplicaMetrics], headline: HeadlineMetric) {
    var scores: [Double] = []
    var spread = 0.0
    for m in metrics {
      scores.append(headline.of(m))
      if m.runs.count > 1 {
        // The population standard deviation over the runs, as eval's +/-.
        let values = m.runs.map { headline.of($0) }
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        spread = max(spread, std)
      }
    }
    // A curve flatter than the runs' own spread has no knee to find among these sizes.
    let range = (scores.max() ?? 0) - (scores.min() ?? 0)
    let smallest = names.indices.min { bytes[$0] < bytes[$1] }!
    if range <= spread {
      knee = .flat(
        smallest: smallest, range: range, sizeRatio: (bytes.max() ?? 1) / bytes[smallest], spread: spread)
    } else if let k = Evaluation.knee(bytes: bytes, mape: scores) {
      let order = names.indices.sorted { bytes[$0] < bytes[$1] }
      let pos = order.firstIndex(of: k)!
      knee = .knee(k, smaller: pos > 0 ? order[pos - 1] : nil, larger: pos + 1 < order.count ? order[pos + 1] : nil)
    } else {
      knee = .none
    }
    self.names = names
    self.bytes = bytes
    self.metric = headline
    self.scores = scores
  }
}

extension Workspace {
  /// `sensitivity`: each matrix pruned alone at each level, no fine-tuning.
  public func sensitivity(_ name: String?, levels: [Double]) throws(CommandError) -> SensitivityTable {
    let m = try model(name)
    let nets = try m.lstmReplicas(for: "sensitivity")
    guard m.isFloat32 else {
      throw CommandError(
        "\(m.name) is \(m.kindDescription); sensitivity prunes float32 models",
        hint: "run it on the model before quantizing")
    }
    let data = try windows(for: m)
    let (base, rows) = sensitivity(of: m, data: data, levels: levels)
    var command = RecordedCommand("sensitivity", words: [RecordedValue(m.name)])
    command.set("levels", levels.map(formatNumber).joined(separator: ","))
    return SensitivityTable(
      model: m, metric: metric, levels: levels, base: base, rows: rows,
      matrices: nets[0].floatNetwork.layout.kernels.map {
        (nets[0].floatNetwork.layout.name($0), nets[0].floatNetwork.layout.range($0).count)
      },
      command: command)
  }

  /// The validation score with all weights, and per prunable matrix per level with that matrix alone
  /// pruned (mean over replicas), in `layout.kernels` order.
  func sensitivity(of m: ModelEntry, data: WindowedData, levels: [Double]) -> (base: Double, rows: [[Double]]) {
    let base = validationScore(m.replicas, of: m, data: data)
    let nets = m.replicas.compactMap { $0 as? ForecastModel }
    let rows = (nets.first?.floatNetwork.layout.kernels ?? []).map { p in
      levels.map { level in
        let pruned = nets.map { r -> any Forecaster in
          var net = r.floatNetwork
          let mask = Pruning.magnitudeMask(net.weights, levels: [p: level])
          for i in mask.indices { net.weights.values[i] *= mask[i] }
          return ForecastModel.float(net, storage: nil)
        }
        return validationScore(pruned, of: m, data: data)
      }
    }
    return (base, rows)
  }

  /// The knee of the models a sweep made: the size below which the headline climbs fastest.
  public mutating func sweepSummary(_ names: [String]) throws(CommandError) -> SweepSummary {
    var bytes: [Double] = []
    var metrics: [ReplicaMetrics] = []
    for name in names {
      bytes.append(Double(try model(name).artifact().count))
      metrics.append(try self.metrics(of: name))
    }
    return SweepSummary(names: names, bytes: bytes, metrics: metrics, headline: metric)
  }
}
