import Backends
import Foundation
import IR
import YAML

/// An output file system that forwards every call and adds its duration to the target whose
/// folder the path is in (`OUT/TARGET/…`, or `OUT/.palisade-staging/TARGET/…` and
/// `OUT/.palisade-committed/TARGET/…` while the writer stages and moves the tree), for
/// `--time-passes`' per-target `write` lines. Calls on no target's folder (the lock, the
/// recovery of OUT itself) are counted apart.
final class TimedOutputFileSystem: OutputFileSystem, @unchecked Sendable {
    let base: any OutputFileSystem
    let root: String
    private let mutex = NSLock()
    private var durations: [TargetName: Duration] = [:]
    private var other = Duration.zero

    init(_ base: any OutputFileSystem, root: String) {
        self.base = base
        self.root = root
    }

    /// Time spent per target, in target order, and on no target's folder.
    var timings: (targets: [(target: TargetName, duration: Duration)], other: Duration) {
        mutex.lock()
        defer { mutex.unlock() }
        return (TargetName.allCases.compactMap { target in durations[target].map { (target, $0) } }, other)
    }

    /// The target whose folder `path` is in, if any.
    func target(of path: String) -> TargetName? {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        var components = path.dropFirst(prefix.count).split(separator: "/", maxSplits: 2)
        if let first = components.first, first == OutputWriter.stagingName || first == OutputWriter.committedName { components.removeFirst() }
        return components.first.flatMap { TargetName(rawValue: String($0)) }
    }

    private func timed<T>(_ path: String, _ body: () throws -> T) rethrows -> T {
        let started = ContinuousClock.now
        defer {
            let duration = ContinuousClock.now - started
            let target = target(of: path)
            mutex.lock()
            if let target { durations[target, default: .zero] += duration } else { other += duration }
            mutex.unlock()
        }
        return try body()
    }

    func status(_ path: String, followingLinks: Bool) throws -> FileStatus {
        try timed(path) { try base.status(path, followingLinks: followingLinks) }
    }
    func checkWritable(_ directory: String) throws { try timed(directory) { try base.checkWritable(directory) } }
    func makeDirectory(_ path: String) throws { try timed(path) { try base.makeDirectory(path) } }
    func writeFile(_ path: String, _ bytes: [UInt8]) throws { try timed(path) { try base.writeFile(path, bytes) } }
    func writeFile(_ path: String, text: ChunkedText) throws { try timed(path) { try base.writeFile(path, text: text) } }
    func readFile(_ path: String) throws -> [UInt8] { try timed(path) { try base.readFile(path) } }
    func rename(_ from: String, _ to: String) throws { try timed(from) { try base.rename(from, to) } }
    func removeFile(_ path: String) throws { try timed(path) { try base.removeFile(path) } }
    func removeDirectory(_ path: String) throws { try timed(path) { try base.removeDirectory(path) } }
    func entries(_ directory: String) throws -> [String] { try timed(directory) { try base.entries(directory) } }
    func syncDirectory(_ path: String) throws { try timed(path) { try base.syncDirectory(path) } }
    func syncFileSystem(_ path: String, lock: Int32) throws { try timed(path) { try base.syncFileSystem(path, lock: lock) } }
    func lock(_ directory: String) throws -> Int32 { try timed(directory) { try base.lock(directory) } }
    func unlock(_ token: Int32) { base.unlock(token) }
}
