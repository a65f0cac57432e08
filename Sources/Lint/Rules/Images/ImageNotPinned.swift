import IR

struct ImageNotPinned: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL301", name: "image-not-pinned", category: .images, severity: .warning,
        summary: "an image is not pinned by digest",
        rationale: "A tag can be moved to other content; only a digest names exactly what was reviewed.",
        fix: "Append `@sha256:<digest>` to the image (or set `image_policy.require_digest: true`).",
        messages: ["unpinned": "{workload}: image '{image}' is not pinned by digest"],
        triggering: ["version: 1\nname: t\nworkloads:\n  app: {image: ↓registry.example.com/app:1.2.3}\n"],
        nonTriggering: [
            "version: 1\nname: t\nworkloads:\n  app: {image: \"registry.example.com/app:1.2.3@sha256:\(String(repeating: "b", count: 64))\"}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.digest == nil }.map { workload in
            Self.metadata.finding(
                "unpinned", ["workload": workload.name, "image": workload.image.text],
                at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}
