import Foundation
import YAML

/// Where a compile hands each target's files the moment the target is emitted, so that it never
/// holds every target's files at once: staged for a write (`OutputStaging`) or compared with
/// OUT for a check (`OutputCheck`).
public protocol OutputSink: AnyObject, Sendable {
    /// Takes the files of `tree` and claims its policies; throws `OutputError`. Safe to call
    /// from several threads. A failure is kept, and thrown again at the end (`commit`, `finish`).
    func stage(_ tree: OutputTree) throws
    /// Ends without a result, releasing OUT: nothing under it changes.
    func abandon()
}

extension OutputStaging: OutputSink {}

/// A `--check` whose files are compared with OUT as they are produced: `OutputWriter.drift` in
/// parts, with what it holds at once bounded by one target's files, where the whole tree held
/// for the comparison at the end was as large again as a write's peak (640 MB at 10,000
/// workloads).
///
/// The first `stage` locks OUT when it exists and finishes or undoes an interrupted run, as
/// `drift` does; the lock is held until `finish` or `abandon`. Each file is compared with the
/// file at its path (read piece by piece); only a changed file's bytes are kept, for its diff.
/// `finish` compares what was not staged, then the manifests, the files a write would remove
/// and stale temporaries, and gives every drift sorted by path: what `drift` gives for the
/// whole tree.
public final class OutputCheck: OutputSink, @unchecked Sendable {
    private let writer: OutputWriter
    public let root: String
    /// Guards everything below.
    private let mutex = NSLock()

    private enum State {
        case idle
        /// Started: OUT's lock when OUT exists.
        case open(token: Int32?)
        case failed(any Error)
        case finished
    }

    private var state = State.idle
    /// The files compared so far (with empty contents) and every policy claimed.
    private var compared = OutputTree()
    private var drifts: [OutputDrift] = []

    public init(writer: OutputWriter, root: String) {
        self.writer = writer
        self.root = root
    }

    public func stage(_ tree: OutputTree) throws {
        try mutex.withLock { try prepareLocked(tree) }
        // Compared outside the lock, so that one target's large files do not hold up another's.
        var found: [OutputDrift] = []
        do {
            for path in tree.paths {
                if let drift = try writer.drift(path, tree.texts[path] ?? ChunkedText(), root: root) { found.append(drift) }
            }
        } catch {
            mutex.withLock { fail(error) }
            throw error
        }
        try mutex.withLock {
            if case .failed(let error) = state { throw error }
            compared.addPaths(of: tree)
            drifts += found
        }
    }

    /// Compares what `tree` holds that was not staged (a path staged already keeps its drift)
    /// and claims its policies, then the rest of the tree's drift; every drift, sorted by path.
    /// Throws `OutputError`, or the failure of an earlier `stage`.
    public func finish(_ tree: OutputTree = OutputTree()) throws -> [OutputDrift] {
        try mutex.withLock {
            let rest = tree.excluding(compared)
            try prepareLocked(rest)
            // Open now: `prepareLocked` opened it or threw.
            guard case .open(let token) = state else { throw OutputError(operation: "read", path: root, reason: "the check was abandoned") }
            defer {
                token.map(writer.fileSystem.unlock)
                state = .finished
            }
            for path in rest.paths {
                if let drift = try writer.drift(path, rest.texts[path] ?? ChunkedText(), root: root) { drifts.append(drift) }
            }
            compared.addPaths(of: rest)
            let beyond = try writer.driftBeyondFiles(compared, root: root, exists: token != nil)
            return (drifts + beyond).sorted { $0.path < $1.path }
        }
    }

    public func abandon() {
        mutex.withLock {
            if case .open = state { fail(OutputError(operation: "read", path: root, reason: "the check was abandoned")) }
        }
    }

    // MARK: private

    /// Checks the state and `tree`, and on the first call locks OUT (when it exists) and
    /// recovers it. Under the lock.
    private func prepareLocked(_ tree: OutputTree) throws {
        switch state {
        case .failed(let error): throw error
        case .finished: throw OutputError(operation: "read", path: root, reason: "the check is finished already")
        case .idle, .open: break
        }
        do {
            guard !root.isEmpty else { throw OutputError.emptyRoot }
            try writer.validate(tree, root: root)
            if case .idle = state { state = .open(token: try writer.lockAndRecover(root)) }
        } catch {
            fail(error)
            throw error
        }
    }

    /// Releases OUT; later calls throw `error`. Under the lock.
    private func fail(_ error: any Error) {
        if case .open(let token) = state { token.map(writer.fileSystem.unlock) }
        state = .failed(error)
        drifts = []
        compared = OutputTree()
    }
}

extension OutputWriter {
    /// A check whose files are compared as they come (`OutputCheck`); nothing happens under
    /// `root` until the first `stage` or the `finish`.
    public func checking(_ root: String) -> OutputCheck { OutputCheck(writer: self, root: root) }
}
