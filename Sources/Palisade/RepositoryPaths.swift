import Foundation
import Reports
import Spec

/// Spec paths as reports name them: relative to the root of the git repository the command
/// runs in (GitHub code scanning resolves SARIF locations, and baselines match fingerprints,
/// against that root), so that `palisade lint specs/a.yaml` from the root and
/// `palisade lint a.yaml` from `specs/` name the file alike. Outside a repository, paths stay
/// as given.
public struct RepositoryPaths: Sendable {
    /// The working directory, without a trailing slash.
    public var workingDirectory: String
    /// The nearest directory at or above the working directory that holds `.git`; nil outside
    /// a repository.
    public var root: String?

    public init(workingDirectory: String, root: String?) {
        self.workingDirectory = workingDirectory
        self.root = root
    }

    /// The process's working directory and its repository.
    public static func current() -> RepositoryPaths {
        let cwd = FileManager.default.currentDirectoryPath
        var directory = cwd
        while true {
            if FileManager.default.fileExists(atPath: directory + "/.git") { return RepositoryPaths(workingDirectory: cwd, root: directory) }
            guard let slash = directory.lastIndex(of: "/"), directory != "/" else { break }
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
        }
        return RepositoryPaths(workingDirectory: cwd, root: nil)
    }

    /// `path` relative to the repository's root when it lies inside it, else as given.
    public func relative(_ path: String) -> String {
        guard let root else { return path }
        let absolute = Self.normalized(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
        let prefix = root == "/" ? "/" : root + "/"
        guard absolute.hasPrefix(prefix) else { return path }
        return String(absolute.dropFirst(prefix.count))
    }

    /// `.` and `..` components resolved lexically; repeated slashes collapsed.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `text` is an absolute http or https URL (SARIF's `helpUri` must be one).
    public static func isAbsoluteWebURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http" else { return false }
        return url.host?.isEmpty == false
    }
}

/// Reading and writing baseline files for the commands.
enum BaselineFile {
    static func read(_ path: String, for command: Baseline.Command, fileSystem: any SpecFileSystem) -> Result<Baseline, Baseline.Problem> {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.read(path)
        } catch {
            return .failure(Baseline.Problem(description: "cannot read baseline \(path): \(error)"))
        }
        do {
            return .success(try Baseline.parse(String(decoding: bytes, as: UTF8.self), file: path, for: command))
        } catch {
            return .failure(error)
        }
    }

    /// nil when written; else why not.
    static func write(_ baseline: Baseline, to path: String) -> String? {
        do {
            try Data(baseline.json.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            return nil
        } catch {
            return "cannot write baseline \(path): \(error.localizedDescription)"
        }
    }
}
