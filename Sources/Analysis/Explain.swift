import Backends
import Diagnostics
import IR
import Spec

/// `palisade explain`: whether a connection is allowed by the intent, and by which flows.
public enum Explain {
    /// The answer to one question.
    public struct Answer: Sendable {
        public enum Verdict: String, Sendable {
            case allowed
            case denied
            case partlyAllowed = "partly allowed"
        }

        public var question: String
        public var verdict: Verdict
        /// Flows that touch the connection: the allows, then the denies.
        public var flows: [(flow: Flow, ports: PortSet)]
        /// Remarks such as "api does not listen on tcp/9001".
        public var notes: [String]
        /// What is allowed when the verdict is partial.
        public var allowedPart: [String]
        /// The answer on each target asked about, from its own files.
        public var targets: [TargetAnswer] = []
    }

    /// Whether a target's files allow the connection, and the generated rules that do.
    public struct TargetAnswer: Sendable {
        public var target: TargetName
        public var verdict: Answer.Verdict?
        public var rules: [String]
        /// Why there is no verdict (the target refuses the spec).
        public var error: String?
    }

    public struct QueryError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Answers `from → to` on `port` (every port when nil) for a compiled policy.
    public static func explain(_ policy: Policy, from: String, to: String, port: String?, targets: [TargetName] = []) throws -> Answer {
        let sources = try endpoints(from, in: policy, source: true)
        let destinations = try endpoints(to, in: policy, source: false)
        if !sources.external.isEmpty, !destinations.external.isEmpty {
            throw QueryError(description: "both '\(from)' and '\(to)' are external: no spec allows such a connection")
        }
        let ports = try port.map { try portSet($0, in: policy) } ?? .all
        let listens = policy.workloads.map(\.listens)
        var notes: [String] = []
        var clippedDestinations = destinations
        for id in destinations.workloads {
            let workload = policy.workloads[id.index]
            if workload.listens.intersection(ports).isEmpty {
                notes.append("'\(workload.name)' does not listen on \(ports) (it listens on \(workload.listens))")
                clippedDestinations.workloads.removeAll { $0 == id }
            }
        }
        let relevant = clippedDestinations.isEmpty ? destinations : clippedDestinations
        func judge(_ relation: Relation) -> Answer.Verdict {
            if clippedDestinations.isEmpty || relation.overlaps(from: sources, to: relevant, ports: ports) == nil { return .denied }
            return coversListened(relation, sources, relevant, ports, listens) ? .allowed : .partlyAllowed
        }
        let verdict = judge(policy.intent)
        var flows: [(Flow, PortSet)] = []
        for flow in policy.flows {
            if let matched = flow.overlap(from: sources, to: destinations, ports: ports, listens: listens) {
                flows.append((flow, matched))
            }
        }
        flows.sort { ($0.0.action == .allow ? 0 : 1, $0.0.index) < ($1.0.action == .allow ? 0 : 1, $1.0.index) }
        if flows.isEmpty { notes.append("no flow names this connection; everything not allowed is denied") }
        var allowedPart: [String] = []
        if verdict == .partlyAllowed {
            allowedPart = describeAllowed(policy, sources, relevant, ports)
        }
        let question = "\(from) -> \(to) on \(ports)"
        var answer = Answer(question: question, verdict: verdict, flows: flows, notes: notes, allowedPart: allowedPart)
        for target in targets {
            guard let backend = BackendRegistry.backend(for: target) else { continue }
            let outcome = Pipeline.emit(policy, with: backend)
            guard let emission = outcome.emission else {
                answer.targets.append(TargetAnswer(target: target, verdict: nil, rules: [], error: outcome.error?.message))
                continue
            }
            do {
                let relation = try backend.read(emission.files, policy: policy).relation
                let onTarget = judge(relation)
                let rules = onTarget == .denied ? [] : try backend.rules(emission.files, policy: policy, from: sources, to: relevant, ports: ports)
                answer.targets.append(TargetAnswer(target: target, verdict: onTarget, rules: rules, error: nil))
            } catch {
                answer.targets.append(TargetAnswer(target: target, verdict: nil, rules: [], error: "its own files do not read back: \(error)"))
            }
        }
        return answer
    }

    /// Whether every tuple is allowed, ports clipped per destination workload.
    private static func coversListened(_ intent: Relation, _ sources: Endpoints, _ destinations: Endpoints, _ ports: PortSet, _ listens: [PortSet]) -> Bool {
        for id in destinations.workloads {
            let clipped = ports.intersection(listens[id.index])
            if intent.covers(from: sources, to: Endpoints(workloads: [id]), ports: clipped) != nil { return false }
        }
        if !destinations.external.isEmpty,
           intent.covers(from: sources, to: Endpoints(external: destinations.external), ports: ports) != nil {
            return false
        }
        return true
    }

