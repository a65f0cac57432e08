import IR

struct UnusedIdentity: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL501", name: "unused-identity", category: .identity, severity: .note,
        summary: "an identity no workload runs as and no grant names",
        rationale: "Unused principals are forgotten access waiting to be reused.",
        fix: "Remove the identity, or use it.",
        messages: ["unused": "identity {identity} is not used"],
        triggering: ["version: 1\nname: t\nidentities:\n  ↓ghost: {kind: user}\nworkloads: {}\n"],
        nonTriggering: [
            "version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {viewer: [view]}\ngrants: [{identity: ops, role: viewer, segments: all}]\n"
                + "workloads: {}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.workloads.map(\.identity)).union(policy.grants.map(\.identity))
        return policy.identities.enumerated().filter { !$0.element.implied && !used.contains(IdentityID($0.offset)) }.map(\.element).map { identity in
            Self.metadata.finding("unused", ["identity": identity.name], at: identity.origin, subject: "identity:\(identity.name)")
        }
    }
}
