import Backends
import Diagnostics
import Foundation
import IR

/// Target options given on the command line: `--set TARGET.OPTION=VALUE`, repeatable, the one
/// form for every target and option (`--set aws.format=terraform`, `--set swarm.output=overlay`,
/// `--set azure.gaps=narrow`). A setting replaces the spec's value of that option, or adds it.
public struct OptionSetting: Sendable, Hashable {
    public var target: TargetName
    public var option: String
    public var value: OptionValue
    /// The argument as given, for messages.
    public var argument: String

    /// Reads `TARGET.OPTION=VALUE`: `true` and `false` are booleans, whole numbers integers,
    /// anything else a string. Nil for any other shape or an unknown target.
    public init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), let dot = argument[..<equals].firstIndex(of: ".") else { return nil }
        guard let target = TargetName(rawValue: String(argument[..<dot])) else { return nil }
        let option = String(argument[argument.index(after: dot)..<equals])
        let text = String(argument[argument.index(after: equals)...])
        guard !option.isEmpty, option.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !text.isEmpty else { return nil }
        self.target = target
        self.option = option
        self.argument = argument
        if text == "true" || text == "false" {
            value = .boolean(text == "true")
        } else if let number = Int(text) {
            value = .integer(number)
        } else {
            value = .string(text)
        }
    }

    /// Where a setting's diagnostics point: the command line, not a spec file.
    var range: SourceRange { .wholeFile("--set \(argument)") }

    /// A diagnostic a backend located at a setting, said of the argument instead (a command
    /// line has no line and column): `--set swarm.publish_mod=host: unknown option …`.
    static func relocated(_ diagnostic: Diagnostic) -> Diagnostic {
        guard let file = diagnostic.range?.file, file.hasPrefix("--set ") else { return diagnostic }
        var diagnostic = diagnostic
        diagnostic.message = "\(file): \(diagnostic.message)"
        diagnostic.range = nil
        return diagnostic
    }

    /// What `--help` says of the form.
    public static let help = "TARGET.OPTION=VALUE"
}

extension Policy {
    /// `applying`, then each setting checked by its target's backend as the spec's options are
    /// (whether or not the command compiles that target): the policy, or the errors.
    func setting(_ settings: [OptionSetting]) -> (policy: Policy, diagnostics: [Diagnostic]) {
        var (policy, diagnostics) = applying(settings)
        for target in Set(settings.map(\.target)).sorted() {
            guard let backend = BackendRegistry.backend(for: target), let options = policy.options(for: target) else { continue }
            diagnostics += backend.validate(options).filter { $0.range?.file.hasPrefix("--set ") == true }.map(OptionSetting.relocated)
        }
        return (policy, diagnostics)
    }

    /// The policy with `settings` applied to its targets' options, in order (a later setting of
    /// the same option wins). `gaps` sets the gap policy; a bad `gaps` value is returned as an
    /// error, other options are left to their backend.
    func applying(_ settings: [OptionSetting]) -> (policy: Policy, diagnostics: [Diagnostic]) {
        guard !settings.isEmpty else { return (self, []) }
        var policy = self
        var diagnostics: [Diagnostic] = []
        for setting in settings {
            var options =
                policy.options(for: setting.target) ?? TargetOptions(target: setting.target, gaps: .widen, options: [], origin: setting.range)
            if setting.option == "gaps" {
                guard case .string(let word) = setting.value, let gaps = GapPolicy(rawValue: word) else {
                    diagnostics.append(
                        .error(
                            .invalidTargetOption, "--set \(setting.argument): gaps is one of \(GapPolicy.allCases.map(\.rawValue).joined(separator: ", "))",
                            at: nil))
                    continue
                }
                options.gaps = gaps
            } else {
                let entry = OptionEntry(key: Located(setting.option, at: setting.range), value: Located(setting.value, at: setting.range))
                if let index = options.options.firstIndex(where: { $0.key.value == setting.option }) {
                    options.options[index] = entry
                } else {
                    options.options.append(entry)
                }
            }
            if let index = policy.targets.firstIndex(where: { $0.target == setting.target }) {
                policy.targets[index] = options
            } else {
                policy.targets.append(options)
            }
        }
        return (policy, diagnostics)
    }
}
