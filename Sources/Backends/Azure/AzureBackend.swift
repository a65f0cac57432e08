import Diagnostics
import IR
import YAML

/// Azure: an ARM template with an application security group per service identity and a
/// network security group per segment whose rules carry the flows, closed by explicit denies
/// at priority 4096 that override Azure's default AllowVnetInBound and AllowInternetOutBound.
/// See `targets/azure/README.md`.
public struct AzureBackend: Backend {
    public init() {}

    public var target: TargetName { .azure }

    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .full) }

    public var options: [OptionSpec] {
        [OptionSpec(name: "location", summary: "default of the template's location parameter", defaultValue: "[resourceGroup().location]")]
    }

    /// Azure's limits: rules per NSG, priorities, prefixes per rule side, ASGs per rule side.
    static let rulesPerGroup = 1000
    static let lowestPriority = 4096
    static let firstPriority = 100
    static let prefixesPerSide = 4000
    /// Application security groups referenced across all the rules of one NSG.
    static let groupsPerNSG = 100
    /// ARM's limits on one template.
    static let resourcesPerTemplate = 800
    static let templateBytes = 4 << 20

    func location(_ options: TargetOptions) -> (String, [Diagnostic]) {
        var reader = OptionReader(options, specs: self.options)
        let value = reader.string("location", default: nil) { text in
            text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } && !text.isEmpty ? nil : "an Azure location is lower-case letters and digits, like westeurope"
        }
        return (value ?? "[resourceGroup().location]", reader.diagnostics)
    }

    public func validate(_ options: TargetOptions) -> [Diagnostic] { location(options).1 }

    public func emit(_ policy: Policy, options: TargetOptions) throws -> Emission {
        let plan = FirewallPlan(policy: policy, gaps: options.gaps)
        let template = AzureTemplate(policy: policy, plan: plan, gaps: options.gaps, location: location(options).0)
        for (segment, rules) in template.rulesBySegment where rules.count > Self.rulesPerGroup {
            throw BackendError(.error(
                .targetLimit, "azure: the network security group of segment '\(segment)' needs \(rules.count) rules; an NSG holds \(Self.rulesPerGroup)",
                at: policy.segments.first { $0.name == segment }?.origin ?? options.origin, help: "split the segment"))
        }
        for (segment, rules) in template.rulesBySegment {
            let groups = Set(rules.flatMap { $0.sourceGroups + $0.destinationGroups })
            guard groups.count <= Self.groupsPerNSG else {
                throw BackendError(.error(
                    .targetLimit, "azure: the rules of segment '\(segment)' name \(groups.count) application security groups; an NSG's rules may name \(Self.groupsPerNSG)",
                    at: policy.segments.first { $0.name == segment }?.origin ?? options.origin,
                    help: "split the segment, or let its workloads share fewer service identities' peers"))
            }
        }
        // One NSG is one resource: it cannot be split across templates.
        for (segment, rules) in template.rulesBySegment {
            let size = JSONWriter.write(template.nsgResource(segment, rules, dependsOn: [])).utf8.count
            guard size <= Self.templateBytes - 20_000 else {
                throw BackendError(.error(
                    .targetLimit, "azure: the network security group of segment '\(segment)' is \(size) bytes of JSON; an ARM template takes \(Self.templateBytes)",
                    at: policy.segments.first { $0.name == segment }?.origin ?? options.origin,
                    help: "split the segment, or merge its external ranges into fewer prefixes"))
            }
        }
        let files = template.files()
        for file in files where file.contents.utf8.count > Self.templateBytes {
            throw BackendError(.error(
                .targetLimit, "azure: \(file.path) is \(file.contents.utf8.count) bytes; ARM takes \(Self.templateBytes) bytes per template",
                at: options.origin, help: "split the largest segment"))
        }
        let planned = try AzureTemplate.relation(files.map(\.contents), policy: policy)
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .azure) { kind, connection in
            switch (kind, connection) {
            case (.widened, .egress): "NSGs match addresses, not names: a dns: destination opens every address on its ports (or the identity's group is shared)"
            case (.widened, _): "workloads sharing a service identity share its application security group, and SCTP can only be allowed as any protocol on its ports"
            case (.narrowed, _): "with gaps: narrow, what an NSG cannot express exactly (dns: names, SCTP) is dropped"
            default: ""
            }
        }
        gaps += unenforcedControls(policy, target: .azure, why: "network security groups filter traffic only")
        return Emission(files: files, gaps: gaps, widened: widened, narrowed: narrowed)
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let templates = files.filter { $0.path.hasPrefix("nsg") && $0.path.hasSuffix(".json") }
        let views = try AzureTemplate.views(templates.map(\.contents), policy: policy)
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        let templates = files.filter { $0.path.hasPrefix("nsg") && $0.path.hasSuffix(".json") }
        guard templates.contains(where: { $0.path == "nsg.json" }) else { throw AzureTemplate.Failure(description: "no nsg.json") }
        return ReadBack(relation: try AzureTemplate.relation(templates.map(\.contents), policy: policy))
    }
}
