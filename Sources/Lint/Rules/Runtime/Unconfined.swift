import IR

struct Unconfined: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL205", name: "unconfined", category: .runtime, severity: .error,
        summary: "a workload runs with seccomp or AppArmor unconfined",
        rationale: "Unconfined turns off the kernel's last line of defence against container escapes.",
        fix: "Use `runtime-default`, or a `localhost/…` profile written for the workload.",
        messages: ["unconfined": "{workload}: {setting} is unconfined"],
        triggering: [runtimeExample("↓seccomp: unconfined"), runtimeExample("seccomp: runtime-default, ↓apparmor: unconfined")],
        nonTriggering: [runtimeExample("seccomp: runtime-default, apparmor: localhost/app")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.flatMap { workload -> [Finding] in
            [(RuntimeKey.seccomp, workload.runtime.seccomp), (.apparmor, workload.runtime.apparmor)]
                .filter { $0.1 == .unconfined }
                .map { Self.metadata.finding("unconfined", ["setting": $0.0.name], workload: workload, setting: $0.0) }
        }
    }
}
