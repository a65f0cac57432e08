import IR

struct RootUser: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL102", name: "root-user", category: .runtime, severity: .warning,
        summary: "a workload runs as root, or as whatever user its image says",
        rationale: "Root in a container is root on the node once anything else goes wrong; an unset user is the image's choice, often root.",
        fix: "Set `user` to a non-zero UID (and `run_as_non_root: true`).",
        messages: [
            "root": "{workload}: runs as root (user 0)",
            "unset": "{workload}: no user is set, so the image decides (often root)",
        ],
        triggering: [runtimeExample("↓user: 0"), noRuntimeExample],
        nonTriggering: [runtimeExample("user: 10001"), runtimeExample("run_as_non_root: true")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let runtime = workload.runtime
            if runtime.user == 0 { return Self.metadata.finding("root", workload: workload, setting: .user) }
            if runtime.user == nil, runtime.runAsNonRoot != true {
                return Self.metadata.finding("unset", workload: workload, setting: nil)
            }
            return nil
        }
    }
}
