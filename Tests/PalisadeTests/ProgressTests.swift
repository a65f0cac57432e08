import Foundation
import Palisade
import TestSupport
import Testing

/// The status line a long compile shows on a terminal, driven by a clock the test advances
/// by hand: nothing unless enabled (a terminal, no `--quiet`), nothing before the threshold,
/// then each phase, and the line cleared at the end. No test waits for real time.
@Suite struct ProgressTests {
    /// A clock that moves `step` further each time it is read, and the text written.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var time = Duration.zero
        private var written: [String] = []
        let step: Duration

        init(step: Duration) { self.step = step }

        func now() -> Duration {
            lock.lock()
            defer { lock.unlock() }
            time += step
            return time
        }

        func write(_ text: String) {
            lock.lock()
            written.append(text)
            lock.unlock()
        }

        var output: String {
            lock.lock()
            defer { lock.unlock() }
            return written.joined()
        }

        func progress(enabled: Bool) -> CompileProgress {
            CompileProgress(enabled: enabled, now: { self.now() }, write: { self.write($0) })
        }
    }

    static let files = InMemoryFileSystem([
        "t.yaml": """
        version: 1
        name: t
        workloads:
          a: {image: nginx:1.25, ports: [tcp/80]}
          b: {image: nginx:1.25, ports: [tcp/80]}
        flows:
          - {from: a, to: b, ports: [tcp/80]}
        """
    ])

    func compile(_ progress: CompileProgress, out: String) -> CommandOutput {
        Commands.compile(CompileRequest(specs: ["t.yaml"], targets: TargetList([.openshift, .swarm]), out: out), fileSystem: Self.files, progress: progress)
    }

    func withFolder(_ body: (String) throws -> Void) rethrows {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-progress-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    @Test func onlyATerminalWithoutQuietShowsProgress() {
        #expect(!CompileProgress.standardError(quiet: false, isTerminal: false).enabled)
        #expect(!CompileProgress.standardError(quiet: true, isTerminal: true).enabled)
        #expect(CompileProgress.standardError(quiet: false, isTerminal: true).enabled)
    }

    @Test func disabledProgressPrintsNothingHoweverLongTheCompile() {
        withFolder { out in
            let recorder = Recorder(step: .seconds(5))
            let output = compile(recorder.progress(enabled: false), out: out)
            #expect(output.exitStatus == .success)
            #expect(recorder.output.isEmpty)
        }
    }

    @Test func aCompileFasterThanTheThresholdPrintsNothing() {
        withFolder { out in
            let recorder = Recorder(step: .milliseconds(1))
            let progress = recorder.progress(enabled: true)
            _ = compile(progress, out: out)
            progress.tick()
            #expect(recorder.output.isEmpty)
        }
    }

    @Test func aLongCompileShowsEachPhaseAndClearsTheLine() {
        withFolder { out in
            let recorder = Recorder(step: .seconds(1))
            let output = compile(recorder.progress(enabled: true), out: out)
            #expect(output.exitStatus == .success)
            let text = recorder.output
            #expect(text.contains("palisade: checking t.yaml, "))
            #expect(text.contains("palisade: t: 0 of 2 targets (openshift, swarm left), "))
            #expect(text.contains(" of 2 targets"))
            #expect(text.contains("palisade: t: 2 of 2 targets, "))
            #expect(text.contains("palisade: t: checking fidelity, "))
            #expect(text.contains("palisade: writing "))
            // Each line replaces the one before; the last write clears it.
            #expect(text.hasPrefix("\r\u{1B}[K"))
            #expect(text.hasSuffix("\r\u{1B}[K"))
            #expect(!text.contains("\n"))
            // The report itself is unchanged.
            #expect(!output.stderr.contains("palisade: checking"))
        }
    }

    @Test func tickRefreshesTheElapsedTimeOnlyPastTheThreshold() {
        let recorder = Recorder(step: .milliseconds(400))
        let progress = recorder.progress(enabled: true)
        // Read once at creation (0.4 s); each tick reads again: 0.4 s, 0.8 s elapsed: silent.
        progress.tick()
        progress.tick()
        #expect(recorder.output.isEmpty)
        // Before any phase there is nothing to say, even late.
        for _ in 0..<5 { progress.tick() }
        #expect(recorder.output.isEmpty)
    }
}
