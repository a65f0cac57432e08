import Backends
import Diagnostics
import IR

/// `palisade explain`: whether a connection is allowed by the intent, and by which flows.
/// `ExplainReport` (in Reports) renders the answer.
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

    /// A question that cannot be asked: an unknown name, a bad address or port entry.
    public struct QueryError: Error, CustomStringConvertible, Sendable {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// One question, its sides resolved in the policy: `from` and `to` as the user wrote them.
    public struct Question: Sendable {
        public var from: String
        public var to: String
        public var sources: Endpoints
        public var destinations: Endpoints
        /// Every port when the user named none.
        public var ports: PortSet

        public init(from: String, sources: Endpoints, to: String, destinations: Endpoints, ports: PortSet = .all) {
            self.from = from
            self.to = to
            self.sources = sources
            self.destinations = destinations
            self.ports = ports
        }
    }

    /// Refuses a question with external peers on both sides, which no spec can allow.
    public static func checkSides(from: String, sources: Endpoints, to: String, destinations: Endpoints) throws(QueryError) {
        if !sources.external.isEmpty, !destinations.external.isEmpty {
            throw QueryError(description: "both '\(from)' and '\(to)' are external: no spec allows such a connection")
        }
    }

    /// Answers `from → to` on the question's ports for a compiled policy, and on each target
    /// asked about from its own files. The sides and ports come from the front end's grammar
    /// (`SpecQuery` in Spec; the `Palisade` pipeline parses them).
    /// With `application` (`--with`), its target is judged on what the platform deploys of the
    /// application's own files and Palisade's together.
    public static func explain(
        _ policy: Policy, _ question: Question, targets: [TargetName] = [], application: (target: TargetName, files: [ApplicationFile])? = nil
    ) throws(QueryError) -> Answer {
        let (from, to) = (question.from, question.to)
        let (sources, destinations, ports) = (question.sources, question.destinations, question.ports)
        try checkSides(from: from, sources: sources, to: to, destinations: destinations)
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
        let noneListens = clippedDestinations.isEmpty
        let judge: @Sendable (Relation) -> Answer.Verdict = { relation in
            if noneListens || relation.overlaps(from: sources, to: relevant, ports: ports) == nil { return .denied }
            return coversListened(relation, sources, relevant, ports, listens) ? .allowed : .partlyAllowed
        }
        let judgeDeployed: @Sendable (Relation) -> Answer.Verdict = { relation in
            if relation.overlaps(from: sources, to: destinations, ports: ports) == nil { return .denied }
            let everyPort = [PortSet](repeating: .all, count: listens.count)
            return coversListened(relation, sources, destinations, ports, everyPort) ? .allowed : .partlyAllowed
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
        // Targets are independent: emitted and read back concurrently, answered in order.
        let backends = targets.compactMap(BackendRegistry.backend(for:))
        answer.targets = TargetEmitter.concurrently(backends.map(\.target)) { index in
            let backend = backends[index]
            let target = backend.target
            let outcome = TargetEmitter.emit(policy, with: backend)
            guard let emission = outcome.emission else {
                return TargetAnswer(target: target, verdict: nil, rules: [], error: outcome.error?.message)
            }
            do {
                let files = application?.target == target ? application?.files : nil
                let (relation, applicationGaps) = try TargetEmitter.read(policy, with: backend, emission: emission, application: files)
                // The application's own files may listen where the spec does not (a debug port):
                // its deployment is judged on every port asked, not only those the spec listens on.
                let onTarget = files == nil ? judge(relation) : judgeDeployed(relation)
                var rules = onTarget == .denied ? [] : try backend.rules(emission.files, policy: policy, from: sources, to: relevant, ports: ports)
                // What the application's own files open on this connection, where they say it.
                for gap in applicationGaps {
                    guard let connection = gap.connection, !connection.ports.intersection(ports).isEmpty else { continue }
                    rules.append("\(gap.origin.map { "\($0): " } ?? "")\(gap.message)")
                }
                return TargetAnswer(target: target, verdict: onTarget, rules: rules, error: nil)
            } catch let error as BackendError {
                // The application's files (`--with`) refused, located in them.
                let diagnostic = error.diagnostic
                return TargetAnswer(target: target, verdict: nil, rules: [], error: "\(diagnostic.range.map { "\($0): " } ?? "")\(diagnostic.message)")
            } catch {
                return TargetAnswer(target: target, verdict: nil, rules: [], error: "its own files do not read back: \(error)")
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
            intent.covers(from: sources, to: Endpoints(external: destinations.external), ports: ports) != nil
        {
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
}
