import Diagnostics
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `image_policy` on OpenShift: a ValidatingAdmissionPolicy from 4.17, read back by
/// evaluating its CEL; the gap before.
@Suite struct OpenShiftImageAdmissionTests {
    let backend = OpenShiftBackend()

    static let withPolicy = ["shop.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"]

    @Test(arguments: withPolicy)
    func theAdmissionPolicyAdmitsEveryWorkloadAndRefusesBrokenPods(sample: String) throws {
        let policy = try samplePolicy(sample)
        let emission = try backend.emit(policy, options: policy.options(for: .openshift) ?? options(.openshift, .widen))
        #expect(!emission.gaps.contains { $0.capability == .imagePolicy }, "enforced: no image policy gap")
        let reader = OpenShiftReader(policy: policy, files: emission.files)
        let parsed = try reader.parse()
        #expect(parsed.admission.count == 2)
        let outcome = try #require(try reader.imageAdmission(parsed.admission, workloads: parsed.workloadObjects))
        // Each Deployment and its pod admitted.
        #expect(outcome.admitted == 2 * policy.workloads.count)
        let imagePolicy = try #require(policy.imagePolicy)
        let lookAlikes = ImageAdmissionCheck.lookAlikes(imagePolicy).count
        #expect(lookAlikes >= 2 * imagePolicy.allowedRegistries.count)
        let perWorkload = (imagePolicy.allowedRegistries.isEmpty ? 0 : 4 + lookAlikes) + (imagePolicy.requireDigest ? 1 : 0)
        #expect(outcome.refused == perWorkload * policy.workloads.count)
        _ = try backend.read(emission.files, policy: policy)
        #expect(backend.capabilities[.imagePolicy] == .full)
    }

    @Test func anOlderVersionFallsBackToTheGap() throws {
        let policy = try samplePolicy("shop.yaml")
        let emission = try backend.emit(policy, options: options(.openshift, .widen, ["version": .string("4.16")]))
        let text = try #require(emission.files.first?.contents)
        #expect(!text.contains("ValidatingAdmissionPolicy"))
        #expect(text.contains("(OpenShift 4.12 or later"))
        let gaps = emission.gaps.filter { $0.capability == .imagePolicy }
        #expect(gaps.count == 1 && gaps[0].kind == .unenforced && gaps[0].reason.contains("OpenShift 4.16 has no ValidatingAdmissionPolicy"))
        let reader = OpenShiftReader(policy: policy, files: emission.files)
        let parsed = try reader.parse()
        #expect(try reader.imageAdmission(parsed.admission, workloads: parsed.workloadObjects) == nil)
        // A newer release than the default enforces it too.
        let newer = try backend.emit(policy, options: options(.openshift, .widen, ["version": .string("4.20")]))
        #expect(newer.files.first?.contents.contains("kind: ValidatingAdmissionPolicyBinding") == true)
    }

    @Test func aWrongVersionIsALocatedError() throws {
        let output = compileSpec(
            """
            version: 1
            name: t
            workloads:
              a: {image: nginx:1.25}
            targets:
              openshift: {version: "4.11"}
            """)
        let policy = try #require(output.policy)
        let problems = backend.validate(try #require(policy.options(for: .openshift)))
        #expect(problems.map(\.code) == [.invalidTargetOption])
        #expect(problems.first?.range?.start.line == 6)
        for text in ["4.12", "4.17", "4.99"] { #expect(OpenShiftOptions.minorVersion(text) != nil, "\(text)") }
        for text in ["4.11", "5.0", "4", "4.+17", "4.x", "", "4.100"] { #expect(OpenShiftOptions.minorVersion(text) == nil, "\(text)") }
    }

    @Test func aTamperedPolicyFailsTheRead() throws {
        let policy = try samplePolicy("shop.yaml")
        let emission = try backend.emit(policy, options: try #require(policy.options(for: .openshift)))
        let file = try #require(emission.files.first)
        func read(_ change: (String) -> String) throws {
            let changed = OutputFile(path: file.path, contents: change(file.contents))
            _ = try backend.read([changed], policy: policy)
        }
        // The registry no longer anchored: a look-alike host is admitted.
        #expect(throws: ReadFailure.self) {
            try read { $0.replacingOccurrences(of: "matches('^(?i:registry[.]example[.]com)", with: "matches('(?i:registry[.]example[.]com)") }
        }
        // The binding leaves a namespace out.
        #expect(throws: ReadFailure.self) { try read { $0.replacingOccurrences(of: "        - shop-edge\n", with: "") } }
        // Audit instead of Deny enforces nothing.
        #expect(throws: ReadFailure.self) { try read { $0.replacingOccurrences(of: "  - Deny\n", with: "  - Audit\n") } }
        // Ephemeral containers no longer checked.
        #expect(throws: ReadFailure.self) {
            try read { $0.replacingOccurrences(of: " + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])", with: "") }
        }
        // CEL outside the subset the reader knows.
        #expect(throws: ReadFailure.self) {
            try read { $0.replacingOccurrences(of: ".all(c, c.image.matches(", with: ".all(c, c.image.lowerAscii().matches(") }
        }
        // Untouched, it reads.
        try read { $0 }
    }
}
