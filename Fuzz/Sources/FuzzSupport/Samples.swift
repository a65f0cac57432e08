import Analysis
import Backends
import Foundation
import IR
import Spec

/// The repository's samples, compiled once per run: the policies the readers' targets read
/// files against, and each backend's own files for them.
public enum Samples {
    /// The repository: `PALISADE_ROOT`, or the checkout this file was built from.
    public static let root: String = {
        if let root = ProcessInfo.processInfo.environment["PALISADE_ROOT"], !root.isEmpty { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The samples whose generated files are under `targets/`.
    public static let names = ["minimal", "shop", "payments", "platform", "no-segments"]

    /// Every sample's policy, in `names` order.
    public static let policies: [Policy] = names.map { name in
        let path = root + "/samples/\(name).yaml"
        guard let policy = SpecCompiler.compile(path: path).policy else {
            fatalError("samples/\(name).yaml does not compile (PALISADE_ROOT=\(root)); the fuzz targets need the samples")
        }
        return policy
    }

    /// The sample policy a fuzzed file was most likely made from: the one whose name it
    /// mentions most often (generated files name their policy throughout), or the first.
    public static func policy(for bytes: [UInt8]) -> Policy {
        var best = policies[0]
        var bestCount = 0
        for policy in policies {
            let count = occurrences(of: Array(policy.name.utf8), in: bytes)
            if count > bestCount {
                best = policy
                bestCount = count
            }
        }
        return best
    }

    /// The files `backend` writes for `policy` with the spec's own options, by policy name.
    public static func files(of backend: any Backend) -> [String: [OutputFile]] {
        var result: [String: [OutputFile]] = [:]
        for policy in policies {
            guard let emission = TargetEmitter.emit(policy, with: backend).emission else {
                fatalError("\(backend.target.rawValue) cannot compile the sample \(policy.name)")
            }
            result[policy.name] = emission.files
        }
        return result
    }

    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard !needle.isEmpty, haystack.count >= needle.count else { return 0 }
        var count = 0
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) {
                count += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return count
    }
}

/// The body of a reader's fuzz target: the fuzzed files replace the backend's own files for
/// the sample they most likely came from, and the backend reads them back. A reader may
/// reject a file (it throws); it must not crash or hang.
public struct ReaderTarget: Sendable {
    public let backend: any Backend
    /// The file an input without `#file:` lines is.
    public let mainFile: String
    /// Whether a file reaches a crash already reported (`KnownIssues`): such inputs are skipped.
    public let knownIssue: (@Sendable (String) -> Bool)?
    let generated: [String: [OutputFile]]

    public init(_ target: TargetName, mainFile: String, knownIssue: (@Sendable (String) -> Bool)? = nil) {
        guard let backend = BackendRegistry.backend(for: target) else { fatalError("no backend for \(target.rawValue)") }
        self.backend = backend
        self.mainFile = mainFile
        self.knownIssue = knownIssue
        generated = Samples.files(of: backend)
    }

    public func run(_ bytes: [UInt8]) {
        let policy = Samples.policy(for: bytes)
        var files = generated[policy.name] ?? []
        for (path, contents) in FileBundle(bytes, main: mainFile).files {
            let file = OutputFile(path: path, contents: String(decoding: contents, as: UTF8.self))
            if let knownIssue, knownIssue(file.contents) { return }
            if let index = files.firstIndex(where: { $0.path == path }) { files[index] = file } else { files.append(file) }
        }
        _ = try? backend.read(files, policy: policy)
    }
}
