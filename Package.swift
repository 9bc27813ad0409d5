// swift-tools-version: 6.1
//
// NeuralArt: "Learning to learn by gradient descent by gradient descent"
// (Andrychowicz et al., 2016) with its Neural Art experiment as a product.
//
// Layers (arrows point down only):
//   neural-art (CLI) → NeuralArt → ImageIO, MetaLearning → Numerics → COpenBLAS
//   MetaLearning → CZlib (gzip'd datasets)
//   MetaLearning, neural-art → Distributed → CMPI (Open MPI; a single-process group without mpirun)
//   ImageIO → CPNG, CJPEG
//   ImageIO, MetaLearning → AtomicFile (the one atomic file writer)
import PackageDescription

// Hot loops rely on AVX2 + FMA. Without a target CPU Swift compiles for baseline
// x86-64 and SIMD FMA becomes per-lane libm calls (see README, "Performance").
// `NEURALART_TARGET_CPU` overrides the choice (e.g. `native`, or `none` to disable).
#if arch(x86_64)
let defaultCPU: String? = "haswell"
#else
let defaultCPU: String? = nil
#endif
let cpuEnv = Context.environment["NEURALART_TARGET_CPU"]
let targetCPU: String? = cpuEnv == "none" ? nil : (cpuEnv ?? defaultCPU)
let fastFlags: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

let package = Package(
    name: "NeuralArt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "neural-art", targets: ["neural-art"]),
        .library(name: "NeuralArt", targets: ["NeuralArt"]),
        .library(name: "MetaLearning", targets: ["MetaLearning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries: nothing but a module map and a header each.
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // libjpeg behind a setjmp-based error manager (libjpeg's default handler exit()s).
        .target(
            name: "CJPEG", path: "Sources/CJPEG",
            linkerSettings: [.linkedLibrary("jpeg")]),

        // The one atomic file writer (POSIX only), shared by ImageIO and MetaLearning.
        .target(name: "AtomicFile"),
        .target(name: "Numerics", dependencies: ["COpenBLAS"], swiftSettings: fastFlags),
        // Processes of one job: MPI behind a protocol with a single-process implementation.
        .target(name: "Distributed", dependencies: ["CMPI"]),
        .target(name: "ImageIO", dependencies: ["CPNG", "CJPEG", "AtomicFile"], swiftSettings: fastFlags),
        .target(name: "MetaLearning", dependencies: ["Numerics", "Distributed", "CZlib", "AtomicFile"], swiftSettings: fastFlags),
        .target(
            name: "NeuralArt", dependencies: ["Numerics", "ImageIO", "MetaLearning"],
            swiftSettings: fastFlags),
        .executableTarget(
            name: "neural-art",
            dependencies: [
                "NeuralArt", "MetaLearning", "ImageIO", "Numerics", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastFlags),

        .testTarget(name: "NumericsTests", dependencies: ["Numerics"], swiftSettings: fastFlags),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], swiftSettings: fastFlags),
        .testTarget(
            name: "MetaLearningTests", dependencies: ["MetaLearning", "Numerics"],
            swiftSettings: fastFlags),
        .testTarget(
            name: "NeuralArtTests", dependencies: ["NeuralArt", "Numerics", "ImageIO", "MetaLearning"],
            swiftSettings: fastFlags),
        .testTarget(name: "CLITests", dependencies: ["neural-art", "MetaLearning"]),
    ],
    swiftLanguageModes: [.v5]
)
