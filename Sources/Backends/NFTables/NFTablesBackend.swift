import Diagnostics
import IR

/// nftables, the Linux kernel firewall, for VMs and bare-metal hosts: one ruleset per
/// workload (`WORKLOAD.nft`) for the hosts that run it, each one `inet` table with input and
/// output chains (policy drop), sets per workload and network, and deny flows as drop rules
/// ahead of the accepts. See `targets/nftables/README.md`.
public struct NFTablesBackend: Backend {
    public init() {}

    public var target: TargetName { .nftables }

    /// Workloads named in `addresses` must be workloads of the policy, and no address may be
    /// two workloads' hosts (a host loads one workload's table).
    public func validate(_ policy: Policy) -> [Diagnostic] {
        guard let given = policy.options(for: .nftables) else { return [] }
        let options = NFTablesOptions.parse(given).options
        let names = policy.workloads.map(\.name)
        var diagnostics: [Diagnostic] = []
        var seen: [(name: String, addresses: AddressSet)] = []
        for (name, addresses) in options.addresses.sorted(by: { $0.key < $1.key }) {
            let origin = options.addressOrigins[name] ?? options.origin
            guard names.contains(name) else {
                diagnostics.append(
                    .error(
                        .invalidTargetOption, "addresses: '\(name)' is not a workload of policy \(policy.name)", at: origin,
                        help: didYouMean(name, in: names) ?? "workloads: \(names.joined(separator: ", "))"))
                continue
            }
            if let other = seen.first(where: { !$0.addresses.intersection(addresses).isEmpty }) {
                let shared = other.addresses.intersection(addresses).cidrs.first.map(NFTablesOptions.element) ?? ""
                diagnostics.append(
                    .error(
                        .invalidTargetOption, "addresses: \(shared) is a host of both '\(other.name)' and '\(name)'", at: origin,
                        help: "a host loads the ruleset of one workload; give each workload its own hosts"))
            }
            seen.append((name, addresses))
            diagnostics += externalOverlaps(name, options.addressEntries[name] ?? [], policy: policy)
        }
        return diagnostics
    }

    /// Inventory entries must not overlap an external peer the spec names (a network or an
    /// address of a flow or an expectation): every chain drops workload hosts (`@hosts`) ahead
    /// of its external rules, so a peer's addresses inside an inventory would be dropped while
    /// the intent allows them. A peer covering a whole family (`any`, `0.0.0.0/0`) holds every
    /// host and is exempt; an entry of length 0 is refused.
    func externalOverlaps(_ workload: String, _ entries: [NFTablesOptions.AddressEntry], policy: Policy) -> [Diagnostic] {
        var peers: [(what: String, addresses: AddressSet)] = []
        func add(_ external: ExternalSet, _ what: String) {
            let parts = NFTFamily.allCases.map { $0.part(of: external.addresses) }.filter {
                !$0.isEmpty && $0 != NFTFamily.v4.everything && $0 != NFTFamily.v6.everything
            }
            for part in parts { peers.append((what, part)) }
        }
        for flow in policy.flows {
            add(flow.sources.external, flow.label)
            add(flow.destinations.external, flow.label)
        }
        for (index, expectation) in policy.expectations.enumerated() {
            add(expectation.sources.external, "expectation #\(index + 1)")
            add(expectation.destinations.external, "expectation #\(index + 1)")
        }
        var diagnostics: [Diagnostic] = []
        for entry in entries {
            let text = NFTablesOptions.element(entry.cidr)
            if entry.cidr.addressSet == (entry.cidr.isIPv4 ? NFTFamily.v4 : NFTFamily.v6).everything {
                diagnostics.append(
                    .error(
                        .invalidTargetOption, "addresses: '\(text)' of workload '\(workload)' is every address", at: entry.range,
                        help: "give the workload's hosts or the prefix they are in"))
                continue
            }
            guard let peer = peers.first(where: { !$0.addresses.intersection(entry.cidr.addressSet).isEmpty }) else { continue }
            let network = policy.networks.first { !$0.members.addresses.intersection(entry.cidr.addressSet).intersection(peer.addresses).isEmpty }
            let shared = peer.addresses.intersection(entry.cidr.addressSet).cidrs.first.map(NFTablesOptions.element) ?? text
            diagnostics.append(
                .error(
                    .invalidTargetOption,
                    "addresses: '\(text)' of workload '\(workload)' overlaps an external peer of \(peer.what)"
                        + (network.map { " (network \($0.name))" } ?? "") + " at \(shared)",
                    at: entry.range,
                    help: "every ruleset drops workload hosts ahead of its external rules, so that peer's hosts there would be cut off; "
                        + "keep workload hosts outside the spec's networks and addresses"))
        }
        return diagnostics
    }

    public func emit(_ policy: Policy, with options: NFTablesOptions) throws -> Emission {
        var plan = NFTablesPlan(policy: policy, options: options)
        // The relation first, its chain views let go before any text is written; then each
        // ruleset let go once written: the rulesets, their views and the texts are never all
        // held at once.
        let planned = try NFTablesReader.relation(plan.rulesets, policy: policy)
        let names = policy.workloads.map(\.name)
        let files = zip(names, NFTablesEmitter.texts(plan.takeRulesets(), workloads: names, policy: policy.name)).map { name, text in
            OutputFile(path: NFTablesEmitter.path(name), contents: text)
        }
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .nftables) { site in
            switch site.kind {
            case .widened:
                return site.part == .egress && site.asksNames
                    ? "a host firewall matches addresses, not names: a dns: destination opens every address on its ports"
                    : "the rulesets allow more than the intent here"
            case .narrowed:
                return site.peers.dns.isEmpty
                    ? "the rulesets allow less than the intent here"
                    : "with gaps: narrow, dns: destinations are dropped (a host firewall matches no names)"
            default:
                return ""
            }
        }
        // Per segment, as OpenShift reports the cluster DNS per namespace.
        for segment in policy.segments where !segment.workloads.isEmpty {
            gaps.append(
                Gap(
                    kind: .platformRequired, capability: .externalIngress, target: .nftables,
                    subject: .connection(Connection(.platform("IPv6 neighbours on the link"), .segment(segment.name), ports: .whole(.icmp))),
                    reason: "every host of segment \(segment.name) accepts and sends ICMPv6 neighbour discovery (router and neighbour "
                        + "solicitations and advertisements) and multicast listener discovery (MLD queries, reports and dones), "
                        + "without which IPv6 does not reach the link",
                    origin: segment.origin))
        }
        gaps += unenforcedControls(policy, target: .nftables, why: "a host firewall filters traffic only")
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        try NFTablesReader(policy: policy, files: files).explain(from: from, to: to, ports: ports)
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try NFTablesReader(policy: policy, files: files).read()
    }
}
