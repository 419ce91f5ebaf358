// DemandProfile: how a dataset's demand behaves, in the terms of Syntetos & Boylan (2005): the
// share of zero days, the average demand interval (ADI: days per nonzero day) and the squared
// coefficient of variation of the nonzero sizes (CV^2). Smooth demand (ADI < 1.32, CV^2 < 0.49)
// suits MAPE; intermittent or lumpy demand has zero days that MAPE leaves out, so WAPE or MASE
// must judge it.

public struct DemandProfile: Sendable, Equatable {
  public enum Pattern: String, Sendable {
    case smooth, erratic, intermittent, lumpy
  }
  /// Share of all days with zero sales, and of the test targets with zero sales.
  public var zeroShare: Double
  public var testZeroShare: Double
  /// Mean over series of days per nonzero day, and of CV^2 of the nonzero sizes.
  public var adi: Double
  public var cv2: Double

  public var pattern: Pattern {
    switch (adi >= 1.32, cv2 >= 0.49) {
    case (false, false): .smooth
    case (false, true): .erratic
    case (true, false): .intermittent
    case (true, true): .lumpy
    }
  }

  /// MAPE leaves out more than 2% of the test targets: it should not be the headline.
  public var mapeMisleads: Bool { testZeroShare > 0.02 }

  public init(_ windows: WindowedData) {
    var zeros = 0
    var days = 0
    var adiSum = 0.0
    var cv2Sum = 0.0
    var seriesCount = 0
    for values in windows.raw {
      let nonzero = values.filter { $0 != 0 }
      zeros += values.count - nonzero.count
      days += values.count
      guard !nonzero.isEmpty else { continue }
      seriesCount += 1
      adiSum += Double(values.count) / Double(nonzero.count)
      let mean = nonzero.reduce(0.0) { $0 + Double($1) } / Double(nonzero.count)
      let variance = nonzero.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(nonzero.count)
      cv2Sum += mean > 0 ? variance / (mean * mean) : 0
    }
    zeroShare = days > 0 ? Double(zeros) / Double(days) : 0
    let testZeros = windows.test.filter { windows.actual($0) == 0 }.count
    testZeroShare = windows.test.isEmpty ? 0 : Double(testZeros) / Double(windows.test.count)
    adi = seriesCount > 0 ? adiSum / Double(seriesCount) : .infinity
    cv2 = seriesCount > 0 ? cv2Sum / Double(seriesCount) : 0
  }
}
