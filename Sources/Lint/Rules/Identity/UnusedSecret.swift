import IR

struct UnusedSecret: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL503", name: "unused-secret", category: .identity, severity: .note,
        summary: "a secret no workload mounts",
        rationale: "A secret nobody uses still has to be stored, rotated and protected.",
        fix: "Remove the secret, or mount it where it is needed.",
        messages: ["unused": "secret {secret} is not mounted by any workload"],
        triggering: ["version: 1\nname: t\nsecrets:\n  ↓old-token: {}\nworkloads: {}\n"],
        nonTriggering: ["version: 1\nname: t\nsecrets: {token: {}}\nworkloads:\n  a: {image: nginx:1.25, secrets: [token]}\n"])

    func check(_ policy: Policy) -> [Finding] {
        let used = Set(policy.workloads.flatMap(\.secrets))
        return policy.secrets.filter { !used.contains($0.name) }.map { secret in
            Self.metadata.finding("unused", ["secret": secret.name], at: secret.origin, subject: "secret:\(secret.name)")
        }
    }
}
