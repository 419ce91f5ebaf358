// swift-tools-version:6.0
// The native Jupyter kernel, built only to measure it against the wrapper kernel that Tinycast
// ships (issue 18; docs/JUPYTER.md has the figures and the choice). It speaks Jupyter's wire
// protocol itself: ZeroMQ from Debian's libzmq3-dev, HMAC-SHA256 signing from swift-crypto, and
// Tinycast's own cell execution (KernelServer) in-process. Not part of `make test`; build it with
//   swift build -c release --package-path tools/native-kernel
// and compare the two with tools/measure_jupyter_kernels.py.
import PackageDescription

let package = Package(
  name: "TinycastNativeKernel",
  dependencies: [
    .package(name: "Tinycast", path: "../.."),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
  ],
  targets: [
    .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
    .executableTarget(
      name: "tinycast-native-kernel",
      dependencies: [
        "CZeroMQ", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "TinycastKernelProtocol", package: "Tinycast"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
