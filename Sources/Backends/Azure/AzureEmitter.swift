import Diagnostics
import IR
import YAML

/// Writes an `AzurePlan` as ARM templates: `nsg.json`, or numbered templates when one would
/// break ARM's limits.
struct AzureEmitter {
    let plan: AzurePlan
    var policy: Policy { plan.policy }

    /// The first (often the only) template of a policy; the others are `nsg-N.json`.
    static let file = "nsg.json"

    /// ARM's limits on one template.
    static let resourcesPerTemplate = 800
    static let templateBytes = 4 << 20

    /// `nsg.json`, or when one template would break ARM's limits (resources, size), numbered
    /// templates to deploy in order into the same resource group: the application security
    /// groups first, in parts 1 to G (`nsg.json`, `nsg-2.json`, …), then the NSGs, which name
    /// them by `resourceId`, in parts G + 1 on. Which part holds a resource depends on its name
    /// alone (`stableParts`), so one more resource moves no other unless G or the NSGs' parts
    /// double; an empty part leaves its number unused. A located error for an NSG or a template
    /// ARM cannot take.
    func files() throws -> [OutputFile] {
        // One NSG is one resource: it cannot be split across templates.
        for (segment, rules) in plan.rulesBySegment {
            let size = JSONWriter.write(nsgResource(segment, rules, local: false)).utf8.count
            guard size <= Self.templateBytes - 20_000 else {
                throw BackendError(
                    .error(
                        .targetLimit,
                        "azure: the network security group of segment '\(segment)' is \(size) bytes of JSON; an ARM template takes \(Self.templateBytes)",
                        at: policy.segments.first { $0.name == segment }?.origin ?? plan.options.origin,
                        help: "split the segment, or merge its external ranges into fewer prefixes"))
            }
        }
        let files = templates()
        for file in files where file.contents.utf8.count > Self.templateBytes {
            throw BackendError(
                .error(
                    .targetLimit, "azure: \(file.path) is \(file.contents.utf8.count) bytes; ARM takes \(Self.templateBytes) bytes per template",
                    at: plan.options.origin, help: "split the largest segment"))
        }
        return files
    }

    func templates() -> [OutputFile] {
        let identities = plan.firewall.identities
        let single = JSONWriter.write(document())
        if identities.count + plan.rulesBySegment.count <= Self.resourcesPerTemplate, single.utf8.count <= Self.templateBytes {
            return [OutputFile(path: Self.file, contents: single)]
        }
        var files: [OutputFile] = []
        let groups = identities.map(asgResource)
        let groupParts = parts(groups, names: identities.map { AzurePlan.asg($0, policy: policy) })
        // The first template keeps its name even in the unlikely case that no group hashes to part 1.
        let first = groupParts.firstIndex { !$0.isEmpty } ?? 0
        for (index, part) in groupParts.enumerated() where !part.isEmpty {
            files.append(
                OutputFile(
                    path: index == first ? Self.file : "nsg-\(index + 1).json",
                    contents: JSONWriter.write(template(part.map { groups[$0] }, part: "application security groups, part \(index + 1)"))))
        }
        let nsgs = plan.rulesBySegment.map { nsgResource($0.segment, $0.rules, local: false) }
        let nsgParts = parts(nsgs, names: plan.rulesBySegment.map { AzurePlan.nsg($0.segment, policy: policy) })
        for (index, part) in nsgParts.enumerated() where !part.isEmpty {
            let number = groupParts.count + index + 1
            files.append(
                OutputFile(
                    path: "nsg-\(number).json",
                    contents: JSONWriter.write(template(part.map { nsgs[$0] }, part: "network security groups, part \(number)"))))
        }
        return files
    }

    /// Resources split among templates by name, at most `resourcesPerTemplate` in one and
    /// short of ARM's size; each part's resources in name order.
    func parts(_ resources: [StructuredValue], names: [String]) -> [[Int]] {
        let sizes = resources.map { JSONWriter.write($0).utf8.count }
        let budget = Self.templateBytes - 20_000
        return stableParts(keys: names) { part in
            part.count <= Self.resourcesPerTemplate && part.reduce(0) { $0 + sizes[$1] } <= budget
        }.map { part in part.sorted { names[$0] < names[$1] } }
    }

