import IR

/// AWS: a CloudFormation template with a security group per service identity, SG-to-SG rules
/// as standalone ingress and egress resources (no circular dependencies), CIDR rules inline,
/// and egress restricted to exactly what the intent allows. See `targets/aws/README.md`.
public struct AWSBackend: Backend {
    public init() {}

    public var target: TargetName { .aws }

    public func emit(_ policy: Policy, with options: AWSOptions) throws -> Emission {
        let plan = try AWSPlan(policy: policy, options: options)
        let files = try AWSEmitter(plan: plan).files()
        let planned = plan.planned
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .aws) { kind, connection in
            switch (kind, connection) {
            case (.widened, .betweenWorkloads): "workloads sharing a service identity share its security group, and SCTP cannot be filtered by port"
            case (.widened, .ingress): "workloads sharing a service identity share its security group, SCTP cannot be filtered by port, and ranges are merged to fit 60 rules per group"
            case (.widened, .egress): "security groups match addresses, not names: a dns: destination opens every address on its ports (or the identity's group is shared)"
            case (.narrowed, _): "with gaps: narrow, what a security group cannot express exactly (dns: names, SCTP port ranges, ranges beyond 60 rules per group) is dropped"
            default: ""
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
