import Foundation
import YAML

/// The machine's file system.
public struct LocalFileSystem: SpecFileSystem {
    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileSystemError("no such file")
        }
        guard !isDirectory.boolValue else { throw FileSystemError("it is a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileSystemError("permission denied") }
        defer { try? handle.close() }
        // Read at most one byte past the loader's limit; the loader reports the size.
        let data = try handle.read(upToCount: YAMLLimits().maxBytes + 1) ?? Data()
        return [UInt8](data)
    }

    public func realPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
