import IR

struct SharedServiceIdentity: LintRule {
    static let metadata = RuleMetadata(
        id: "PAL505", name: "shared-service-identity", category: .identity, severity: .warning,
        summary: "a service identity is shared by workloads of different segments",
        rationale: "Platforms grant to identities: sharing one across segments lets whatever one workload may do leak into another segment.",
        fix: "Give each segment's workloads their own service identity.",
        messages: ["shared": "service identity {identity} runs workloads in segments {segments}"],
        triggering: [
            "version: 1\nname: t\nsegments: {a: {}, b: {}}\nidentities:\n  ↓shared: {}\nworkloads:\n"
                + "  x: {segment: a, image: nginx:1.25, identity: shared}\n  y: {segment: b, image: nginx:1.25, identity: shared}\n"
        ],
        nonTriggering: [
            "version: 1\nname: t\nsegments: {a: {}}\nidentities: {shared: {}}\nworkloads:\n"
                + "  x: {segment: a, image: nginx:1.25, identity: shared}\n  y: {segment: a, image: nginx:1.25, identity: shared}\n"
        ])

    func check(_ policy: Policy) -> [Finding] {
        // Each identity's segments, in one pass over the workloads (not one per identity).
        var segmentsOf = [Set<Int>](repeating: [], count: policy.identities.count)
        for workload in policy.workloads where segmentsOf.indices.contains(workload.identity.index) {
            segmentsOf[workload.identity.index].insert(workload.segment.index)
        }
        return policy.identities.enumerated().compactMap { index, identity in
            let segments = Set(segmentsOf[index].map { policy.segments[$0].name })
            guard segments.count > 1 else { return nil }
            return Self.metadata.finding(
                "shared", ["identity": identity.name, "segments": segments.sorted().joined(separator: ", ")],
                at: identity.origin, subject: "identity:\(identity.name)")
        }
    }
}
