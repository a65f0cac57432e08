import IR

struct PublicRegistry: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL304", name: "public-registry", category: .images, severity: .note,
        summary: "an image comes from Docker Hub by default",
        rationale: """
            A name without a registry pulls from Docker Hub, whose rate limits and namespace squatting make deploys \
            depend on a third party.
            """,
        fix: "Mirror the image into your registry and name it in full.",
        messages: ["docker-hub": "{workload}: '{image}' is pulled from Docker Hub"],
        triggering: ["version: 1\nname: t\nworkloads:\n  a: {image: ↓redis:7.4}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: mirror.example.com/library/redis:7.4}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.registry == "docker.io" }.map { workload in
            Self.metadata.finding(
                "docker-hub", ["workload": workload.name, "image": workload.image.text],
                at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}
