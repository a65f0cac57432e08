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
/// reject a file (it throws); it must not crash or hang. With `locatedErrors`, a rejection
/// must also say where: a `ReadFailure` naming one of the files read.
public struct ReaderTarget: Sendable {
    public let backend: any Backend
    /// The file an input without `#file:` lines is; nil: the sample's first file (for a
    /// backend writing one file per workload, such as nftables).
    public let mainFile: String?
    /// Whether a file reaches a crash already reported (`KnownIssues`): such inputs are skipped.
    public let knownIssue: (@Sendable (String) -> Bool)?
    /// Whether every error the reader throws must be a `ReadFailure` naming a file it was given.
    public let locatedErrors: Bool
    let generated: [String: [OutputFile]]

    public init(_ target: TargetName, mainFile: String?, locatedErrors: Bool = false, knownIssue: (@Sendable (String) -> Bool)? = nil) {
        guard let backend = BackendRegistry.backend(for: target) else { fatalError("no backend for \(target.rawValue)") }
        self.backend = backend
        self.mainFile = mainFile
        self.locatedErrors = locatedErrors
        self.knownIssue = knownIssue
        generated = Samples.files(of: backend)
    }

    public func run(_ bytes: [UInt8]) {
        let policy = Samples.policy(for: bytes)
        var files = generated[policy.name] ?? []
        let main = mainFile ?? files.first?.path ?? "main"
        for (path, contents) in FileBundle(bytes, main: main).files {
            let file = OutputFile(path: path, contents: String(decoding: contents, as: UTF8.self))
            if let knownIssue, knownIssue(file.contents) { return }
            if let index = files.firstIndex(where: { $0.path == path }) { files[index] = file } else { files.append(file) }
        }
        do {
            _ = try backend.read(files, policy: policy)
        } catch let failure as ReadFailure {
            require(!locatedErrors || files.contains { $0.path == failure.file }, "an error in '\(failure.file)', a file not read: \(failure)")
        } catch {
            require(!locatedErrors, "an error without a file: \(error)")
        }
    }
}
