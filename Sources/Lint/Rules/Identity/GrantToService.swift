import IR

struct GrantToService: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL506", name: "grant-to-service", category: .identity, severity: .warning,
        summary: "a role is granted to a service identity (allow_service)",
        rationale: "A workload that may deploy or exec is one compromise away from controlling its neighbours.",
        fix: "Grant the role to a user or group that runs the automation, or keep the grant and record why with lint.ignore.",
        messages: ["granted": "service identity {identity} holds role {role}"],
        triggering: [
            "version: 1\nname: t\nidentities: {bot: {}}\nroles: {deployer: [deploy]}\ngrants:\n"
                + "  - ↓{identity: bot, role: deployer, segments: all, allow_service: true}\nworkloads: {}\n"
        ],
        nonTriggering: [
            "version: 1\nname: t\nidentities: {ci: {kind: user}}\nroles: {deployer: [deploy]}\ngrants:\n"
                + "  - {identity: ci, role: deployer, segments: all}\nworkloads: {}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        policy.grants.filter(\.allowService).map { grant in
            let (identity, role) = policy.names(of: grant)
            return Self.metadata.finding("granted", ["identity": identity, "role": role], at: grant.origin, subject: "identity:\(identity)")
        }
    }
}
