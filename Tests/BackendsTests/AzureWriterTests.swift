import Diagnostics
import IR
import TestSupport
import Testing
import YAML

@testable import Backends

/// Azure's templates written resource by resource straight to bytes against the emitter as it
/// was, which built each template's tree and wrote it whole: the same files, in one template
/// and in numbered ones, under both gap policies, and for random specs.
@Suite struct AzureWriterTests {
    static func check(_ policy: Policy, _ gaps: GapPolicy) throws {
        let plan = try AzureSplitTests.plan(policy, gaps)
        let written = Result { try AzureEmitter(plan: plan).files() }
        let trees = Result { try AzureTreeEmitter(plan: plan).files() }
        switch (written, trees) {
        case (.success(let written), .success(let trees)): #expect(written == trees, "\(policy.name) \(gaps)")
        case (.failure(let written), .failure(let trees)): #expect("\(written)" == "\(trees)", "\(policy.name) \(gaps)")
        default: Issue.record("\(policy.name) \(gaps): one writer failed where the other did not")
        }
    }

    @Test func templatesAreTheTreesBytes() throws {
        var policies = try backendSamples.map { try samplePolicy($0) }
        // Numbered templates (900 identities), split segments with their outputs, merged groups.
        policies += [try AzureTests.segments(900), try AzureSplitTests.services(300), try AzureSplitTests.hub(150, samePort: false)]
        for policy in policies {
            for gaps in [GapPolicy.widen, .narrow] { try Self.check(policy, gaps) }
        }
        try forRandomSpecs(seed: 41, count: 30) { policy, gaps in try Self.check(policy, gaps) }
    }

    /// A resource's exact size taken from its bytes at indent 4 is what `JSONWriter.write`
    /// gives it alone.
    @Test func aResourcesExactSizeIsItsWrittenSize() throws {
        let emitter = AzureEmitter(plan: try AzureSplitTests.plan(try samplePolicy("platform.yaml"), .widen))
        let tree = AzureTreeEmitter(plan: emitter.plan)
        for (group, old) in zip(emitter.plan.groups, emitter.plan.groups.map { tree.nsgResource($0, local: false) }) {
            #expect(emitter.nsgResource(group).withoutDependencies.exactSize == JSONWriter.write(old.value).utf8.count)
        }
    }

    /// An NSG written once serves both templates: as written, the tree's NSG that depends on
    /// its groups; with its `dependsOn` cut out, the tree's NSG that does not.
    static func checkBothForms(_ policy: Policy, _ gaps: GapPolicy) throws {
        guard let plan = try? AzureSplitTests.plan(policy, gaps) else { return }
        let emitter = AzureEmitter(plan: plan)
        let tree = AzureTreeEmitter(plan: plan)
        for group in plan.groups {
            let written = emitter.nsgResource(group)
            for (local, bytes) in [(true, written.bytes), (false, written.withoutDependencies.bytes)] {
                var expected: [UInt8] = []
                JSONWriter.append(tree.nsgResource(group, local: local).value, at: 4, to: &expected)
                #expect(bytes == expected, "\(policy.name) \(gaps) \(group.name) local: \(local)")
            }
            #expect(written.withoutDependencies.withoutDependencies.bytes == written.withoutDependencies.bytes)
        }
    }

    @Test func anNSGWrittenOnceIsBothTreesNSGs() throws {
        var policies = try backendSamples.map { try samplePolicy($0) }
        policies += [try AzureSplitTests.services(300), try AzureSplitTests.hub(150, samePort: false)]
        for policy in policies {
            for gaps in [GapPolicy.widen, .narrow] { try Self.checkBothForms(policy, gaps) }
        }
        try forRandomSpecs(seed: 43, count: 30) { policy, gaps in try Self.checkBothForms(policy, gaps) }
    }
}

/// The Azure emitter before it wrote resources straight to bytes: each template's tree,
/// written whole. The reference `AzureWriterTests` compares with.
struct AzureTreeEmitter {
    let plan: AzurePlan
    var policy: Policy { plan.policy }

    static let file = AzureEmitter.file
    static let resourcesPerTemplate = AzureEmitter.resourcesPerTemplate
    static let templateBytes = AzureEmitter.templateBytes
    static let membersOutput = AzureEmitter.membersOutput
    static let interfacesOutput = AzureEmitter.interfacesOutput

    /// One resource of a template, its JSON, and what it adds to the template's outputs: for a
    /// merged application security group the identities whose NICs join it, for an NSG of a
    /// split segment the workloads whose NICs take it.
    struct Resource {
        var name: String
        var value: StructuredValue
        var members: (output: String, names: [String])? = nil
        /// A bound on its JSON, known without writing it; nil: write it to know.
        var bound: Int? = nil

        /// A bound on what it adds to a template, output entry included.
        var size: Int { (bound ?? JSONWriter.write(value).utf8.count) + (members.map { $0.names.reduce(100) { $0 + $1.utf8.count + 16 } } ?? 0) }
    }

