// swift-tools-version: 6.2
// The libFuzzer harness for the safetensors header parser. A separate package so that
// the main build never needs the fuzzer runtime: `make fuzz` builds it with
// -sanitize=fuzzer,address (see run.sh).
import PackageDescription

let package = Package(
    name: "retaind-fuzz",
    dependencies: [.package(name: "retaind", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "HeaderFuzzer",
            dependencies: ["CFuzzerDriver", .product(name: "SafeTensors", package: "retaind")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
