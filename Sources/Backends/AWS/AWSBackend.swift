import IR

/// AWS: a CloudFormation template with a security group per service identity, SG-to-SG rules
/// as standalone ingress and egress resources (no circular dependencies), CIDR rules inline,
/// and egress restricted to exactly what the intent allows; or the same groups and rules as
/// Terraform JSON (`format: terraform`). See `targets/aws/README.md`.
public struct AWSBackend: Backend {
    public init() {}

    public var target: TargetName { .aws }

    public func emit(_ policy: Policy, with options: AWSOptions) throws -> Emission {
        let plan = try AWSPlan(policy: policy, options: options)
        let files: [OutputFile]
        switch options.format {
        case .cloudformation: files = try AWSEmitter(plan: plan).files()
        case .terraform: files = AWSTerraformEmitter(plan: plan).files()
        }
        let planned = plan.plannedGroups
        let (widened, narrowed) = identityGaps(planned: planned, intent: policy.intent)
        let identityAt = plan.firewall.identityAt
        // By identity index: whether its rules were fitted, per direction (no set hashed per gap).
        let fittedIngress = plan.firewall.identities.indices.map(plan.fittedIngress.contains)
        let fittedEgress = plan.firewall.identities.indices.map(plan.fittedEgress.contains)
        let quota = "\(options.groupsPerENI) security groups (groups_per_eni) of \(AWSPlan.rulesPerGroup) rules"
        // A reason depends on a few facts of its connection only: each combination is
        // joined once, whatever the number of connections that show it.
        var known: [Int: String] = [:]
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .aws) { site in
            // Each cause is named only where this connection shows it.
            func isFitted(_ id: WorkloadID?, _ list: [Bool]) -> Bool {
                guard let id, id.index >= 0, id.index < identityAt.count, identityAt[id.index] >= 0 else { return false }
                return list[identityAt[id.index]]
            }
            let fitted: Bool
            switch site.part {
            case .ingress: fitted = isFitted(site.destination, fittedIngress)
            case .egress: fitted = isFitted(site.source, fittedEgress)
            case .betweenWorkloads: fitted = isFitted(site.destination, fittedIngress) || isFitted(site.source, fittedEgress)
            }
            // Bit i: cause i of `reason` applies.
            let causes: Int
            switch site.kind {
            case .widened:
                causes = (site.part == .egress && site.asksNames ? 1 : 0) | (site.sharesIdentity ? 2 : 0) | (site.asks(.sctp) ? 4 : 0) | (fitted ? 8 : 0)
            case .narrowed: causes = (site.peers.dns.isEmpty ? 0 : 1) | (site.carries(.sctp) ? 2 : 0) | (fitted ? 4 : 0)
            default: return ""
            }
            let key = causes << 1 | (site.kind == .widened ? 1 : 0)
            if let reason = known[key] { return reason }
            let reason = Self.reason(site.kind, causes, quota: quota)
            known[key] = reason
            return reason
        }
        appendUnenforcedControls(policy, target: .aws, why: "security groups filter traffic only", to: &gaps)
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    /// The reason of a gap from the causes its connection shows: for widened connections (a
    /// `dns:` destination, a shared identity, SCTP, fitted ranges), for narrowed ones (`dns:`
    /// names, SCTP ranges, rules beyond the quota), in that order.
    static func reason(_ kind: Gap.Kind, _ causes: Int, quota: String) -> String {
        func cause(_ bit: Int, _ text: String) -> String? { causes & 1 << bit != 0 ? text : nil }
        switch kind {
        case .widened:
            return joinedCauses(
                [
                    cause(0, "security groups match addresses, not names: a dns: destination opens every address on its ports"),
                    cause(1, "workloads sharing a service identity share its security group"),
                    cause(2, "SCTP cannot be filtered by port"),
                    cause(3, "ranges are merged to fit \(quota)"),
                ],
                otherwise: "the security group rules allow more than the intent here")
        case .narrowed:
            return "with gaps: narrow, "
                + joinedCauses(
                    [
                        cause(0, "dns: names are dropped (security groups match addresses, not names)"),
                        cause(1, "SCTP port ranges are dropped (security groups filter SCTP as a whole protocol)"),
                        cause(2, "rules beyond \(quota) are dropped"),
                    ],
                    otherwise: "what a security group cannot express exactly is dropped")
        default:
            return ""
        }
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let views = try AWSReader(policy: policy, files: files).views()
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) {
            policy.workloads[$0.index].name
        }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        try AWSReader(policy: policy, files: files).read()
    }
}
