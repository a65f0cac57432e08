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
    /// `writeFile(path, text:)`, unless the file at `existing` is one that write would leave just
    /// the same (its bytes, owner and permissions, with no other link to it): then `path`, in a
    /// folder `makeDirectory` made, becomes a second link to that file and nothing is written.
    /// By default it writes.
    func writeFile(_ path: String, text: ChunkedText, unlessIn existing: String) throws
    func readFile(_ path: String) throws -> [UInt8]
    /// Whether the file at `path` holds exactly `text`'s bytes; throws as `readFile` does (a
    /// folder there: `EISDIR`). By default through `readFile`.
    func fileHolds(_ path: String, _ text: ChunkedText) throws -> Bool
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

    public func writeFile(_ path: String, text: ChunkedText, unlessIn existing: String) throws { try writeFile(path, text: text) }

    public func fileHolds(_ path: String, _ text: ChunkedText) throws -> Bool { try readFile(path) == text.bytes }
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

    /// A file of the tree the run replaces that is unchanged is linked, not written: it keeps
    /// its inode and modification time, nothing of it is written back, and once the commit
    /// renames the link over it (a rename between two links to one file changes nothing) the
    /// old tree frees no inode for it. Replacing an estate's ten thousand files at once, a
    /// run freed as many inodes; ext4 without a journal (this machine's) then passes over each
    /// inode freed in the last minute one by one for every file it creates, and a repeated
    /// compile of 10,000 workloads took half as long again as the first.
    public func writeFile(_ path: String, text: ChunkedText, unlessIn existing: String) throws {
        if !linkUnchanged(existing, at: path, holding: text) { try writeFile(path, text: text) }
    }

    /// The first half of `writeFile(_:text:unlessIn:)`: links `path` to `existing` when that is a
    /// regular file of this process's user with no other link, the permissions and group a new
    /// file in `path`'s folder gets (that folder made by `makeDirectory`: its mode is 0777 less
    /// the umask), and exactly `text`'s bytes, still the same once linked; false, leaving
    /// nothing at `path`, when it is not or any call fails.
    public func linkUnchanged(_ existing: String, at path: String, holding text: ChunkedText) -> Bool {
        // Not following a link, nor waiting on a pipe that stands where the file was.
        let descriptor = open(existing, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var file = stat()
        var folder = stat()
        guard fstat(descriptor, &file) == 0, file.st_mode & S_IFMT == S_IFREG, file.st_nlink == 1, Int(file.st_size) == text.byteCount,
            let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), stat(String(path[..<slash]), &folder) == 0
        else { return false }
        let group = folder.st_mode & S_ISGID != 0 ? folder.st_gid : getegid()
        guard file.st_uid == geteuid(), file.st_gid == group, file.st_mode & 0o7777 == folder.st_mode & 0o666, Self.holds(descriptor, text) else {
            return false
        }
        #if !os(Linux)
            // Elsewhere each file is synced as it is written (on Linux the commit's `syncfs` does it).
            guard fsync(descriptor) == 0 else { return false }
        #endif
        guard systemLink(existing, path) == 0 else { return false }
        // Nothing wrote to it while it was read: the same file, size and modification time.
        var linked = stat()
        guard lstat(path, &linked) == 0, linked.st_ino == file.st_ino, linked.st_dev == file.st_dev, linked.st_size == file.st_size,
            modified(linked) == modified(file)
        else {
            unlink(path)
            return false
        }
        return true
    }

    /// Whether the file open at `descriptor`, read from its start, holds `text`'s bytes and no more.
    static func holds(_ descriptor: Int32, _ text: ChunkedText) -> Bool {
        struct Differs: Error {}
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let start = buffer.baseAddress.unsafelyUnwrapped
        /// The next `count` bytes of the file, at most the buffer's size, into the buffer.
        func read(_ count: Int) -> Bool {
            var done = 0
            while done < count {
                let got = systemRead(descriptor, start + done, count - done)
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { return false }
                done += got
            }
            return true
        }
        do {
            try text.forEachChunk { chunk in
                var offset = 0
                while offset < chunk.count {
                    let count = min(buffer.count, chunk.count - offset)
                    guard read(count), memcmp(start, chunk.baseAddress.unsafelyUnwrapped + offset, count) == 0 else { throw Differs() }
                    offset += count
                }
            }
        } catch {
            return false
        }
        // And nothing after them.
        return systemRead(descriptor, start, 1) == 0
    }

    /// Compared piece by piece as it is read, neither the file nor the text copied whole (a
    /// `--check` of a large estate compares hundreds of megabytes); a file of another size is
    /// not read at all.
    public func fileHolds(_ path: String, _ text: ChunkedText) throws -> Bool {
        // Not waiting on a pipe that stands where the file was.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("open", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw fail("stat", path) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw OutputFileSystemError(call: "read", path: path, code: EISDIR)
        case S_IFREG: return Int(info.st_size) == text.byteCount && Self.holds(descriptor, text)
        default: return false
        }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
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

// The C library's `write`, `rename`, `read` and `link`, out of reach of the methods' names.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(descriptor, bytes, count) }

private func systemRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(descriptor, buffer, count) }

/// A file's modification time: seconds and nanoseconds.
private func modified(_ info: stat) -> [Int] {
    #if canImport(Darwin)
        [Int(info.st_mtimespec.tv_sec), Int(info.st_mtimespec.tv_nsec)]
    #else
        [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    #endif
}

private func systemLink(_ existing: String, _ path: String) -> Int32 { link(existing, path) }

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
