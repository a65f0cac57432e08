import IR

/// Gaps in words for the connections a target allows beyond the intent (`widened`) and the
/// intended ones it blocks (`narrowed`), one per workload pair or per workload and direction,
/// located at the workload the connection reaches (or leaves, for egress).
public func connectionGaps(
    widened: Relation, narrowed: Relation, policy: Policy, target: TargetName, why: (Gap.Kind, ConnectionKind) -> String
) -> [Gap] {
    var gaps: [Gap] = []
    let name = { (id: WorkloadID) in policy.workloads[id.index].name }
    for (kind, relation) in [(Gap.Kind.widened, widened), (.narrowed, narrowed)] {
        let verb = kind == .widened ? "allows" : "blocks"
        for (pair, ports) in relation.sortedPairs {
            let what = pair.source == pair.destination ? "between replicas of \(name(pair.source))" : "\(name(pair.source)) -> \(name(pair.destination))"
            gaps.append(Gap(
                kind: kind, capability: kind == .widened ? .portFiltering : .workloadSegmentation,
                message: "\(target.rawValue) \(verb) \(what) on \(ports): \(why(kind, .betweenWorkloads))",
                origin: policy.workloads[pair.destination.index].origin))
        }
        for id in relation.ingress.keys.sorted() {
            for entry in relation.ingress[id]!.entries {
                gaps.append(Gap(
                    kind: kind, capability: .externalIngress,
                    message: "\(target.rawValue) \(verb) \(entry.peers.summary) -> \(name(id)) on \(entry.ports): \(why(kind, .ingress))",
                    origin: policy.workloads[id.index].origin))
            }
        }
        for id in relation.egress.keys.sorted() {
            for entry in relation.egress[id]!.entries {
                let dnsOnly = entry.peers.addresses.isEmpty
                gaps.append(Gap(
                    kind: kind, capability: dnsOnly ? .dnsEgress : .externalEgress,
                    message: "\(target.rawValue) \(verb) \(name(id)) -> \(entry.peers.summary) on \(entry.ports): \(why(kind, .egress))",
                    origin: policy.workloads[id.index].origin))
            }
        }
    }
    return gaps
}

/// The three kinds of connections a relation holds.
public enum ConnectionKind: Sendable {
    case betweenWorkloads, ingress, egress
}
