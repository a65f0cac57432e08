import IR

/// GCP: a JSON array of compute v1 `Firewall` resources for one VPC network. Identities are
/// service accounts (`targetServiceAccounts`, `sourceServiceAccounts`); GCP allows all egress
/// unless told otherwise, so each identity ends with explicit egress denies. See
/// `targets/gcp/README.md`. With `format: terraform`, the same rules as `google_compute_firewall`
/// resources in Terraform JSON.
public struct GCPBackend: Backend {
    public init() {}

    public var target: TargetName { .gcp }

    public func emit(_ policy: Policy, with options: GCPOptions) throws -> Emission {
        let plan = try GCPPlan(policy: policy, options: options)
        let file = options.format == .terraform ? GCPTerraformEmitter(plan: plan).file() : GCPEmitter(plan: plan).file()
        let planned = plan.plannedGroups
        let (widened, narrowed) = identityGaps(planned: planned, intent: policy.intent)
        let internalRanges = options.internalRanges.reduce(AddressSet.empty) { $0.union($1.addressSet) }
        // The ports each service account sends to other workloads, which its rule towards the
        // internal ranges opens.
        let sentInside = plan.firewall.between.reduce(into: [Int: PortSet]()) { $0[$1.key.source, default: PortSet()].formUnion($1.value) }
        // Captured alone: the closure copies nothing of the plan.
        let identityAt = plan.firewall.identityAt
        let shared = "workloads sharing a service identity share its service account"
        let otherwise = "the firewall rules allow more than the intent here"
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .gcp) { site in
            // Each cause is named only where this connection shows it; between workloads only a
            // shared identity can be (one reason per pair of a large estate, so no lists built).
            if site.kind == .widened, site.part == .betweenWorkloads { return site.sharesIdentity ? shared : otherwise }
            let identity = site.source.flatMap { $0.index >= 0 && $0.index < identityAt.count ? identityAt[$0.index] : nil } ?? -1
            let sent = sentInside[identity] ?? PortSet()
            switch site.kind {
            case .widened:
                return joinedCauses(
                    [
                        site.part == .egress && site.asksNames
                            ? "egress rules match destination ranges only: a dns: destination opens every address on its ports" : nil,
                        site.part == .egress && !site.peers.addresses.intersection(internalRanges).isEmpty && site.ports.overlaps(sent)
                            ? "traffic between workloads leaves through internal_ranges, which egress rules cannot narrow to the destination's workloads" : nil,
                        site.sharesIdentity ? shared : nil,
                    ],
                    otherwise: otherwise)
            case .narrowed:
                return site.peers.dns.isEmpty
                    ? "with gaps: narrow, what a VPC firewall rule cannot express exactly is dropped"
                    : "with gaps: narrow, dns: destinations are dropped (VPC firewall rules match no names)"
            default:
                return ""
            }
        }
        appendUnenforcedControls(policy, target: .gcp, why: "VPC firewall rules filter traffic only", to: &gaps)
        return Emission(files: [file], gaps: gaps, widened: widened, narrowed: narrowed)
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let views = try GCPReader(policy: policy, files: files, options: options(of: policy)).views()
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) {
            policy.workloads[$0.index].name
        }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try GCPReader(policy: policy, files: files, options: options(of: policy)).read()
    }
}
