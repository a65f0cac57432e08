import Backends
import Diagnostics
import Foundation
import IR

/// The application team's own files for one target, read from the path `--apply-to` or
/// `--with` names: a file (its name is its path) or a folder (every `.yaml`, `.yml` and `.json`
/// file under it, hidden ones left out, by their paths relative to it, sorted).
public struct ApplicationInput: Sendable {
    public var path: String
    public var files: [ApplicationFile]

    /// The largest application file read (as for specs, a bound on what a typo can make
    /// Palisade load).
    static let maxBytes = 16 << 20

    /// The files, or why they cannot be read, in Palisade's words.
    static func read(_ path: String, flag: String) -> Result<ApplicationInput, Problem> {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            return .failure(Problem(message: "\(flag) \(path): no such file or folder"))
        }
        var relative: [String] = []
        if isFolder.boolValue {
            guard let walker = FileManager.default.enumerator(atPath: path) else {
                return .failure(Problem(message: "\(flag) \(path): the folder cannot be listed"))
            }
            while let entry = walker.nextObject() as? String {
                let name = (entry as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                guard [".yaml", ".yml", ".json"].contains(where: { name.hasSuffix($0) }) else { continue }
                var isSubfolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(path)/\(entry)", isDirectory: &isSubfolder), !isSubfolder.boolValue {
                    relative.append(entry)
                }
            }
            relative.sort()
            if relative.isEmpty { return .failure(Problem(message: "\(flag) \(path): the folder holds no .yaml, .yml or .json file")) }
        }
        var files: [ApplicationFile] = []
        for name in isFolder.boolValue ? relative : [(path as NSString).lastPathComponent] {
            let full = isFolder.boolValue ? "\(path)/\(name)" : path
            guard let data = FileManager.default.contents(atPath: full) else { return .failure(Problem(message: "\(flag) \(full): the file cannot be read")) }
            guard data.count <= maxBytes else { return .failure(Problem(message: "\(flag) \(full): larger than \(maxBytes >> 20) MB")) }
            guard let text = String(data: data, encoding: .utf8) else { return .failure(Problem(message: "\(flag) \(full): not UTF-8 text")) }
            // Diagnostics name the file as the user can open it.
            files.append(ApplicationFile(path: name, contents: text))
        }
        return .success(ApplicationInput(path: path, files: files, isFolder: isFolder.boolValue))
    }

    /// Why the files cannot be read, in Palisade's words.
    struct Problem: Error {
        var message: String
    }

    /// Whether `path` names a folder.
    var isFolder = false

    /// A file's path as the user can open it: the path given for a file, the folder's path
    /// joined with the file's for a folder.
    func displayPath(_ file: String) -> String { isFolder ? "\(path)/\(file)" : path }

    /// `range` with the application file's path as the user can open it, when it points into one.
    func located(_ range: SourceRange?) -> SourceRange? {
        guard var range, files.contains(where: { $0.path == range.file }) else { return range }
        range.file = displayPath(range.file)
        return range
    }

    /// The diagnostic with its ranges that point into the application's files made openable.
    func located(_ diagnostic: Diagnostic) -> Diagnostic {
        var diagnostic = diagnostic
        diagnostic.range = located(diagnostic.range)
        for index in diagnostic.notes.indices { diagnostic.notes[index].range = located(diagnostic.notes[index].range) }
        return diagnostic
    }

    /// The application's files under the paths the user can open.
    var displayedFiles: [ApplicationFile] { files.map { ApplicationFile(path: displayPath($0.path), contents: $0.contents) } }

    /// The application's files as sources, to render diagnostics located in them.
    var sources: SourceFiles { SourceFiles(displayedFiles) }
}

extension SourceFiles {
    /// Application files as sources, by the paths they carry.
    init(_ files: [ApplicationFile]) {
        self.init()
        for file in files { add(SourceFile(path: file.path, text: file.contents)) }
    }
}
