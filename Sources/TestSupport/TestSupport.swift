// TestSupport: helpers shared by the test targets: tolerant comparison with llm.c-style
// reports, finite-difference gradients, temporary folders, small synthetic data.

import Foundation
import Modeling
import NumericCore

/// Compares two arrays: passes when |a - b| <= atol + rtol * |b| everywhere. On failure the
/// message names the worst element and shows the first pairs (llm.c's check_tensor).
public func compareArrays(_ actual: [Float], _ expected: [Double], rtol: Double, atol: Double, label: String) -> String?
{
  guard actual.count == expected.count else { return "\(label): \(actual.count) values, expected \(expected.count)" }
  var worst = 0.0
  var worstIndex = -1
  for k in actual.indices {
    let diff = abs(Double(actual[k]) - expected[k])
    let excess = diff - (atol + rtol * abs(expected[k]))
    if excess > 0 && diff > worst {
      worst = diff
      worstIndex = k
    }
  }
  guard worstIndex >= 0 else { return nil }
  let firstPairs = (0..<min(5, actual.count)).map { "\(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
  return
    "\(label): max diff \(worst) at [\(worstIndex)] (\(actual[worstIndex]) vs \(expected[worstIndex])); first: "
    + "\(firstPairs)"
}

/// Central finite differences of `loss` with respect to each listed coordinate of `values`.
public func numericalGradient(
  _ values: [Float], at indices: [Int], step: Float = 1e-3,
  loss: ([Float]) -> Double
) -> [Double] {
  indices.map { k in
    var plus = values
    var minus = values
    plus[k] += step
    minus[k] -= step
    return (loss(plus) - loss(minus)) / (2 * Double(step))
  }
}

/// The folder of this test process's temporary folders; it is removed when the process exits, so
/// test runs do not leave hundreds of folders behind.
private let testFoldersRoot = (NSTemporaryDirectory() as NSString).appendingPathComponent("tinycast-tests-\(getpid())")
private let testFoldersRootCreated: Void = {
  try? FileManager.default.removeItem(atPath: testFoldersRoot)  // a folder left by an earlier process of this pid
  atexit { try? FileManager.default.removeItem(atPath: testFoldersRoot) }
}()

/// A fresh empty folder under the system's temporary folder (inside this process's root).
public func temporaryDirectory(_ label: String = "tinycast-test") -> String {
  _ = testFoldersRootCreated
  let path = (testFoldersRoot as NSString).appendingPathComponent("\(label)-\(UUID().uuidString)")
  do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
    preconditionFailure("cannot create the test folder \(path): \(error)")
  }
  return path
}

/// A small sales CSV: `stores` x `items` series of `days` days from 2015-01-01 with a weekly
/// pattern, a level per series and deterministic noise.
public func smallSalesCSV(
  stores: Int = 2, items: Int = 2, days: Int = 200, seed: UInt64 = 5, firstDay start: Int = 16_436  // 2015-01-01
) -> String {
  var rng = SeededGenerator(seed: seed)
  var lines = ["date,store,item,sales"]
  for item in 1...items {
    for store in 1...stores {
      let level = 20.0 + 7.0 * Double(store) + 5.0 * Double(item)
      for d in 0..<days {
        let weekly = [0.8, 0.9, 0.95, 1.0, 1.1, 1.2, 1.25][(d + 3) % 7]
        let v = max(0, (level * weekly + 3 * (rng.nextUnitDouble() - 0.5)).rounded())
        lines.append("\(isoDate(start + d)),\(store),\(item),\(Int(v))")
      }
    }
  }
  return lines.joined(separator: "\n") + "\n"
}

/// A file laid out as another retailer's might be, `day,shop,sku,units,promo,price`: on a
/// promotion day (one in five, drawn at random, so no window of sales foretells it) sales are
/// twice as high and the price a fifth lower; promotions are written true/false, and every 37th
/// price is left empty (unknown).
public func promotionSalesCSV(
  stores: Int = 2, items: Int = 2, days: Int = 300, seed: UInt64 = 11, firstDay start: Int = 16_436
) -> String {
  var rng = SeededGenerator(seed: seed)
  var lines = ["day,shop,sku,units,promo,price"]
  var row = 0
  for item in 1...items {
    for store in 1...stores {
      let level = 20.0 + 7.0 * Double(store) + 5.0 * Double(item)
      let price = 2.5 + Double(item)
      for d in 0..<days {
        let promo = rng.nextUnitDouble() < 0.2
        let weekly = [0.8, 0.9, 0.95, 1.0, 1.1, 1.2, 1.25][(d + 3) % 7]
        let v = max(0, (level * weekly * (promo ? 2 : 1) + 3 * (rng.nextUnitDouble() - 0.5)).rounded())
        row += 1
        let priceText = row % 37 == 0 ? "" : String(format: "%.2f", promo ? price * 0.8 : price)
        lines.append("\(isoDate(start + d)),\(store),\(item),\(Int(v)),\(promo),\(priceText)")
      }
    }
  }
  return lines.joined(separator: "\n") + "\n"
}

public func isoDate(_ day: Int) -> String {
  // Civil-from-days (Hinnant), duplicated here so TestSupport needs no SalesData.
  let z = day + 719_468
  let era = (z >= 0 ? z : z - 146_096) / 146_097
  let doe = z - era * 146_097
  let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
  let mp = (5 * doy + 2) / 153
  let d = doy - (153 * mp + 2) / 5 + 1
  let m = mp < 10 ? mp + 3 : mp - 9
  let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return String(format: "%04d-%02d-%02d", y, m, d)
}

/// Writes a text file (test set-up; failure to write is a failed precondition of the test).
public func writeFile(_ path: String, _ text: String) {
  precondition(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)), "cannot write \(path)")
}

/// The package's root folder (for sessions/ and examples/).
public func packageRoot(file: String = #filePath) -> String {
  var url = URL(fileURLWithPath: file)
  while url.path != "/" {
    url.deleteLastPathComponent()
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
  }
  return FileManager.default.currentDirectoryPath
}
