import Backends
import YAML

/// An output file system for tests that fail writes at chosen steps: every call is first shown
/// to `intercept(_:_:)` (the system call's name and the path), which may throw, and then goes to
/// the machine's file system. A type overrides a call to do more (a half-written file, say).
public protocol InterceptedOutputFileSystem: OutputFileSystem {
    var real: POSIXOutputFileSystem { get }
    /// Throws to make the call fail before it reaches the file system.
    func intercept(_ call: String, _ path: String) throws
}

extension InterceptedOutputFileSystem {
    public func status(_ path: String, followingLinks: Bool) throws -> FileStatus {
        try intercept("stat", path)
        return try real.status(path, followingLinks: followingLinks)
    }

    public func checkWritable(_ directory: String) throws {
        try intercept("access", directory)
        try real.checkWritable(directory)
    }

    public func makeDirectory(_ path: String) throws {
        try intercept("mkdir", path)
        try real.makeDirectory(path)
    }

    public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try intercept("write", path)
        try real.writeFile(path, bytes)
    }

    /// A link to an unchanged file is one step (`link`); a file written instead goes through
    /// `writeFile`, as every other.
    public func writeFile(_ path: String, text: ChunkedText, unlessIn existing: String) throws {
        try intercept("link", path)
        if !real.linkUnchanged(existing, at: path, holding: text) { try writeFile(path, text: text) }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        try intercept("open", path)
        return try real.readFile(path)
    }

    public func fileHolds(_ path: String, _ text: ChunkedText) throws -> Bool {
        try intercept("open", path)
        return try real.fileHolds(path, text)
    }

    public func rename(_ from: String, _ to: String) throws {
        try intercept("rename", to)
        try real.rename(from, to)
    }

    public func removeFile(_ path: String) throws {
        try intercept("unlink", path)
        try real.removeFile(path)
    }

    public func removeDirectory(_ path: String) throws {
        try intercept("rmdir", path)
        try real.removeDirectory(path)
    }

    public func entries(_ directory: String) throws -> [String] {
        try intercept("opendir", directory)
        return try real.entries(directory)
    }

    public func syncDirectory(_ path: String) throws {
        try intercept("fsync", path)
        try real.syncDirectory(path)
    }

    public func syncFileSystem(_ path: String, lock: Int32) throws {
        try intercept("syncfs", path)
        try real.syncFileSystem(path, lock: lock)
    }

    public func lock(_ directory: String) throws -> Int32 {
        try intercept("flock", directory)
        return try real.lock(directory)
    }

    public func unlock(_ token: Int32) { real.unlock(token) }
}
