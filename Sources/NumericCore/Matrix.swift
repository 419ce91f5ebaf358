// Matrix: a row-major Float matrix, the one container every layer and kernel shares.

/// A dense row-major `rows x cols` matrix of `Float`. Element (r, c) is `storage[r * cols + c]`.
public struct Matrix: Sendable, Equatable {
  public let rows: Int
  public let cols: Int
  public var storage: [Float]

  public init(rows: Int, cols: Int, repeating value: Float = 0) {
    precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)x\(cols)")
    self.rows = rows
    self.cols = cols
    self.storage = [Float](repeating: value, count: rows * cols)
  }

  public init(rows: Int, cols: Int, storage: [Float]) {
    precondition(
      storage.count == rows * cols,
      "Matrix: \(storage.count) values do not fill \(rows)x\(cols)")
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  public var count: Int { storage.count }
  public var shape: (rows: Int, cols: Int) { (rows, cols) }

  public subscript(r: Int, c: Int) -> Float {
    get {
      precondition(r >= 0 && r < rows && c >= 0 && c < cols, "Matrix: (\(r),\(c)) outside \(rows)x\(cols)")
      return storage[r * cols + c]
    }
    set {
      precondition(r >= 0 && r < rows && c >= 0 && c < cols, "Matrix: (\(r),\(c)) outside \(rows)x\(cols)")
      storage[r * cols + c] = newValue
    }
  }

  public func transposed() -> Matrix {
    var t = Matrix(rows: cols, cols: rows)
    for r in 0..<rows { for c in 0..<cols { t.storage[c * rows + r] = storage[r * cols + c] } }
    return t
  }

  public mutating func fill(_ value: Float) {
    for i in storage.indices { storage[i] = value }
  }

  /// Largest absolute element-wise difference; shapes must match.
  public func maxAbsDifference(_ other: Matrix) -> Float {
    precondition(
      rows == other.rows && cols == other.cols,
      "Matrix: shapes \(rows)x\(cols) and \(other.rows)x\(other.cols) differ")
    var worst: Float = 0
    for i in storage.indices { worst = Swift.max(worst, Swift.abs(storage[i] - other.storage[i])) }
    return worst
  }
}
