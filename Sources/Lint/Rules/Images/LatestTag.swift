import IR

struct LatestTag: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL302", name: "latest-tag", category: .images, severity: .warning,
        summary: "an image uses the `latest` tag, or no tag and no digest",
        rationale: "`latest` changes under you: two replicas may run different code, and a rollback has nothing to go back to.",
        fix: "Use a version tag, and better a digest.",
        messages: [
            "implicit": "{workload}: image '{image}' floats on the implicit latest tag",
            "latest": "{workload}: image '{image}' floats on latest",
        ],
        triggering: ["version: 1\nname: t\nworkloads:\n  a: {image: ↓nginx}\n  b: {image: ↓nginx:latest}\n"],
        nonTriggering: ["version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25}\n  b: {image: \"nginx@sha256:\(String(repeating: "c", count: 64))\"}\n"])

    func check(_ policy: Policy) -> [Finding] {
        policy.workloads.filter { $0.image.digest == nil && ($0.image.tag == nil || $0.image.tag == "latest") }.map { workload in
            Self.metadata.finding(
                workload.image.tag == nil ? "implicit" : "latest", ["workload": workload.name, "image": workload.image.text],
                at: workload.imageOrigin, subject: "workload:\(workload.name)")
        }
    }
}
