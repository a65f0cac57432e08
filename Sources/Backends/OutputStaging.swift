import Foundation
import YAML

/// A write of an output tree whose files are staged as they are produced, so that a large
/// compile never holds every target's files at once: `compile` hands each target's files over
/// the moment the target is emitted, and keeps only their paths.
///
/// It follows `OutputWriter`'s scheme (see its comment) in another order. The first `stage`
/// locks OUT (creating it if needed), recovers what an earlier run left, and writes the files
/// under `OUT/.palisade-staging`; nothing outside that folder changes before `commit`, which
/// plans the manifests and removals from the staged paths, checks every destination, removes
/// stale temporaries, stages the manifests and removals, syncs, commits by one rename and rolls
/// forward. `abandon` (or any failure) removes the staging folder and releases OUT: the previous
/// tree stays exactly as it was. A failure while staging is kept and thrown again by every later
/// call, `commit` included, so the compile can go on and report it where it reports writes.
///
/// The lock is held from the first file staged to the commit: another palisade run on OUT waits
/// for this compile to finish rather than for its write alone.
public final class OutputStaging: @unchecked Sendable {
    private let writer: OutputWriter
    public let root: String
    /// Guards everything below; `stage` waits on it for the writes under way.
    private let mutex = NSCondition()
    /// The `stage` calls writing their files outside the lock.
    private var writing = 0

    private enum State {
        case idle
        case open(token: Int32, created: [String])
        case failed(any Error)
        case finished
    }

    private var state = State.idle
    /// The staged files' paths (with empty contents) and every policy claimed so far.
    private var staged = OutputTree()
    /// The folders made under the staging folder, relative to OUT.
    private var made: Set<String> = []

    init(writer: OutputWriter, root: String) {
        self.writer = writer
        self.root = root
    }

    /// The paths staged so far, sorted.
    public var paths: [String] { mutex.withLock { staged.paths } }

    /// Writes every file of `tree` under the staging folder and claims its policies; throws
    /// `OutputError`. Safe to call from several threads: the state, the folders and the claims
    /// change under the lock, one call at a time, but the files are written outside it, so that a
    /// target staging thousands of files (nftables: one per host) does not hold up the workers
    /// of the others. A failure, `commit` and `abandon` wait for the writes under way.
    public func stage(_ tree: OutputTree) throws {
        mutex.lock()
        let paths: [String]
        do {
            paths = try prepareLocked(tree)
        } catch {
            mutex.unlock()
            throw error
        }
        writing += 1
        mutex.unlock()
        var failure: (any Error)?
        do {
            try writer.writeStagedFiles(paths, of: tree, root: root)
        } catch {
            failure = error
        }
        mutex.lock()
        defer { mutex.unlock() }
        writing -= 1
        mutex.broadcast()
        if case .failed(let error) = state { throw error }
        if let failure {
            fail(failure)
            throw failure
        }
        staged.addPaths(of: tree)
    }

    /// Stages what `tree` holds that is not staged yet (a path staged already keeps its staged
    /// bytes) and claims its policies, then commits the whole tree; throws `OutputError`, and
    /// after any failure OUT holds the previous tree (or, failing after the commit point, the
    /// next run completes the new one, as `OutputWriter.write` says).
    public func commit(_ tree: OutputTree = OutputTree()) throws -> OutputWriter.Outcome {
        try mutex.withLock {
            waitForWrites()
            try stageLocked(tree.excluding(staged))
            guard case .open(let token, _) = state else { throw OutputError(operation: "write", path: root, reason: "the write was abandoned") }
            do {
                let plan = try writer.makePlan(staged, root: root)
                try writer.preflight(plan, root: root)
                try writer.stage(plan, root: root, skipping: staged.texts, made: &made, lock: token)
                // Only once everything is staged and synced does anything outside the staging folder change.
                try writer.removeStaleTemporaries(staged, root: root)
                // The commit point.
                try writer.attempt("write", root) {
                    try writer.fileSystem.rename(join(root, OutputWriter.stagingName), join(root, OutputWriter.committedName))
                }
                state = .finished
                defer { writer.fileSystem.unlock(token) }
                do {
                    try writer.rollForward(root)
                } catch {
                    do { try writer.rollForward(root) } catch var second as OutputError {
                        second.note =
                            "the new files are committed in \(join(root, OutputWriter.committedName)); the next palisade run on \(root) puts them in place"
                        throw second
                    }
                }
                return OutputWriter.Outcome(removed: plan.removals.filter { !OutputWriter.isManifest($0) })
            } catch {
                if case .finished = state { throw error }
                fail(error)
                throw error
            }
        }
    }

    /// Removes what was staged and releases OUT, which keeps its previous tree; nothing to do
    /// when nothing was staged.
    public func abandon() {
        mutex.withLock {
            waitForWrites()
            if case .open = state { fail(OutputError(operation: "write", path: root, reason: "the write was abandoned")) }
        }
    }

    // MARK: private

    /// Waits, under the lock, until no `stage` call is writing files outside it.
    private func waitForWrites() {
        while writing > 0 { mutex.wait() }
    }

    /// `stage` for `commit`, which holds the lock throughout.
    private func stageLocked(_ tree: OutputTree) throws {
        let paths = try prepareLocked(tree)
        do {
            try writer.writeStagedFiles(paths, of: tree, root: root)
        } catch {
            fail(error)
            throw error
        }
        staged.addPaths(of: tree)
    }

    /// Checks the state and `tree`, opens the staging on the first call, and makes the folders
    /// of `tree`'s files; returns their paths, to write. Under the lock.
    private func prepareLocked(_ tree: OutputTree) throws -> [String] {
        switch state {
        case .failed(let error): throw error
        case .finished: throw OutputError(operation: "write", path: root, reason: "the tree is committed already")
        case .idle, .open: break
        }
        do {
            // A path outside OUT is refused before OUT is created or locked.
            guard !root.isEmpty else { throw OutputError.emptyRoot }
            try writer.validate(tree, root: root)
            if case .idle = state { try open() }
            let paths = tree.paths
            for path in paths { try writer.makeStagingFolders(above: path, root: root, made: &made) }
            return paths
        } catch {
            fail(error)
            throw error
        }
    }

    /// Step 1 and 2 of the scheme, then the staging folder; undoes what it did when it fails.
    private func open() throws {
        let created = try writer.makeRoot(root)
        let token: Int32
        do {
            token = try writer.attempt("open", root) { try writer.fileSystem.lock(root) }
        } catch {
            writer.removeCreated(created)
            throw error
        }
        do {
            try writer.recoverLocked(root)
            try writer.attempt("write", root) { try writer.fileSystem.makeDirectory(join(root, OutputWriter.stagingName)) }
        } catch {
            writer.fileSystem.unlock(token)
            writer.removeCreated(created)
            throw error
        }
        state = .open(token: token, created: created)
    }

    /// When open: removes the staging folder, releases OUT and removes the folders made for it.
    /// Later calls throw `error`.
    private func fail(_ error: any Error) {
        // Failed first, so that a `stage` whose writes are under way reports the failure too.
        let previous = state
        state = .failed(error)
        waitForWrites()
        if case .open(let token, let created) = previous {
            try? writer.removeTree(join(root, OutputWriter.stagingName))
            writer.fileSystem.unlock(token)
            writer.removeCreated(created)
        }
        staged = OutputTree()
        made = []
    }
}

extension OutputWriter {
    /// A write whose files are staged as they come (`OutputStaging`); nothing happens under
    /// `root` until the first `stage` or the `commit`.
    public func staging(_ root: String) -> OutputStaging { OutputStaging(writer: self, root: root) }
}
