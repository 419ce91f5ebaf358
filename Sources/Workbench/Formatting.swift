// The small formatting helpers every message is built from, in one place.

import Evaluation
import Foundation
import Modeling

/// `v` right-aligned to the width of `widthOf` printed.
public func pad(_ v: Int, _ widthOf: Int) -> String {
  let s = String(v)
  let w = String(widthOf).count
  return String(repeating: " ", count: max(0, w - s.count)) + s
}

/// A loss, to six decimals.
public func sci(_ v: Double) -> String { String(format: "%.6f", v) }

/// "42s", "3m07s", "1h05m".
public func duration(_ s: Double) -> String {
  guard s.isFinite else { return "?" }
  if s < 60 { return "\(Int(s.rounded()))s" }
  if s < 3600 { return "\(Int(s) / 60)m\(String(format: "%02d", Int(s) % 60))s" }
  return "\(Int(s) / 3600)h\(String(format: "%02d", Int(s) % 3600 / 60))m"
}

/// A fraction as a percentage with one decimal ("70.0%").
public func percent(_ v: Double) -> String { fixed(100 * v, 1) + "%" }

/// The process's peak resident memory so far, in MB (what training the whole Kaggle file costs:
/// windows are views into the series, so it is the series, the network and its buffers).
public func peakMemoryMB() -> Int { Int(ProcessMemory.peakMB()) }
