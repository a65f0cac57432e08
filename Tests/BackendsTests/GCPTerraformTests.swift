import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// Both forms of a cloud target lower from one plan: the same gaps, and the files read back to
/// the same relation, which is intent + widened − narrowed.
func checkBothForms(
    _ backend: any Backend, _ policy: Policy, native: String, target: TargetName, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let nativePolicy = withFormat(policy, target, native)
    let terraformPolicy = withFormat(policy, target, "terraform")
    let nativeEmission = try backend.emit(nativePolicy, options: try #require(nativePolicy.options(for: target)))
    let terraformEmission = try backend.emit(terraformPolicy, options: try #require(terraformPolicy.options(for: target)))
    #expect(terraformEmission.files.map(\.path) == ["main.tf.json"], sourceLocation: sourceLocation)
    #expect(nativeEmission.widened == terraformEmission.widened, sourceLocation: sourceLocation)
    #expect(nativeEmission.narrowed == terraformEmission.narrowed, sourceLocation: sourceLocation)
    #expect(nativeEmission.gaps.map(\.message) == terraformEmission.gaps.map(\.message), sourceLocation: sourceLocation)
    let nativeRead = try backend.read(nativeEmission.files, policy: nativePolicy)
    let terraformRead = try backend.read(terraformEmission.files, policy: terraformPolicy)
    #expect(nativeRead.relation == terraformRead.relation, sourceLocation: sourceLocation)
    #expect(terraformRead.relation.subtracting(policy.intent) == terraformEmission.widened, sourceLocation: sourceLocation)
    #expect(policy.intent.subtracting(terraformRead.relation) == terraformEmission.narrowed, sourceLocation: sourceLocation)
}

/// The addresses of a sample's Terraform form, and of the same sample with one more flow: the
/// first must all be among the second.
func addressesBeforeAndAfterAFlow(_ backend: any Backend, target: TargetName, flow: String) throws -> (before: Set<String>, after: Set<String>) {
    let original = try String(contentsOf: repositoryRoot.appendingPathComponent("samples/shop.yaml"), encoding: .utf8)
    let range = try #require(original.range(of: "flows:\n"))
    let added = original.replacingCharacters(in: range, with: "flows:\n" + flow + "\n")
    func addresses(_ text: String) throws -> Set<String> {
        let output = SpecCompiler.compile(path: "shop.yaml", fileSystem: InMemoryFileSystem(["shop.yaml": text]))
        #expect(!output.diagnostics.contains { $0.severity == .error })
        let policy = withFormat(try #require(output.policy), target, "terraform")
        return try terraformAddresses(try backend.emit(policy, options: try #require(policy.options(for: target))).files[0].contents)
    }
    return (try addresses(original), try addresses(added))
}

/// `format: terraform` on the `gcp` target: one `google_compute_firewall` per rule of the plan.
@Suite struct GCPTerraformTests {
    let backend = GCPBackend()

    @Test(arguments: backendSamples)
    func samplesMatchTheirGoldenFiles(sample: String) throws {
        let policy = withFormat(try repositorySample(sample), .gcp, "terraform")
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .gcp)))
        #expect(emission.files.map(\.path) == ["main.tf.json"])
        if let mismatch = goldenMismatch(emission.files[0].contents, at: "targets/gcp/\(policy.name)/main.tf.json") {
            Issue.record(Comment(rawValue: mismatch))
        }
    }

    @Test(arguments: backendSamples)
    func bothFormsOfEverySampleReadBackToTheSameRelation(sample: String) throws {
        try checkBothForms(backend, try repositorySample(sample), native: "json", target: .gcp)
    }

    @Test func bothFormsOfRandomizedSpecsReadBackToTheSameRelation() throws {
        try forRandomSpecs(seed: 43, count: 30) { policy, gaps in
            var policy = policy
            policy.targets.removeAll { $0.target == .gcp }
            policy.targets.append(TargetOptions(target: .gcp, gaps: gaps, options: [], origin: .wholeFile("spec.yaml")))
            try checkBothForms(backend, policy, native: "json", target: .gcp)
        }
    }

    @Test func addingAFlowChangesNoExistingAddress() throws {
        let (before, after) = try addressesBeforeAndAfterAFlow(
            backend, target: .gcp, flow: "  - {name: web-to-worker-metrics, from: web, to: order-worker, ports: [metrics]}")
        #expect(before.subtracting(after).isEmpty, "addresses gone: \(before.subtracting(after).sorted())")
        #expect(!after.subtracting(before).isEmpty)
    }

    @Test func theFormIsTerraformsFirewallResource() throws {
        let spec =
            "version: 1\nname: tfcheck\nworkloads:\n  api: {image: api:1, ports: [tcp/8080]}\n  web: {image: web:1}\n"
            + "flows:\n  - {from: web, to: api, ports: [tcp/8080]}\ntargets:\n  gcp: {format: terraform, network: global/networks/prod}\n"
        let policy = try #require(compileSpec(spec).policy)
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .gcp)))
        let text = emission.files[0].contents
        #expect(text.contains("\"google_compute_firewall\""))
        #expect(text.contains("\"network\": \"${var.network}\""))
        #expect(text.contains("\"default\": \"global/networks/prod\""))
        #expect(text.contains("\"deny\": ["))
        #expect(!backend.validate(options(.gcp, .widen, ["format": .string("cloudformation")])).isEmpty)
    }

    @Test func badFilesAreReadFailuresNotCrashes() throws {
        let policy = withFormat(try repositorySample("shop.yaml"), .gcp, "terraform")
        let good = try backend.emit(policy, options: try #require(policy.options(for: .gcp))).files[0].contents
        let cases = [
            "", "[]", "{\"resource\": 1}",
            good.replacingOccurrences(of: "\"direction\": \"INGRESS\"", with: "\"direction\": \"SIDEWAYS\""),
            good.replacingOccurrences(of: "\"6379\"", with: "\"99999\""),
            good.replacingOccurrences(of: "\"allow\": [", with: "\"permit\": ["),
        ]
        for text in cases {
            #expect(throws: ReadFailure.self) { try backend.read([OutputFile(path: "main.tf.json", contents: text)], policy: policy) }
        }
    }
}
