import IR
import TestSupport
import Testing

@testable import Backends

/// Option values the platforms refuse are located errors, not files the platform rejects.
@Suite struct OptionValueTests {
    @Test(arguments: [
        ("p\u{0}q\n- evil: 1", false), ("marathon", true), ("ops@EXAMPLE.COM", true), ("", false), ("a b", false),
    ])
    func mesosPrincipals(text: String, valid: Bool) {
        #expect((MesosOptions.principalProblem(text) == nil) == valid, "\(text.debugDescription)")
    }

    @Test(arguments: [("*", true), ("web", true), ("eng/frontend", true), ("..", false), ("-x", false), ("a b", false), ("a//b", false), ("x*", false)])
    func mesosRoles(text: String, valid: Bool) {
        #expect((MesosOptions.roleProblem(text) == nil) == valid, "\(text)")
    }

    @Test(arguments: [
        ("global/networks/default", true), ("global/networks/a b\n\"}", false), ("projects/my-project/global/networks/vpc-1", true),
        ("https://www.googleapis.com/compute/v1/projects/my-project/global/networks/vpc-1", true), ("networks/x", false),
        ("global/networks/Upper", false), ("global/networks/", false),
    ])
    func gcpNetworks(text: String, valid: Bool) {
        #expect((GCPOptions.networkProblem(text) == nil) == valid, "\(text.debugDescription)")
    }
}

/// Every target that cannot enforce the image policy says so when a spec has one.
@Suite struct ImagePolicyGapTests {
    @Test func everyTargetReportsAnImagePolicyItDoesNotEnforce() throws {
        let output = compileSpec(
            """
            version: 1
            name: t
            image_policy: {require_digest: false, allowed_registries: [registry.example.com]}
            workloads:
              web: {image: registry.example.com/web:1.0, ports: [tcp/80]}
            """)
        let policy = try #require(output.policy)
        for backend in BackendRegistry.all where backend.capabilities[.imagePolicy] == Support.none {
            let emission = try backend.emit(policy, options: TargetOptions(target: backend.target, gaps: .widen, options: [], origin: policy.origin))
            #expect(emission.gaps.contains { $0.subject == .imagePolicy }, "\(backend.target)")
        }
    }
}
