// swift-tools-version:6.0
import PackageDescription

// Release builds drop bounds checks in the numeric kernels (they are tested in debug builds).
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
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
        .library(name: "Curvature", targets: ["Curvature"]),
        .library(name: "Landscape", targets: ["Landscape"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "AdaptiveSplit", targets: ["AdaptiveSplit"]),
        .library(name: "Storage", targets: ["Storage"]),
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
        .target(name: "BERT", dependencies: ["Numerics", "Storage"], swiftSettings: fast),
        .target(name: "Text", dependencies: ["Storage"], swiftSettings: fast),
        .target(name: "Training", dependencies: ["BERT", "Text", "Numerics", "Storage"], swiftSettings: fast),
        .target(name: "Quantization", dependencies: ["BERT", "Numerics", "Training"], swiftSettings: fast),
        .target(name: "Curvature", dependencies: ["BERT", "Numerics", "Quantization", "Text", "Training"], swiftSettings: fast),
        .target(name: "AdaptiveSplit", dependencies: ["BERT", "Curvature", "Numerics", "Quantization", "Training"], swiftSettings: fast),
        .target(name: "Landscape", dependencies: ["BERT", "Curvature", "Numerics", "Quantization"], swiftSettings: fast),
        .target(name: "Plotting", dependencies: ["Storage"]),
        .target(name: "Report", dependencies: ["BERT", "Text", "Training", "Plotting", "Storage"]),
        .executableTarget(
            name: "binarybert",
            dependencies: [
                "Numerics", "BERT", "Text", "Training", "Quantization", "Curvature", "Landscape", "Plotting", "Report", "AdaptiveSplit", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fast
        ),
        .testTarget(name: "StorageTests", dependencies: ["Storage"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "BERTTests", dependencies: ["BERT", "Numerics", "Storage"]),
        .testTarget(name: "TextTests", dependencies: ["Text"]),
        .testTarget(name: "CLITests", dependencies: ["binarybert", "BERT", "Numerics"]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "BERT", "Numerics"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "BERT", "Text", "Numerics"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "Storage"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Plotting"]),
        .testTarget(name: "CurvatureTests", dependencies: ["Curvature", "BERT", "Numerics", "Quantization", "AdaptiveSplit"]),
        .testTarget(name: "LandscapeTests", dependencies: ["Landscape", "Curvature", "BERT", "Numerics", "Quantization"]),
    ],
    swiftLanguageModes: [.v5]
)
