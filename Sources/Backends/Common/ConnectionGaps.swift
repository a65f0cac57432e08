import Diagnostics
import IR

/// Gaps in words for the connections a target allows beyond the intent (`widened`) and the
/// intended ones it blocks (`narrowed`), one per workload pair or per workload and direction,
/// located at the workload the connection reaches (or leaves, for egress).
public func connectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (Gap.Kind, ConnectionKind) -> String
) -> [Gap] {
    var gaps: [Gap] = []
    let name = { (id: WorkloadID) in policy.workloads[id.index].name }
    // A narrowed connection is located at the allow flow that asked for it.
    let asked = narrowed.isEmpty ? FlowIndex() : FlowIndex(policy.flows)
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        let betweenWorkloads = why(kind, .betweenWorkloads)
        for (pair, ports) in relation.sortedPairs {
            gaps.append(Gap(
                kind: kind, capability: kind == .widened ? .portFiltering : .workloadSegmentation, target: target,
                from: name(pair.source), to: name(pair.destination), ports: ports, reason: betweenWorkloads,
                origin: (kind == .narrowed ? asked.pairs[pair] : nil) ?? policy.workloads[pair.destination.index].origin))
        }
        let verb = kind == .widened ? "allows" : "blocks"
        for id in relation.ingress.keys.sorted() {
            for entry in relation.ingress[id]!.entries {
                gaps.append(Gap(
                    kind: kind, capability: .externalIngress,
                    message: "\(target.rawValue) \(verb) \(entry.peers.summary) -> \(name(id)) on \(entry.ports): \(why(kind, .ingress))",
                    origin: (kind == .narrowed ? asked.ingress[id] : nil) ?? policy.workloads[id.index].origin))
            }
        }
        for id in relation.egress.keys.sorted() {
            for entry in relation.egress[id]!.entries {
                let dnsOnly = entry.peers.addresses.isEmpty
                gaps.append(Gap(
                    kind: kind, capability: dnsOnly ? .dnsEgress : .externalEgress,
                    message: "\(target.rawValue) \(verb) \(name(id)) -> \(entry.peers.summary) on \(entry.ports): \(why(kind, .egress))",
                    origin: (kind == .narrowed ? asked.egress[id] : nil) ?? policy.workloads[id.index].origin))
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
