import YAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `OutputWriter` asks of a file system, one system call each: the seam through which the
/// tests fail any step of a write (`Tests/BackendsTests/OutputWriterTests.swift`).
/// Every operation throws `OutputFileSystemError` with the system's error number.
public protocol OutputFileSystem: Sendable {
    /// `stat` (`followingLinks`) or `lstat`; a path that does not exist is `.missing`, not an error.
    func status(_ path: String, followingLinks: Bool) throws -> FileStatus
    /// Throws unless the process may create and rename entries in the directory (`access(W_OK|X_OK)`).
    func checkWritable(_ directory: String) throws
    /// `mkdir`, one level.
    func makeDirectory(_ path: String) throws
    /// Creates a file that must not exist yet, writes all of `bytes` and closes it. On Linux the
    /// file lasts once `syncFileSystem` returns; elsewhere the call `fsync`s it before closing.
    func writeFile(_ path: String, _ bytes: [UInt8]) throws
    /// `writeFile` of a text's UTF-8 bytes; by default through a copy of them joined, which the
    /// system file system does without: it writes each piece where it is (a large estate
    /// writes hundreds of megabytes).
    func writeFile(_ path: String, text: ChunkedText) throws
    func readFile(_ path: String) throws -> [UInt8]
    /// `rename`: atomic, replaces a file (or an empty directory) at `to`.
    func rename(_ from: String, _ to: String) throws
    /// `unlink`.
    func removeFile(_ path: String) throws
    /// `rmdir`.
    func removeDirectory(_ path: String) throws
    /// The names in a directory, sorted, without `.` and `..`.
    func entries(_ directory: String) throws -> [String]
    /// `fsync` of a directory, so that the entries created or renamed in it last.
    func syncDirectory(_ path: String) throws
    /// Makes every file and folder written so far under the folder `path` last, and fails if
    /// the kernel could not write one back. `lock` is what `lock` returned for the output folder
    /// that holds `path`, before any of those files was written. On Linux: `syncfs` through the
    /// lock's descriptor, one call for a whole tree where a `fsync` per file costs a disk flush
    /// each (the kernel reports a write-back error to a descriptor opened before it: hence the
    /// lock's, not one opened now; kernels before 5.8 and overlay mounts report none, though the
    /// data is synced). Elsewhere the files were synced as they were written, and this syncs
    /// every folder under `path`, deepest first.
    func syncFileSystem(_ path: String, lock: Int32) throws
    /// An exclusive `flock` on a directory, waiting for it; the kernel releases it when the
    /// process ends, killed or not. Returns what `unlock` takes.
    func lock(_ directory: String) throws -> Int32
    func unlock(_ token: Int32)
}

extension OutputFileSystem {
    public func writeFile(_ path: String, text: ChunkedText) throws { try writeFile(path, text.bytes) }
}

public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case missing, file, directory, symbolicLink, other
    }

    public var kind: Kind
    /// The file system holding it (`st_dev`); 0 when missing.
    public var device: UInt64

    public init(kind: Kind, device: UInt64 = 0) {
        self.kind = kind
        self.device = device
    }
}

/// A failed system call: which, on what, and `errno`.
public struct OutputFileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public var call: String
    public var path: String
    public var code: Int32

    public init(call: String, path: String, code: Int32) {
        self.call = call
        self.path = path
        self.code = code
    }

    /// The system's reason in lower case: `not a directory`, `permission denied`.
    public var reason: String { Self.reason(code) }

    public var description: String { "\(call) \(path): \(reason)" }

    public static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        let message = String(cString: text)
        guard let first = message.first else { return "error \(code)" }
        // "Not a directory" → "not a directory"; an acronym ("I/O error") keeps its case.
        let second = message.dropFirst().first
        if let second, second.isUppercase || !second.isLetter { return message }
        return first.lowercased() + message.dropFirst()
    }
}

/// The real file system, through the C library.
public struct POSIXOutputFileSystem: OutputFileSystem {
    /// The size from which a file's writing back starts as it is closed (Linux).
    static let writebackFrom = 64 << 10

    public init() {}

    private func fail(_ call: String, _ path: String) -> OutputFileSystemError { OutputFileSystemError(call: call, path: path, code: errno) }

    public func status(_ path: String, followingLinks: Bool) throws -> FileStatus {
        var info = stat()
        let result = followingLinks ? stat(path, &info) : lstat(path, &info)
        guard result == 0 else {
            if errno == ENOENT { return FileStatus(kind: .missing) }
            throw fail("stat", path)
        }
        let kind: FileStatus.Kind =
            switch info.st_mode & S_IFMT {
            case S_IFDIR: .directory
            case S_IFREG: .file
            case S_IFLNK: .symbolicLink
            default: .other
            }
        return FileStatus(kind: kind, device: UInt64(truncatingIfNeeded: info.st_dev))
    }

