// SeededGenerator: the only source of randomness in Tinycast (xoshiro256**, seeded by SplitMix64).
// The bits-to-float conversions are our own, so results never depend on the standard library's
// random APIs, whose algorithms may change between releases.

/// xoshiro256** by Blackman and Vigna (2018), state expanded from a 64-bit seed with SplitMix64.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
  private var s0, s1, s2, s3: UInt64

  public init(seed: UInt64) {
    var sm = seed
    func splitMix() -> UInt64 {
      sm &+= 0x9E37_79B9_7F4A_7C15
      var z = sm
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  public mutating func next() -> UInt64 {
    let result = Self.rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = Self.rotl(s3, 45)
    return result
  }

  /// Uniform in [0, 1) with 24 random bits: k * 2^-24 for k in 0..<2^24.
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Uniform in [low, high).
  public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
    low + (high - low) * nextUnitFloat()
  }

  /// Uniform integer in 0..<bound, unbiased (Lemire's multiply-shift with rejection).
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
    let b = UInt64(bound)
    var product = next().multipliedFullWidth(by: b)
    if product.low < b {
      let threshold = (0 &- b) % b
      while product.low < threshold { product = next().multipliedFullWidth(by: b) }
    }
    return Int(product.high)
  }

  /// Standard normal by the Box-Muller transform (one value per call; the partner is discarded
  /// so that the stream position never depends on earlier calls' parity).
  public mutating func nextNormal() -> Double {
    let u1 = 1 - nextUnitDouble()  // (0, 1]: log stays finite
    let u2 = nextUnitDouble()
    return squareRoot(-2 * naturalLog(u1)) * cosine(2 * Double.pi * u2)
  }

  /// Fisher-Yates shuffle driven by `nextInt(below:)`.
  public mutating func shuffle<T>(_ array: inout [T]) {
    var i = array.count - 1
    while i > 0 {
      let j = nextInt(below: i + 1)
      if i != j { array.swapAt(i, j) }
      i -= 1
    }
  }

  /// A fresh 31-bit seed for a child generator (printed in sessions, so kept short).
  public mutating func nextSeed() -> UInt64 { next() >> 33 }
}

// MARK: - Initialisers (as Keras)

/// Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)), Keras' default kernel
/// initialiser. Shape `fanIn x fanOut`.
public func glorotUniform(rows fanIn: Int, cols fanOut: Int, rng: inout SeededGenerator) -> Matrix {
  let limit = Float(squareRoot(6.0 / Double(fanIn + fanOut)))
  var m = Matrix(rows: fanIn, cols: fanOut)
  for i in 0..<m.count { m.storage[i] = rng.nextFloat(in: -limit, limit) }
  return m
}

/// Orthogonal initialiser as Keras' `Orthogonal`: a Gaussian matrix of shape
/// max(r,c) x min(r,c), QR-decomposed, Q's columns signed by diag(R); transposed when rows < cols
/// so that the rows (for a wide matrix) are orthonormal. Gram-Schmidt runs in Double.
public func orthogonal(rows: Int, cols: Int, rng: inout SeededGenerator) -> Matrix {
  let tall = max(rows, cols)
  let narrow = min(rows, cols)
  // a[j] is column j of the tall x narrow Gaussian matrix.
  var a = [[Double]](repeating: [Double](repeating: 0, count: tall), count: narrow)
  for r in 0..<tall { for c in 0..<narrow { a[c][r] = rng.nextNormal() } }
  // Modified Gram-Schmidt: a = Q R with R's diagonal positive, which equals Keras' Q * sign(diag R).
  for j in 0..<narrow {
    for p in 0..<j {
      var proj = 0.0
      for r in 0..<tall { proj += a[p][r] * a[j][r] }
      for r in 0..<tall { a[j][r] -= proj * a[p][r] }
    }
    var norm = 0.0
    for r in 0..<tall { norm += a[j][r] * a[j][r] }
    norm = squareRoot(norm)
    for r in 0..<tall { a[j][r] /= norm }
  }
  var m = Matrix(rows: rows, cols: cols)
  for r in 0..<tall {
    for c in 0..<narrow {
      if rows >= cols { m[r, c] = Float(a[c][r]) } else { m[c, r] = Float(a[c][r]) }
    }
  }
  return m
}
