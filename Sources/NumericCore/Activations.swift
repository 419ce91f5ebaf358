// Activations: the LSTM's sigmoid and tanh, each with its derivative written in terms of the
// activation's output (what the backward pass has cached).

import CKernels

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Logistic sigmoid 1 / (1 + e^-x), as Keras' `sigmoid` (exact, not the hard variant).
@inline(__always) public func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// d sigmoid / dx expressed through y = sigmoid(x).
@inlinable @inline(__always) public func sigmoidDerivative(output y: Float) -> Float { y * (1 - y) }

/// Hyperbolic tangent from the C library (correctly rounded to within 1 ulp on glibc).
@inline(__always) public func tanhActivation(_ x: Float) -> Float { tanhf(x) }

/// d tanh / dx expressed through y = tanh(x).
@inlinable @inline(__always) public func tanhDerivative(output y: Float) -> Float { 1 - y * y }

/// Square root and logarithms for code that must not import Foundation.
@inline(__always) public func squareRoot(_ x: Double) -> Double { x.squareRoot() }
@inline(__always) public func naturalLog(_ x: Double) -> Double { log(x) }
@inline(__always) public func cosine(_ x: Double) -> Double { cos(x) }

// MARK: - Vectorised activations (8 lanes)
//
// The LSTM spends about a third of an epoch in exp and tanh when they are scalar library calls.
// These are Cephes-style approximations (S. Moshier), evaluated 8 lanes at a time (each
// `a * b + c` a multiply then an add: Swift does not fuse them, and the C kernels must not either):
//   exp:      x = n ln2 + r, |r| <= ln2/2; e^r by a degree-6 polynomial; 2^n from the exponent
//             bits. Relative error <= 2 ulp on [-87, 88]; below -87 the result flushes to 0.
//   sigmoid:  1 / (1 + exp(-x)). Absolute error <= 1.2e-7.
//   tanh:     for |x| < 0.625 the odd polynomial x + x^3 P(x^2) (relative error <= 2 ulp), else
//             1 - 2 / (exp(2|x|) + 1) with the sign restored (absolute error <= 1.2e-7).
// Every float path (training, inference and the exported C code) uses these same functions, so
// results agree to the bit; the tests compare them with the libm functions. The integer model
// has cheaper ones of its own (the end of this file).

// Written with plain arithmetic, masks and bit casts only: generic SIMD helpers such as
// `clamped` or `SIMD8<Int32>(_:rounding:)` compile to calls on every use, not to instructions.
@inlinable @inline(__always) public func expVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
  let high = x.replacing(with: 88.72283, where: x .> 88.72283)
  let clamped = high.replacing(with: -87.33654, where: high .< -87.33654)
  var fx = clamped * 1.44269504088896341 + 0.5
  fx = fx.rounded(.down)
  var r = clamped - fx * 0.693359375
  r = r - fx * -2.12194440e-4
  var p = SIMD8<Float>(repeating: 1.9875691500e-4)
  p = p * r + 1.3981999507e-3
  p = p * r + 8.3334519073e-3
  p = p * r + 4.1665795894e-2
  p = p * r + 1.6666665459e-1
  p = p * r + 5.0000001201e-1
  let y = p * (r * r) + r + 1
  // fx is a whole number in [-126, 128]: adding 1.5 * 2^23 puts it in the low mantissa bits.
  let n = unsafeBitCast(fx + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
  let scale = unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)
  return y * scale
}

@inlinable @inline(__always) public func sigmoidVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
  1 / (1 + expVector(-x))
}

@inlinable @inline(__always) public func tanhVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
  let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
  let ax = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
  // Large |x|: 1 - 2 / (e^{2|x|} + 1), sign restored.
  let large = 1 - 2 / (expVector(ax + ax) + 1)
  let signed = unsafeBitCast(unsafeBitCast(large, to: SIMD8<UInt32>.self) | (bits & 0x8000_0000), to: SIMD8<Float>.self)
  // Small |x|: x + x^3 P(x^2).
  let z = x * x
  var p = SIMD8<Float>(repeating: -5.70498872745e-3)
  p = p * z + 2.06390887954e-2
  p = p * z + -5.37397155531e-2
  p = p * z + 1.33314422036e-1
  p = p * z + -3.33332819422e-1
  let small = x + x * z * p
  return small.replacing(with: signed, where: ax .>= 0.625)
}

/// One value through the vector functions (for tails), identical to the lane it would occupy.
@inlinable @inline(__always) public func sigmoidFast(_ x: Float) -> Float { sigmoidVector(SIMD8(repeating: x))[0] }
@inlinable @inline(__always) public func tanhFast(_ x: Float) -> Float { tanhVector(SIMD8(repeating: x))[0] }

