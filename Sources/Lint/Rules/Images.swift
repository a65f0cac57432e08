import IR

// Image rules: where code comes from.

struct ImageNotPinned: LintRule {
    let description = RuleDescription(
        id: "PAL301", name: "image-not-pinned", severity: .warning,
        summary: "an image is not pinned by digest",
        rationale: "A tag can be moved to other content; only a digest names exactly what was reviewed.",
        fix: "Append `@sha256:<digest>` to the image (or set `image_policy.require_digest: true`).",
        triggering: ["version: 1\nname: t\nworkloads:\n  app: {image: ↓registry.example.com/app:1.2.3}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  app: {image: \"registry.example.com/app:1.2.3@sha256:\(String(repeating: "b", count: 64))\"}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.digest == nil }.map { workload in
            description.finding("\(workload.name): image '\(workload.image.text)' is not pinned by digest", at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}

struct LatestTag: LintRule {
    let description = RuleDescription(
        id: "PAL302", name: "latest-tag", severity: .warning,
        summary: "an image uses the `latest` tag, or no tag and no digest",
        rationale: "`latest` changes under you: two replicas may run different code, and a rollback has nothing to go back to.",
        fix: "Use a version tag, and better a digest.",
        triggering: ["version: 1\nname: t\nworkloads:\n  a: {image: ↓nginx}\n  b: {image: ↓nginx:latest}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25}\n  b: {image: \"nginx@sha256:\(String(repeating: "c", count: 64))\"}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.digest == nil && ($0.image.tag == nil || $0.image.tag == "latest") }.map { workload in
            description.finding("\(workload.name): image '\(workload.image.text)' floats on \(workload.image.tag == nil ? "the implicit latest tag" : "latest")",
                                at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}

struct NoRegistryPolicy: LintRule {
    let description = RuleDescription(
        id: "PAL303", name: "no-registry-policy", severity: .warning,
        summary: "the spec does not restrict where images come from",
        rationale: "Without image_policy.allowed_registries any registry is acceptable, including typo-squatted public ones.",
        fix: "Set `image_policy: {allowed_registries: [your.registry/team]}`.",
        triggering: ["version: 1\nname: ↓t\nworkloads:\n  a: {image: registry.example.com/app:1}\n"],
        nonTriggering: ["version: 1\nname: t\nimage_policy: {allowed_registries: [registry.example.com]}\nworkloads:\n  a: {image: registry.example.com/app:1}\n"])

    func check(_ policy: Policy) -> [Finding] {
        guard policy.imagePolicy?.allowedRegistries.isEmpty ?? true, !policy.workloads.isEmpty else { return [] }
        let range = policy.imagePolicy?.origin ?? policy.origin
        return [description.finding("images may come from any registry", at: range, subject: "policy:\(policy.name)")]
    }
}

struct PublicRegistry: LintRule {
    let description = RuleDescription(
        id: "PAL304", name: "public-registry", severity: .note,
        summary: "an image comes from Docker Hub by default",
        rationale: "A name without a registry pulls from Docker Hub, whose rate limits and namespace squatting make deploys depend on a third party.",
        fix: "Mirror the image into your registry and name it in full.",
        triggering: ["version: 1\nname: t\nworkloads:\n  a: {image: ↓redis:7.4}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: mirror.example.com/library/redis:7.4}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.registry == "docker.io" }.map { workload in
            description.finding("\(workload.name): '\(workload.image.text)' is pulled from Docker Hub", at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}
