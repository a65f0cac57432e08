import IR

/// Azure: an ARM template with an application security group per service identity and a
/// network security group per segment whose rules carry the flows, closed by explicit denies
/// at priority 4096 that override Azure's default AllowVnetInBound and AllowInternetOutBound.
/// See `targets/azure/README.md`.
public struct AzureBackend: Backend {
    public init() {}

    public var target: TargetName { .azure }

    public func emit(_ policy: Policy, with options: AzureOptions) throws -> Emission {
        let plan = try AzurePlan(policy: policy, options: options)
        let files = options.format == .terraform ? [AzureTerraformEmitter(plan: plan).file()] : try AzureEmitter(plan: plan).files()
        // What the NSGs allow, by the reader's semantics (first-match rules over several NSGs
        // are easiest to get right once) over what the templates say, taken from the plan
        // without parsing them again.
        let planned = try AzureReader(policy: policy, files: files).groupedRelation(of: plan)
        let (widened, narrowed) = identityGaps(planned: planned, intent: policy.intent)
        // Whether a workload's identity had its peers fitted to the groups an NSG's rules may
        // name, by workload index (no dictionary asked per gap).
        let fitOf = plan.firewall.identityAt.map { $0 >= 0 ? plan.fits[$0] : nil }
        let fitted = { (site: ConnectionGapSite, fit: AzurePlan.Fit) -> Bool in
            func has(_ id: WorkloadID?) -> Bool { id.map { $0.index >= 0 && $0.index < fitOf.count && fitOf[$0.index] == fit } ?? false }
            return site.part == .betweenWorkloads && (has(site.source) || has(site.destination))
        }
        // A reason depends on a few facts of its connection only: each combination is
        // joined once, whatever the number of connections that show it.
        var known: [Int: String] = [:]
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .azure) { site in
            // Each cause is named only where this connection shows it; bit i: cause i of `reason`.
            let causes: Int
            switch site.kind {
            case .widened:
                causes =
                    (site.part == .egress && site.asksNames ? 1 : 0) | (site.sharesIdentity ? 2 : 0) | (site.asks(.sctp) ? 4 : 0)
                    | (fitted(site, .merged) ? 8 : 0)
            case .narrowed: causes = (site.peers.dns.isEmpty ? 0 : 1) | (site.carries(.sctp) ? 2 : 0) | (fitted(site, .dropped) ? 4 : 0)
            default: return ""
            }
            let key = causes << 1 | (site.kind == .widened ? 1 : 0)
            if let reason = known[key] { return reason }
            let reason = Self.reason(site.kind, causes)
            known[key] = reason
            return reason
        }
        appendUnenforcedControls(policy, target: .azure, why: "network security groups filter traffic only", to: &gaps)
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    /// The reason of a gap from the causes its connection shows (bit i: cause i): for widened
    /// connections a `dns:` destination, a shared identity, SCTP, merged peers; for narrowed
    /// ones `dns:` names, SCTP, dropped peers.
    static func reason(_ kind: Gap.Kind, _ causes: Int) -> String {
        func cause(_ bit: Int, _ text: String) -> String? { causes & 1 << bit != 0 ? text : nil }
        switch kind {
        case .widened:
            return joinedCauses(
                [
                    cause(0, "NSGs match addresses, not names: a dns: destination opens every address on its ports"),
                    cause(1, "workloads sharing a service identity share its application security group"),
                    cause(2, "SCTP can only be allowed as any protocol on its ports"),
                    cause(
                        3,
                        "an NSG's rules name at most \(AzurePlan.groupsPerNSG) application security groups: peers share a merged group on the union of "
                            + "their ports"),
                ],
                otherwise: "the NSG rules allow more than the intent here")
        case .narrowed:
            return "with gaps: narrow, "
                + joinedCauses(
                    [
                        cause(0, "dns: names are dropped (NSGs match addresses, not names)"),
                        cause(1, "SCTP is dropped (an NSG has no SCTP protocol)"),
                        cause(2, "peers beyond the \(AzurePlan.groupsPerNSG) application security groups an NSG's rules may name are dropped"),
                    ],
                    otherwise: "what an NSG cannot express exactly is dropped")
        default:
            return ""
        }
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let views = try AzureReader(policy: policy, files: files).views()
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) {
            policy.workloads[$0.index].name
        }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try AzureReader(policy: policy, files: files).read()
    }
}
