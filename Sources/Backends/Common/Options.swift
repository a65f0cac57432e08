import Diagnostics
import IR

/// Reads a backend's options from a target's option bag, reporting unknown options and
/// wrong values at their place in the spec.
public struct OptionReader {
    public let target: TargetName
    public let specs: [OptionSpec]
    public private(set) var diagnostics: [Diagnostic] = []
    private let options: TargetOptions

    public init(_ options: TargetOptions, specs: [OptionSpec]) {
        self.options = options
        self.target = options.target
        self.specs = specs
        for entry in options.options where !specs.contains(where: { $0.name == entry.key.value }) {
            diagnostics.append(
                .error(
                    .invalidTargetOption, "unknown option '\(entry.key.value)' for target \(target.rawValue)", at: entry.key.range,
                    help: didYouMean(entry.key.value, in: specs.map(\.name))
                        ?? "\(target.rawValue) options: \(specs.map(\.name).joined(separator: ", ")), gaps"))
        }
    }

    public mutating func boolean(_ name: String, default value: Bool) -> Bool {
        guard let entry = options.option(name) else { return value }
        guard case .boolean(let flag) = entry.value.value else {
            diagnostics.append(.error(.invalidTargetOption, "option '\(name)' of target \(target.rawValue) is true or false", at: entry.value.range))
            return value
        }
        return flag
    }

    public mutating func choice(_ name: String, _ allowed: [String], default value: String) -> String {
        guard let entry = options.option(name) else { return value }
        guard case .string(let word) = entry.value.value, allowed.contains(word) else {
            let shown: String
            if case .string(let word) = entry.value.value { shown = "'\(word)'" } else { shown = "that value" }
            var help = "expected one of: \(allowed.joined(separator: ", "))"
            if case .string(let word) = entry.value.value, let close = didYouMean(word, in: allowed) { help = close }
            diagnostics.append(
                .error(
                    .invalidTargetOption, "option '\(name)' of target \(target.rawValue) cannot be \(shown)", at: entry.value.range, help: help))
            return value
        }
        return word
    }

    /// A choice among an enumeration's cases, by raw value, offered in declaration order.
    public mutating func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, default value: Choice) -> Choice
    where Choice.RawValue == String {
        let word = choice(name, Choice.allCases.map(\.rawValue), default: value.rawValue)
        return Choice(rawValue: word) ?? value
    }

    public mutating func string(_ name: String, default value: String?, valid: (String) -> String? = { _ in nil }) -> String? {
        guard let entry = options.option(name) else { return value }
        guard case .string(let text) = entry.value.value else {
            diagnostics.append(.error(.invalidTargetOption, "option '\(name)' of target \(target.rawValue) is a string", at: entry.value.range))
            return value
        }
        if let problem = valid(text) {
            diagnostics.append(.error(.invalidTargetOption, "option '\(name)' of target \(target.rawValue): \(problem)", at: entry.value.range))
            return value
        }
        return text
    }

    /// A located error found by the backend's own reading of an option (`nftables.addresses`).
    public mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// An integer within `bounds`.
    public mutating func integer(_ name: String, in bounds: ClosedRange<Int>, default value: Int) -> Int {
        guard let entry = options.option(name) else { return value }
        guard case .integer(let number) = entry.value.value, bounds.contains(number) else {
            diagnostics.append(
                .error(
                    .invalidTargetOption, "option '\(name)' of target \(target.rawValue) is an integer from \(bounds.lowerBound) to \(bounds.upperBound)",
                    at: entry.value.range))
            return value
        }
        return number
    }
}
