import Diagnostics
import IR

/// The located syntax tree of one spec file, as decoded from YAML: values are typed and
/// their syntax checked, names are not yet resolved.
struct SpecFile {
    var path: String
    var range: SourceRange
    var version: Located<Int>?
    var name: Located<String>?
    var description: String?
    var includes: [Located<String>] = []
    var networks: [Definition<[Located<AddressEntry>]>] = []
    var ports: [Definition<[Located<PortEntry>]>] = []
    var segments: [Definition<SegmentSyntax>] = []
    var identities: [Definition<IdentitySyntax>] = []
    var roles: [Definition<[Action]>] = []
    var grants: [GrantSyntax] = []
    var secrets: [Definition<SecretSyntax>] = []
    var defaults: RuntimeProfile?
    var workloads: [Definition<WorkloadSyntax>] = []
    var flows: [FlowSyntax] = []
    /// The references of every flow's sides, flow after flow, and the port entries of every
    /// flow: a flow holds its ranges here, not three short arrays of its own (tens of thousands
    /// of flows made as many allocations, and as many to free).
    var flowReferences: [Located<ReferenceSyntax>] = []
    var flowPorts: [Located<PortEntry>] = []
    /// Whether a flow of the file had an error (it was dropped, or lost a reference or a port
    /// entry): the intent is then incomplete, and an expectation that fails on it may only
    /// follow from that error.
    var flowsIncomplete = false
    /// Names defined in the file whose definitions had errors.
    var invalidDefinitions: Set<String> = []
    var imagePolicy: ImagePolicy?
    var expect: [ExpectSyntax] = []
    var targets: [TargetOptions] = []
    var lint: LintConfig?
    var fidelity: Located<String>?
    /// Where each top-level key of the file is, for the include rules.
    var sections: [String: SourceRange] = [:]

    /// The flows of the file, as `Decoder.flows` decoded them.
    mutating func setFlows(_ decoded: Decoder.DecodedFlows) {
        flows = decoded.flows
        flowReferences = decoded.references
        flowPorts = decoded.ports
        flowsIncomplete = decoded.incomplete
    }
}

/// A named definition: the name's range is where diagnostics about it point.
struct Definition<Body> {
    var name: Located<String>
    var body: Body
    var range: SourceRange
}

enum AddressEntry: Hashable, Sendable {
    case cidr(CIDR)
    case dns(String)
    case name(String)
}

enum PortEntry: Hashable, Sendable {
    case range(PortRange)
    case wholeProtocol(TransportProtocol)
    case all
    case name(String)

    /// A port or range written out: an allow that names a workload with it must use a
    /// port the workload lists. `all`, bare protocols and icmp are clipped instead.
    var isExplicit: Bool {
        if case .range = self { return true }
        return false
    }

    /// The hash dictionaries take (lowering resolves each distinct entry once, through one):
    /// the case and its numbers folded into one word and mixed once (`QuickHash`), where the
    /// standard library's hasher was fed each part; a name by its string's own (seeded) hash.
    /// Equal entries fold alike.
    func _rawHashValue(seed: Int) -> Int {
        var word: UInt64
        switch self {
        case .range(let range):
            word = 0
            QuickHash.fold(&word, UInt64(range.proto.rawValue))
            QuickHash.fold(&word, UInt64(truncatingIfNeeded: range.lower))
            QuickHash.fold(&word, UInt64(truncatingIfNeeded: range.upper))
        case .wholeProtocol(let proto):
            word = 1
            QuickHash.fold(&word, UInt64(proto.rawValue))
        case .all: word = 2
        case .name(let name):
            word = 3
            QuickHash.fold(&word, UInt64(truncatingIfNeeded: name.hashValue))
        }
        return QuickHash.mix(word, seed: seed)
    }
}

struct SegmentSyntax {
    var description: String?
    var labels: [Label]
}

struct SecretSyntax {
    var description: String?
}

struct IdentitySyntax {
    var kind: IdentityKind
    var description: String?
}

struct GrantSyntax {
    var identity: Located<String>
    var role: Located<String>
    /// nil means `all`.
    var segments: [Located<String>]?
    var allowService: Bool
    var range: SourceRange
}

struct WorkloadSyntax {
    var segment: Located<String>?
    /// The workload has a key that is a near miss of `segment` (already an error).
    var segmentMisspelled = false
    var image: Located<ImageReference>?
    var identity: Located<String>?
    var replicas: Int
    var ports: [Located<PortEntry>]
    /// False when some port entry did not parse (its errors are reported), so that allows
    /// naming the workload are not also reported as not listened on.
    var portsComplete: Bool
    var secrets: [Located<String>]
    var runtime: RuntimeProfile
    var labels: [Label]
    var description: String?
}

/// A reference on one side of a flow or expectation.
enum ReferenceSyntax: Hashable {
    /// A bare name: a workload, segment or network.
    case bare(String)
    case workload(String)
    case segment(String)
    case network(String)
    case any
}

struct FlowSyntax {
    var name: String?
    var description: String?
    var action: FlowAction
    /// Where the two sides' references are in the file's `flowReferences`.
    var from: Range<Int>
    var to: Range<Int>
    /// Where the port entries are in the file's `flowPorts`.
    var ports: Range<Int>
    var range: SourceRange
}

struct ExpectSyntax {
    var kind: Expectation.Kind
    /// The targets named by `targets:`; nil when the expectation speaks for every target.
    var targets: [TargetName]?
    var from: [Located<ReferenceSyntax>]
    var to: [Located<ReferenceSyntax>]
    var ports: [Located<PortEntry>]
    var range: SourceRange
}
