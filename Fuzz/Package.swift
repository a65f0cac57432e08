// swift-tools-version:6.0
// The fuzz targets: one executable per input surface, each a libFuzzer target. Build and run them
// with scripts/fuzz.sh (docs/fuzzing.md); by hand:
//   swift build -c release -Xswiftc -sanitize=fuzzer,address --package-path Fuzz
// Built without the sanitizer flags, each executable replays the files it is given instead.
import Foundation
import PackageDescription

// The main package, by path. SwiftPM names a path dependency after its folder, so the folder's
// name is the package's identity here; scripts/fuzz.sh points PALISADE_PACKAGE at a link named
// `palisade` when the checkout's own folder name would clash with this package's (`fuzz`).
let mainPath = Context.environment["PALISADE_PACKAGE"] ?? ".."
let mainIdentity = URL(fileURLWithPath: mainPath, relativeTo: URL(fileURLWithPath: Context.packageDirectory + "/"))
    .standardizedFileURL.lastPathComponent.lowercased()
let palisade = Target.Dependency.product(name: "Palisade", package: mainIdentity)

/// A fuzz target: `main.swift` defines `LLVMFuzzerTestOneInput` and hands it to `FuzzDriver`.
func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport", palisade])
}

let package = Package(
    name: "palisade-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: mainPath)],
    targets: [
        // libFuzzer's driver, called from Swift's own `main` (SwiftPM gives every executable one).
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", palisade]),
        fuzzTarget("FuzzYAML"),
        fuzzTarget("FuzzSpec"),
        fuzzTarget("FuzzPipeline"),
        fuzzTarget("FuzzOpenShift"),
        fuzzTarget("FuzzSwarm"),
        fuzzTarget("FuzzMesos"),
        fuzzTarget("FuzzAWS"),
        fuzzTarget("FuzzGCP"),
        fuzzTarget("FuzzAzure"),
        fuzzTarget("FuzzKubernetes"),
        fuzzTarget("FuzzNFTables"),
    ],
    swiftLanguageModes: [.v6]
)
