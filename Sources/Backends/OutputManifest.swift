/// What Palisade owns in one target folder: `OUT/TARGET/.palisade-manifest` lists, by policy, the
/// files `compile` wrote there. A compile of policy P for target T replaces P's listed files: it
/// writes the new ones and removes those listed that it no longer writes. Files no manifest
/// lists (a team's own) are never removed, and the entries of policies not compiled in a run
/// are kept as they are.
///
/// The format, one entry a line, in UTF-8:
///
/// ```
/// palisade-manifest 1
/// # Written by palisade compile: the files it owns in this folder, as POLICY/FILE. ...
/// shop/security-groups-2.json
/// shop/security-groups.json
/// ```
///
/// The first line names the format and its version; lines that begin with `#` and blank lines
/// are comments; every other line is a path relative to the target folder, `POLICY/FILE`
/// (a policy's folder, then the file's path inside it), sorted. A manifest that lists nothing
/// is not written: the target folder then has none.
public struct OutputManifest: Sendable, Hashable {
    /// The manifest's name inside each target folder.
    public static let fileName = ".palisade-manifest"
    /// The first line: the format and its version.
    public static let formatLine = "palisade-manifest 1"

    /// The paths listed, relative to the target folder (`shop/security-groups.json`).
    public private(set) var paths: Set<String>

    public init(paths: Set<String> = []) { self.paths = paths }

    /// The first component of `POLICY/FILE`.
    static func policy(of path: String) -> String { String(path.prefix { $0 != "/" }) }

    /// The text of the manifest file.
    public var text: String {
        var lines = [
            Self.formatLine,
            "# Written by palisade compile: the files it owns in this folder, as POLICY/FILE. A compile of a policy",
            "# removes those of its files it no longer writes; files not listed here are never touched.",
        ]
        lines += paths.sorted()
        return lines.joined(separator: "\n") + "\n"
    }

    public var bytes: [UInt8] { Array(text.utf8) }

    /// Reads a manifest file's bytes; throws `OutputManifest.Failure` (its reason) when they are
    /// not a manifest of this version or list a path that is not inside the target folder.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> OutputManifest {
        // Split as bytes (to Swift, CR LF is one Character); a line ending in CR (the file was
        // edited on Windows) reads as the line without it.
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first == formatLine else {
            if let first = lines.first, first.hasPrefix("palisade-manifest ") {
                throw Failure(reason: "a manifest of another format (\(first)); this palisade reads \(formatLine)")
            }
            throw Failure(reason: "not a palisade manifest (its first line is not \(formatLine))")
        }
        var paths: Set<String> = []
        for (index, line) in lines.enumerated().dropFirst() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard isEntry(line) else {
                throw Failure(reason: "line \(index + 1) is not a path POLICY/FILE inside the target folder: \(line)")
            }
            paths.insert(line)
        }
        return OutputManifest(paths: paths)
    }

    /// `POLICY/FILE`: at least two components, none empty, `.` or `..`, no control character,
    /// and no policy named like the scheme's own files.
    static func isEntry(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 2, !components[0].hasPrefix(".palisade-") else { return false }
        return components.allSatisfy { component in
            !component.isEmpty && component != "." && component != ".." && !component.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
    }

    /// Why a manifest file cannot be read.
    public struct Failure: Error, Sendable, Hashable {
        public var reason: String

        public init(reason: String) { self.reason = reason }
    }
}
