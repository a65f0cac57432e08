import Diagnostics
import IR
import YAML

/// A target platform: compiles the IR into the platform's native files, and reads those
/// files back into the relation and controls they really enforce. A backend is one folder
/// under `Backends/` plus one line in `BackendRegistry.all`.
public protocol Backend: Sendable {
    /// The backend's options, typed: `validate(_:)` and `emit(_:options:)` parse the spec's raw
    /// options into it once (`BackendOptions.swift`), and `emit(_:with:)` works from it alone.
    associatedtype Options: BackendOptions
    /// The target this backend compiles to.
    var target: TargetName { get }
    /// What the platform can enforce, for `palisade targets` and fidelity reports.
    var capabilities: [Capability: Support] { get }
    /// The options the backend accepts (besides `gaps`, which every target takes).
    var options: [OptionSpec] { get }
    /// Located errors for bad option values; called before `emit`.
    func validate(_ options: TargetOptions) -> [Diagnostic]
    /// Located errors for a policy the platform cannot take (names too long, limits); called
    /// before `emit`.
    func validate(_ policy: Policy) -> [Diagnostic]
    /// The files for one policy, relative to `OUT/TARGET/POLICY/`, and the gaps the
    /// platform leaves.
    func emit(_ policy: Policy, options: TargetOptions) throws -> Emission
    /// The same, from options already parsed.
    func emit(_ policy: Policy, with options: Options) throws -> Emission
    /// What the files enforce, computed from the files alone.
    func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack
    /// The generated objects and rules that let `from` reach `to` on some of `ports`, named
    /// as in the files (`NetworkPolicy shop-app/api-ingress: ingress rule 1 allows …`), for
    /// `palisade explain`.
    func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String]
}

extension Backend {
    public func validate(_ policy: Policy) -> [Diagnostic] { [] }
}

/// One option a backend accepts: its name, a one-line summary, and its default.
public struct OptionSpec: Sendable, Hashable {
    /// What an option's value is, for `palisade schema` and the docs.
    public enum Kind: Sendable, Hashable {
        case string
        case boolean
        /// One of these words.
        case choice([String])
        /// An integer within these bounds.
        case integer(ClosedRange<Int>)
        /// A map from workload names to lists of addresses and CIDRs.
        case addressMap
    }

    public var name: String
    public var summary: String
    public var defaultValue: String?
    public var kind: Kind

    public init(name: String, summary: String, defaultValue: String? = nil, kind: Kind = .string) {
        self.name = name
        self.summary = summary
        self.defaultValue = defaultValue
        self.kind = kind
    }
}

extension OptionSpec {
    /// An option whose values are an enumeration's cases, by raw value, in declaration order.
    public static func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, summary: String, default value: Choice) -> OptionSpec
    where Choice.RawValue == String {
        OptionSpec(name: name, summary: summary, defaultValue: value.rawValue, kind: .choice(Choice.allCases.map(\.rawValue)))
    }
}

/// A generated file: its path relative to the policy's output folder, and its content.
public struct OutputFile: Sendable, Hashable {
    public var path: String
    /// The content as it was written: a large file stays in the chunks its writer filled, and
    /// goes to disk from them (`ChunkedText`).
    public var text: ChunkedText

    /// The content as one string, joined when asked (a copy, for a file written in chunks).
    public var contents: String {
        get { text.string }
        set { text = ChunkedText(newValue) }
    }

    public init(path: String, contents: String) {
        self.path = path
        text = ChunkedText(contents)
    }

    public init(path: String, text: ChunkedText) {
        self.path = path
        self.text = text
    }
}

/// A spec a backend cannot compile (a platform limit it exceeds), as a located diagnostic.
public struct BackendError: Error, Sendable {
    public var diagnostic: Diagnostic

    public init(_ diagnostic: Diagnostic) { self.diagnostic = diagnostic }
}

/// What `emit` produces: the files, the gaps in words, and the connection gaps exactly.
public struct Emission: Sendable {
    public var files: [OutputFile]
    public var gaps: [Gap]
    /// Connections the files allow beyond the intent, pair by pair (`widenedProducts` expanded).
    public var widened: Relation {
        get { widenedProducts.expanded }
        set { widenedProducts = ProductRelation(newValue) }
    }
    /// Connections the files allow beyond the intent, as the backend computed them: products
    /// (`sources × destinations × ports`) where many workloads widen alike, never listed pair by pair.
    public var widenedProducts: ProductRelation
    /// Connections of the intent the files do not allow.
    public var narrowed: Relation

    public init(files: [OutputFile], gaps: [Gap] = [], widened: Relation = Relation(), narrowed: Relation = Relation()) {
        self.files = files
        self.gaps = gaps
        self.widenedProducts = ProductRelation(widened)
        self.narrowed = narrowed
    }

    /// With what the files allow beyond the intent in product form.
    public init(files: [OutputFile], gaps: [Gap], widened: ProductRelation, narrowed: Relation) {
        self.files = files
        self.gaps = gaps
        self.widenedProducts = widened
        self.narrowed = narrowed
    }
}

/// What `read` computes from a backend's own files.
public struct ReadBack: Sendable {
    /// The connections the files allow.
    public var relation: Relation
    /// The runtime controls enforced per workload, as far as the platform applies them.
    public var runtime: [WorkloadID: RuntimeProfile]
    /// The actions each identity holds per segment.
    public var grants: [String: [SegmentID: Set<Action>]]

    public init(relation: Relation, runtime: [WorkloadID: RuntimeProfile] = [:], grants: [String: [SegmentID: Set<Action>]] = [:]) {
        self.relation = relation
        self.runtime = runtime
        self.grants = grants
    }
}
