import Analysis
import Foundation

/// A `--fail-on` list: comma-separated kinds (`widened,expectation`), or `none`.
public struct GateList<Kind: RawRepresentable & CaseIterable & Hashable & Sendable>: Sendable, Hashable where Kind.RawValue == String {
    public var kinds: Set<Kind>

    public init(_ kinds: Set<Kind>) { self.kinds = kinds }

    /// The kinds named, spaces around them ignored; `none` for the empty set; nil for an
    /// unknown kind or an empty list.
    public init?(argument: String) {
        if argument == "none" {
            kinds = []
            return
        }
        var result: Set<Kind> = []
        for word in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let name = word.trimmingCharacters(in: .whitespaces)
            guard let kind = Kind(rawValue: name) else { return nil }
            result.insert(kind)
        }
        kinds = result
    }

    /// Every kind's name, in order: for help and shell completion.
    public static var names: [String] { Kind.allCases.map(\.rawValue) }
}

/// `compile --fail-on` and `compare --fail-on`.
public typealias GapGates = GateList<GapGate>
/// `diff --fail-on`.
public typealias ChangeGates = GateList<SpecDiff.Kind>