    public func checkWritable(_ directory: String) throws {
        guard access(directory, W_OK | X_OK) == 0 else { throw fail("access", directory) }
    }

    public func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o777) == 0 else { throw fail("mkdir", path) }
    }

    public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try writeFile(path) { write in try bytes.withUnsafeBytes(write) }
    }

    public func writeFile(_ path: String, text: ChunkedText) throws {
        try writeFile(path) { write in try text.forEachChunk(write) }
    }

    /// Creates the file, writes each buffer `pieces` hands over, in order, and closes it. On
    /// Linux a file of `writebackFrom` bytes or more is handed to the disk at once
    /// (`sync_file_range`, start writing, do not wait): the one `syncfs` before the commit then
    /// finds most of the tree's bytes written already, where it had to write them all on the
    /// commit's path. Small files (the thousands of an nftables tree) are left to that sync: a
    /// call for each cost more than it saved.
    private func writeFile(_ path: String, pieces: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw fail("open", path) }
        var size = 0
        do {
            try pieces { buffer in
                size += buffer.count
                var written = 0
                while written < buffer.count {
                    // `buffer.baseAddress` is nil only for an empty buffer, and the loop does not run then.
                    let count = systemWrite(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw fail("write", path)
                    }
                    written += count
                }
            }
        } catch {
            close(descriptor)
            throw error
        }
        #if os(Linux)
            // A hint: whether the kernel takes it or not, the sync before the commit makes the file last.
            if size >= Self.writebackFrom, let startWriteback = SystemStartWriteback.call { _ = startWriteback(descriptor, 0, 0, SystemStartWriteback.write) }
        #else
            guard fsync(descriptor) == 0 else {
                let error = fail("fsync", path)
                close(descriptor)
                throw error
            }
        #endif
        guard close(descriptor) == 0 else { throw fail("close", path) }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress, buffer.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("read", path)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    public func rename(_ from: String, _ to: String) throws {
        guard systemRename(from, to) == 0 else { throw fail("rename", to) }
    }

    public func removeFile(_ path: String) throws {
        guard unlink(path) == 0 else { throw fail("unlink", path) }
    }

    public func removeDirectory(_ path: String) throws {
        guard rmdir(path) == 0 else { throw fail("rmdir", path) }
    }

    public func entries(_ directory: String) throws -> [String] {
        guard let stream = opendir(directory) else { throw fail("opendir", directory) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: pointer.pointee)) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        // Some file systems cannot sync a directory (EINVAL); there is nothing more to do there.
        guard fsync(descriptor) == 0 || errno == EINVAL || errno == ENOTSUP else { throw fail("fsync", path) }
    }

    public func syncFileSystem(_ path: String, lock: Int32) throws {
        #if os(Linux)
            if let syncfs = SystemSyncFileSystem.call {
                guard syncfs(lock) == 0 else { throw fail("syncfs", path) }
                return
            }
            // A C library without syncfs: sync() flushes everything, reporting nothing.
            sync()
        #else
            func syncFolders(_ folder: String) throws {
                for name in try entries(folder) where try status(join(folder, name), followingLinks: false).kind == .directory {
                    try syncFolders(join(folder, name))
                }
                try syncDirectory(folder)
            }
            try syncFolders(path)
        #endif
    }

    public func lock(_ directory: String) throws -> Int32 {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", directory) }
        while flock(descriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            // A file system without locks (some network ones): go on unlocked rather than not at all.
            if [ENOLCK, EOPNOTSUPP, ENOTSUP, EINVAL].contains(errno) { break }
            let error = fail("flock", directory)
            close(descriptor)
            throw error
        }
        return descriptor
    }

    public func unlock(_ token: Int32) { close(token) }
}

// The C library's `write` and `rename`, out of reach of the methods' names.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(descriptor, bytes, count) }

private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

#if os(Linux)
    /// The C library's function `name`, looked up once in the running process, for functions
    /// the Glibc module leaves out (declared only under _GNU_SOURCE); nil where it is missing.
    private func glibcFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    /// `int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)` (Linux
    /// 2.6.17); a range of 0, 0 is the whole file.
    private enum SystemStartWriteback {
        static let call = glibcFunction("sync_file_range", as: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        /// `SYNC_FILE_RANGE_WRITE`: start writing the range back, without waiting.
        static let write: UInt32 = 2
    }

    /// `int syncfs(int fd)` (Linux 2.6.39, glibc 2.14).
    private enum SystemSyncFileSystem {
        static let call = glibcFunction("syncfs", as: (@convention(c) (Int32) -> Int32).self)
    }
#endif
