import Analysis
import Backends
import IR
import Reports
import Spec
import YAML

/// `palisade compile SPEC… [--target T,…] [--out DIR] [--strict] [--check] [--gaps] [--all-gaps]`.
public struct CompileRequest: Sendable {
    public var specs: [String]
    /// nil: every target.
    public var targets: TargetList?
    public var out: String
    /// Every fidelity gap is an error (as `fidelity: strict` in a spec).
    public var strict: Bool
    /// The kinds of gap that fail the compile; nil: `GapGate.defaults` (failed expectations).
    public var failOn: GapGates?
    /// Write nothing; fail when the files under `out` differ from what would be written.
    public var check: Bool
    /// With `check`: print the `drift: KIND PATH` lines only (and diagnostics), without the diffs
    /// or the summaries of the policies and targets.
    public var quiet: Bool
    /// Print the gaps, not only their counts: one by one, but one line per control for the
    /// controls a target does not cover at all (outside its scope).
    public var gaps: Bool
    /// Print every gap one by one, those outside a target's scope too (implies `gaps`).
    public var allGaps: Bool
    /// Print the IR as JSON on standard output.
    public var dumpIR: Bool
    /// Print how long each pass and each target took.
    public var timePasses: Bool
    /// Print, per policy and target, the relation the backend's reader computes from the files
    /// (for the conformance checks that compare it with the platforms' tools).
    public var dumpRead: Bool
    /// Compile nothing: time libyaml's event parser alone over each spec file (the floor the
    /// front end is measured against) and print `time: parse-floor: …`.
    public var parseFloor: Bool = false
    /// The application's own files for the one target (`--apply-to FILE|DIR`): written back
    /// hardened instead of Palisade's complete files.
    public var applyTo: String?
    /// Target options from the command line (`--set TARGET.OPTION=VALUE`).
    public var settings: [OptionSetting] = []

    public init(
        specs: [String], targets: TargetList? = nil, out: String = "out", strict: Bool = false, failOn: GapGates? = nil, check: Bool = false,
        gaps: Bool = false, allGaps: Bool = false, dumpIR: Bool = false, timePasses: Bool = false, dumpRead: Bool = false,
        quiet: Bool = false
    ) {
        self.quiet = quiet
        self.failOn = failOn
        self.specs = specs
        self.targets = targets
        self.out = out
        self.strict = strict
        self.check = check
        self.gaps = gaps
        self.allGaps = allGaps
        self.dumpIR = dumpIR
        self.timePasses = timePasses
        self.dumpRead = dumpRead
    }
}

extension CompileRequest {
    /// The kinds of gap that fail a policy: every kind under `--strict` or the spec's
    /// `fidelity: strict`, else those of `--fail-on`, else the defaults.
    func gates(strictPolicy: Bool) -> Set<GapGate> {
        strict || strictPolicy ? GapGate.strict : failOn?.kinds ?? GapGate.defaults
    }
}

