import Testing
import Foundation
import NumericCore

/// The vectorised activations against the C library, over the whole range an LSTM meets.
@Suite struct ActivationTests {
  func grid() -> [Float] {
    var xs: [Float] = []
    var x: Float = -30
    while x <= 30 { xs.append(x); x += 0.00137 }
    return xs + [0, -0, 1e-8, -1e-8, 0.625, -0.625, 0.62499, 88, -87, -100, 100]
  }

  @Test func expIsWithinTwoUlpOfLibm() {
    for x in grid() where x > -87 && x < 88 {
      let ours = expVector(SIMD8(repeating: x))[0], exact = Float(Foundation.exp(Double(x)))
      #expect(abs(ours - exact) <= 2 * exact.ulp, "exp(\(x)): \(ours) vs \(exact)")
    }
    #expect(expVector(SIMD8(repeating: -200))[0] < 1e-37)
  }

  @Test func sigmoidAndTanhAreWithinTheDocumentedErrors() {
    var worstSigmoid: Double = 0, worstTanh: Double = 0, worstSmallTanhUlps: Float = 0
    for x in grid() {
      let s = Double(sigmoidFast(x)), sExact = 1 / (1 + Foundation.exp(-Double(x)))
      worstSigmoid = max(worstSigmoid, abs(s - sExact))
      let t = tanhFast(x), tExact = Foundation.tanh(Double(x))
      worstTanh = max(worstTanh, abs(Double(t) - tExact))
      if abs(x) < 0.625, x != 0 { worstSmallTanhUlps = max(worstSmallTanhUlps, abs(t - Float(tExact)) / Float(tExact).ulp) }
    }
    #expect(worstSigmoid <= 1.2e-7, "sigmoid abs error \(worstSigmoid)")
    #expect(worstTanh <= 1.2e-7, "tanh abs error \(worstTanh)")
    #expect(worstSmallTanhUlps <= 2, "tanh near 0: \(worstSmallTanhUlps) ulp")
    #expect(tanhFast(-3) == -tanhFast(3) && tanhFast(0) == 0 && sigmoidFast(0) == 0.5)
  }

  @Test func everyLaneGetsTheSameArithmetic() {
    let xs: [Float] = [-5, -0.7, -0.2, 0, 0.1, 0.6, 2, 9]
    let v = SIMD8<Float>(xs)
    let s = sigmoidVector(v), t = tanhVector(v)
    for k in 0..<8 { #expect(s[k] == sigmoidFast(xs[k]) && t[k] == tanhFast(xs[k])) }
  }
}
