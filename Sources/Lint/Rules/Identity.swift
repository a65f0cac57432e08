import IR

// Identity rules: who may act, and on what.

struct UnusedIdentity: LintRule {
    let description = RuleDescription(
        id: "PAL501", name: "unused-identity", severity: .note,
        summary: "an identity no workload runs as and no grant names",
        rationale: "Unused principals are forgotten access waiting to be reused.",
        fix: "Remove the identity, or use it.",
        triggering: ["version: 1\nname: t\nidentities:\n  ↓ghost: {kind: user}\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {viewer: [view]}\ngrants: [{identity: ops, role: viewer, segments: all}]\nworkloads: {}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.workloads.map(\.identity)).union(policy.grants.map(\.identity))
        return policy.identities.filter { !$0.implied && !used.contains($0.name) }.map { identity in
            description.finding("identity \(identity.name) is not used", at: identity.origin, subject: "identity:\(identity.name)")
        }
    }
}

struct UnusedRole: LintRule {
    let description = RuleDescription(
        id: "PAL502", name: "unused-role", severity: .note,
        summary: "a role no grant uses",
        rationale: "An unused role is dead policy that reviewers still have to read.",
        fix: "Remove the role, or grant it.",
        triggering: ["version: 1\nname: t\nroles:\n  ↓viewer: [view]\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {viewer: [view]}\ngrants: [{identity: ops, role: viewer, segments: all}]\nworkloads: {}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.grants.map(\.role))
        return policy.roles.filter { !used.contains($0.name) }.map { role in
            description.finding("role \(role.name) is not granted", at: role.origin, subject: "role:\(role.name)")
        }
    }
}

struct UnusedSecret: LintRule {
    let description = RuleDescription(
        id: "PAL503", name: "unused-secret", severity: .note,
        summary: "a secret no workload mounts",
        rationale: "A secret nobody uses still has to be stored, rotated and protected.",
        fix: "Remove the secret, or mount it where it is needed.",
        triggering: ["version: 1\nname: t\nsecrets:\n  ↓old-token: {}\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nsecrets: {token: {}}\nworkloads:\n  a: {image: nginx:1.25, secrets: [token]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.workloads.flatMap(\.secrets))
        return policy.secrets.filter { !used.contains($0.name) }.map { secret in
            description.finding("secret \(secret.name) is not mounted by any workload", at: secret.origin, subject: "secret:\(secret.name)")
        }
    }
}

struct AdminEverywhere: LintRule {
    let description = RuleDescription(
        id: "PAL504", name: "admin-everywhere", severity: .error,
        summary: "admin is granted on all segments",
        rationale: "One credential with every action everywhere is the whole estate when it leaks.",
        fix: "Grant admin on the segments the identity runs, and narrower roles elsewhere.",
        triggering: ["version: 1\nname: t\nidentities: {ops: {kind: group}}\nroles: {boss: [admin]}\ngrants:\n  - ↓{identity: ops, role: boss, segments: all}\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nsegments: {a: {}}\nidentities: {ops: {kind: group}}\nroles: {boss: [admin]}\ngrants:\n  - {identity: ops, role: boss, segments: [a]}\nworkloads: {}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.grants.filter { grant in
            grant.allSegments && (policy.roles.first { $0.name == grant.role }?.actions.contains(.admin) ?? false)
        }.map { grant in
            description.finding("\(grant.identity) holds admin (role \(grant.role)) on every segment", at: grant.origin, subject: "identity:\(grant.identity)")
        }
    }
}

struct SharedServiceIdentity: LintRule {
    let description = RuleDescription(
        id: "PAL505", name: "shared-service-identity", severity: .warning,
        summary: "a service identity is shared by workloads of different segments",
        rationale: "Platforms grant to identities: sharing one across segments lets whatever one workload may do leak into another segment.",
        fix: "Give each segment's workloads their own service identity.",
        triggering: ["version: 1\nname: t\nsegments: {a: {}, b: {}}\nidentities:\n  ↓shared: {}\nworkloads:\n  x: {segment: a, image: nginx:1.25, identity: shared}\n  y: {segment: b, image: nginx:1.25, identity: shared}\n"],
        nonTriggering: ["version: 1\nname: t\nsegments: {a: {}}\nidentities: {shared: {}}\nworkloads:\n  x: {segment: a, image: nginx:1.25, identity: shared}\n  y: {segment: a, image: nginx:1.25, identity: shared}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.identities.compactMap { identity in
            let segments = Set(policy.workloads.filter { $0.identity == identity.name }.map { policy.segments[$0.segment.index].name })
            guard segments.count > 1 else { return nil }
            return description.finding("service identity \(identity.name) runs workloads in segments \(segments.sorted().joined(separator: ", "))",
                                       at: identity.origin, subject: "identity:\(identity.name)")
        }
    }
}

struct GrantToService: LintRule {
    let description = RuleDescription(
        id: "PAL506", name: "grant-to-service", severity: .warning,
        summary: "a role is granted to a service identity (allow_service)",
        rationale: "A workload that may deploy or exec is one compromise away from controlling its neighbours.",
        fix: "Grant the role to a user or group that runs the automation, or keep the grant and record why with lint.ignore.",
        triggering: ["version: 1\nname: t\nidentities: {bot: {}}\nroles: {deployer: [deploy]}\ngrants:\n  - ↓{identity: bot, role: deployer, segments: all, allow_service: true}\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nidentities: {ci: {kind: user}}\nroles: {deployer: [deploy]}\ngrants:\n  - {identity: ci, role: deployer, segments: all}\nworkloads: {}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.grants.filter(\.allowService).map { grant in
            description.finding("service identity \(grant.identity) holds role \(grant.role)", at: grant.origin, subject: "identity:\(grant.identity)")
        }
    }
}
