import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// Segments whose rules one NSG cannot hold are split by service identity into NSGs on the
/// workloads' NICs; an identity whose peers are more application security groups than one
/// NSG's rules may name has them merged (exactly where their ports agree, else under `widen`)
/// or dropped (`narrow`). Every split and fit reads back as the gaps say.
@Suite struct AzureSplitTests {
    /// `count` services in one segment, each its own identity, reachable from one of `networks`
    /// external networks on one port (as the large-estate spec A, smaller).
    static func services(_ count: Int, networks: Int = 20) throws -> Policy {
        var text = "version: 1\nname: estate\nnetworks:\n"
        for network in 0..<networks { text += "  client-\(network): [10.\(network).0.0/16]\n" }
        text += "segments:\n  services: {}\nworkloads:\n"
        for index in 0..<count { text += "  svc-\(index): {image: nginx:1.25, segment: services, ports: [tcp/\(8000 + index % 50)]}\n" }
        text += "flows:\n"
        for index in 0..<count { text += "  - {from: client-\(index % networks), to: svc-\(index), ports: [tcp/\(8000 + index % 50)]}\n" }
        return try #require(compileSpec(text).policy)
    }

    /// A hub called by `count` workloads of another segment, on one port each (`samePort`:
    /// all on tcp/80).
    static func hub(_ count: Int, samePort: Bool) throws -> Policy {
        var text = "version: 1\nname: hub\nsegments:\n  core: {}\n  edge: {}\nworkloads:\n  hub: {image: nginx:1.25, segment: core, ports: [tcp/1-65535]}\n"
        for index in 0..<count { text += "  c\(index): {image: nginx:1.25, segment: edge}\n" }
        text += "flows:\n"
        for index in 0..<count { text += "  - {from: c\(index), to: hub, ports: [tcp/\(samePort ? 80 : 1000 + index)]}\n" }
        return try #require(compileSpec(text).policy)
    }

    static func plan(_ policy: Policy, _ gaps: GapPolicy) throws -> AzurePlan {
        try AzurePlan(policy: policy, options: AzureOptions.parse(BackendsTests.options(.azure, gaps)).options)
    }

    /// The templates' NSGs, by name, and their outputs merged.
    static func resources(_ files: [OutputFile]) throws -> (nsgs: [String: [[String: Any]]], outputs: [String: [String: [String]]]) {
        var nsgs: [String: [[String: Any]]] = [:]
        var outputs: [String: [String: [String]]] = [:]
        for file in files {
            let template = try #require(try JSONSerialization.jsonObject(with: Data(file.contents.utf8)) as? [String: Any])
            for resource in template["resources"] as? [[String: Any]] ?? [] where resource["type"] as? String == "Microsoft.Network/networkSecurityGroups" {
                nsgs[resource["name"] as? String ?? ""] = (resource["properties"] as? [String: Any])?["securityRules"] as? [[String: Any]] ?? []
            }
            for (name, output) in template["outputs"] as? [String: [String: Any]] ?? [:] {
                for (key, value) in output["value"] as? [String: [String]] ?? [:] { outputs[name, default: [:]][key] = value }
            }
        }
        return (nsgs, outputs)
    }

    /// 300 identities in one segment are more application security groups than one NSG's rules
    /// may name: the segment is split into NSGs by identity, each within every limit, each
    /// workload's NIC listed under exactly one of them; the split reads back exactly.
    @Test(arguments: [GapPolicy.widen, .narrow])
    func aSegmentBeyondOneNSGIsSplitByIdentityAndReadsBackExactly(gaps: GapPolicy) throws {
        let policy = try Self.services(300)
        let (emission, _) = try checkRoundTrip(AzureBackend(), policy, options(.azure, gaps))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        let (nsgs, outputs) = try Self.resources(emission.files)
        #expect(nsgs.count > 1)
        #expect(nsgs.keys.allSatisfy { $0.hasPrefix("nsg-estate-services-") })
        for (name, rules) in nsgs {
            let named = Set(
                rules.flatMap { rule in
                    ["source", "destination"].flatMap {
                        ((rule["properties"] as? [String: Any])?["\($0)ApplicationSecurityGroups"] as? [[String: String]] ?? []).compactMap { $0["id"] }
                    }
                })
            #expect(named.count <= AzurePlan.groupsPerNSG, "\(name)")
            #expect(rules.count <= AzurePlan.rulesPerGroup, "\(name)")
        }
        let interfaces = try #require(outputs[AzureEmitter.interfacesOutput])
        #expect(Set(interfaces.keys) == Set(nsgs.keys))
        let listed = interfaces.values.flatMap { $0 }
        #expect(listed.count == 300 && Set(listed) == Set(policy.workloads.map(\.name)))
    }

