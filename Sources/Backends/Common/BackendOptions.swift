import Diagnostics
import IR

/// A backend's options, typed (`AWSOptions`, `SwarmOptions`, …): parsed once from the spec's
/// `targets:` entry, then the only way the plan and the emitter see them.
public protocol BackendOptions: Sendable {
    /// The options the backend accepts (besides `gaps`, which every target takes).
    static var specs: [OptionSpec] { get }

    /// Reads `options` through `reader`, which reports unknown options and bad values at
    /// their place in the spec; a missing or bad value leaves the default.
    init(_ options: TargetOptions, reading reader: inout OptionReader)

    /// What to do with a connection the platform cannot express exactly.
    var gaps: GapPolicy { get }
}

extension BackendOptions {
    /// The typed options, and the located errors for unknown options and bad values.
    public static func parse(_ options: TargetOptions) -> (options: Self, diagnostics: [Diagnostic]) {
        var reader = OptionReader(options, specs: specs)
        let parsed = Self(options, reading: &reader)
        return (parsed, reader.diagnostics)
    }

    /// The options a policy gives `target`, or the defaults when it gives none: for what
    /// reads files back, which has the policy but not the options `emit` was called with.
    static func of(_ policy: Policy, target: TargetName) -> Self {
        parse(policy.options(for: target) ?? TargetOptions(target: target, gaps: .widen, options: [], origin: policy.origin)).options
    }
}

/// The requirements every backend meets through its typed options: the option list, option
/// validation, and `emit` from the spec's raw options, which parses them once.
extension Backend {
    public var options: [OptionSpec] { Options.specs }

    public func validate(_ options: TargetOptions) -> [Diagnostic] { Options.parse(options).diagnostics }

    public func emit(_ policy: Policy, options: TargetOptions) throws -> Emission {
        try emit(policy, with: Options.parse(options).options)
    }

    /// The options the policy gives this backend's target (defaults when none).
    func options(of policy: Policy) -> Options { Options.of(policy, target: target) }
}
