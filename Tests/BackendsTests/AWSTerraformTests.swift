import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// The policy with `format: FORMAT` among `target`'s options (which it gets if the spec gives none).
func withFormat(_ policy: Policy, _ target: TargetName, _ format: String) -> Policy {
    var policy = policy
    let range = SourceRange.wholeFile("spec.yaml")
    let entry = OptionEntry(key: Located("format", at: range), value: Located(.string(format), at: range))
    if let index = policy.targets.firstIndex(where: { $0.target == target }) {
        policy.targets[index].options.removeAll { $0.key.value == "format" }
        policy.targets[index].options.append(entry)
    } else {
        policy.targets.append(TargetOptions(target: target, gaps: .widen, options: [entry], origin: range))
    }
    return policy
}

/// A sample's IR compiled as `palisade compile samples/SAMPLE` does from the repository's root
/// (the same source names in the files' headers as the goldens under `targets/`).
func repositorySample(_ sample: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Policy {
    try #require(SpecCompiler.compile(path: "samples/\(sample)", fileSystem: RepositoryFileSystem()).policy, sourceLocation: sourceLocation)
}

/// The addresses (`TYPE.KEY`) of every resource of a Terraform JSON file.
func terraformAddresses(_ text: String) throws -> Set<String> {
    let file = try TerraformFile(OutputFile(path: "main.tf.json", contents: text))
    return Set(file.resources.flatMap { type, resources in resources.map { "\(type).\($0.name)" } })
}

/// `format: terraform` on the `aws` target: the same plan as the CloudFormation form, written
/// as `aws_security_group` and standalone rule resources, read back to the same relation.
@Suite struct AWSTerraformTests {
    let backend = AWSBackend()

    func emit(_ policy: Policy) throws -> Emission {
        try backend.emit(policy, options: try #require(policy.options(for: .aws)))
    }

    /// The Terraform form of every sample is a golden file beside its CloudFormation template.
    @Test(arguments: backendSamples)
    func samplesMatchTheirGoldenFiles(sample: String) throws {
        let policy = withFormat(try repositorySample(sample), .aws, "terraform")
        let emission = try emit(policy)
        #expect(emission.files.map(\.path) == ["main.tf.json"])
        let golden = "targets/aws/\(policy.name)/main.tf.json"
        if let mismatch = goldenMismatch(emission.files[0].contents, at: golden) { Issue.record(Comment(rawValue: mismatch)) }
    }

    /// Both forms lower from one plan: the same gaps, and the files read back to the same relation.
    func checkBothForms(_ policy: Policy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let native = withFormat(policy, .aws, "cloudformation")
        let terraform = withFormat(policy, .aws, "terraform")
        let nativeEmission = try emit(native)
        let terraformEmission = try emit(terraform)
        #expect(nativeEmission.widened == terraformEmission.widened, sourceLocation: sourceLocation)
        #expect(nativeEmission.narrowed == terraformEmission.narrowed, sourceLocation: sourceLocation)
        #expect(nativeEmission.gaps.map(\.message) == terraformEmission.gaps.map(\.message), sourceLocation: sourceLocation)
        let nativeRead = try backend.read(nativeEmission.files, policy: native)
        let terraformRead = try backend.read(terraformEmission.files, policy: terraform)
        #expect(nativeRead.relation == terraformRead.relation, sourceLocation: sourceLocation)
        #expect(terraformRead.relation.subtracting(policy.intent) == terraformEmission.widened, sourceLocation: sourceLocation)
        #expect(policy.intent.subtracting(terraformRead.relation) == terraformEmission.narrowed, sourceLocation: sourceLocation)
    }

    @Test(arguments: backendSamples)
    func bothFormsOfEverySampleReadBackToTheSameRelation(sample: String) throws {
        try checkBothForms(try repositorySample(sample))
    }

    @Test func bothFormsOfRandomizedSpecsReadBackToTheSameRelation() throws {
        try forRandomSpecs(seed: 41, count: 30) { policy, gaps in
            var policy = policy
            policy.targets.removeAll { $0.target == .aws }
            policy.targets.append(TargetOptions(target: .aws, gaps: gaps, options: [], origin: .wholeFile("spec.yaml")))
            try checkBothForms(policy)
        }
    }

    /// Groups whose rules spread over several groups and segment groups read back the same in both forms.
    @Test func splitGroupsReadBackTheSameInBothForms() throws {
        var text = "version: 1\nname: t\nworkloads:\n  db: {image: postgres:16, ports: [tcp/5432, tcp/5434]}\n"
        for index in 0..<70 { text += "  c\(index): {image: app:1}\n" }
        text += "flows:\n"
        for index in 0..<70 { text += "  - {from: c\(index), to: db, ports: [tcp/5432, tcp/5434]}\n" }
        let policy = try #require(compileSpec(text).policy)
        let emission = try emit(withFormat(policy, .aws, "terraform"))
        #expect(emission.files[0].contents.contains("\"sg_db2\""))
        try checkBothForms(policy)
    }

    /// Resource keys come from names: adding a flow adds resources and renames none.
    @Test func addingAFlowChangesNoExistingAddress() throws {
        let original = try String(contentsOf: repositoryRoot.appendingPathComponent("samples/shop.yaml"), encoding: .utf8)
        let marker = "flows:\n"
        let range = try #require(original.range(of: marker))
        let added = original.replacingCharacters(in: range, with: marker + "  - {name: web-to-worker-metrics, from: web, to: order-worker, ports: [metrics]}\n")
        func addresses(_ text: String) throws -> Set<String> {
            let output = SpecCompiler.compile(path: "shop.yaml", fileSystem: InMemoryFileSystem(["shop.yaml": text]))
            #expect(output.diagnostics.filter { $0.severity == .error }.isEmpty)
            let policy = withFormat(try #require(output.policy), .aws, "terraform")
            return try terraformAddresses(try emit(policy).files[0].contents)
        }
        let before = try addresses(original)
        let after = try addresses(added)
        #expect(before.subtracting(after).isEmpty, "addresses gone: \(before.subtracting(after).sorted())")
        #expect(!after.subtracting(before).isEmpty)
    }

    @Test func theFormatIsAnOptionOfTheSpecsTargetsBlock() throws {
        let spec = """
            version: 1
            name: t
            workloads:
              api: {image: api:1, ports: [tcp/8080]}
              web: {image: web:1}
            flows:
              - {from: web, to: api, ports: [tcp/8080]}
            targets:
              aws: {format: terraform, vpc_id: vpc-0abc1234}
            """
        let policy = try #require(compileSpec(spec).policy)
        #expect(backend.validate(try #require(policy.options(for: .aws))).isEmpty)
        let emission = try emit(policy)
        #expect(emission.files.map(\.path) == ["main.tf.json"])
        let text = emission.files[0].contents
        #expect(text.contains("\"aws_vpc_security_group_ingress_rule\""))
        #expect(text.contains("\"default\": \"vpc-0abc1234\""))
        #expect(text.contains("\"referenced_security_group_id\": \"${aws_security_group.sg_web.id}\""))
        // No inline rules, and no sentinel: Terraform removes AWS's default egress rule itself.
        #expect(!text.contains("\"ingress\"") && !text.contains("\"egress\"") && !text.contains("255.255.255.255"))
        let bad = options(.aws, .widen, ["format": .string("terraformm")])
        let diagnostics = backend.validate(bad)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.help?.contains("terraform") == true)
    }

    /// A group without egress rules sends nothing in this form; the CloudFormation default
    /// (everything out) does not apply.
    @Test func aGroupWithoutEgressRulesSendsNothing() throws {
        let spec = "version: 1\nname: t\nworkloads:\n  api: {image: api:1, ports: [tcp/8080]}\nflows:\n  - {from: any, to: api, ports: [tcp/8080]}\n"
        let policy = withFormat(try #require(compileSpec(spec).policy), .aws, "terraform")
        let emission = try emit(policy)
        #expect(!emission.files[0].contents.contains("aws_vpc_security_group_egress_rule"))
        #expect(try backend.read(emission.files, policy: policy).relation == policy.intent)
    }

    @Test func badFilesAreReadFailuresNotCrashes() throws {
        let policy = withFormat(try repositorySample("shop.yaml"), .aws, "terraform")
        let good = try emit(policy).files[0].contents
        let cases = [
            "", "[]", "{\"resource\": []}",
            good.replacingOccurrences(of: "\"palisade:identity\": \"db\"", with: "\"palisade:identity\": \"nobody\""),
            good.replacingOccurrences(of: "${aws_security_group.sg_db.id}", with: "${aws_security_group.sg_nothing.id}"),
            good.replacingOccurrences(of: "\"from_port\": 5432", with: "\"from_port\": 70000"),
        ]
        for text in cases {
            #expect(throws: ReadFailure.self) { try backend.read([OutputFile(path: "main.tf.json", contents: text)], policy: policy) }
        }
        #expect(throws: ReadFailure.self) { try backend.read([], policy: policy) }
    }
}
