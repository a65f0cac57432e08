import IR

struct SecretsWithoutDigest: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL305", name: "secrets-without-digest", category: .images, severity: .warning,
        summary: "a segment holds secrets while the image policy does not require digests",
        rationale: """
            Kubernetes scopes secrets to a namespace: any pod admitted to a segment's namespace can mount the secrets \
            its workloads use. Unless `image_policy.require_digest` is set, the cluster admits pods whose image is a \
            tag, and whoever can move that tag decides what code reads the secrets. Pinning the spec's own images \
            (PAL301) does not close this: the requirement is what refuses other pods in the namespace. The finding is \
            at the first workload of the segment that mounts a secret; the fix belongs in `image_policy`.
            """,
        fix: "Set `image_policy: {require_digest: true}` and pin every image with `@sha256:<digest>`.",
        messages: [
            "no-digest": "segment '{segment}' holds secrets ({secrets}; mounted by {workloads}) but image_policy does not set require_digest",
            "no-policy": "segment '{segment}' holds secrets ({secrets}; mounted by {workloads}) but the spec has no image_policy requiring digests",
        ],
        triggering: [
            "version: 1\nname: t\nsecrets: {token: {}}\nworkloads:\n  ↓api: {image: registry.example.com/api:1, secrets: [token]}\n",
            """
            version: 1
            name: t
            image_policy: {require_digest: false, allowed_registries: [registry.example.com]}
            secrets: {token: {}, key: {}}
            segments: {front: {}, back: {}}
            workloads:
              web: {image: registry.example.com/web:1, segment: front}
              ↓api: {image: registry.example.com/api:1, segment: back, secrets: [token]}
              ledger: {image: registry.example.com/ledger:1, segment: back, secrets: [key, token]}

            """,
        ],
        nonTriggering: [
            """
            version: 1
            name: t
            image_policy: {require_digest: true}
            secrets: {token: {}}
            workloads:
              api: {image: "registry.example.com/api@sha256:\(String(repeating: "c", count: 64))", secrets: [token]}

            """,
            "version: 1\nname: t\nsecrets: {token: {}}\nworkloads:\n  api: {image: registry.example.com/api:1}\n",
        ])

    func check(_ policy: Policy) -> [Finding] {
        if policy.imagePolicy?.requireDigest == true { return [] }
        let key = policy.imagePolicy == nil ? "no-policy" : "no-digest"
        return policy.segments.compactMap { segment in
            let holders = segment.workloads.map { policy.workloads[$0.index] }.filter { !$0.secrets.isEmpty }
            guard let first = holders.first else { return nil }
            let secrets = Set(holders.flatMap(\.secrets)).sorted()
            return Self.metadata.finding(
                key, ["segment": segment.name, "secrets": secrets.joined(separator: ", "), "workloads": holders.map(\.name).joined(separator: ", ")],
                at: first.origin, subject: "segment:\(segment.name)")
        }
    }
}
