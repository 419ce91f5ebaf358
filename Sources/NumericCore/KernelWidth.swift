// Which version of the float kernels runs. Every one gives the same bits (the determinism
// contract in GEMM.swift); they differ in speed only, so the choice is the processor's, except in
// the tests, which run each width this processor has against the Swift code.

import CKernels

/// A version of the float kernels by its vector width: the Swift SIMD code (`portable`, any
/// processor), C with AVX2 and FMA (`avx2`, 8 lanes), C with AVX-512 (`avx512`, 16 lanes).
/// A kernel given a width runs the widest version the processor has within it.
public struct KernelWidth: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// TC_PORTABLE, TC_AVX2 or TC_AVX512 (CKernels.h): the register width in bits, 0 for Swift.
  public let bits: Int32

  public static let portable = KernelWidth(bits: TC_PORTABLE)
  public static let avx2 = KernelWidth(bits: TC_AVX2)
  public static let avx512 = KernelWidth(bits: TC_AVX512)

  /// The widest this processor runs: what everything but the tests uses.
  public static let widest = KernelWidth(bits: tc_widest())

  /// Every width this processor runs, the Swift code first.
  public static var available: [KernelWidth] { [portable, avx2, avx512].filter { $0 <= widest } }

  public static func < (a: KernelWidth, b: KernelWidth) -> Bool { a.bits < b.bits }

  public var description: String {
    switch bits {
    case TC_AVX512: "AVX-512"
    case TC_AVX2: "AVX2"
    default: "Swift SIMD"
    }
  }
}
