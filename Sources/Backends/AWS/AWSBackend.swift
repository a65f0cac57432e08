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
        let fittedIngress = plan.fittedIngress
        let fittedEgress = plan.fittedEgress
        let quota = "\(options.groupsPerENI) security groups (groups_per_eni) of \(AWSPlan.rulesPerGroup) rules"
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .aws) { site in
            // Each cause is named only where this connection shows it.
            let shared = site.sharesIdentity ? "workloads sharing a service identity share its security group" : nil
            func identity(_ id: WorkloadID?) -> Int? { id.flatMap { plan.firewall.identityOf[$0] } }
            let fitted: Bool
            switch site.part {
            case .ingress: fitted = identity(site.destination).map(fittedIngress.contains) ?? false
            case .egress: fitted = identity(site.source).map(fittedEgress.contains) ?? false
            case .betweenWorkloads:
                fitted = (identity(site.destination).map(fittedIngress.contains) ?? false) || (identity(site.source).map(fittedEgress.contains) ?? false)
            }
            switch site.kind {
            case .widened:
                return joinedCauses(
                    [
                        site.part == .egress && site.asksNames
                            ? "security groups match addresses, not names: a dns: destination opens every address on its ports" : nil,
                        shared,
                        site.asks(.sctp) ? "SCTP cannot be filtered by port" : nil,
                        fitted ? "ranges are merged to fit \(quota)" : nil,
                    ],
                    otherwise: "the security group rules allow more than the intent here")
            case .narrowed:
                return "with gaps: narrow, "
                    + joinedCauses(
                        [
                            site.peers.dns.isEmpty ? nil : "dns: names are dropped (security groups match addresses, not names)",
                            site.carries(.sctp) ? "SCTP port ranges are dropped (security groups filter SCTP as a whole protocol)" : nil,
                            fitted ? "rules beyond \(quota) are dropped" : nil,
                        ],
                        otherwise: "what a security group cannot express exactly is dropped")
            default:
                return ""
            }
        }
        gaps += unenforcedControls(policy, target: .aws, why: "security groups filter traffic only")
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
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
