import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// An identity whose rules exceed one security group's quota spreads them over several groups
/// attached together (`SgNAME`, `SgNAME2`, …), up to `groups_per_eni`; beyond that they are
/// fitted the way `gaps` says, and reported.
@Suite struct AWSSplitTests {
    let backend = AWSBackend()

    /// The resources of a template, by logical id.
    func resources(_ emission: Emission) throws -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for file in emission.files {
            let template = try #require(try JSONSerialization.jsonObject(with: Data(file.contents.utf8)) as? [String: Any])
            for (name, resource) in template["Resources"] as? [String: Any] ?? [:] { result[name] = resource as? [String: Any] }
        }
        return result
    }

    /// The rules each group holds per direction and family, standalone rules counted on their group.
    func ruleCounts(_ emission: Emission) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (name, resource) in try resources(emission) {
            let properties = resource["Properties"] as? [String: Any] ?? [:]
            switch resource["Type"] as? String {
            case "AWS::EC2::SecurityGroup":
                for direction in ["SecurityGroupIngress", "SecurityGroupEgress"] {
                    for rule in properties[direction] as? [[String: Any]] ?? [] {
                        counts["\(name) \(direction) \(rule["CidrIpv6"] == nil ? 4 : 6)", default: 0] += 1
                    }
                }
            default:
                let owner = try #require(((properties["GroupId"] as? [String: Any])?["Fn::GetAtt"] as? [String])?.first)
                let direction = resource["Type"] as? String == "AWS::EC2::SecurityGroupIngress" ? "SecurityGroupIngress" : "SecurityGroupEgress"
                counts["\(owner) \(direction) 4", default: 0] += 1
            }
        }
        return counts
    }

    /// The spec of the large-estate issue: the segment-wide flow on six ports and one more
    /// flow need 67 inbound rules on `api`, more than one group holds.
    static let edge: String = {
        var text = "version: 1\nname: edge\nsegments: {edge: {}}\nworkloads:\n"
        text += "  api: {segment: edge, image: nginx:1.25, ports: [tcp/22, udp/5683, tcp/80, tcp/9090, tcp/8443, tcp/443, tcp/8080]}\n"
        for index in 1...10 { text += "  w\(index): {segment: edge, image: nginx:1.25}\n" }
        text += "flows:\n  - {from: segment:edge, to: api, ports: [tcp/22, udp/5683, tcp/80, tcp/9090, tcp/8443, tcp/443]}\n"
        text += "  - {from: w1, to: api, ports: [tcp/8080]}\n"
        return text
    }()

    /// The segment-wide flow is one rule per port from the segment's group, which every
    /// workload of the segment takes: seven inbound rules on `api` instead of 67.
    @Test func theElevenWorkloadSpecAggregatesIntoASegmentGroupAndReadsBackExactly() throws {
        let policy = try #require(compileSpec(Self.edge).policy)
        for gaps in [GapPolicy.widen, .narrow] {
            let (emission, _) = try checkRoundTrip(backend, policy, options(.aws, gaps))
            #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
            let resources = try resources(emission)
            #expect(resources["SgSegmentEdge"] != nil && resources["SgApi2"] == nil)
            let counts = try ruleCounts(emission)
            #expect(counts["SgApi SecurityGroupIngress 4"] == 7)
            #expect(counts.values.allSatisfy { $0 <= AWSPlan.rulesPerGroup })
            #expect(resources["SgApiInFromSegmentEdgeTcp22"] != nil && resources["SgApiInFromW1Tcp8080"] != nil)
            // Each identity's first group says which groups its workloads take; the segment's
            // group lists the identities that take it.
            for name in ["SgApi", "SgW1", "SgW10"] {
                let metadata = try #require(resources[name]?["Metadata"] as? [String: Any])
                #expect(metadata["palisade:groups"] as? [String] == [name, "SgSegmentEdge"])
            }
            let members = (resources["SgSegmentEdge"]?["Metadata"] as? [String: Any])?["palisade:members"] as? [String]
            #expect(members?.sorted() == ["api"] + (1...10).map { "w\($0)" }.sorted())
            #expect(emission.files[0].contents.contains("its workloads take SgApi, SgSegmentEdge"))
        }
        // Without room for a second group on each interface, api's rules cannot aggregate: they
        // are fitted to one group (the peers' own outbound rules keep the connections exact).
        let (one, _) = try checkRoundTrip(backend, policy, options(.aws, .widen, ["groups_per_eni": .integer(1)]))
        #expect(try resources(one)["SgSegmentEdge"] == nil)
        #expect(one.widened.isEmpty && one.narrowed.isEmpty)
    }

    /// One workload reaching a whole segment on six ports: its outbound rules name the
    /// segment's group.
    @Test func outboundRulesAggregateTowardsASegment() throws {
        var text = "version: 1\nname: t\nsegments: {ops: {}, apps: {}}\nworkloads:\n  scraper: {segment: ops, image: nginx:1.25}\n"
        for index in 1...11 { text += "  a\(index): {segment: apps, image: nginx:1.25, ports: [tcp/22, tcp/80, tcp/443, tcp/9090, tcp/9100, udp/161]}\n" }
        text += "flows:\n  - {from: scraper, to: segment:apps, ports: [tcp/22, tcp/80, tcp/443, tcp/9090, tcp/9100, udp/161]}\n"
        let policy = try #require(compileSpec(text).policy)
        let (emission, _) = try checkRoundTrip(backend, policy, options(.aws, .widen))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        let resources = try resources(emission)
        #expect(resources["SgScraperOutToSegmentAppsTcp22"] != nil && resources["SgScraperOutToA1Tcp22"] == nil)
        #expect(try ruleCounts(emission)["SgScraper SecurityGroupEgress 4"] == 7)  // six rules and the sentinel
    }

    /// 150 clients of one database: three groups of at most 60 inbound rules.
    static let clients: String = {
        var text = "version: 1\nname: t\nworkloads:\n  db: {image: postgres:16, ports: [tcp/5432, tcp/5433]}\n"
        for index in 0..<150 { text += "  c\(index): {image: nginx:1.25}\n" }
        text += "flows:\n" + (0..<150).map { "  - {from: c\($0), to: db, ports: [tcp/5432]}\n" }.joined()
        return text
    }()

    @Test func anIdentityWithThreeGroupsOfRulesReadsBackExactly() throws {
        let policy = try #require(compileSpec(Self.clients).policy)
        let (emission, _) = try checkRoundTrip(backend, policy, options(.aws, .widen))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        let resources = try resources(emission)
        #expect(["SgDb", "SgDb2", "SgDb3"].allSatisfy { resources[$0] != nil } && resources["SgDb4"] == nil)
        let counts = try ruleCounts(emission)
        #expect(counts.values.allSatisfy { $0 <= AWSPlan.rulesPerGroup })
        #expect(counts["SgDb SecurityGroupIngress 4"] == 60 && counts["SgDb3 SecurityGroupIngress 4"] == 30)
        // Every part has its own sentinel: none keeps AWS's allow-all egress.
        for name in ["SgDb2", "SgDb3"] {
            let egress = (resources[name]?["Properties"] as? [String: Any])?["SecurityGroupEgress"] as? [[String: Any]]
            #expect(egress?.first?["CidrIp"] as? String == "255.255.255.255/32")
        }
    }

    /// Under `groups_per_eni` the rules that do not fit are fitted: the ranges of one peer
    /// merge (widen), which stays exact while the peer's own outbound rules say the ports; or
    /// the least are dropped (narrow), reported.
    @Test func groupsPerENILimitsTheGroupsAndFitsTheRest() throws {
        var text = "version: 1\nname: t\nworkloads:\n  db: {image: postgres:16, ports: [tcp/5432, tcp/5434]}\n"
        for index in 0..<70 { text += "  c\(index): {image: nginx:1.25}\n" }
        text += "flows:\n" + (0..<70).map { "  - {from: c\($0), to: db, ports: [tcp/5432, tcp/5434]}\n" }.joined()
        let policy = try #require(compileSpec(text).policy)
        // Three groups are needed for 140 rules; one is allowed.
        let (wide, _) = try checkRoundTrip(backend, policy, options(.aws, .widen, ["groups_per_eni": .integer(2)]))
        #expect(wide.widened.isEmpty && wide.narrowed.isEmpty)
        #expect(wide.files[0].contents.contains("SgDbInFromC0Tcp5432To5434"))
        #expect(try resources(wide)["SgDb2"] != nil && resources(wide)["SgDb3"] == nil)
        let (narrow, _) = try checkRoundTrip(backend, policy, options(.aws, .narrow, ["groups_per_eni": .integer(1)]))
        #expect(narrow.widened.isEmpty && !narrow.narrowed.isEmpty)
        #expect(narrow.gaps.contains { $0.kind == .narrowed && $0.reason.contains("rules beyond 1 security groups (groups_per_eni) of 60 rules are dropped") })
        #expect(try resources(narrow)["SgDb2"] == nil)
        #expect(try ruleCounts(narrow).values.allSatisfy { $0 <= AWSPlan.rulesPerGroup })
    }

    /// Address ranges carved by deny flows need more rules than one group holds: with more
    /// groups allowed they spread exactly; with one they are fitted as before.
    @Test func addressRulesSpreadOrFitByTheGroupsAllowed() throws {
        var text = "version: 1\nname: t\nnetworks:\n  blocked: ["
        text += (0..<40).map { "198.51.\($0 * 2).0/24" }.joined(separator: ", ") + "]\n"
        text += "workloads:\n  web: {image: nginx:1.25, ports: [tcp/443, tcp/80]}\nflows:\n"
        text += "  - {from: any, to: web, ports: [tcp/443, tcp/80]}\n  - {action: deny, from: blocked, to: web, ports: [all]}\n"
        let policy = try #require(compileSpec(text).policy)
        let (spread, _) = try checkRoundTrip(backend, policy, options(.aws, .widen))
        #expect(spread.widened.isEmpty && spread.narrowed.isEmpty)
        #expect(try resources(spread)["SgWeb2"] != nil)
        let (wide, _) = try checkRoundTrip(backend, policy, options(.aws, .widen, ["groups_per_eni": .integer(1)]))
        #expect(!wide.widened.isEmpty && wide.narrowed.isEmpty)
        #expect(wide.gaps.contains { $0.kind == .widened && $0.reason.contains("ranges are merged to fit 1 security groups (groups_per_eni) of 60 rules") })
        let (narrow, _) = try checkRoundTrip(backend, policy, options(.aws, .narrow, ["groups_per_eni": .integer(1)]))
        #expect(narrow.widened.isEmpty && !narrow.narrowed.isEmpty)
    }

    /// When merging ranges cannot help (one range per peer), too many peers for the groups
    /// allowed is a located error under widen.
    @Test func tooManyPeersForTheGroupsAllowedIsALocatedError() throws {
        var text = "version: 1\nname: t\nworkloads:\n  db: {image: postgres:16, ports: [tcp/5432]}\n"
        for index in 0..<61 { text += "  c\(index): {image: nginx:1.25}\n" }
        text += "flows:\n" + (0..<61).map { "  - {from: c\($0), to: db, ports: [tcp/5432]}\n" }.joined()
        let policy = try #require(compileSpec(text).policy)
        let error = try #require(throws: BackendError.self) {
            try backend.emit(policy, options: options(.aws, .widen, ["groups_per_eni": .integer(1)]))
        }
        #expect(error.diagnostic.code == .targetLimit)
        #expect(error.diagnostic.message.contains("'db' need 61 rules towards other groups"))
        #expect(error.diagnostic.range?.start.line == 4)
        // With the default of five groups it compiles, in two.
        let (emission, _) = try checkRoundTrip(backend, policy, options(.aws, .widen))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
    }

    @Test func groupsPerENIIsValidated() throws {
        for value in ["0", "17", "five"] {
            let output = compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  aws: {groups_per_eni: \(value)}\n")
            let policy = try #require(output.policy)
            let problems = backend.validate(try #require(policy.options(for: .aws)))
            #expect(problems.map(\.code) == [.invalidTargetOption])
            #expect(problems.first?.message == "option 'groups_per_eni' of target aws is an integer from 1 to 16")
        }
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  aws: {groups_per_eni: 16}\n").policy)
        #expect(backend.validate(try #require(policy.options(for: .aws))).isEmpty)
        #expect(AWSOptions.of(policy, target: .aws).groupsPerENI == 16)
    }
}
