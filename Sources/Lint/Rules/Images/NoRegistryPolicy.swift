import IR

struct NoRegistryPolicy: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL303", name: "no-registry-policy", category: .images, severity: .warning,
        summary: "the spec does not restrict where images come from",
        rationale: "Without image_policy.allowed_registries any registry is acceptable, including typo-squatted public ones.",
        fix: "Set `image_policy: {allowed_registries: [your.registry/team]}`.",
        messages: ["unrestricted": "images may come from any registry"],
        triggering: ["version: 1\nname: ↓t\nworkloads:\n  a: {image: registry.example.com/app:1}\n"],
        nonTriggering: [
            "version: 1\nname: t\nimage_policy: {allowed_registries: [registry.example.com]}\nworkloads:\n  a: {image: registry.example.com/app:1}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        guard policy.imagePolicy?.allowedRegistries.isEmpty ?? true, !policy.workloads.isEmpty else { return [] }
        let range = policy.imagePolicy?.origin ?? policy.origin
        return [Self.metadata.finding("unrestricted", at: range, subject: "policy:\(policy.name)")]
    }
}
