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
        // Whether a workload's identity had its peers fitted to the groups an NSG's rules may name.
        let fitted = { (site: ConnectionGapSite, fit: AzurePlan.Fit) in
            site.part == .betweenWorkloads && site.workloads.contains { plan.firewall.identityOf[$0].flatMap { plan.fits[$0] } == fit }
        }
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .azure) { site in
            // Each cause is named only where this connection shows it.
            switch site.kind {
            case .widened:
                return joinedCauses(
                    [
                        site.part == .egress && site.asksNames
                            ? "NSGs match addresses, not names: a dns: destination opens every address on its ports" : nil,
                        site.sharesIdentity ? "workloads sharing a service identity share its application security group" : nil,
                        site.asks(.sctp) ? "SCTP can only be allowed as any protocol on its ports" : nil,
                        fitted(site, .merged)
                            ? "an NSG's rules name at most \(AzurePlan.groupsPerNSG) application security groups: peers share a merged group on the union of "
                                + "their ports" : nil,
                    ],
                    otherwise: "the NSG rules allow more than the intent here")
            case .narrowed:
                return "with gaps: narrow, "
                    + joinedCauses(
                        [
                            site.peers.dns.isEmpty ? nil : "dns: names are dropped (NSGs match addresses, not names)",
                            site.carries(.sctp) ? "SCTP is dropped (an NSG has no SCTP protocol)" : nil,
                            fitted(site, .dropped)
                                ? "peers beyond the \(AzurePlan.groupsPerNSG) application security groups an NSG's rules may name are dropped" : nil,
                        ],
                        otherwise: "what an NSG cannot express exactly is dropped")
            default:
                return ""
            }
        }
        gaps += unenforcedControls(policy, target: .azure, why: "network security groups filter traffic only")
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
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
