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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        .target(name: "Diagnostics"),
        // libxml2 in a module of its own, without Foundation: its headers bring the system
        // ICU, which clashes with Foundation's when one module sees both.
        .target(name: "JUnitXML", dependencies: ["CLibXML2"]),
        .target(name: "YAML", dependencies: ["CYAML", "Diagnostics"]),
        .target(name: "IR", dependencies: ["Diagnostics"]),
        .target(name: "Spec", dependencies: ["Diagnostics", "YAML", "IR"]),
        .target(name: "Backends", dependencies: ["Diagnostics", "YAML", "IR"]),
        .target(name: "Lint", dependencies: ["Diagnostics", "IR"]),
        .target(name: "Analysis", dependencies: ["Diagnostics", "IR", "Backends"]),
        .target(name: "Reports", dependencies: ["Diagnostics", "YAML", "IR", "Backends", "Lint", "JUnitXML", "Analysis"]),
        .target(name: "Palisade", dependencies: ["Diagnostics", "YAML", "IR", "Spec", "Backends", "Lint", "Analysis", "Reports"]),
        // The command line: flags in, `Palisade.Commands` out (docs/architecture.md).
        .executableTarget(
            name: "PalisadeCLI",
            dependencies: ["Palisade", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            plugins: ["BuildInfo"]
        ),
        // Records the commit the binary is built from, for `palisade --version`.
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .target(name: "TestSupport", dependencies: ["Palisade"], path: "Tests/TestSupport"),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML", "TestSupport"]),
        .testTarget(name: "IRTests", dependencies: ["IR"]),
        .testTarget(name: "SpecTests", dependencies: ["Spec", "TestSupport"], exclude: ["BadInputs", "Fixtures"]),
        .testTarget(name: "LintTests", dependencies: ["Lint", "Reports", "Spec", "JUnitXML", "Palisade", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "BackendsTests", dependencies: ["Backends", "Spec", "YAML", "TestSupport"]),
        .testTarget(
            name: "PalisadeTests",
            dependencies: ["Palisade", "Analysis", "Reports", "Spec", "Backends", "IR", "Diagnostics", "YAML", "TestSupport"],
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