extension Commands {
    /// Checks every spec, compiles it for every target asked, reports fidelity, and writes the
    /// files under `OUT/TARGET/POLICY/`, removing those of the compiled policies a target's
    /// manifest lists and the compile no longer writes (or, with `check`, reports each path that
    /// is changed, missing or stale, with a diff of each changed file; with `quiet`, only those
    /// lines and the diagnostics).
    /// Exit 2: an unreadable spec, an empty `--out`, or an output folder that cannot be written
    /// or read (the path, the operation and the system's reason); 1: errors, a gap of a kind the
    /// gates name (failed expectations by default), or drift. The tree under `out` is replaced
    /// atomically as a whole (`OutputWriter`), and "wrote N files" is printed only once it is in
    /// place. `outputFileSystem` is the seam the tests fail writes through.
    /// `progress` shows what a long compile is doing (`CompileProgress.standardError`).
    public static func compile(
        _ request: CompileRequest, fileSystem: any SpecFileSystem = LocalFileSystem(),
        outputFileSystem: any OutputFileSystem = POSIXOutputFileSystem(), progress: CompileProgress = .silent
    ) -> CommandOutput {
        if let usage = usageProblem(request) { return CommandOutput(stderr: DiagnosticReport.error(usage), exitStatus: .usage) }
        if request.parseFloor { return parseFloor(request, fileSystem: fileSystem) }
        progress.startTicking()
        defer { progress.finish() }
        var output = CommandOutput()
        let targets = request.targets?.targets ?? TargetName.allCases
        var application: ApplicationInput?
        if let path = request.applyTo {
            switch ApplicationInput.read(path, flag: "--apply-to") {
            case .success(let input): application = input
            case .failure(let problem): return CommandOutput(stderr: DiagnosticReport.error(problem.message), exitStatus: .usage)
            }
        }
        // Files are staged as each target is emitted (no compile holds every target's files at
        // once), unless they are compared (`--check`) or read back (`--dump-read`) afterwards.
        // Nothing outside OUT's staging folder changes before the commit in `writeOrCheck`, and
        // a compile that ends before it removes what it staged. OUT is locked from the first
        // target staged, after an interrupted earlier run is finished or undone (`OutputStaging`).
        let timed = request.timePasses ? TimedOutputFileSystem(outputFileSystem, root: outputRoot(request)) : nil
        let writer = OutputWriter(fileSystem: timed ?? outputFileSystem)
        // A check compares each target's files as they come, the same way (`OutputCheck`).
        let staging = request.check || request.dumpRead ? nil : writer.staging(outputRoot(request))
        let checking = request.check && !request.dumpRead ? OutputWriter(fileSystem: outputFileSystem).checking(outputRoot(request)) : nil
        defer {
            staging?.abandon()
            checking?.abandon()
        }
        let result = Pipeline.compile(
            paths: request.specs, targets: targets, fileSystem: fileSystem, progress: progress, settings: request.settings, application: application,
            staging: staging ?? checking, keeping: request.gaps || request.allGaps ? .all : .tripping { request.gates(strictPolicy: $0) })
        output.stderr += DiagnosticReport.text(result.allDiagnostics, sources: result.sources)
        for override in result.overrides { output.stderr += CompileReport.override(override) }
        // The passes are timed whatever the outcome (a refused target too).
        if request.timePasses { output.stderr += timings(result) }
        guard result.allReadable else { return output.exiting(.usage) }
        guard !result.hasErrors else { return output.exiting(.failure) }
        guard diagnose(request, result, targets: targets, into: &output) else { return output.exiting(.usage) }
        for spec in result.specs {
            if let policy = spec.policy { output.stderr += CompileReport.policy(policy) }
        }
        // A gap that trips a gate is an error: like any error, it writes nothing (what was
        // staged is removed by `abandon`).
        guard reportFidelity(request, result, into: &output) else { return output.exiting(.failure) }
        progress.writing(files: result.tree.paths.count)
        return writeOrCheck(request, result, outputFileSystem: outputFileSystem, staging: staging, checking: checking, timed: timed, into: &output)
    }

