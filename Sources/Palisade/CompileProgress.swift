import Foundation
import IR

/// Per-target progress of a long compile, as one status line on standard error that is
/// rewritten in place and cleared at the end: `palisade: shop: 4 of 6 targets (aws, azure
/// left), 2.4 s`. It says nothing until the compile has run for `threshold` (about a second),
/// and nothing at all unless `enabled`: the command line enables it only when standard error
/// is a terminal and `--quiet` is not given (`standardError(quiet:)`). The pipeline feeds it
/// events; `tick()` (a timer, on a terminal) refreshes the elapsed time between them. The
/// clock and the writer are injected, so the tests drive it without waiting.
public final class CompileProgress: @unchecked Sendable {
    /// What the compile is doing.
    enum Phase: Equatable {
        case starting
        /// Reading and checking a spec (the front end).
        case checking(spec: String)
        /// Emitting a policy's targets; `done` in the order they finished.
        case targets(policy: String, all: [TargetName], done: [TargetName])
        /// Gathering each target's counted gaps. The expectations are checked on the target's
        /// worker as soon as it is emitted, so a target is done (`targets`) once they are.
        case fidelity(policy: String)
        case writing(files: Int)
        case finished
    }

    public let enabled: Bool
    public let threshold: Duration
    private let now: @Sendable () -> Duration
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var started: Duration
    private var phase = Phase.starting
    /// The status line on screen, or nil when none is.
    private var shown: String?
    private var timer: DispatchSourceTimer?

    /// `now` is any monotonic clock (a test's counter); `write` gets each piece of output.
    public init(
        enabled: Bool, threshold: Duration = .seconds(1), now: @escaping @Sendable () -> Duration,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.enabled = enabled
        self.threshold = threshold
        self.now = now
        self.write = write
        started = now()
    }

    /// Progress on standard error when it is a terminal (`isTerminal`, asked of the system
    /// unless given) and `quiet` is false; else silent.
    public static func standardError(quiet: Bool, isTerminal: Bool = isatty(2) == 1) -> CompileProgress {
        let clock = ContinuousClock()
        let origin = clock.now
        return CompileProgress(enabled: !quiet && isTerminal, now: { clock.now - origin }, write: { StandardStreams.writeError($0) })
    }

    /// A progress that never prints (the default of the library's entry points).
    public static var silent: CompileProgress { CompileProgress(enabled: false, now: { .zero }, write: { _ in }) }

    // MARK: events

    func checking(spec: String) { update(.checking(spec: spec)) }

    func emitting(policy: String, targets: [TargetName]) { update(.targets(policy: policy, all: targets, done: [])) }

    func emitted(_ target: TargetName) {
        lock.lock()
        if case .targets(let policy, let all, let done) = phase { phase = .targets(policy: policy, all: all, done: done + [target]) }
        lock.unlock()
        render()
    }

    func checkingFidelity(policy: String) { update(.fidelity(policy: policy)) }

    func writing(files: Int) { update(.writing(files: files)) }

    /// The compile is over: the status line, if one is shown, is cleared, and the timer stops.
    func finish() {
        lock.lock()
        phase = .finished
        timer?.cancel()
        timer = nil
        let clear = shown != nil
        shown = nil
        lock.unlock()
        if clear { write("\r\u{1B}[K") }
    }

    /// Refreshes the line (the elapsed time) when the compile has run long enough.
    public func tick() { render() }

    /// Refreshes the line several times a second until `finish()`, when enabled.
    func startTicking() {
        guard enabled else { return }
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        source.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        source.setEventHandler { [weak self] in self?.tick() }
        lock.lock()
        timer = source
        lock.unlock()
        source.resume()
    }

    private func update(_ next: Phase) {
        lock.lock()
        phase = next
        lock.unlock()
        render()
    }

    private func render() {
        guard enabled else { return }
        lock.lock()
        let elapsed = now() - started
        guard elapsed >= threshold, let text = Self.line(phase, elapsed: elapsed), text != shown else {
            lock.unlock()
            return
        }
        shown = text
        // Written under the lock, so two workers' lines never interleave.
        write("\r\u{1B}[K" + text)
        lock.unlock()
    }

    /// The status line of a phase, or nil when there is nothing to say.
    static func line(_ phase: Phase, elapsed: Duration) -> String? {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let time = "\((seconds * 10).rounded(.down) / 10) s"
        switch phase {
        case .starting, .finished:
            return nil
        case .checking(let spec):
            return "palisade: checking \(spec), \(time)"
        case .targets(let policy, let all, let done):
            let left = all.filter { !done.contains($0) }.map(\.rawValue)
            let rest = left.isEmpty ? "" : " (\(left.joined(separator: ", ")) left)"
            return "palisade: \(policy): \(done.count) of \(all.count) targets\(rest), \(time)"
        case .fidelity(let policy):
            return "palisade: \(policy): checking fidelity, \(time)"
        case .writing(let files):
            return "palisade: writing \(files) files, \(time)"
        }
    }
}
