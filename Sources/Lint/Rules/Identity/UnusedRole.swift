import IR

struct UnusedRole: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL502", name: "unused-role", category: .identity, severity: .note,
        summary: "a role no grant uses",
        rationale: "An unused role is dead policy that reviewers still have to read.",
        fix: "Remove the role, or grant it.",
        messages: ["unused": "role {role} is not granted"],
        triggering: ["version: 1\nname: t\nroles:\n  ↓viewer: [view]\nworkloads: {}\n"],
        nonTriggering: [
            "version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {viewer: [view]}\ngrants: [{identity: ops, role: viewer, segments: all}]\n"
                + "workloads: {}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.grants.map(\.role))
        return policy.roles.enumerated().filter { !used.contains(RoleID($0.offset)) }.map(\.element).map { role in
            Self.metadata.finding("unused", ["role": role.name], at: role.origin, subject: "role:\(role.name)")
        }
    }
}