    /// Which part holds an identity depends on its name alone: one more service moves no other
    /// between NSGs while the number of parts stays.
    @Test func oneMoreIdentityMovesNoOtherBetweenParts() throws {
        let before = try Self.plan(try Self.services(300), .widen)
        let after = try Self.plan(try Self.services(301), .widen)
        #expect(before.groups.count == after.groups.count)
        let place = { (plan: AzurePlan) in
            Dictionary(plan.groups.flatMap { group in group.workloads.map { ($0, group.name) } }, uniquingKeysWith: { first, _ in first })
        }
        let (old, new) = (place(before), place(after))
        for (workload, nsg) in old { #expect(new[workload] == nsg, "\(workload) moved from \(nsg)") }
    }

    /// A segment one NSG holds keeps its one NSG, named after the segment, without outputs.
    @Test func aSegmentThatFitsKeepsItsOneNSG() throws {
        let plan = try Self.plan(try Self.services(40), .widen)
        #expect(plan.groups.map(\.name) == ["nsg-estate-services"])
        #expect(plan.groups[0].part == nil && plan.merged.isEmpty)
        let files = try AzureEmitter(plan: plan).files()
        #expect(!files[0].contents.contains("\"outputs\""))
    }

    /// 150 callers of one hub on the same port share one merged group: exact, under every gap
    /// policy, and the merged group's members are in the template's output.
    @Test(arguments: [GapPolicy.widen, .narrow])
    func peersOnTheSamePortsShareAMergedGroupExactly(gaps: GapPolicy) throws {
        let policy = try Self.hub(150, samePort: true)
        let (emission, _) = try checkRoundTrip(AzureBackend(), policy, options(.azure, gaps))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        let plan = try Self.plan(policy, gaps)
        #expect(plan.fits.values.allSatisfy { $0 == .exact })
        #expect(plan.merged.count == 1 && plan.merged[0].identities.count == 150)
        let (_, outputs) = try Self.resources(emission.files)
        #expect(outputs[AzureEmitter.membersOutput]?[plan.merged[0].name]?.count == 150)
    }

    /// `count` clients each calling `count` servers, client `i` server `j` on tcp/1000+i+j: no
    /// exact configuration fits either end's NSG.
    static func mesh(_ count: Int) throws -> Policy {
        var text = "version: 1\nname: mesh\nsegments:\n  clients: {}\n  servers: {}\nworkloads:\n"
        for index in 0..<count {
            text += "  c\(index): {image: nginx:1.25, segment: clients}\n  s\(index): {image: nginx:1.25, segment: servers, ports: [tcp/1000-2000]}\n"
        }
        text += "flows:\n"
        for client in 0..<count {
            for server in 0..<count { text += "  - {from: c\(client), to: s\(server), ports: [tcp/\(1000 + client + server)]}\n" }
        }
        return try #require(compileSpec(text).policy)
    }

    /// 150 callers of one hub on 150 different ports: the hub's rules cannot name them all.
    /// Under `widen` callers share a merged group on the union of their ports, yet each
    /// caller's own NSG lets out only its port, so what the templates allow stays exact; under
    /// `narrow` the fewest are dropped, exactly as many as needed, reported as narrowed.
    @Test func aHubsPeersBeyondAHundredGroupsAreMergedOrDropped() throws {
        let policy = try Self.hub(150, samePort: false)
        let (widen, _) = try checkRoundTrip(AzureBackend(), policy, options(.azure, .widen))
        #expect(widen.widened.isEmpty && widen.narrowed.isEmpty)
        #expect(try Self.plan(policy, .widen).fits.values.contains(.merged))

        let (narrow, _) = try checkRoundTrip(AzureBackend(), policy, options(.azure, .narrow))
        #expect(narrow.widened.isEmpty)
        // The hub's rules name 100 groups: its own and 99 callers'.
        #expect(narrow.narrowed.betweenWorkloads.count == 150 - (AzurePlan.groupsPerNSG - 1))
        let narrowed = narrow.gaps.filter { $0.kind == .narrowed }
        #expect(!narrowed.isEmpty && narrowed.allSatisfy { $0.reason.contains("are dropped") })
    }

    /// Where both ends of a connection had their peers merged, the union of ports shows:
    /// reported as widened, with the merge as its reason, and exactly what the reader sees.
    @Test func mergedPeersOnBothEndsAreReportedAsWidened() throws {
        let policy = try Self.mesh(101)
        let (emission, _) = try checkRoundTrip(AzureBackend(), policy, options(.azure, .widen))
        #expect(emission.narrowed.isEmpty && !emission.widened.isEmpty)
        let widened = emission.gaps.filter { $0.kind == .widened }
        #expect(!widened.isEmpty && widened.allSatisfy { $0.reason.contains("merged group") })
    }

    /// The split and fitted templates keep every NSG within Azure's limits, and the
    /// application security groups each NIC joins within 20.
    @Test func fittedTemplatesStayWithinAzuresLimits() throws {
        for policy in [try Self.hub(150, samePort: false), try Self.services(300)] {
            let plan = try Self.plan(policy, .widen)
            for group in plan.groups {
                #expect(group.rules.count <= AzurePlan.rulesPerGroup)
                #expect(Set(group.rules.flatMap { $0.sourceGroups + $0.destinationGroups }).count <= AzurePlan.groupsPerNSG)
            }
            var joined: [Int: Int] = [:]
            for group in plan.merged { for identity in group.identities { joined[identity, default: 1] += 1 } }
            #expect(joined.values.allSatisfy { $0 <= AzurePlan.groupsPerNIC })
        }
    }
}
