import Diagnostics
import IR

/// Gaps for the connections a target allows beyond the intent (`widened`) and the intended
/// ones it blocks (`narrowed`), one per workload pair or per workload and direction, located at
/// the allow flow that asked (narrowed) or the workload the connection reaches (or leaves,
/// for egress).
public func connectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (Gap.Kind, ConnectionKind) -> String
) -> [Gap] {
    var gaps: [Gap] = []
    let name = { (id: WorkloadID) in Endpoint.workload(policy.workloads[id.index].name) }
    let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
    func gap(_ kind: Gap.Kind, _ capability: Capability, _ connection: Connection, _ reason: String, _ origin: SourceRange?) {
        gaps.append(Gap(kind: kind, capability: capability, target: target, subject: .connection(connection), reason: reason, origin: origin))
    }
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        let betweenWorkloads = why(kind, .betweenWorkloads)
        for (pair, ports) in relation.sortedPairs {
            gap(
                kind, kind == .widened ? .portFiltering : .workloadSegmentation,
                Connection(name(pair.source), name(pair.destination), ports: ports), betweenWorkloads,
                (kind == .narrowed ? asked.pairs[pair] : nil) ?? policy.workloads[pair.destination.index].origin)
        }
        let ingressWhy = why(kind, .ingress)
        for (id, rules) in relation.ingress.sorted(by: { $0.key < $1.key }) {
            for entry in rules.entries {
                gap(
                    kind, .externalIngress, Connection(.external(entry.peers), name(id), ports: entry.ports), ingressWhy,
                    (kind == .narrowed ? asked.ingress[id] : nil) ?? policy.workloads[id.index].origin)
            }
        }
        let egressWhy = why(kind, .egress)
        for (id, rules) in relation.egress.sorted(by: { $0.key < $1.key }) {
            for entry in rules.entries {
                gap(
                    kind, entry.peers.addresses.isEmpty ? .dnsEgress : .externalEgress,
                    Connection(name(id), .external(entry.peers), ports: entry.ports), egressWhy,
                    (kind == .narrowed ? asked.egress[id] : nil) ?? policy.workloads[id.index].origin)
            }
        }
    }
    return gaps
}

/// The three kinds of connections a relation holds.
public enum ConnectionKind: Sendable {
    case betweenWorkloads, ingress, egress
}

/// The first allow flow that names each connection, to locate narrowed gaps. Built in one
/// pass over the flows' workload pairs, like the intent.
struct FlowIndex {
    var pairs: [WorkloadPair: SourceRange] = [:]
    var ingress: [WorkloadID: SourceRange] = [:]
    var egress: [WorkloadID: SourceRange] = [:]

    init() {}

    init(_ flows: [Flow]) {
        for flow in flows where flow.action == .allow {
            for destination in flow.destinations.workloads {
                for source in flow.sources.workloads where pairs[WorkloadPair(source, destination)] == nil {
                    pairs[WorkloadPair(source, destination)] = flow.origin
                }
                if !flow.sources.external.isEmpty, ingress[destination] == nil { ingress[destination] = flow.origin }
            }
            if !flow.destinations.external.isEmpty {
                for source in flow.sources.workloads where egress[source] == nil { egress[source] = flow.origin }
            }
        }
    }
}
