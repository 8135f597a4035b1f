// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "retaind",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "retaind", targets: ["retaind"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "Retention", targets: ["Retention"]),
        .library(name: "History", targets: ["History"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Daemon", targets: ["Daemon"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "SystemCalls", targets: ["SystemCalls"]),
        .library(name: "Calibration", targets: ["Calibration"]),
        .library(name: "RetaindMetrics", targets: ["RetaindMetrics"]),
        .library(name: "CentralHistory", targets: ["CentralHistory"]),
        .library(name: "SVGCharts", targets: ["SVGCharts"]),
        .library(name: "Report", targets: ["Report"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
    ],
    targets: [
        .target(name: "CSystemShims"),
        .target(name: "SystemCalls"),
        .systemLibrary(
            name: "COpenBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(name: "CSystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "Linalg", dependencies: ["COpenBLAS"]),
        .target(name: "Model", dependencies: ["SafeTensors", "Linalg", "SystemCalls"]),
        .target(
            name: "Calibration",
            dependencies: ["Model", "Retention", "Linalg", "SafeTensors"]
        ),
        .target(
            name: "History",
            dependencies: ["SystemCalls", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(
            name: "CentralHistory",
            dependencies: [
                "History", "SystemCalls",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "RetaindMetrics", dependencies: ["SystemCalls", .product(name: "Prometheus", package: "swift-prometheus")]),
        .target(name: "Journal", dependencies: ["CSystemd", "SystemCalls", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "Daemon",
            dependencies: [
                "SafeTensors", "Retention", "Model", "History", "CentralHistory", "Journal", "RetaindMetrics", "SystemCalls",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(name: "Retention", dependencies: ["SafeTensors", "Linalg", "SystemCalls"]),
        .target(name: "SVGCharts"),
        .target(
            name: "Report",
            dependencies: ["SVGCharts", "History", "Daemon", "Journal", .product(name: "Plot", package: "Plot")]
        ),
        .target(
            name: "SafeTensors",
            dependencies: ["CSystemShims", "SystemCalls", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "retaind",
            dependencies: [
                "SafeTensors",
                "Linalg",
                "Retention",
                "History",
                "CentralHistory",
                "Journal",
                "Daemon",
                "Model",
                "Calibration",
                "SystemCalls",
                "Report",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ConvertBenchmark",
            dependencies: ["SafeTensors"],
            path: "Benchmarks/ConvertBenchmark"
        ),
        .target(name: "BenchmarkSupport", path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "DriftBenchmark",
            dependencies: ["Retention", "Linalg", "SafeTensors", "BenchmarkSupport"],
            path: "Benchmarks/DriftBenchmark"
        ),
        .executableTarget(
            name: "RestoreBenchmark",
            dependencies: ["Retention", "Linalg", "SafeTensors", "BenchmarkSupport"],
            path: "Benchmarks/RestoreBenchmark"
        ),
        .executableTarget(
            name: "ForwardBenchmark",
            dependencies: ["Model", "Linalg"],
            path: "Benchmarks/ForwardBenchmark"
        ),
        .executableTarget(
            name: "ReportHistoryMaker",
            dependencies: ["History"],
            path: "Benchmarks/ReportHistoryMaker"
        ),
        .executableTarget(
            name: "CentralBacklogMaker",
            dependencies: ["History"],
            path: "Benchmarks/CentralBacklogMaker"
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls", "TestSupport"]),
        .testTarget(
            name: "SafeTensorsTests",
            dependencies: ["SafeTensors", "SystemCalls", "TestSupport"]
        ),
        .testTarget(
            name: "LinalgTests",
            dependencies: ["Linalg", "TestSupport"]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["Retention", "Linalg", "SafeTensors", "TestSupport"]
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Linalg", "Retention", "SafeTensors", "TestSupport"]),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "Model", "Retention", "Linalg", "TestSupport"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "CentralHistoryTests",
            dependencies: ["CentralHistory", "History", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "RetaindMetricsTests", dependencies: ["RetaindMetrics", "SystemCalls", "TestSupport"]),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "History", "Journal", "Retention", "SafeTensors", "SystemCalls", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SVGChartsTests", dependencies: ["SVGCharts"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "History"]),
        .testTarget(
            name: "retaindTests",
            dependencies: ["retaind", "SafeTensors", "History", "TestSupport"],
            exclude: ["Support/png_colours.py"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