    /// `--out` as every message names it: `out/` is `out` (`wrote 7 files under out/`, not `out//`).
    static func outputRoot(_ request: CompileRequest) -> String {
        var out = request.out
        while out.count > 1, out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// `--parse-floor`: libyaml's event parser alone over each spec file, timed; exit 2 for a
    /// file that cannot be read, 1 for one libyaml rejects.
    static func parseFloor(_ request: CompileRequest, fileSystem: any SpecFileSystem) -> CommandOutput {
        var output = CommandOutput()
        for path in request.specs {
            let bytes: [UInt8]
            do {
                bytes = try fileSystem.read(path)
            } catch {
                output.stderr += DiagnosticReport.error("\(path): \(error)")
                return output.exiting(.usage)
            }
            let started = ContinuousClock.now
            let events = YAMLParseFloor.events(in: bytes)
            let duration = ContinuousClock.now - started
            guard let events else {
                output.stderr += DiagnosticReport.error("\(path): libyaml cannot parse it")
                return output.exiting(.failure)
            }
            output.stderr += CompileReport.timing("parse-floor", duration)
            output.stderr += "\(path): \(bytes.count) bytes, \(events) libyaml events\n"
        }
        return output
    }

    /// Why the flags cannot go together, or nil.
    static func usageProblem(_ request: CompileRequest) -> String? {
        // An empty name would write into the current folder.
        if request.out.isEmpty { return "--out is empty: name the folder to write to (default: out)" }
        if request.quiet, !request.check { return "--quiet goes with --check (it prints only the drift lines)" }
        if request.quiet, request.gaps || request.allGaps { return "--quiet prints only the drift lines; --gaps asks for every gap: choose one" }
        if request.applyTo != nil {
            if let problem = Pipeline.applicationProblem("--apply-to", targets: request.targets) { return problem }
            if request.specs.count != 1 { return "--apply-to takes one spec: the application's files are hardened for one policy" }
        }
        return nil
    }

    /// `--time-passes`: each front-end pass of each spec, then per target and policy its emit and
    /// its fidelity check (`TARGET/POLICY emit`); the writes are timed once written
    /// (`writeOrCheck`).
    static func timings(_ result: Pipeline.CompileResult) -> String {
        var text = ""
        for spec in result.specs {
            for (pass, duration) in spec.timings { text += CompileReport.timing(pass.rawValue, duration) }
        }
        for (policy, target, duration) in result.emitTimings { text += CompileReport.timing("\(target.rawValue)/\(policy) emit", duration) }
        for (policy, target, duration) in result.fidelityTimings { text += CompileReport.timing("\(target.rawValue)/\(policy) fidelity", duration) }
        return text
    }

    /// `--dump-ir`, `--dump-read` (with `--time-passes`, each reader timed as `read-back`); false
    /// when a target's files do not read back.
    static func diagnose(_ request: CompileRequest, _ result: Pipeline.CompileResult, targets: [TargetName], into output: inout CommandOutput) -> Bool {
        if request.dumpIR {
            for spec in result.specs { if let policy = spec.policy { output.stdout += IRDump.json(policy) } }
        }
        guard request.dumpRead else { return true }
        var readBacks: [IRDump.ReadBack] = []
        // The files were written with the `--set` options: read them with those options too.
        for policy in result.specs.compactMap(\.policy).map({ $0.applying(request.settings).policy }) {
            for target in targets {
                guard let backend = BackendRegistry.backend(for: target) else { continue }
                let files = result.tree.files(under: "\(target.rawValue)/\(policy.name)/")
                guard !files.isEmpty else { continue }
                do {
                    let started = ContinuousClock.now
                    let relation = try backend.read(files, policy: policy).relation
                    if request.timePasses {
                        output.stderr += CompileReport.timing("\(target.rawValue)/\(policy.name) read-back", ContinuousClock.now - started)
                    }
                    readBacks.append(IRDump.ReadBack(policy: policy, target: target, relation: relation))
                } catch {
                    output.stderr += DiagnosticReport.error("\(target.rawValue)/\(policy.name): its own files do not read back: \(error)")
                    return false
                }
            }
        }
        output.stdout += IRDump.json(readBacks)
        return true
    }

    /// Each target's summary line and the gaps asked for (or that fail); false when a gap trips
    /// a gate.
    static func reportFidelity(_ request: CompileRequest, _ result: Pipeline.CompileResult, into output: inout CommandOutput) -> Bool {
        var failed = false
        var countedPerControl = false
        for ((policy, target, gaps), summary) in zip(result.gaps, result.summaries) {
            let gates = request.gates(strictPolicy: result.strictPolicies.contains(policy))
            let tripping = Gap.Kind.allCases.filter { gates.contains(GapGate($0)) }
            let scoped = TargetGaps(target: target, gaps: gaps)
            output.stderr += CompileReport.fidelity(policy: policy, target: target, summary: summary)
            // Gaps of controls the target does not cover at all are one line per control,
            // unless every gap is asked for; a gap that fails the compile is always shown.
            // One pass over the gaps, each looked at in place: an estate has hundreds of
            // thousands, and this runs after every target is done.
            var outsideFails = false
            for index in gaps.indices {
                let fails = tripping.contains(gaps[index].kind)
                if fails { failed = true }
                if !request.allGaps, scoped.isOutside(gaps[index]) {
                    outsideFails = outsideFails || fails
                } else if fails || request.gaps || request.allGaps {
                    output.stderr += CompileReport.gap(gaps[index], isError: fails)
                }
            }
            guard !request.allGaps, request.gaps || outsideFails else { continue }
            let file = result.specs.lazy.compactMap(\.policy).first { $0.name == policy }?.files.first
            for control in scoped.outside {
                let fails = control.gaps.contains { tripping.contains($0.kind) }
                guard fails || request.gaps else { continue }
                output.stderr += CompileReport.outsideScope(control, target: target, file: file, isError: fails)
                countedPerControl = true
            }
        }
        if countedPerControl { output.stderr += CompileReport.outsideScopeNote }
        if !result.targetsWithoutBackend.isEmpty {
            output.stderr += CompileReport.targetsWithoutBackend(result.targetsWithoutBackend)
        }
        return !failed
    }

    /// Writes the tree under `--out`, or with `--check` reports how the files there drifted.
    static func writeOrCheck(
        _ request: CompileRequest, _ result: Pipeline.CompileResult, outputFileSystem: any OutputFileSystem, staging: OutputStaging?,
        checking: OutputCheck?, timed: TimedOutputFileSystem?, into output: inout CommandOutput
    ) -> CommandOutput {
        // Writing and checking both begin by finishing or undoing an interrupted earlier run.
        let writer = OutputWriter(fileSystem: outputFileSystem)
        let out = outputRoot(request)
        // The tree replaces every policy compiled for a target, even one compiled into no file.
        var tree = result.tree
        for (policy, target, _) in result.gaps { tree.claim(target: target.rawValue, policy: policy) }
        if request.check {
            // Quiet: the drift lines only, with the diagnostics (never hidden) but without the
            // summaries printed so far.
            if request.quiet { output.stderr = DiagnosticReport.text(result.allDiagnostics, sources: result.sources) }
            let drift: [OutputDrift]
            do {
                // The files compared while the targets were emitted are in the tree with empty
                // contents: the check keeps what it found for them.
                drift = try checking.map { try $0.finish(tree) } ?? writer.drift(tree, from: out)
            } catch {
                output.stderr += DiagnosticReport.error("\(error)")
                return output.exiting(.usage)
            }
            for entry in drift { output.stderr += CompileReport.drift(entry, out: out, quiet: request.quiet) }
            if !drift.isEmpty { return output.exiting(.failure) }
            if !request.quiet { output.stderr += CompileReport.upToDate(out: out, files: tree.paths.count) }
        } else if !tree.isEmpty {
            let timedWriter = timed.map { OutputWriter(fileSystem: $0) } ?? writer
            let outcome: OutputWriter.Outcome
            let started = ContinuousClock.now
            do {
                // The files staged while the targets were emitted are in the tree with empty
                // contents: the commit keeps their staged bytes.
                outcome = try staging.map { try $0.commit(tree) } ?? timedWriter.write(tree, to: out)
            } catch {
                output.stderr += DiagnosticReport.error("\(error)")
                return output.exiting(.usage)
            }
            let duration = ContinuousClock.now - started
            for path in outcome.removed { output.stderr += CompileReport.removed(out: out, path: path) }
            output.stderr += CompileReport.wrote(files: tree.paths.count, out: out)
            // The whole write, then the file-system time spent in each target's folder (the
            // rest went to encoding, planning and OUT itself).
            if let timed {
                output.stderr += CompileReport.timing("write", duration)
                for (target, spent) in timed.timings.targets { output.stderr += CompileReport.timing("\(target.rawValue) write", spent) }
            }
        }
        return output
    }
}