    /// `nsg.json`, or when one template would break ARM's limits (resources, size), numbered
    /// templates to deploy in order into the same resource group: the application security
    /// groups first, in parts 1 to G (`nsg.json`, `nsg-2.json`, …), then the NSGs, which name
    /// them by `resourceId`, in parts G + 1 on. Which part holds a resource depends on its name
    /// alone (`stableParts`), so one more resource moves no other unless G or the NSGs' parts
    /// double; an empty part leaves its number unused. A located error for an NSG or a template
    /// ARM cannot take.
    func files() throws -> [OutputFile] {
        let groups = plan.firewall.identities.map(asgResource) + plan.merged.map(mergedResource)
        if groups.count + plan.groups.count <= Self.resourcesPerTemplate {
            let single = JSONWriter.write(template(groups + plan.groups.map { nsgResource($0, local: true) }))
            if single.utf8.count <= Self.templateBytes { return [OutputFile(path: Self.file, contents: single)] }
        }
        let nsgs = plan.groups.map { nsgResource($0, local: false) }
        // Where a bound is over the budget, the JSON itself decides.
        let sizes = nsgs.map { resource in
            var exact = resource
            exact.bound = nil
            return resource.size > Self.templateBytes - 20_000 ? exact.size : resource.size
        }
        // One NSG is one resource: it cannot be split across templates.
        for (group, size) in zip(plan.groups, sizes) where size > Self.templateBytes - 20_000 {
            throw BackendError(
                .error(
                    .targetLimit,
                    "azure: network security group \(group.name) of segment '\(group.segment)' is \(size) bytes of JSON; an ARM template takes "
                        + "\(Self.templateBytes)",
                    at: policy.segments.first { $0.name == group.segment }?.origin ?? plan.options.origin,
                    help: "merge the segment's external ranges into fewer prefixes"))
        }
        var files: [OutputFile] = []
        let groupParts = parts(groups, sizes: groups.map(\.size))
        // The first template keeps its name even in the unlikely case that no group hashes to part 1.
        let first = groupParts.firstIndex { !$0.isEmpty } ?? 0
        for (index, part) in groupParts.enumerated() where !part.isEmpty {
            files.append(
                OutputFile(
                    path: index == first ? Self.file : "nsg-\(index + 1).json",
                    contents: JSONWriter.write(template(part.map { groups[$0] }, part: "application security groups, part \(index + 1)"))))
        }
        for (index, part) in parts(nsgs, sizes: sizes).enumerated() where !part.isEmpty {
            let number = groupParts.count + index + 1
            files.append(
                OutputFile(
                    path: "nsg-\(number).json", contents: JSONWriter.write(template(part.map { nsgs[$0] }, part: "network security groups, part \(number)"))))
        }
        for file in files where file.contents.utf8.count > Self.templateBytes {
            throw BackendError(
                .error(
                    .targetLimit, "azure: \(file.path) is \(file.contents.utf8.count) bytes; ARM takes \(Self.templateBytes) bytes per template",
                    at: plan.options.origin, help: "split the largest segment"))
        }
        return files
    }

    /// Resources split among templates by name, at most `resourcesPerTemplate` in one and
    /// short of ARM's size; each part's resources in name order.
    func parts(_ resources: [Resource], sizes: [Int]) -> [[Int]] {
        let budget = Self.templateBytes - 20_000
        return stableParts(keys: resources.map(\.name)) { part in
            part.count <= Self.resourcesPerTemplate && part.reduce(0) { $0 + sizes[$1] } <= budget
        }.map { part in part.sorted { resources[$0].name < resources[$1].name } }
    }

    /// A template of these resources, with the outputs they add.
    func template(_ resources: [Resource], part: String? = nil) -> StructuredValue {
        var outputs: [String: [StructuredValue.Entry]] = [:]
        for resource in resources {
            guard let members = resource.members else { continue }
            outputs[members.output, default: []].append(.init(resource.name, .array(members.names.map { .string($0) })))
        }
        let entries = [Self.membersOutput, Self.interfacesOutput].compactMap { name in
            outputs[name].map { StructuredValue.Entry(name, .object([.init("type", "object"), .init("value", .object($0))])) }
        }
        let generator = "palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"
        return .object(
            [
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
                .init("resources", .array(resources.map(\.value))),
            ] + (entries.isEmpty ? [] : [.init("outputs", .object(entries))]))
    }

    /// How a rule names an application security group.
    static func asgID(_ name: String) -> String { "[resourceId('Microsoft.Network/applicationSecurityGroups', '\(name)')]" }

    func asgResource(_ identity: FirewallPlan.Identity) -> Resource {
        let name = AzurePlan.asg(identity, policy: policy)
        return Resource(
            name: name,
            value: .object([
                .init("type", "Microsoft.Network/applicationSecurityGroups"), .init("apiVersion", "2024-05-01"),
                .init("name", .string(name)), .init("location", "[parameters('location')]"),
                .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-identity", .string(identity.name))])),
                .init("properties", .object([])),
            ]), bound: 600 + 6 * (name.utf8.count + policy.name.utf8.count + identity.name.utf8.count))
    }

