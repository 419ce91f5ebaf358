// The types of the layers below that the workbench's operations take and return, named here so
// a client (the shell) imports the workbench alone. These are values to read and render; the
// work on them happens in the workbench's operations.

import Artifacts
import Compression
import Evaluation
import Modeling
import NumericCore
import ONNXExport
import SalesData

// Data
public typealias WindowConfig = SalesData.WindowConfig
public typealias WindowedData = SalesData.WindowedData
public typealias ScalerKind = SalesData.ScalerKind
public typealias GapPolicy = SalesData.GapPolicy
public typealias CSVColumns = SalesData.CSVColumns
public typealias DuplicatePolicy = SalesData.DuplicatePolicy
public typealias NegativePolicy = SalesData.NegativePolicy
public typealias DateOrder = SalesData.DateOrder
public typealias ShortPolicy = SalesData.ShortPolicy
public typealias IDSelection = SalesData.IDSelection
public typealias CivilDate = SalesData.CivilDate
public typealias DemandProfile = SalesData.DemandProfile

// Models and training
public typealias TrainingLog = Modeling.TrainingLog
public typealias EpochRecord = Modeling.EpochRecord
public typealias WindowAverage = Modeling.WindowAverage
public typealias Croston = Modeling.Croston
public typealias ETSComponents = Modeling.ETSComponents
public typealias CalendarFeatures = Modeling.CalendarFeatures
public typealias RecurrentCell = Modeling.RecurrentCell
public typealias RecurrentInputs = Modeling.RecurrentInputs
public typealias TrainingLoss = Modeling.TrainingLoss
public typealias LinearAutoregression = Modeling.LinearAutoregression
public typealias ParameterName = Modeling.ParameterName
public typealias PruningScope = Compression.PruningScope
public typealias CExportArtifact = Artifacts.CExportArtifact
public typealias SeededGenerator = NumericCore.SeededGenerator

// Results
public typealias ReplicaMetrics = Evaluation.ReplicaMetrics
public typealias ForecastMetrics = Evaluation.ForecastMetrics
public typealias Comparison = Evaluation.Comparison
public typealias ComparisonRow = Evaluation.ComparisonRow
public typealias ComparisonFileError = Evaluation.ComparisonFileError
public typealias Chart = Evaluation.Chart
public typealias Baseline = Evaluation.Baseline
public typealias HeadlineMetric = Evaluation.HeadlineMetric

/// `value` with `digits` decimals.
public func fixed(_ value: Double, _ digits: Int) -> String { Evaluation.fixed(value, digits) }
/// `value` with its sign ("+0.25", "-1.10").
public func signed(_ value: Double, _ digits: Int = 2) -> String { Evaluation.signed(value, digits) }
/// The Pareto front of (size, error) points: indices of the points nothing else beats on both.
public func paretoFront(xs: [Double], ys: [Double]) -> [Int] { Evaluation.paretoFront(xs: xs, ys: ys) }
public func bestWithin(_ budgets: [Double], xs: [Double], ys: [Double]) -> [Int?] {
  Evaluation.bestWithin(budgets, xs: xs, ys: ys)
}
/// The weight matrices pruning touches (kernels; biases never), in the order tables list them.
public var prunableMatrices: [ParameterName] { Pruning.prunable }

/// The ONNX IR version and operator set `export ... format=onnx` writes.
public enum ONNXExportVersion {
  public static let ir = ONNXExport.irVersion
  public static let opset = ONNXExport.opset
}
