import IR

struct AdminEverywhere: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL504", name: "admin-everywhere", category: .identity, severity: .error,
        summary: "admin is granted on all segments",
        rationale: "One credential with every action everywhere is the whole estate when it leaks.",
        fix: "Grant admin on the segments the identity runs, and narrower roles elsewhere.",
        messages: ["everywhere": "{identity} holds admin (role {role}) on every segment"],
        triggering: [
            "version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {boss: [admin]}\ngrants:\n"
                + "  - ↓{identity: ops, role: boss, segments: all}\nworkloads: {}\n"
        ],
        nonTriggering: [
            "version: 1\nname: t\nsegments: {a: {}}\nidentities: {ops: {kind: group}}\nroles: {boss: [admin]}\ngrants:\n"
                + "  - {identity: ops, role: boss, segments: [a]}\nworkloads: {}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        policy.grants.filter { grant in
            grant.allSegments && policy.role(grant.role).actions.contains(.admin)
        }.map { grant in
            let (identity, role) = policy.names(of: grant)
            return Self.metadata.finding("everywhere", ["identity": identity, "role": role], at: grant.origin, subject: "identity:\(identity)")
        }
    }
}
