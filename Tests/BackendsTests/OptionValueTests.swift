import IR
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
