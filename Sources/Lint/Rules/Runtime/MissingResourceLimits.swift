import IR

struct MissingResourceLimits: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL204", name: "missing-resource-limits", category: .runtime, severity: .warning,
        summary: "a workload has no cpu, memory or pids limit",
        rationale: "Without limits one workload can starve its neighbours, or fork-bomb the node.",
        fix: "Set `resources: {cpu, memory, pids}` (in `defaults.runtime` for every workload).",
        messages: ["missing": "{workload}: sets no limit for {limits}"],
        triggering: [runtimeExample("↓resources: {cpu: 1}"), noRuntimeExample],
        nonTriggering: [runtimeExample("resources: {cpu: 500m, memory: 256Mi, pids: 64}")])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.compactMap { workload in
            let resources = workload.runtime.resources
            let missing = [("cpu", resources?.cpuMillis == nil), ("memory", resources?.memoryBytes == nil), ("pids", resources?.pids == nil)]
                .filter(\.1).map(\.0)
            guard !missing.isEmpty else { return nil }
            return Self.metadata.finding(
                "missing", ["limits": missing.joined(separator: ", ")], workload: workload,
                setting: resources == nil ? nil : .resources)
        }
    }
}
