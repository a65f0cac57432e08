import Diagnostics
import IR
import YAML

/// AWS: a CloudFormation template with a security group per service identity, SG-to-SG rules
/// as standalone ingress and egress resources (no circular dependencies), CIDR rules inline,
/// and egress restricted to exactly what the intent allows. See `targets/aws/README.md`.
public struct AWSBackend: Backend {
    public init() {}

    public var target: TargetName { .aws }

    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .partial) }

    public var options: [OptionSpec] {
        [OptionSpec(name: "vpc_id", summary: "default of the template's VpcId parameter", defaultValue: nil)]
    }

    /// Default VPC quotas (adjustable): rules per security group and direction, per address family.
    static let rulesPerGroup = 60
    /// CloudFormation's limits on one template.
    static let resourcesPerTemplate = 500
    static let outputsPerTemplate = 200
    static let templateBytes = 1_000_000

    func vpcID(_ options: TargetOptions) -> (String?, [Diagnostic]) {
        var reader = OptionReader(options, specs: self.options)
        let value = reader.string("vpc_id", default: nil) { text in
            text.hasPrefix("vpc-") && text.dropFirst(4).allSatisfy(\.isHexDigit) && text.count > 4 ? nil : "a VPC id is vpc- followed by hex digits"
        }
        return (value, reader.diagnostics)
    }

    public func validate(_ options: TargetOptions) -> [Diagnostic] { vpcID(options).1 }

    public func emit(_ policy: Policy, options: TargetOptions) throws -> Emission {
        let plan = FirewallPlan(policy: policy, gaps: options.gaps)
        let template = AWSTemplate(policy: policy, plan: plan, gaps: options.gaps, vpcID: vpcID(options).0)
        try template.checkLimits(options: options)
        let files = template.files()
        for file in files where file.contents.utf8.count > Self.templateBytes {
            throw BackendError(.error(
                .targetLimit, "aws: \(file.path) is \(file.contents.utf8.count) bytes; CloudFormation takes at most \(Self.templateBytes) (from S3)",
                at: options.origin, help: "split the spec into several policies"))
        }
        let planned = template.planned
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
        let templates = files.filter { $0.path.hasPrefix("security-groups") && $0.path.hasSuffix(".json") }
        let views = try AWSReader(policy: policy).views(templates.map(\.contents))
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        let templates = files.filter { $0.path.hasPrefix("security-groups") && $0.path.hasSuffix(".json") }
        guard templates.contains(where: { $0.path == "security-groups.json" }) else {
            throw AWSReader.Failure(description: "no security-groups.json")
        }
        return try AWSReader(policy: policy).read(templates.map(\.contents))
    }
}
