import IR

/// One cloud firewall rule as `explain` names it: which identities' traffic it is about, the
/// peers it matches, its ports, and whether it allows or denies.
struct FirewallRuleView {
    var name: String
    var inbound: Bool
    var allow: Bool
    /// The identities (indexes into `FirewallPlan.identities`) the rule applies to.
    var owners: Set<Int>
    /// Peer identities it matches.
    var peers: Set<Int> = []
    /// Peer addresses it matches.
    var addresses: AddressSet = .empty
    var ports: PortSet
    /// Rules of one group are tried in order and the first match decides (an NSG's rules of
    /// one direction, GCP's rules by priority): only that one is named. nil: rules add up.
    var group: String? = nil

    /// The rules that match some of `from → to` on `ports`, owner side first.
    static func explain(_ rules: [FirewallRuleView], plan: FirewallPlan, from: Endpoints, to: Endpoints, ports: PortSet, name: (WorkloadID) -> String)
        -> [String]
    {
        var lines: [String] = []
        /// Groups already decided for the connection being explained.
        var decided = Set<String>()
        func add(_ rule: FirewallRuleView, _ what: String) {
            if let group = rule.group {
                guard decided.insert(group).inserted else { return }
            }
            let common = rule.ports.intersection(ports)
            lines.append("\(rule.name): \(rule.inbound ? "inbound" : "outbound") \(rule.allow ? "allow" : "deny") matches \(what) on \(common)")
        }
        for destination in to.workloads {
            guard let owner = plan.identityOf[destination] else { continue }
            for source in from.workloads {
                guard let peer = plan.identityOf[source] else { continue }
                let what = "\(name(source)) -> \(name(destination))"
                decided = []
                for rule in rules where !rule.ports.intersection(ports).isEmpty {
                    if rule.inbound, rule.owners.contains(owner), rule.peers.contains(peer) { add(rule, what) }
                    if !rule.inbound, rule.owners.contains(peer), rule.peers.contains(owner) { add(rule, what) }
                }
            }
            if !from.external.addresses.isEmpty {
                decided = []
                for rule in rules
                where rule.inbound && rule.owners.contains(owner) && !rule.ports.intersection(ports).isEmpty
                    && !rule.addresses.intersection(from.external.addresses).isEmpty
                {
                    add(rule, "\(from.external.summary) -> \(name(destination))")
                }
            }
        }
        if !to.external.isEmpty {
            for source in from.workloads {
                guard let owner = plan.identityOf[source] else { continue }
                decided = []
                // A name resolves to some address: rules over a whole address family match it.
                let names = !to.external.dns.isEmpty
                for rule in rules
                where !rule.inbound && rule.owners.contains(owner) && !rule.ports.intersection(ports).isEmpty
                    && (!rule.addresses.intersection(to.external.addresses).isEmpty || (names && (rule.addresses.v4.isFull || rule.addresses.v6.isFull)))
                {
                    add(rule, "\(name(source)) -> \(to.external.summary)")
                }
            }
        }
        return lines
    }
}