    /// The whole policy in one template.
    func document() -> StructuredValue {
        let identities = plan.firewall.identities
        return template(identities.map(asgResource) + plan.rulesBySegment.map { nsgResource($0.segment, $0.rules, local: true) })
    }

    func template(_ resources: [StructuredValue], part: String? = nil) -> StructuredValue {
        let generator = "palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"
        return .object([
            .init("$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"),
            .init("contentVersion", "1.0.0.0"),
            .init("metadata", .object([.init("generator", .string(part.map { "\(generator) (\($0))" } ?? generator))])),
            .init(
                "parameters",
                .object([
                    .init(
                        "location",
                        .object([
                            .init("type", "string"), .init("defaultValue", .string(plan.options.location)),
                        ]))
                ])),
            .init("resources", .array(resources)),
        ])
    }

    /// How a rule names an application security group.
    static func asgID(_ name: String) -> String { "[resourceId('Microsoft.Network/applicationSecurityGroups', '\(name)')]" }

    func asgResource(_ identity: FirewallPlan.Identity) -> StructuredValue {
        .object([
            .init("type", "Microsoft.Network/applicationSecurityGroups"), .init("apiVersion", "2024-05-01"),
            .init("name", .string(AzurePlan.asg(identity, policy: policy))), .init("location", "[parameters('location')]"),
            .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-identity", .string(identity.name))])),
            .init("properties", .object([])),
        ])
    }

    /// A segment's NSG. `local`: the application security groups its rules name are deployed
    /// by the same template, and it depends on them (on those alone: its body changes with its
    /// own rules only).
    func nsgResource(_ segment: String, _ rules: [AzurePlan.Rule], local: Bool) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [
            .init("type", "Microsoft.Network/networkSecurityGroups"), .init("apiVersion", "2024-05-01"),
            .init("name", .string(AzurePlan.nsg(segment, policy: policy))), .init("location", "[parameters('location')]"),
            .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-segment", .string(segment))])),
        ]
        let named = Set(rules.flatMap { $0.sourceGroups + $0.destinationGroups }).sorted()
        if local, !named.isEmpty {
            entries.append(.init("dependsOn", .array(named.map { .string(Self.asgID($0)) })))
        }
        entries.append(.init("properties", .object([.init("securityRules", .array(rules.map(securityRule)))])))
        return .object(entries)
    }

    func securityRule(_ rule: AzurePlan.Rule) -> StructuredValue {
        var properties: [StructuredValue.Entry] = [
            .init("description", .string(String("palisade: \(rule.description)".prefix(140)))),
            .init("priority", .int(rule.priority)), .init("direction", .string(rule.direction.rawValue)),
            .init("access", .string(rule.access.rawValue)), .init("protocol", .string(rule.proto.rawValue)),
            .init("sourcePortRange", "*"),
        ]
        if rule.ports.count == 1 {
            properties.append(.init("destinationPortRange", .string(rule.ports[0])))
        } else {
            properties.append(.init("destinationPortRanges", .array(rule.ports.map { .string($0) })))
        }
        func side(_ name: String, _ groups: [String], _ prefixes: [String]) {
            if !groups.isEmpty {
                properties.append(.init("\(name)ApplicationSecurityGroups", .array(groups.map { .object([.init("id", .string(Self.asgID($0)))]) })))
            } else if prefixes.count == 1 {
                properties.append(.init("\(name)AddressPrefix", .string(prefixes[0])))
            } else {
                properties.append(.init("\(name)AddressPrefixes", .array(prefixes.map { .string($0) })))
            }
        }
        side("source", rule.sourceGroups, rule.sourcePrefixes)
        side("destination", rule.destinationGroups, rule.destinationPrefixes)
        return .object([.init("name", .string(rule.name)), .init("properties", .object(properties))])
    }
}