    private static func describeAllowed(_ policy: Policy, _ sources: Endpoints, _ destinations: Endpoints, _ ports: PortSet) -> [String] {
        var lines: [String] = []
        let intent = policy.intent
        for destination in destinations.workloads {
            let name = policy.workloads[destination.index].name
            for source in sources.workloads {
                let allowed = intent.ports(from: source, to: destination).intersection(ports)
                if !allowed.isEmpty { lines.append("\(policy.workloads[source.index].name) -> \(name) on \(allowed)") }
            }
            if !sources.external.isEmpty {
                for entry in intent.ingress[destination]?.entries ?? [] {
                    let peers = entry.peers.intersection(sources.external)
                    let common = entry.ports.intersection(ports)
                    if !peers.isEmpty, !common.isEmpty { lines.append("\(peers.summary) -> \(name) on \(common)") }
                }
            }
        }
        if !destinations.external.isEmpty {
            for source in sources.workloads {
                for entry in intent.egress[source]?.entries ?? [] {
                    let peers = entry.peers.intersection(destinations.external)
                    let common = entry.ports.intersection(ports)
                    if !peers.isEmpty, !common.isEmpty {
                        lines.append("\(policy.workloads[source.index].name) -> \(peers.summary) on \(common)")
                    }
                }
            }
        }
        return lines
    }

    /// A reference (`web`, `segment:backend`, `corp`, `any`) or an address (`203.0.113.9`,
    /// `10.0.0.0/8`, `dns:api.example.com`).
    static func endpoints(_ text: String, in policy: Policy, source: Bool) throws -> Endpoints {
        if text == "any" { return Endpoints(external: source ? ExternalSet(addresses: .all) : .any) }
        if text.hasPrefix("dns:") {
            guard !source else { throw QueryError(description: "'\(text)': dns: names are destinations only") }
            return Endpoints(external: ExternalSet(dns: DNSNames([String(text.dropFirst(4))])))
        }
        switch CIDR.parse(text) {
        case .valid(let cidr): return Endpoints(external: ExternalSet(addresses: cidr.addressSet))
        case .hostBitsSet(let network, _):
            throw QueryError(description: "'\(text)' has host bits set; did you mean '\(network)'?")
        case .invalid: break
        }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = parts.count == 2 ? parts[0] : nil
        let name = parts.last ?? text
        if kind == nil || kind == "workload", let workload = policy.workload(named: name) {
            return Endpoints(workloads: [workload.id])
        }
        if kind == nil || kind == "segment", let segment = policy.segments.first(where: { $0.name == name }), kind != nil || !segment.implied {
            return Endpoints(workloads: segment.workloads)
        }
        if kind == nil || kind == "network", let network = policy.networks.first(where: { $0.name == name }) {
            return Endpoints(external: source ? ExternalSet(addresses: network.members.addresses) : network.members)
        }
        let candidates = policy.workloads.map(\.name) + policy.segments.map(\.name) + policy.networks.map(\.name)
        let hint = didYouMean(name, in: candidates).map { "; \($0)" } ?? ""
        throw QueryError(description: "'\(text)' is not a workload, segment, network or address of policy '\(policy.name)'\(hint)")
    }

    /// `tcp/443`, `tcp/8000-8100`, `udp`, `icmp`, `all`, or a port set name.
    static func portSet(_ text: String, in policy: Policy) throws -> PortSet {
        if text == "all" { return .all }
        if let proto = TransportProtocol(name: text) { return .whole(proto) }
        if let named = policy.portSets.first(where: { $0.name == text }) { return named.ports }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2, let proto = TransportProtocol(name: parts[0]), proto.hasPorts {
            let bounds = parts[1].split(separator: "-", maxSplits: 1).map { Int($0) }
            if let low = bounds.first ?? nil, let high = bounds.last ?? nil, (1...65535).contains(low), (1...65535).contains(high), low <= high {
                return PortSet(PortRange(proto, low, high))
            }
        }
        throw QueryError(description: "'\(text)' is not a port entry (tcp/443, udp/53, tcp/8000-8100, icmp, all, or a port set name)")
    }

    /// The answer as text, one fact a line.
    public static func render(_ answer: Answer) -> String {
        var out = "\(answer.question): \(answer.verdict.rawValue)\n"
        for line in answer.allowedPart { out += "  allowed: \(line)\n" }
        for (flow, ports) in answer.flows {
            let verb = flow.action == .allow ? "allowed by" : "denied by"
            var line = "  \(verb) \(flow.label) at \(flow.origin) on \(ports)"
            if let description = flow.description { line += " (\(description))" }
            out += line + "\n"
        }
        for note in answer.notes { out += "  note: \(note)\n" }
        for target in answer.targets {
            guard let verdict = target.verdict else {
                out += "on \(target.target.rawValue): cannot compile: \(target.error ?? "")\n"
                continue
            }
            let differs = verdict != answer.verdict ? " (the intent: \(answer.verdict.rawValue))" : ""
            out += "on \(target.target.rawValue): \(verdict.rawValue)\(differs)\n"
            for rule in target.rules { out += "  by \(rule)\n" }
        }
        return out
    }
}
