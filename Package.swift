// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "palisade",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "palisade", targets: ["PalisadeCLI"]),
        .library(name: "Palisade", targets: ["Palisade"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "Diagnostics"),
        .target(name: "YAML", dependencies: ["CYAML", "Diagnostics"]),
        .target(name: "IR", dependencies: ["Diagnostics"]),
        .target(name: "Spec", dependencies: ["Diagnostics", "YAML", "IR"]),
        .target(name: "Backends", dependencies: ["Diagnostics", "YAML", "IR"]),
        .target(name: "Palisade", dependencies: ["Diagnostics", "YAML", "IR", "Spec", "Backends"]),
        .executableTarget(
            name: "PalisadeCLI",
            dependencies: ["Palisade", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/palisade"
        ),
        .target(name: "TestSupport", dependencies: ["Palisade"], path: "Tests/TestSupport"),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "TestSupport"]),
        .testTarget(name: "IRTests", dependencies: ["IR"]),
        .testTarget(name: "SpecTests", dependencies: ["Spec", "TestSupport"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "Spec", "TestSupport"]),
        .testTarget(name: "PalisadeTests", dependencies: ["Palisade", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
