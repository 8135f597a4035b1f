// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "retaind",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "retaind", targets: ["retaind"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "Retention", targets: ["Retention"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .target(name: "CSystemShims"),
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        .target(name: "Retention", dependencies: ["SafeTensors", "Linalg"]),
        .target(
            name: "SafeTensors",
            dependencies: ["CSystemShims", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "retaind",
            dependencies: [
                "SafeTensors",
                "Linalg",
                "Retention",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "ConvertBenchmark",
            dependencies: ["SafeTensors"],
            path: "Benchmarks/ConvertBenchmark"
        ),
        .executableTarget(
            name: "DriftBenchmark",
            dependencies: ["Retention", "Linalg", "SafeTensors"],
            path: "Benchmarks/DriftBenchmark"
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "SafeTensorsTests",
            dependencies: ["SafeTensors", "TestSupport"]
        ),
        .testTarget(
            name: "LinalgTests",
            dependencies: ["Linalg", "TestSupport"]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["Retention", "TestSupport"]
        ),
        .testTarget(
            name: "retaindTests",
            dependencies: ["retaind", "SafeTensors"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
