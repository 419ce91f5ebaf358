// swift-tools-version:6.0
// Tinycast: a notebook-style shell for compressing LSTM demand forecasters for edge devices.
// Layers, lowest first; each module imports only the ones above it in this list:
//   CKernels -> NumericCore -> SalesData -> Modeling -> Compression, Evaluation -> Shell -> tinycast
import PackageDescription

// The kernels are written with Swift SIMD types. On x86_64 we let the compiler emit AVX2 and
// FMA instructions (x86-64-v3, every x86 server since 2015); without these flags each
// `addingProduct` becomes a call to `fmaf`, about 20x slower.
#if arch(x86_64)
let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
#else
let simdFlags: [SwiftSetting] = []
#endif

let package = Package(
  name: "Tinycast",
  products: [
    .executable(name: "tinycast", targets: ["tinycast"]),
  ],
  targets: [
    // MARK: Core (no terminal, no Foundation in NumericCore)
    // CKernels: the LSTM cell and the matrix products in AVX-512, int8 dot products in VNNI,
    // chosen at run time (the Swift code runs otherwise, with the same results).
    // Contraction off: the cell must be an exact transcription of the Swift arithmetic (no FMA).
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-ffp-contract=off"])]),
    .target(name: "NumericCore", dependencies: ["CKernels"], swiftSettings: simdFlags),
    .target(name: "SalesData", dependencies: ["NumericCore"]),
    .target(name: "Modeling", dependencies: ["CKernels", "NumericCore", "SalesData"], swiftSettings: simdFlags),
    .target(name: "Compression", dependencies: ["CKernels", "NumericCore", "SalesData", "Modeling"], swiftSettings: simdFlags),
    .target(name: "Evaluation", dependencies: ["NumericCore", "SalesData", "Modeling"]),

    // MARK: Shell
    .target(name: "Shell", dependencies: ["NumericCore", "SalesData", "Modeling", "Compression", "Evaluation"]),
    .systemLibrary(
      name: "CReadline", pkgConfig: "readline",
      providers: [.apt(["libreadline-dev"])]),

    // MARK: Executables
    .executableTarget(name: "tinycast", dependencies: ["Shell", "CReadline"]),
    .executableTarget(name: "tinycast-fuzz", dependencies: ["Shell"]),
    .executableTarget(
      name: "tinycast-bench",
      dependencies: ["CKernels", "NumericCore", "SalesData", "Modeling", "Compression", "Evaluation", "Shell"],
      swiftSettings: simdFlags),

    // MARK: Test support and tests
    .target(name: "TestSupport", dependencies: ["NumericCore", "Modeling"]),
    .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore", "TestSupport"]),
    .testTarget(name: "SalesDataTests", dependencies: ["SalesData", "TestSupport"]),
    .testTarget(
      name: "ModelingTests", dependencies: ["Modeling", "SalesData", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "CompressionTests", dependencies: ["Compression", "Modeling", "SalesData", "TestSupport"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"]),
    .testTarget(name: "ShellTests", dependencies: ["Shell", "Compression", "TestSupport"], exclude: ["BadInputs"]),
  ],
  swiftLanguageModes: [.v6]
)
