import Foundation
import NumericCore
import Testing

/// The vectorised activations against the C library, over the whole range an LSTM meets.
@Suite struct ActivationTests {
  func grid() -> [Float] {
    var xs: [Float] = []
    var x: Float = -30
    while x <= 30 {
      xs.append(x)
      x += 0.00137
    }
    return xs + [0, -0, 1e-8, -1e-8, 0.625, -0.625, 0.62499, 88, -87, -100, 100]
  }

  @Test func expIsWithinTwoUlpOfLibm() {
    for x in grid() where x > -87 && x < 88 {
      let ours = expVector(SIMD8(repeating: x))[0]
      let exact = Float(Foundation.exp(Double(x)))
      #expect(abs(ours - exact) <= 2 * exact.ulp, "exp(\(x)): \(ours) vs \(exact)")
    }
    #expect(expVector(SIMD8(repeating: -200))[0] < 1e-37)
  }

  @Test func sigmoidAndTanhAreWithinTheDocumentedErrors() {
    var worstSigmoid: Double = 0
    var worstTanh: Double = 0
    var worstSmallTanhUlps: Float = 0
    for x in grid() {
      let s = Double(sigmoidFast(x))
      let sExact = 1 / (1 + Foundation.exp(-Double(x)))
      worstSigmoid = max(worstSigmoid, abs(s - sExact))
      let t = tanhFast(x)
      let tExact = Foundation.tanh(Double(x))
      worstTanh = max(worstTanh, abs(Double(t) - tExact))
      if abs(x) < 0.625, x != 0 {
        worstSmallTanhUlps = max(worstSmallTanhUlps, abs(t - Float(tExact)) / Float(tExact).ulp)
      }
    }
    #expect(worstSigmoid <= 1.2e-7, "sigmoid abs error \(worstSigmoid)")
    #expect(worstTanh <= 1.2e-7, "tanh abs error \(worstTanh)")
    #expect(worstSmallTanhUlps <= 2, "tanh near 0: \(worstSmallTanhUlps) ulp")
    #expect(tanhFast(-3) == -tanhFast(3) && tanhFast(0) == 0 && sigmoidFast(0) == 0.5)
  }

  @Test func everyLaneGetsTheSameArithmetic() {
    let xs: [Float] = [-5, -0.7, -0.2, 0, 0.1, 0.6, 2, 9]
    let v = SIMD8<Float>(xs)
    let s = sigmoidVector(v)
    let t = tanhVector(v)
    for k in 0..<8 { #expect(s[k] == sigmoidFast(xs[k]) && t[k] == tanhFast(xs[k])) }
  }
}

/// The integer path's table activations: accuracy against the C library, their exact properties,
/// and the AVX-512 kernel's lanes against the scalar reference.
@Suite struct TableActivationTests {
  /// Every 1/4096 on [-20, 20], which puts hundreds of points in each piece.
  func grid() -> [Float] { (-81_920...81_920).map { Float($0) / 4096 } }

  @Test func errorsAreWithinTheDocumentedBounds() {
    var worstTanh: Double = 0
    var worstSigmoid: Double = 0
    for x in grid() {
      worstTanh = max(worstTanh, abs(Double(tanhTable(x)) - Foundation.tanh(Double(x))))
      worstSigmoid = max(worstSigmoid, abs(Double(sigmoidTable(x)) - 1 / (1 + Foundation.exp(-Double(x)))))
    }
    #expect(worstTanh <= 5.7e-6, "tanh abs error \(worstTanh)")
    #expect(worstSigmoid <= 2.9e-6, "sigmoid abs error \(worstSigmoid)")
    // And not merely the float functions under another name: the table is a coarser approximation.
    #expect(worstTanh > 1e-6)
  }

  @Test func exactProperties() {
    #expect(tanhTable(0).bitPattern == Float(0).bitPattern && tanhTable(-0.0).bitPattern == Float(-0.0).bitPattern)
    #expect(sigmoidTable(0) == 0.5)
    let saturated = Float(Foundation.tanh(8.0))
    for x: Float in [8, 9.5, 1000, .infinity] {
      #expect(tanhTable(x) == saturated && tanhTable(-x) == -saturated, "x = \(x)")
    }
    var previousTanh = -Float.infinity
    var previousSigmoid = -Float.infinity
    for x in grid() {
      #expect(tanhTable(-x) == -tanhTable(x), "tanh is odd at \(x)")
      let t = tanhTable(x)
      let s = sigmoidTable(x)
      #expect(t >= previousTanh && s >= previousSigmoid, "nondecreasing at \(x)")
      #expect(abs(t) <= 1 && s >= 0 && s <= 1)
      previousTanh = t
      previousSigmoid = s
    }
  }

  /// The 16-lane kernel code gives the scalar functions' bits: on a grid, at every piece boundary
  /// and just below it, at the clamps, and for zeros, subnormals, infinities and NaN.
  @Test(.enabled(if: wholeWindowTableActivations([0]) != nil, "the whole-window int8 kernel needs AVX-512 VNNI"))
  func kernelLanesEqualTheScalarReference() throws {
    let xs = tableTestInputs()
    let (t, s) = try #require(wholeWindowTableActivations(xs))
    for (k, x) in xs.enumerated() {
      #expect(t[k].bitPattern == tanhTable(x).bitPattern, "tanh(\(x)): \(t[k]) vs \(tanhTable(x))")
      #expect(s[k].bitPattern == sigmoidTable(x).bitPattern, "sigmoid(\(x)): \(s[k]) vs \(sigmoidTable(x))")
    }
  }

  /// The same inputs through the integer cell's 8-lane AVX2 code (what runs where there is no
  /// AVX-512 VNNI): the scalar functions' bits too, in whole and masked vectors.
  @Test(.enabled(if: KernelWidth.widest >= .avx2, "the 8-lane table code needs AVX2"))
  func eightLaneKernelEqualsTheScalarReference() throws {
    let xs = tableTestInputs()
    for n in [xs.count, xs.count - 3] {
      let (t, s) = try #require(tableActivations(Array(xs.prefix(n)), kernels: .avx2))
      for (k, x) in xs.prefix(n).enumerated() {
        #expect(t[k].bitPattern == tanhTable(x).bitPattern, "tanh(\(x)): \(t[k]) vs \(tanhTable(x))")
        #expect(s[k].bitPattern == sigmoidTable(x).bitPattern, "sigmoid(\(x)): \(s[k]) vs \(sigmoidTable(x))")
      }
    }
    #expect(tableActivations(xs, kernels: .portable) == nil)
  }

  /// A grid, every piece boundary and just beside it, the clamps, zeros, subnormals, infinities, NaN.
  func tableTestInputs() -> [Float] {
    var xs = grid().enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
    for i in 0...40 {
      let boundary = Float(i) / 4
      xs += [boundary, boundary.nextDown, boundary.nextUp, -boundary, -boundary.nextDown]
    }
    let special: [Float] = [
      0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
      .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, .nan,
      Float(16).nextDown, Float(16).nextUp, -Float(16).nextUp, 1e-30, 3,
    ]
    xs += special
    return xs
  }
}
