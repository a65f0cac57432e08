import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `format: terraform` on the `azure` target: application security groups, NSGs and one
/// `azurerm_network_security_rule` per rule of the plan.
@Suite struct AzureTerraformTests {
    let backend = AzureBackend()

    @Test(arguments: backendSamples)
    func samplesMatchTheirGoldenFiles(sample: String) throws {
        let policy = withFormat(try repositorySample(sample), .azure, "terraform")
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .azure)))
        #expect(emission.files.map(\.path) == ["main.tf.json"])
        if let mismatch = goldenMismatch(emission.files[0].contents, at: "targets/azure/\(policy.name)/main.tf.json") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test(arguments: backendSamples)
    func bothFormsOfEverySampleReadBackToTheSameRelation(sample: String) throws {
        try checkBothForms(backend, try repositorySample(sample), native: "arm", target: .azure)
    }

    @Test func bothFormsOfRandomizedSpecsReadBackToTheSameRelation() throws {
        try forRandomSpecs(seed: 47, count: 30) { policy, gaps in
            var policy = policy
            policy.targets.removeAll { $0.target == .azure }
            policy.targets.append(TargetOptions(target: .azure, gaps: gaps, options: [], origin: .wholeFile("spec.yaml")))
            try checkBothForms(backend, policy, native: "arm", target: .azure)
        }
    }

    @Test func addingAFlowChangesNoExistingAddress() throws {
        let (before, after) = try addressesBeforeAndAfterAFlow(
            backend, target: .azure, flow: "  - {name: web-to-worker-metrics, from: web, to: order-worker, ports: [metrics]}")
        #expect(before.subtracting(after).isEmpty, "addresses gone: \(before.subtracting(after).sorted())")
        #expect(!after.subtracting(before).isEmpty)
    }

    @Test func theFormNamesGroupsByReference() throws {
        let spec =
            "version: 1\nname: tfcheck\nworkloads:\n  api: {image: api:1, ports: [tcp/8080]}\n  web: {image: web:1}\n"
            + "flows:\n  - {from: web, to: api, ports: [tcp/8080]}\ntargets:\n  azure: {format: terraform, location: westeurope}\n"
        let policy = try #require(compileSpec(spec).policy)
        let text = try backend.emit(policy, options: try #require(policy.options(for: .azure))).files[0].contents
        #expect(text.contains("\"azurerm_network_security_rule\""))
        #expect(text.contains("\"${azurerm_application_security_group.asg_tfcheck_web.id}\""))
        #expect(text.contains("\"default\": \"westeurope\""))
        #expect(!text.contains("\"security_rule\""))
    }

    @Test func badFilesAreReadFailuresNotCrashes() throws {
        let policy = withFormat(try repositorySample("shop.yaml"), .azure, "terraform")
        let good = try backend.emit(policy, options: try #require(policy.options(for: .azure))).files[0].contents
        let cases = [
            "", "[]", "{\"resource\": \"x\"}",
            good.replacingOccurrences(of: "\"direction\": \"Inbound\"", with: "\"direction\": \"Upward\""),
            good.replacingOccurrences(of: "azurerm_network_security_group.nsg_shop_data.name", with: "azurerm_network_security_group.nsg_nowhere.name"),
            good.replacingOccurrences(of: "\"destination_port_range\": \"5432\"", with: "\"destination_port_range\": \"5432-1\""),
        ]
        for text in cases {
            #expect(throws: ReadFailure.self) { try backend.read([OutputFile(path: "main.tf.json", contents: text)], policy: policy) }
        }
    }
}
