import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct AWSTests {
    static let samples = backendSamples
    let backend = AWSBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    /// Security groups express the intent exactly but for shared identities, dns: names, SCTP
    /// port ranges and the rule quota; under widen nothing intended is lost.
    func check(_ policy: Policy, _ gaps: GapPolicy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try checkRoundTrip(backend, policy, options(.aws, gaps), sourceLocation: sourceLocation)
        if gaps == .widen { #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation) }
    }

    @Test(arguments: samples)
    func samplesRoundTrip(sample: String) throws {
        let policy = try policy(sample)
        try check(policy, .widen)
        try check(policy, .narrow)
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 23, count: 40) { policy, gaps in try check(policy, gaps) }
    }

    @Test func theMinimalSpecIsExpressedExactly() throws {
        let emission = try backend.emit(try policy("minimal.yaml"), options: options(.aws, .widen))
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
        let text = emission.files[0].contents
        // The API may send nothing: the sentinel keeps CloudFormation's allow-all egress away.
        #expect(text.contains("\"CidrIp\": \"255.255.255.255/32\""))
        #expect(text.contains("\"SourceSecurityGroupId\": {"))
        #expect(text.contains("\"DestinationSecurityGroupId\": {"))
    }

    @Test func denyCarvedRangesFitTheQuotaByWideningOrNarrowing() throws {
        var text = "version: 1\nname: t\nnetworks:\n  blocked: ["
        text += (0..<40).map { "198.51.\($0 * 2).0/24" }.joined(separator: ", ") + "]\n"
        text += "workloads:\n  web: {image: nginx:1.25, ports: [tcp/443, tcp/80]}\nflows:\n"
        text += "  - {from: any, to: web, ports: [tcp/443, tcp/80]}\n  - {action: deny, from: blocked, to: web, ports: [all]}\n"
        let policy = try #require(compileSpec(text).policy)
        // One group per interface: the ranges do not spread over several.
        let one: [String: OptionValue] = ["groups_per_eni": .integer(1)]
        let wide = try backend.emit(policy, options: options(.aws, .widen, one))
        #expect(wide.narrowed.isEmpty && !wide.widened.isEmpty)
        let narrow = try backend.emit(policy, options: options(.aws, .narrow, one))
        #expect(narrow.widened.isEmpty && !narrow.narrowed.isEmpty)
        for emission in [wide, narrow] {
            let template = try #require(try JSONSerialization.jsonObject(with: Data(emission.files[0].contents.utf8)) as? [String: Any])
            let group = try #require((template["Resources"] as? [String: Any])?["SgWeb"] as? [String: Any])
            let inbound = try #require((group["Properties"] as? [String: Any])?["SecurityGroupIngress"] as? [[String: Any]])
            #expect(inbound.filter { $0["CidrIp"] != nil }.count <= AWSPlan.rulesPerGroup)
            #expect(inbound.filter { $0["CidrIpv6"] != nil }.count <= AWSPlan.rulesPerGroup)
        }
    }

    @Test func dnsDestinationsOpenEveryAddressOrNothing() throws {
        let text =
            "version: 1\nname: t\nnetworks: {stripe: [\"dns:api.stripe.com\"]}\nworkloads:\n  pay: {image: nginx:1.25}\n"
            + "flows:\n  - {from: pay, to: stripe, ports: [tcp/443]}\n"
        let policy = try #require(compileSpec(text).policy)
        let wide = try backend.emit(policy, options: options(.aws, .widen))
        #expect(wide.files[0].contents.contains("\"CidrIp\": \"0.0.0.0/0\""))
        #expect(wide.gaps.contains { $0.kind == .widened && $0.capability == .externalEgress })
        let narrow = try backend.emit(policy, options: options(.aws, .narrow))
        #expect(narrow.gaps.contains { $0.kind == .narrowed && $0.capability == .dnsEgress })
    }

    @Test func vpcOptionIsValidated() throws {
        let output = compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  aws: {vpc_id: vpc-zz, vpcid: x}\n")
        let policy = try #require(output.policy)
        let problems = backend.validate(try #require(policy.options(for: .aws)))
        #expect(problems.map(\.code) == [.invalidTargetOption, .invalidTargetOption])
    }
}

extension AWSTests {
    /// A chain of `count` identities, each sending to the next on tcp/80.
    static func chain(_ count: Int) throws -> Policy {
        var text = "version: 1\nname: chain\nworkloads:\n"
        for index in 0..<count { text += "  w\(index): {image: nginx:1.25, ports: [tcp/80]}\n" }
        text += "flows:\n"
        for index in 0..<(count - 1) { text += "  - {from: w\(index), to: w\(index + 1), ports: [tcp/80]}\n" }
        return try #require(compileSpec(text).policy)
    }

    /// Each resource's logical id and the template that holds it.
    static func placement(_ files: [OutputFile]) throws -> [String: String] {
        var result: [String: String] = [:]
        for file in files {
            let root = try #require(YAMLLoader.load(text: file.contents, file: file.path, limits: .generatedFiles).root)
            guard case .mapping(let resources)? = root["Resources"]?.content else { continue }
            for resource in resources { result[resource.name] = file.path }
        }
        return result
    }

    /// A chain of 300 identities needs 300 groups and 598 standalone rules: more resources
    /// and outputs than one template takes, so the policy comes out as numbered templates
    /// that read back as one: the groups first, then the rules.
    @Test func aPolicyBeyondOneTemplateIsSplitIntoNumberedTemplates() throws {
        let policy = try Self.chain(300)
        let (emission, _) = try BackendsTests.checkRoundTrip(AWSBackend(), policy, options(.aws, .widen))
        #expect(emission.files.map(\.path) == ["security-groups.json", "security-groups-2.json", "security-groups-3.json", "security-groups-4.json"])
        var groups = 0
        var rules = 0
        for file in emission.files {
            let root = try #require(YAMLLoader.load(text: file.contents, file: file.path, limits: .generatedFiles).root)
            guard case .mapping(let resources)? = root["Resources"]?.content else {
                Issue.record("no Resources")
                continue
            }
            #expect(resources.count <= AWSEmitter.resourcesPerTemplate)
            if case .mapping(let outputs)? = root["Outputs"]?.content { #expect(outputs.count <= AWSEmitter.outputsPerTemplate) }
            let here = resources.filter { $0.value["Type"]?.scalar == "AWS::EC2::SecurityGroup" }.count
            // A template holds groups or rules, never both.
            #expect(here == 0 || here == resources.count)
            groups += here
            rules += resources.count - here
            #expect(file.contents.utf8.count <= AWSEmitter.templateBytes)
        }
        #expect(groups == 300 && rules == 598)
        #expect(emission.files.dropFirst(2).contains { $0.contents.contains("\"Fn::ImportValue\": \"palisade-chain-SgW0\"") })
        // Without the exporting templates the imports resolve to nothing.
        #expect(throws: (any Error).self) { try AWSBackend().read(Array(emission.files.dropFirst()), policy: policy) }
    }

    /// Which template holds a resource depends on its logical id alone: one more identity
    /// and rule move no other resource to another template.
    @Test func oneMoreResourceMovesNoOtherBetweenTemplates() throws {
        let before = try Self.placement(try AWSBackend().emit(Self.chain(300), options: options(.aws, .widen)).files)
        let after = try Self.placement(try AWSBackend().emit(Self.chain(301), options: options(.aws, .widen)).files)
        #expect(before.count == 898 && after.count == 901)
        for (logicalID, file) in before { #expect(after[logicalID] == file, "\(logicalID) moved from \(file) to \(after[logicalID] ?? "nowhere")") }
    }
}
