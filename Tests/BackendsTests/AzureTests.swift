import Diagnostics
import Foundation
import IR
import Spec
import Testing
import TestSupport
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
