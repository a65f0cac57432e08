import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct AzureTests {
    static let samples = backendSamples
    let backend = AzureBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    func check(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try checkRoundTrip(backend, policy, options(.azure, gaps), sourceLocation: sourceLocation)
        if gaps == .widen { #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation) }
    }

    @Test(arguments: samples)
    func samplesRoundTrip(sample: String) throws {
        let policy = try policy(sample)
        try check(policy, .widen)
        try check(policy, .narrow)
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 37, count: 40) { policy, gaps in try check(policy, gaps) }
    }

    /// Every NSG ends with explicit denies at 4096 (Azure otherwise allows VNet traffic and
    /// Internet egress), and priorities are unique per direction within 100-4096.
    @Test(arguments: samples)
    func everyGroupDeniesTheRestWithUniquePriorities(sample: String) throws {
        let emission = try backend.emit(try policy(sample), options: options(.azure, .widen))
        let template = try #require(try JSONSerialization.jsonObject(with: Data(emission.files[0].contents.utf8)) as? [String: Any])
        let groups = (template["resources"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "Microsoft.Network/networkSecurityGroups" }
        #expect(!groups.isEmpty)
        for group in groups {
            let rules = ((group["properties"] as? [String: Any])?["securityRules"] as? [[String: Any]] ?? []).compactMap { $0["properties"] as? [String: Any] }
            for direction in ["Inbound", "Outbound"] {
                let priorities = rules.filter { $0["direction"] as? String == direction }.compactMap { $0["priority"] as? Int }
                #expect(Set(priorities).count == priorities.count)
                #expect(priorities.allSatisfy { (100...4096).contains($0) })
                #expect(rules.contains { $0["direction"] as? String == direction && $0["access"] as? String == "Deny" && $0["priority"] as? Int == 4096 })
            }
        }
    }

    @Test func withoutItsDeniesAzureWouldAllowTheVirtualNetwork() throws {
        let policy = try policy("minimal.yaml")
        let emission = try backend.emit(policy, options: options(.azure, .widen))
        let open = emission.files[0].contents.replacingOccurrences(of: "\"access\": \"Deny\"", with: "\"access\": \"Allow\"")
        let read = try backend.read([OutputFile(path: "nsg.json", contents: open)], policy: policy).relation
        #expect(read.ports(from: policy.workload(named: "api")!.id, to: policy.workload(named: "site")!.id) == .all)
    }
}

extension AzureTests {
    /// `count` identities in ten segments of 90 (the last takes any more), each sending to the
    /// next of its segment.
    static func segments(_ count: Int) throws -> Policy {
        var text = "version: 1\nname: many\nsegments:\n"
        for segment in 0..<10 { text += "  s\(segment): {}\n" }
        text += "workloads:\n"
        for index in 0..<count { text += "  w\(index): {image: nginx:1.25, segment: s\(min(index / 90, 9)), ports: [tcp/80]}\n" }
        text += "flows:\n"
        for index in 0..<(count - 1) where min(index / 90, 9) == min((index + 1) / 90, 9) {
            text += "  - {from: w\(index), to: w\(index + 1), ports: [tcp/80]}\n"
        }
        return try #require(compileSpec(text).policy)
    }

    /// Each resource's name and the template that holds it.
    static func placement(_ files: [OutputFile]) throws -> [String: String] {
        var result: [String: String] = [:]
        for file in files {
            let root = try #require(YAMLLoader.load(text: file.contents, file: file.path, limits: .generatedFiles).root)
            guard case .sequence(let resources)? = root["resources"]?.content else { continue }
            for resource in resources { result[resource["name"]?.scalar ?? ""] = file.path }
        }
        return result
    }

    /// 900 identities in ten segments are more resources than one ARM template takes: the
    /// application security groups come first, in as many templates as they need, then the NSGs.
    @Test func aPolicyBeyondOneTemplateIsSplitIntoNumberedTemplates() throws {
        let policy = try Self.segments(900)
        let (emission, _) = try BackendsTests.checkRoundTrip(AzureBackend(), policy, options(.azure, .widen))
        #expect(emission.files.map(\.path) == ["nsg.json", "nsg-2.json", "nsg-3.json"])
        var kinds: [String] = []
        for file in emission.files {
            let root = try #require(YAMLLoader.load(text: file.contents, file: file.path, limits: .generatedFiles).root)
            guard case .sequence(let resources)? = root["resources"]?.content else {
                Issue.record("no resources")
                continue
            }
            #expect(resources.count <= AzureEmitter.resourcesPerTemplate)
            kinds.append(Set(resources.compactMap { $0["type"]?.scalar }).sorted().joined(separator: ","))
            // dependsOn may only name resources of the same template: split templates have none.
            #expect(!file.contents.contains("dependsOn"))
        }
        let (groups, nsgs) = ("Microsoft.Network/applicationSecurityGroups", "Microsoft.Network/networkSecurityGroups")
        #expect(kinds == [groups, groups, nsgs])
    }

    /// Which template holds a resource depends on its name alone: one more identity moves
    /// no other resource to another template.
    @Test func oneMoreResourceMovesNoOtherBetweenTemplates() throws {
        let before = try Self.placement(try AzureBackend().emit(Self.segments(900), options: options(.azure, .widen)).files)
        let after = try Self.placement(try AzureBackend().emit(Self.segments(901), options: options(.azure, .widen)).files)
        #expect(before.count == 910 && after.count == 911)
        for (name, file) in before { #expect(after[name] == file, "\(name) moved from \(file) to \(after[name] ?? "nowhere")") }
    }

    /// 101 callers of one hub on the same port are more groups than the hub's rules may name:
    /// they share one merged group, exactly, where this was an E703 before.
    @Test func anNSGWhoseRulesWouldNameMoreThanAHundredGroupsMergesThemExactly() throws {
        var text = "version: 1\nname: wide\nworkloads:\n  hub: {image: nginx:1.25, ports: [tcp/80]}\n"
        for index in 0..<101 { text += "  w\(index): {image: nginx:1.25}\n" }
        text += "flows:\n  - {from: [\((0..<101).map { "w\($0)" }.joined(separator: ", "))], to: hub, ports: [tcp/80]}\n"
        let policy = try #require(compileSpec(text).policy)
        let (emission, _) = try BackendsTests.checkRoundTrip(AzureBackend(), policy, options(.azure, .widen))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        #expect(emission.files[0].contents.contains("asg-wide-peers-"))
    }
}

/// Direction, access and protocol are typed: what an NSG does not take is refused, naming the
/// template and the rule.
extension AzureTests {
    @Test(arguments: [
        ("\"direction\": \"Inbound\"", "\"direction\": \"Sideways\"", "direction 'Sideways'"),
        ("\"access\": \"Deny\"", "\"access\": \"Maybe\"", "access 'Maybe'"),
        ("\"protocol\": \"Tcp\"", "\"protocol\": \"Esp\"", "protocol 'Esp'"),
    ])
    func aValueNoNSGTakesIsRefused(field: String, replacement: String, reason: String) throws {
        let policy = try policy("minimal.yaml")
        let text = try backend.emit(policy, options: options(.azure, .widen)).files[0].contents
        let changed = text.replacingOccurrences(of: field, with: replacement)
        #expect(changed != text)
        let error = try #require(throws: ReadFailure.self) { try backend.read([OutputFile(path: "nsg.json", contents: changed)], policy: policy) }
        #expect(error.file == "nsg.json")
        #expect(error.reason.hasPrefix("rule ") && error.reason.contains(reason), "\(error)")
    }

    /// The templates read back as the plan's rules, enums and all, with Azure's defaults
    /// underneath.
    @Test(arguments: samples)
    func theTemplateReadsBackAsThePlansRules(sample: String) throws {
        let policy = try policy(sample)
        let plan = try AzurePlan(policy: policy, options: AzureOptions.parse(BackendsTests.options(.azure, .widen)).options)
        let read = try AzureReader(policy: policy, files: try AzureEmitter(plan: plan).files()).parse(plan.firewall)
        for group in plan.groups {
            let back = read.rules[try #require(read.names.firstIndex(of: group.name))]
            let key = { (rule: AzurePlan.Rule) in
                "\(rule.name) \(rule.direction) \(rule.access) \(rule.priority) \(rule.proto) \(rule.ports) "
                    + "\(rule.sourceGroups) \(rule.sourcePrefixes) \(rule.destinationGroups) \(rule.destinationPrefixes)"
            }
            #expect(Set(back.map(key)) == Set((group.rules + AzureReader.defaults).map(key)))
            #expect(back.map(\.priority) == back.map(\.priority).sorted())
        }
    }
}

/// The emitter's relation is taken from the plan (`AzureReader.templates(of:)`) rather than from
/// parsing the templates it writes: both must give the same relation, for one template or
/// several, split segments and merged groups alike.
extension AzureTests {
    func expectPlanReadsAsItsFiles(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let plan = try AzurePlan(policy: policy, options: AzureOptions.parse(BackendsTests.options(.azure, gaps)).options)
        let reader = AzureReader(policy: policy, files: try AzureEmitter(plan: plan).files())
        #expect(AzureReader.templates(of: plan) != nil, sourceLocation: sourceLocation)
        #expect(try reader.groupedRelation(of: plan) == reader.groupedRelation(), sourceLocation: sourceLocation)
        try expectIndexedRulesAreTheMatchingRules(NSGSemantics(templates: #require(AzureReader.templates(of: plan)), plan: plan.firewall, policy: policy))
    }

    /// The ports the rule index finds for each NSG, direction and identity pair (and those
    /// `allowedPorts` finds from the matching rules, with its shortcuts) are those of every
    /// rule of the NSG that matches both sides, tried in priority order: for every pair
    /// of a small policy, for the pairs some rule could allow (both ways) of a large one.
    func expectIndexedRulesAreTheMatchingRules(_ semantics: NSGSemantics, sourceLocation: SourceLocation = #_sourceLocation) {
        let index = semantics.ruleIndex()
        let identities = semantics.plan.identities.indices
        let pairs =
            identities.count <= 30
            ? identities.flatMap { identity in identities.map { (identity, $0) } }
            : semantics.candidatePairs().flatMap { [($0.source, $0.destination), ($0.destination, $0.source)] }
        for (nsg, rules) in semantics.nsgs.enumerated() {
            for direction in [AzurePlan.Rule.Direction.inbound, .outbound] {
                for (identity, peer) in pairs {
                    let matching = rules.indices.filter { position in
                        let rule = rules[position]
                        return rule.direction == direction && (rule.ownWide || rule.owners.contains(identity)) && (rule.peerWide || rule.peers.contains(peer))
                    }
                    // First match, every matching rule tried, each deciding what no earlier one did.
                    var (decided, reference) = (PortSet(), PortSet())
                    for position in matching {
                        let ports = rules[position].ports.subtracting(decided)
                        if rules[position].allow { reference.formUnion(ports) }
                        decided.formUnion(ports)
                    }
                    #expect(semantics.allowedPorts(rules, matching, direction: direction) == reference, sourceLocation: sourceLocation)
                    let indexed = semantics.allowedPorts(index, nsg: nsg, direction: direction, identity: identity, peer: peer)
                    #expect(indexed == reference, "NSG \(nsg) \(direction) \(identity) \(peer)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test(arguments: samples)
    func theRelationFromThePlanIsTheOneOfItsFiles(sample: String) throws {
        for gaps in [GapPolicy.widen, .narrow] { try expectPlanReadsAsItsFiles(policy(sample), gaps) }
    }

    @Test func theRelationFromThePlanIsTheOneOfItsFilesForRandomSpecs() throws {
        try forRandomSpecs(seed: 41, count: 30) { policy, gaps in try expectPlanReadsAsItsFiles(policy, gaps) }
    }

    @Test(arguments: [GapPolicy.widen, .narrow])
    func theRelationFromThePlanIsTheOneOfItsFilesWhenSplitOrMerged(gaps: GapPolicy) throws {
        try expectPlanReadsAsItsFiles(Self.segments(900), gaps)
        try expectPlanReadsAsItsFiles(AzureSplitTests.services(300), gaps)
        try expectPlanReadsAsItsFiles(AzureSplitTests.hub(150, samePort: false), gaps)
        try expectPlanReadsAsItsFiles(AzureSplitTests.hub(150, samePort: true), gaps)
    }
}
