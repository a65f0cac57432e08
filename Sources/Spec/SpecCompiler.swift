import Diagnostics
import IR
import YAML

/// The front end: a spec file in, the IR (or the diagnostics that prevent it) out, through
/// named passes: include (load and decode every file) → resolve (merge definitions, names,
/// networks, port sets) → lower (IR, intent, checks, expectations).
public enum SpecCompiler {
    public struct Output: Sendable {
        /// The IR, when the spec has no errors.
        public var policy: Policy?
        /// Every diagnostic, in source order.
        public var diagnostics: [Diagnostic]
        /// The text of every file read, for rendering diagnostics.
        public var sources: SourceFiles
        /// False when the top-level file could not be read at all (exit code 2).
        public var readable: Bool
        /// How long each pass took, in order.
        public var timings: [(pass: Pass, duration: Duration)] = []

        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    /// The passes, in order, for `--stop-after` style debugging and timing.
    public enum Pass: String, Sendable, CaseIterable {
        /// Part of `include`: libyaml and node composition, reported on its own.
        case yaml
        case include, resolve, lower
    }

    /// Checks one target's options against what its backend accepts (the front end does not
    /// know the backends: the pipeline gives this).
    public typealias OptionValidator = @Sendable (TargetOptions) -> [Diagnostic]

    /// `validateOptions` checks every target's options the spec gives, whichever targets are
    /// compiled, in the same run as the spec's other errors: a spec with an unknown target and a
    /// bad option of another target reports both.
    public static func compile(
        path: String, fileSystem: any SpecFileSystem = LocalFileSystem(), limits: YAMLLimits = YAMLLimits(),
        stopAfter: Pass = .lower, validateOptions: OptionValidator? = nil
    ) -> Output {
        compile(path: path, fileSystem: fileSystem, limits: limits, stopAfter: stopAfter, validateOptions: validateOptions, flowsPerPart: nil)
    }

    /// `flowsPerPart`: how many flows a part of a file's flows holds at least when they are
    /// decoded and lowered at once on the cores (nil: the decoder's and lower pass's own);
    /// tests set it low to split small specs, or out of reach to compare with one pass.
    static func compile(
        path: String, fileSystem: any SpecFileSystem, limits: YAMLLimits, stopAfter: Pass, validateOptions: OptionValidator?,
        flowsPerPart: Int?
    ) -> Output {
        let clock = ContinuousClock()
        var started = clock.now
        var timings: [(pass: Pass, duration: Duration)] = []
        func lap(_ pass: Pass) {
            let now = clock.now
            timings.append((pass, now - started))
            started = now
        }
        var includes = IncludePass(fileSystem: fileSystem, limits: limits)
        includes.flowsPerPart = flowsPerPart
        let readable = includes.run(topLevel: path)
        lap(.include)
        timings.insert((.yaml, includes.yamlTime), at: 0)
        var bag = DiagnosticBag()
        bag.report(contentsOf: includes.diagnostics)
        if let validateOptions, let top = includes.files.first {
            for options in top.targets { bag.report(contentsOf: validateOptions(options)) }
        }
        guard readable, !includes.files.isEmpty else {
            return Output(policy: nil, diagnostics: bag.sorted, sources: includes.sources, readable: readable)
        }
        guard stopAfter != .include else {
            return Output(policy: nil, diagnostics: bag.sorted, sources: includes.sources, readable: true)
        }
        let resolve = ResolvePass(files: includes.files)
        lap(.resolve)
        guard stopAfter != .resolve else {
            bag.report(contentsOf: resolve.diagnostics)
            return Output(policy: nil, diagnostics: bag.sorted, sources: includes.sources, readable: true)
        }
        var lower = LowerPass(resolve: resolve, files: includes.files)
        if let flowsPerPart { lower.flowsPerPart = flowsPerPart }
        let policy = lower.run(contentHash: contentHash(includes.contents))
        bag.report(contentsOf: lower.diagnostics)
        lap(.lower)
        return Output(
            policy: bag.hasErrors ? nil : policy, diagnostics: bag.sorted, sources: includes.sources, readable: true,
            timings: timings)
    }

    /// FNV-1a over every file's bytes, in load order, as 16 hex digits.
    static func contentHash(_ contents: [[UInt8]]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for file in contents {
            for byte in file {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
