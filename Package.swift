// swift-tools-version:6.0
// Tinycast: a notebook-style shell for compressing demand forecasters for edge devices.
// Layers, lowest first; each module imports only modules above it in this list
// (docs/ARCHITECTURE.md draws the graph):
//   CKernels -> NumericCore -> SalesData -> Modeling -> Compression -> Evaluation -> Artifacts
//   -> KerasFiles, ONNXExport -> Workbench -> Shell -> TinycastCLI -> tinycast
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
    // Cell execution and completion for kernels built outside this package (the native kernel
    // prototype in tools/native-kernel, measured against the wrapper: docs/JUPYTER.md).
    .library(name: "TinycastKernelProtocol", targets: ["TinycastCLI", "Shell", "Workbench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
  ],
  targets: [
    // MARK: The numeric and domain core (no terminal)
    // CKernels: the LSTM cell and the matrix products in AVX-512, int8 dot products in VNNI,
    // chosen at run time (the Swift code runs otherwise, with the same results).
    // Contraction off: the cell must be an exact transcription of the Swift arithmetic (no FMA).
    .target(name: "CKernels", cSettings: [.unsafeFlags(["-ffp-contract=off"])]),
    .target(name: "NumericCore", dependencies: ["CKernels"], swiftSettings: simdFlags),
    .target(name: "SalesData", dependencies: ["NumericCore"]),
    .target(
      name: "Modeling", dependencies: ["CKernels", "NumericCore", "SalesData"], swiftSettings: simdFlags),
    .target(
      name: "Compression", dependencies: ["CKernels", "NumericCore", "SalesData", "Modeling"],
      swiftSettings: simdFlags),
    .target(name: "Evaluation", dependencies: ["SalesData", "Modeling"]),
    // The files a model becomes: .tcm, Keras JSON, C99 sources, and their sizes.
    .target(name: "Artifacts", dependencies: ["CKernels", "NumericCore", "Modeling", "Compression"]),
    // Keras' own model files (.keras: a zip of config.json and model.weights.h5; legacy .h5),
    // read with ZIPFoundation and the HDF5 C library.
    .target(
      name: "KerasFiles",
      dependencies: ["Artifacts", "Modeling", "CHDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    // ONNX out: the protobuf types generated once from onnx.proto (tools/generate_onnx_proto.sh).
    .target(
      name: "ONNXExport",
      dependencies: [
        "Artifacts", "Compression", "Modeling", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),

    // MARK: The workbench: typed operations on a workspace, each with the command that replays it
    .target(
      name: "Workbench",
      dependencies: [
        "NumericCore", "SalesData", "Modeling", "Compression", "Evaluation", "Artifacts", "KerasFiles", "ONNXExport",
      ]),

    // MARK: The shell: parse, call the workbench, render
    .target(name: "Shell", dependencies: ["Workbench"]),
    .systemLibrary(
      name: "CReadline", pkgConfig: "readline",
      providers: [.apt(["libreadline-dev"])]),

    // MARK: The command line (swift-argument-parser), then the executables
    .target(
      name: "TinycastCLI",
      dependencies: ["Shell", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(
      name: "tinycast",
      dependencies: ["TinycastCLI", "Shell", "Workbench", "KerasFiles", "CReadline"]),
    .executableTarget(name: "tinycast-fuzz", dependencies: ["Shell"]),
    .executableTarget(
      name: "tinycast-bench",
      dependencies: ["CKernels", "NumericCore", "SalesData", "Modeling", "Compression"],
      swiftSettings: simdFlags),

    // MARK: Test support and tests
    .target(name: "TestSupport", dependencies: ["NumericCore", "Modeling"]),
    .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore", "TestSupport"]),
    .testTarget(name: "SalesDataTests", dependencies: ["SalesData", "TestSupport"]),
    .testTarget(
      name: "ModelingTests", dependencies: ["Modeling", "SalesData", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "CompressionTests",
      dependencies: ["Compression", "Artifacts", "Modeling", "SalesData", "TestSupport"]),
    .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"]),
    .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "Modeling", "SalesData", "TestSupport"]),
    .testTarget(
      name: "ShellTests",
      dependencies: ["Shell", "TinycastCLI", "Workbench", "Artifacts", "Compression", "KerasFiles", "TestSupport"],
      exclude: ["BadInputs", "KerasFiles"]),
  ],
  swiftLanguageModes: [.v6]
)
