import IR

struct WritableRoot: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL203", name: "writable-root", category: .runtime, severity: .warning,
        summary: "a workload's root filesystem is writable",
        rationale: "A writable root lets an intruder drop tools and persist changes; scratch space belongs in writable_paths.",
        fix: "Set `read_only_root: true` and list the directories it writes in `writable_paths`.",
        messages: ["writable": "{workload}: the root filesystem is writable"],
        triggering: [runtimeExample("↓read_only_root: false"), noRuntimeExample],
        nonTriggering: [runtimeExample("read_only_root: true, writable_paths: [/tmp]")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.runtime.readOnlyRoot != true }.map { workload in
            Self.metadata.finding("writable", workload: workload, setting: workload.runtime.readOnlyRoot == nil ? nil : .readOnlyRoot)
        }
    }
}