// MARK: - The integer path's activations (16 pieces of tanh)
//
// The int8 model's forecast is 14 dependent steps, and most of a step's time went to the chain
// of the exp polynomial and a division in every gate. The integer path uses instead one table,
// P(u) ~ tanh(u / 2) for u in [0, 16], in 16 quartic pieces (CKernels/tanh_table.c, generated
// by tools/make_tanh_table.py), and
//   tanh(x)    = sign(x) P(min(|x|, 8) * 2)
//   sigmoid(x) = 1/2 + sign(x) P(min(|x|, 16)) / 2          (sigmoid(x) = 1/2 + tanh(x/2) / 2)
// Absolute error <= 5.7e-6 for tanh and <= 2.9e-6 for sigmoid (measured over 4 million points
// by the generator; the tests check the bounds), three orders of magnitude below the integer
// path's step for h, 1/127. tanh is odd and tanh(0) = 0 exactly; beyond |x| = 8 it is
// P(16) = 0.99999976 = Float(tanh(8)). Float models keep the functions above (those of Keras).
// These scalar functions are the reference: the AVX-512 kernel (CKernels/tanh_table16.h) and the
// exported C code do the same float operations in the same order (tested bit for bit).

/// The table's coefficients by degree: `tanhTableCoefficients[d * 16 + i]` is c_d of piece i.
public let tanhTableCoefficients: [Float] = withUnsafeBytes(of: tc_tanh_table) { Array($0.bindMemory(to: Float.self)) }

/// P(u) for u in [0, 16]: piece i = min(trunc(u), 15) at t = u - i, by Horner's rule.
@inline(__always) public func tanhTablePiece(_ u: Float) -> Float {
  let pieces = Int(TC_TANH_TABLE_PIECES)
  let degree = Int(TC_TANH_TABLE_DEGREE)
  let c = tanhTableCoefficients
  let i = min(Int(u), pieces - 1)
  let t = u - Float(i)
  var p = c[degree * pieces + i]
  for d in stride(from: degree - 1, through: 0, by: -1) { p = p * t + c[d * pieces + i] }
  return p
}

@inline(__always) func signBit(_ x: Float) -> UInt32 { x.bitPattern & 0x8000_0000 }
/// |x| as the bit operation (NaN stays NaN; the comparisons below then take the bound).
@inline(__always) func magnitudeBits(_ x: Float) -> Float { Float(bitPattern: x.bitPattern & 0x7FFF_FFFF) }

/// The integer path's tanh (see above).
@inline(__always) public func tanhTable(_ x: Float) -> Float {
  let a = magnitudeBits(x)
  let p = tanhTablePiece((a < 8 ? a : 8) * 2)
  return Float(bitPattern: p.bitPattern ^ signBit(x))
}

/// The integer path's sigmoid (see above).
@inline(__always) public func sigmoidTable(_ x: Float) -> Float {
  let a = magnitudeBits(x)
  let half = tanhTablePiece(a < 16 ? a : 16) * 0.5
  return 0.5 + Float(bitPattern: half.bitPattern ^ signBit(x))
}

/// `tanhTable` and `sigmoidTable` of each x through the integer cell's C code at `kernels` (8 lanes
/// of AVX2, CKernels/int8_cell_avx2.c), or nil where it does not run: for the tests, which hold it
/// to the scalar functions above bit for bit.
public func tableActivations(_ x: [Float], kernels: KernelWidth) -> (tanh: [Float], sigmoid: [Float])? {
  var t = [Float](repeating: 0, count: x.count)
  var s = t
  let ran = x.withUnsafeBufferPointer { xp in
    t.withUnsafeMutableBufferPointer { tp in
      s.withUnsafeMutableBufferPointer { sp in
        tc_table_activations(kernels.bits, Int32(xp.count), xp.baseAddress!, tp.baseAddress!, sp.baseAddress!)
      }
    }
  }
  return ran == TC_PORTABLE ? nil : (t, s)
}

/// `tanhTable` and `sigmoidTable` of each x through the whole-window int8 kernel's 16-lane code
/// (CKernels/tanh_table16.h), or nil where that kernel does not run: for the tests, which hold it
/// to the scalar functions above bit for bit.
public func wholeWindowTableActivations(_ x: [Float]) -> (tanh: [Float], sigmoid: [Float])? {
  var t = [Float](repeating: 0, count: x.count)
  var s = t
  let ran = x.withUnsafeBufferPointer { xp in
    t.withUnsafeMutableBufferPointer { tp in
      s.withUnsafeMutableBufferPointer { sp in
        tc_table_activations16(Int32(xp.count), xp.baseAddress!, tp.baseAddress!, sp.baseAddress!) != 0
      }
    }
  }
  return ran ? (t, s) : nil
}
