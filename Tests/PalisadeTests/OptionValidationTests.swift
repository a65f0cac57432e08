import Diagnostics
import Palisade
import TestSupport
import Testing

/// Every target's options are checked whatever `--target` says, by compile, lint and the
/// report commands alike, in the same run as the spec's other errors.
@Suite struct OptionValidationTests {
    static let files = InMemoryFileSystem([
        "both.yaml": """
        version: 1
        name: t
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80]}
        targets:
          openshft: {}
          mesos: {principal: ""}
        """,
        "misspelled.yaml": """
        version: 1
        name: t
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80]}
        targets:
          openshift: {namespace_prefx: x}
        """,
    ])

    @Test func anUnknownTargetAndABadOptionAreReportedTogether() {
        let output = Commands.compile(CompileRequest(specs: ["both.yaml"], check: true), fileSystem: Self.files)
        #expect(output.exitStatus == .failure)
        #expect(output.stderr.contains("error[E701]: unknown target 'openshft'"))
        #expect(output.stderr.contains("error[E702]: option 'principal' of target mesos"))
    }

    @Test func optionsOfTargetsNotCompiledAreCheckedToo() {
        let output = Commands.compile(CompileRequest(specs: ["misspelled.yaml"], targets: TargetList([.aws]), check: true), fileSystem: Self.files)
        #expect(output.exitStatus == .failure)
        #expect(output.stderr.contains("error[E702]: unknown option 'namespace_prefx' for target openshift"))
    }

    @Test func lintAndCompareRefuseWhatCompileRefuses() {
        let lint = Commands.lint(LintRequest(specs: ["misspelled.yaml"], format: .json), fileSystem: Self.files)
        #expect(lint.exitStatus == .failure)
        #expect(lint.stdout.contains("\"code\": \"E702\""))
        let compare = Commands.compare(CompareRequest(spec: "misspelled.yaml", targets: TargetList([.swarm])), fileSystem: Self.files)
        #expect(compare.exitStatus == .failure)
        #expect(compare.stderr.contains("E702"))
    }
}
