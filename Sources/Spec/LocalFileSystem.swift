import YAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The machine's file system. Only regular files are read, never more than the size limit
/// plus one byte, and nothing here can block: a named pipe, a device or a socket is refused
/// with what it is, and every other failure with the system's reason in Palisade's words.
public struct LocalFileSystem: SpecFileSystem {
    /// How often a read interrupted by a signal is retried before giving up.
    static let maxInterruptedReads = 100

    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        try read(path, maxBytes: YAMLLimits().maxBytes)
    }

    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        // A C path ends at the first NUL: `a.yaml\0x` would read `a.yaml`.
        guard !path.utf8.contains(0) else { throw FileSystemError("the path contains a NUL character") }
        guard !path.isEmpty else { throw FileSystemError("no such file") }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT, let bytes = nonUTF8Name(path) {
                throw FileSystemError("the file name is not valid UTF-8 (\(escapedBytes(bytes)))")
            }
            throw FileSystemError(Self.reason(code))
        }
        try Self.checkRegularFile(info.st_mode)
        // Non-blocking, so that a file swapped for a named pipe since `stat` cannot block the
        // open; `fstat` then checks what was opened.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw FileSystemError(Self.reason(errno)) }
        defer { _ = close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError(Self.reason(errno)) }
        try Self.checkRegularFile(info.st_mode)
        return try Self.readBounded(descriptor, limit: maxBytes < Int.max ? maxBytes + 1 : maxBytes, sizeHint: Int(info.st_size))
    }

    public func realPath(_ path: String) -> String {
        // A path that does not resolve (missing, a symbolic link loop) keeps its last
        // components after the longest prefix that does, so that reading it reports why.
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var tail: [String] = []
        while !components.isEmpty {
            let prefix = components.joined(separator: "/")
            if let resolved = Self.resolved(prefix.isEmpty ? "/" : prefix) {
                return ([resolved == "/" ? "" : resolved] + tail).joined(separator: "/")
            }
            tail.insert(components.removeLast(), at: 0)
        }
        return path
    }

    // MARK: Reading

    /// At most `limit` bytes, in a loop that ends: every turn reads at least one byte, reaches
    /// the end of the file, or fails (a signal interrupts it at most `maxInterruptedReads` times).
    static func readBounded(_ descriptor: Int32, limit: Int, sizeHint: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, max(0, sizeHint) + 1))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var interrupted = 0
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, wanted) }
            if count == 0 { break }
            if count < 0 {
                let code = errno
                if code == EINTR, interrupted < maxInterruptedReads {
                    interrupted += 1
                    continue
                }
                throw FileSystemError(reason(code))
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Throws, saying what the file is, unless it is a regular file.
    static func checkRegularFile(_ mode: mode_t) throws {
        let kind: String
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: kind = "a directory"
        case S_IFIFO: kind = "a named pipe"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "something other than a file"
        }
        throw FileSystemError("it is \(kind), not a regular file")
    }

    /// The system's reason for a failure, in Palisade's words.
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case ENOTDIR: return "a part of the path is not a directory"
        case ELOOP: return "too many levels of symbolic links"
        case EACCES, EPERM: return "permission denied"
        case ENAMETOOLONG: return "the name is too long"
        case EISDIR: return "it is a directory, not a regular file"
        case ENXIO, ENODEV: return "no device is behind it"
        case EMFILE, ENFILE: return "too many files are open"
        case EIO: return "an input/output error"
        case ENOMEM: return "out of memory"
        case EOVERFLOW, EFBIG: return "the file is too large"
        case EAGAIN: return "reading it would block"
        default:
            guard let text = strerror(code) else { return "error \(code)" }
            return String(cString: text).lowercased()
        }
    }

    /// The canonical absolute path (`realpath(3)`), or nil when it does not resolve.
    static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
    }

    // MARK: Names that are not UTF-8

    /// Most directory entries looked at to explain a missing name.
    static let maxDirectoryEntries = 100_000

    /// The bytes of an existing file whose name is not valid UTF-8 and reads as `path` once
    /// its bad bytes are replaced with U+FFFD (as the command line does), or nil. Palisade
    /// names files in UTF-8 (its paths are strings), so such a file cannot be opened by name.
    func nonUTF8Name(_ path: String) -> [UInt8]? {
        guard path.unicodeScalars.contains("\u{FFFD}") else { return nil }
        var resolved: [UInt8] = path.hasPrefix("/") ? [UInt8(ascii: "/")] : []
        var foundInvalid = false
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            var bytes = Array(component.utf8)
            if component.unicodeScalars.contains("\u{FFFD}") {
                guard let match = Self.directoryEntry(in: resolved.isEmpty ? Array(".".utf8) : resolved, readingAs: String(component)) else { return nil }
                bytes = match
                foundInvalid = true
            }
            if !resolved.isEmpty, resolved.last != UInt8(ascii: "/") { resolved.append(UInt8(ascii: "/")) }
            resolved += bytes
        }
        return foundInvalid ? resolved : nil
    }

    /// The name of the entry of a directory that is not valid UTF-8 and decodes to `name`.
    static func directoryEntry(in directory: [UInt8], readingAs name: String) -> [UInt8]? {
        guard
            let stream = (directory + [0]).withUnsafeBufferPointer({ buffer in
                buffer.baseAddress.flatMap { opendir(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            })
        else { return nil }
        defer { closedir(stream) }
        for _ in 0..<maxDirectoryEntries {
            guard let entry = readdir(stream) else { return nil }
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if String(validating: bytes, as: UTF8.self) == nil, String(decoding: bytes, as: UTF8.self) == name { return bytes }
        }
        return nil
    }
}

/// A file name's bytes for a message: valid UTF-8 as text, every other byte as `\xFF`.
func escapedBytes(_ bytes: [UInt8]) -> String {
    var out = ""
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    // Each turn consumes at least one byte, so this ends.
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let encoded):
            out += String(decoding: Array(encoded), as: UTF8.self)
            offset += encoded.count
        case .error(let length):
            for byte in bytes[offset..<(offset + length)] { out += "\\x" + String(byte, radix: 16, uppercase: true) }
            offset += length
        case .emptyInput:
            return out
        }
    }
}

/// `read(2)`, which a method of the file system would shadow.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
    #elseif canImport(Musl)
        Musl.read(descriptor, buffer, count)
    #else
        Darwin.read(descriptor, buffer, count)
    #endif
}
