import Foundation
import IR

/// A `--target` list: `openshift,aws`. Every command that takes one parses it here.
public struct TargetList: Sendable, Hashable {
    public var targets: [TargetName]

    public init(_ targets: [TargetName]) { self.targets = targets }

    /// Comma-separated target names, spaces around them ignored, each kept once in the order
    /// given; nil for an unknown name or an empty list.
    public init?(argument: String) {
        var result: [TargetName] = []
        for name in argument.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let target = TargetName(rawValue: name) else { return nil }
            if !result.contains(target) { result.append(target) }
        }
        guard !result.isEmpty else { return nil }
        targets = result
    }

    /// As `init(argument:)`, and `all` for every target (`explain --target`).
    public init?(argumentOrAll argument: String) {
        if argument == "all" {
            self.init(TargetName.allCases)
        } else {
            self.init(argument: argument)
        }
    }

    /// Every target, in order.
    public static let all = TargetList(TargetName.allCases)

    /// Every target's name, in order: for help and shell completion.
    public static var names: [String] { TargetName.allCases.map(\.rawValue) }
}

/// One target named on the command line (`graph --target swarm`).
public struct TargetChoice: Sendable, Hashable {
    public var target: TargetName

    public init(_ target: TargetName) { self.target = target }

    /// A target's exact name; nil for anything else.
    public init?(argument: String) {
        guard let target = TargetName(rawValue: argument) else { return nil }
        self.target = target
    }

    public static var names: [String] { TargetList.names }
}
