import Foundation
import Palisade
import Spec

/// Files held in memory, for specs written inside tests.
public struct InMemoryFileSystem: SpecFileSystem {
    public var files: [String: [UInt8]]

    public init(_ files: [String: String]) {
        self.files = files.mapValues { Array($0.utf8) }
    }

    public init(bytes: [String: [UInt8]]) { files = bytes }

    public func read(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else { throw FileSystemError("no such file") }
        return bytes
    }

    public func realPath(_ path: String) -> String { path }
}

/// Compiles spec text held in memory; `files` adds included files by path.
public func compileSpec(_ text: String, path: String = "spec.yaml", files: [String: String] = [:]) -> SpecCompiler.Output {
    var all = files
    all[path] = text
    return SpecCompiler.compile(path: path, fileSystem: InMemoryFileSystem(all))
}

/// The repository's root folder.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// True when golden files should be rewritten instead of compared.
public var updatingGoldenFiles: Bool { ProcessInfo.processInfo.environment["PALISADE_UPDATE_GOLDEN"] == "1" }

/// Compares `actual` with the golden file at `path` (relative to the repository), or
/// rewrites it when `PALISADE_UPDATE_GOLDEN=1`. Returns a description of the difference.
public func goldenMismatch(_ actual: String, at path: String) -> String? {
    let url = repositoryRoot.appendingPathComponent(path)
    if updatingGoldenFiles {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return nil
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        return "\(path) is missing; run PALISADE_UPDATE_GOLDEN=1 swift test"
    }
    guard expected != actual else { return nil }
    let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(expectedLines.count, actualLines.count) {
        let e = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
        let a = index < actualLines.count ? String(actualLines[index]) : "<end>"
        if e != a {
            return "\(path):\(index + 1) differs\n  expected: \(e)\n  actual:   \(a)\n(regenerate with PALISADE_UPDATE_GOLDEN=1 swift test)"
        }
    }
    return "\(path) differs"
}

/// A small deterministic random number generator (SplitMix64) for property tests.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The repository's files, by paths relative to its root: specs compile with the same paths
/// (and so the same generated headers) as `palisade` run from the root.
public struct RepositoryFileSystem: SpecFileSystem {
    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        try LocalFileSystem().read(repositoryRoot.appendingPathComponent(path).path)
    }

    public func realPath(_ path: String) -> String {
        let real = LocalFileSystem().realPath(repositoryRoot.appendingPathComponent(path).path)
        let root = LocalFileSystem().realPath(repositoryRoot.path) + "/"
        return real.hasPrefix(root) ? String(real.dropFirst(root.count)) : real
    }
}
