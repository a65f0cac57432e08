import Foundation

/// A whole output tree: `OUT/TARGET/POLICY/FILE` for every file of a run. It is written
/// atomically: every file goes to a temporary name beside its destination first, and only
/// when all are written are they renamed into place; on failure the temporaries are
/// removed and nothing half-written remains.
public struct OutputTree: Sendable {
    /// File contents by path relative to the output root.
    public private(set) var files: [String: String] = [:]

    public init() {}

    public mutating func add(_ path: String, _ contents: String) { files[path] = contents }

    public var paths: [String] { files.keys.sorted() }

    /// The files under a folder (`openshift/shop/`), with paths relative to it.
    public func files(under folder: String) -> [OutputFile] {
        paths.filter { $0.hasPrefix(folder) }.map { OutputFile(path: String($0.dropFirst(folder.count)), contents: files[$0]!) }
    }

    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Writes every file under `root`.
    public func write(to root: String) throws {
        let manager = FileManager.default
        var staged: [(temporary: String, final: String)] = []
        let suffix = ".palisade-tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            for path in paths {
                let final = (root as NSString).appendingPathComponent(path)
                let directory = (final as NSString).deletingLastPathComponent
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let temporary = final + suffix
                guard manager.createFile(atPath: temporary, contents: Data(files[path]!.utf8)) else {
                    throw WriteError(description: "cannot write '\(final)'")
                }
                staged.append((temporary, final))
            }
            for (temporary, final) in staged {
                guard rename(temporary, final) == 0 else {
                    throw WriteError(description: "cannot move '\(temporary)' to '\(final)': \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            for (temporary, _) in staged { try? manager.removeItem(atPath: temporary) }
            throw error
        }
    }

    /// The paths under `root` whose content differs from this tree or is missing, and the
    /// files under the tree's `TARGET/POLICY` folders that the tree would not write.
    public func differences(from root: String) -> [String] {
        var result = paths.filter { path in
            let final = (root as NSString).appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: final) else { return true }
            return String(decoding: data, as: UTF8.self) != files[path]
        }
        let folders = Set(paths.map { ($0 as NSString).deletingLastPathComponent })
        for folder in folders.sorted() {
            let directory = (root as NSString).appendingPathComponent(folder)
            guard let entries = FileManager.default.enumerator(atPath: directory) else { continue }
            for case let entry as String in entries {
                let path = (folder as NSString).appendingPathComponent(entry)
                var isDirectory: ObjCBool = false
                let full = (root as NSString).appendingPathComponent(path)
                if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                   files[path] == nil {
                    result.append(path)
                }
            }
        }
        return result.sorted()
    }
}
