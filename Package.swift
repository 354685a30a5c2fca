// swift-tools-version:6.0
import PackageDescription

// Release builds drop the overflow and precondition checks only in the numeric kernels (`Numerics`: pure
// computation on buffers its callers have sized; tested in debug builds). Everything that reads user input —
// configs, weights, data, options, CSV and JSON sidecars — is built with `-O` and keeps its checks, so a bad
// value traps at worst instead of wrapping around silently. `binarybert bench`: -O in the kernels too costs 17 % of
// forward + backward throughput, -O everywhere else 1–4 % (README, Performance).
// On x86-64, release builds target AVX2 + FMA (`haswell`), which both kinds of the team's machines have (Intel
// SkylakeX, AMD Zen): the elementwise kernels (GELU, softmax, LayerNorm, the quantizers) then run 8 lanes wide
// instead of SSE's 4, +18 % forward + backward (Analyses/profile/forward-backward.md). Swift neither fuses a·b + c into
// an FMA nor reorders sums, so every result keeps its bits (compared there). A CPU without AVX2 needs this line removed.
// `-fno-math-errno` lets a square root in a kernel loop (Adam's) compile to a vector instruction instead of a libm
// call kept for errno; a square root is correctly rounded either way, so no bit changes.
#if arch(x86_64)
let cpu = ["-target-cpu", "haswell"]
#else
let cpu: [String] = []
#endif
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo", "-Xcc", "-fno-math-errno"] + cpu, .when(configuration: .release)),
]
let checked: [SwiftSetting] = [
    .unsafeFlags(["-wmo"] + cpu, .when(configuration: .release)),
]

let package = Package(
    name: "BinaryBERT",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "binarybert", targets: ["binarybert"]),
        .library(name: "BERT", targets: ["BERT"]),
        .library(name: "Numerics", targets: ["Numerics"]),
        .library(name: "Text", targets: ["Text"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Quantization", targets: ["Quantization"]),
        .library(name: "Plotting", targets: ["Plotting"]),
        .library(name: "Probe", targets: ["Probe"]),
        .library(name: "Curvature", targets: ["Curvature"]),
        .library(name: "Landscape", targets: ["Landscape"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "AdaptiveSplit", targets: ["AdaptiveSplit"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
        .executable(name: "binarybert-fuzz", targets: ["BinaryBERTFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "Storage", dependencies: []),
        .target(name: "Numerics", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "BERT", dependencies: ["Numerics", "Storage"], swiftSettings: checked),
        .target(name: "Text", dependencies: ["Storage"], swiftSettings: checked),
        .target(name: "Training", dependencies: ["BERT", "Text", "Numerics", "Storage"], swiftSettings: checked),
        .target(name: "Quantization", dependencies: ["BERT", "Numerics", "Storage", "Text", "Training"], swiftSettings: checked),
        .target(name: "Probe", dependencies: ["BERT", "Numerics", "Quantization", "Storage", "Text", "Training"], swiftSettings: checked),
        .target(name: "Curvature", dependencies: ["BERT", "Numerics", "Probe", "Quantization", "Storage", "Training"], swiftSettings: checked),
        .target(name: "AdaptiveSplit", dependencies: ["BERT", "Curvature", "Numerics", "Probe", "Quantization", "Storage", "Text", "Training"], swiftSettings: checked),
        .target(name: "Landscape", dependencies: ["BERT", "Numerics", "Probe", "Quantization", "Storage"], swiftSettings: checked),
        .target(name: "Plotting", dependencies: ["Storage"]),
        .target(name: "Report", dependencies: ["AdaptiveSplit", "BERT", "Curvature", "Landscape", "Numerics", "Probe", "Plotting", "Quantization", "Storage",
                                       "Text", "Training"]),
        .executableTarget(
            name: "binarybert",
            dependencies: [
                "Numerics", "BERT", "Text", "Training", "Quantization", "Probe", "Curvature", "Landscape", "Plotting", "Report", "AdaptiveSplit", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: checked
        ),
        .target(name: "FuzzTargets", dependencies: ["AdaptiveSplit", "BERT", "Curvature", "Landscape", "Numerics", "Plotting", "Probe", "Quantization", "Report", "Text"],
                swiftSettings: checked),
        // The libFuzzer driver: `bash Tests/Fuzz/run` builds it with -sanitize=fuzzer,address -DFUZZING; a plain
        // build replays files through the targets (`binarybert-fuzz TARGET FILE...`).
        .executableTarget(name: "BinaryBERTFuzz", dependencies: ["FuzzTargets"], swiftSettings: checked),
        .testTarget(name: "StorageTests", dependencies: ["Storage"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets", "Numerics"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "BERTTests", dependencies: ["BERT", "Numerics", "Storage"]),
        .testTarget(name: "TextTests", dependencies: ["Text"]),
        .testTarget(name: "CLITests", dependencies: ["binarybert", "BERT", "Numerics", "Report", "Storage"]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "BERT", "Numerics", "Storage"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "BERT", "Text", "Numerics", "Storage"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "Storage"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Plotting", "AdaptiveSplit", "Curvature", "Landscape", "Probe", "Quantization", "Storage",
                                                "Training"]),
        .testTarget(name: "CurvatureTests", dependencies: ["Curvature", "Probe", "BERT", "Numerics", "Quantization", "AdaptiveSplit"]),
        .testTarget(name: "LandscapeTests", dependencies: ["Landscape", "Probe", "Curvature", "BERT", "Numerics", "Quantization", "Storage"]),
    ],
    swiftLanguageModes: [.v5]
)