    /// A merged application security group: the identities whose NICs join it are listed in
    /// the template's `applicationSecurityGroupMembers` output.
    func mergedResource(_ group: AzurePlan.MergedGroup) -> Resource {
        Resource(
            name: group.name,
            value: .object([
                .init("type", "Microsoft.Network/applicationSecurityGroups"), .init("apiVersion", "2024-05-01"),
                .init("name", .string(group.name)), .init("location", "[parameters('location')]"),
                .init("tags", .object([.init("palisade-policy", .string(policy.name)), .init("palisade-merged", "true")])),
                .init("properties", .object([])),
            ]),
            members: (Self.membersOutput, group.identities.map { plan.firewall.identities[$0].name }),
            bound: 600 + 6 * (group.name.utf8.count + policy.name.utf8.count))
    }

    /// An NSG. `local`: the application security groups its rules name are deployed by the
    /// same template, and it depends on them (on those alone: its body changes with its own
    /// rules only). An NSG of a split segment says its part, and its workloads are listed in
    /// the template's `networkInterfaceSecurityGroups` output.
    func nsgResource(_ group: AzurePlan.NSG, local: Bool) -> Resource {
        var tags: [StructuredValue.Entry] = [.init("palisade-policy", .string(policy.name)), .init("palisade-segment", .string(group.segment))]
        if let part = group.part { tags.append(.init("palisade-part", .string("\(part.number) of \(part.of)"))) }
        var entries: [StructuredValue.Entry] = [
            .init("type", "Microsoft.Network/networkSecurityGroups"), .init("apiVersion", "2024-05-01"),
            .init("name", .string(group.name)), .init("location", "[parameters('location')]"), .init("tags", .object(tags)),
        ]
        let named = Set(group.rules.flatMap { $0.sourceGroups + $0.destinationGroups }).sorted()
        if local, !named.isEmpty {
            entries.append(.init("dependsOn", .array(named.map { .string(Self.asgID($0)) })))
        }
        entries.append(.init("properties", .object([.init("securityRules", .array(group.rules.map(securityRule)))])))
        // Every character at most 6 bytes of JSON (an escape); each rule within its bound.
        let names = group.name.utf8.count + policy.name.utf8.count + group.segment.utf8.count
        return Resource(
            name: group.name, value: .object(entries), members: group.part == nil ? nil : (Self.interfacesOutput, group.workloads),
            bound: 1200 + 6 * names + group.rules.reduce(0) { $0 + AzurePlan.bytes($1) })
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

/// An NSG rule's protocols and port lists taken from one pass over a port set's ranges, against
/// the form that listed the set's protocols and filtered its ranges once per protocol.
@Suite struct AzureProtocolListTests {
    static func reference(_ ports: PortSet, gaps: GapPolicy) -> [(AzurePlan.Rule.NSGProtocol, [String])] {
        var result: [(AzurePlan.Rule.NSGProtocol, [String])] = []
        for proto in ports.protocols {
            let ranges = ports.ranges.filter { $0.proto == proto }
            let list = ranges.map { $0.isWholeProtocol ? "*" : $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
            switch proto {
            case .tcp: result.append((.tcp, list))
            case .udp: result.append((.udp, list))
            case .icmp: result.append((.icmp, ["*"]))
            case .sctp: if gaps == .widen { result.append((.any, list)) }
            }
        }
        return result
    }

    static func same(_ ports: PortSet) {
        for gaps in [GapPolicy.widen, .narrow] {
            let fast = AzurePlan.protocols(ports, gaps: gaps)
            let old = reference(ports, gaps: gaps)
            #expect(fast.map(\.0) == old.map(\.0), "\(ports) \(gaps)")
            #expect(fast.map(\.1) == old.map(\.1), "\(ports) \(gaps)")
        }
    }

    @Test func oneRunPerProtocolIsTheFilteredLists() {
        for ports in samplePortSets(whole: .tcp, seed: 47) { Self.same(ports) }
    }
}

/// Port sets for the property tests of writers that take a set's ranges apart by protocol: the
/// empty set, every port, ICMP, every port of `whole`, then `count` random sets of one to six
/// ranges of any protocol, single ports and ranges.
func samplePortSets(whole: TransportProtocol, count: Int = 500, seed: UInt64) -> [PortSet] {
    var sets: [PortSet] = [PortSet(), .all, PortSet(PortRange(.icmp, 0, 0)), PortSet(PortRange(whole, 1, 65535))]
    var rng = SeededGenerator(seed: seed)
    for _ in 0..<count {
        let ranges = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
            let proto = TransportProtocol.allCases.randomElement(using: &rng) ?? .tcp
            let lower = Int.random(in: 1...65535, using: &rng)
            return PortRange(proto, lower, Bool.random(using: &rng) ? lower : Int.random(in: lower...65535, using: &rng))
        }
        sets.append(PortSet(ranges))
    }
    return sets
}
