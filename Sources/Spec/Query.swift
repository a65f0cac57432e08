import Diagnostics
import IR
import YAML

/// Questions about a compiled policy in the spec's own grammar, for `palisade explain`: a
/// reference or an address for each side of a connection, a port entry for its ports.
///
/// The text goes through the front end's parsers (`Decoder.reference`, `addressEntry` and
/// `portEntry`), so a query accepts what a flow or a network entry accepts, with the same
/// messages; names are then looked up in the compiled policy. Unlike a flow, a side may be an
/// address (`203.0.113.9`, `10.0.0.0/8`) or, as a destination, a `dns:` name.
public enum SpecQuery {
    /// Why a query is not understood: the front end's message, and its help when it has one.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var help: String?

        public init(_ message: String, help: String? = nil) {
            self.message = message
            self.help = help
        }

        /// `MESSAGE; HELP`, one line.
        public var description: String { help.map { "\(message); \($0)" } ?? message }
    }

    /// One side of a connection: a reference (`web`, `workload:web`, `segment:backend`,
    /// `network:corp`, `corp`, `any`) or an address (`203.0.113.9`, `10.0.0.0/8`, and as a
    /// destination `dns:api.example.com`). A network as a source stands for its addresses.
    public static func endpoints(_ text: String, in policy: Policy, source: Bool) throws(Problem) -> Endpoints {
        let node = Self.node(text, plain: false)
        var decoder = Decoder()
        if text.hasPrefix("dns:") {
            guard !source else { throw Problem("'\(text)': dns: names are destinations only") }
            guard case .dns(let name)? = decoder.addressEntry(node)?.value else { throw problem(decoder.diagnostics, text: text) }
            return Endpoints(external: ExternalSet(dns: DNSNames([name])))
        }
        switch CIDR.parse(text) {
        case .valid(let cidr): return Endpoints(external: ExternalSet(addresses: cidr.addressSet))
        case .hostBitsSet:
            _ = decoder.addressEntry(node)
            throw problem(decoder.diagnostics, text: text)
        case .invalid: break
        }
        guard let reference = decoder.reference(node, in: "a query")?.value else { throw problem(decoder.diagnostics, text: text) }
        let names = Names(policy)
        switch reference {
        case .any:
            return Endpoints(external: source ? ExternalSet(addresses: .all) : .any)
        case .workload(let name):
            guard let workload = policy.workload(named: name) else { throw names.unknown("workload", name) }
            return Endpoints(workloads: [workload.id])
        case .segment(let name):
            guard let segment = policy.segments.first(where: { $0.name == name }) else { throw names.unknown("segment", name) }
            return Endpoints(workloads: segment.workloads)
        case .network(let name):
            guard let network = policy.networks.first(where: { $0.name == name }) else { throw names.unknown("network", name) }
            return Endpoints(external: source ? ExternalSet(addresses: network.members.addresses) : network.members)
        case .bare(let name):
            if let workload = policy.workload(named: name) { return Endpoints(workloads: [workload.id]) }
            if let segment = policy.segments.first(where: { $0.name == name && !$0.implied }) { return Endpoints(workloads: segment.workloads) }
            if let network = policy.networks.first(where: { $0.name == name }) {
                return Endpoints(external: source ? ExternalSet(addresses: network.members.addresses) : network.members)
            }
            // Written like an address but not one: the network entry's message says why.
            if name.first?.isNumber == true || name.contains(".") || name.contains("/") {
                _ = decoder.addressEntry(node)
                if !decoder.diagnostics.isEmpty { throw problem(decoder.diagnostics, text: text) }
            }
            throw names.unknownBare(name, policy: policy)
        }
    }

    /// The ports of one port entry: `tcp/443`, `tcp/8000-8100`, `udp`, `icmp`, `all`, or the
    /// name of a port set.
    public static func ports(_ text: String, in policy: Policy) throws(Problem) -> PortSet {
        var decoder = Decoder()
        guard let entry = decoder.portEntry(node(text, plain: true))?.value else { throw problem(decoder.diagnostics, text: text) }
        switch entry {
        case .all: return .all
        case .wholeProtocol(let proto): return .whole(proto)
        case .range(let range): return PortSet(range)
        case .name(let name):
            if let set = policy.portSets.first(where: { $0.name == name }) { return set.ports }
            throw Problem(
                "unknown port set '\(name)'",
                help: didYouMean(name, in: policy.portSets.map(\.name))
                    ?? "port entries are PROTO/PORT, PROTO/LOW-HIGH, tcp, udp, sctp, icmp, all, or a port set name")
        }
    }

    /// The query as a one-line YAML scalar. Plain, as a spec writes a port entry (so that `80`
    /// is a number without a protocol), except where plain would read as null.
    static func node(_ text: String, plain: Bool) -> YAMLNode {
        let start = SourcePosition(line: 1, column: 1, offset: 0)
        let end = SourcePosition(line: 1, column: text.count + 1, offset: text.utf8.count)
        var node = YAMLNode(.scalar(text, plain ? .plain : .doubleQuoted), range: SourceRange(file: "query", start: start, end: end))
        if node.isNull { node.content = .scalar(text, .doubleQuoted) }
        return node
    }

    /// The first error the parsers reported.
    static func problem(_ diagnostics: [Diagnostic], text: String) -> Problem {
        guard let first = diagnostics.first(where: { $0.severity == .error }) else { return Problem("'\(text)' is not understood") }
        return Problem(first.message, help: first.help)
    }

    /// The names of a policy's workloads, segments and networks, for messages about the
    /// ones a query gets wrong (worded as the front end words them for flows).
    struct Names {
        var workloads: [String]
        var segments: [String]
        var declaredSegments: [String]
        var networks: [String]

        init(_ policy: Policy) {
            workloads = policy.workloads.map(\.name)
            segments = policy.segments.map(\.name)
            declaredSegments = policy.segments.filter { !$0.implied }.map(\.name)
            networks = policy.networks.map(\.name)
        }

        /// `kind:name` names nothing of that kind: it names another kind, or nothing.
        func unknown(_ kind: String, _ name: String) -> Problem {
            let actual = workloads.contains(name) ? "workload" : segments.contains(name) ? "segment" : networks.contains(name) ? "network" : nil
            if let actual {
                return Problem("'\(name)' is a \(actual), not a \(kind)", help: "write '\(actual):\(name)'")
            }
            let candidates =
                switch kind {
                case "workload": workloads
                case "segment": segments
                default: networks
                }
            return Problem("unknown \(kind) '\(name)'", help: didYouMean(name, in: candidates))
        }

        /// A bare name that is no workload, declared segment or network of the policy.
        func unknownBare(_ name: String, policy: Policy) -> Problem {
            var help = didYouMean(name, in: workloads + declaredSegments + networks)
            if help == nil, segments.contains(name) { help = "the implied segment is referred to as 'segment:\(name)'" }
            return Problem("'\(name)' is not a workload, segment, network or address of policy '\(policy.name)'", help: help)
        }
    }
}
