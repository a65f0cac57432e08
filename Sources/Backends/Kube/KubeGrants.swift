import IR

extension OpenShiftReader {
    /// The neutral actions each RoleBinding's role allows, per subject and segment (the
    /// namespace's `palisade.dev/segment` label): RBAC reads the same on every distribution.
    func grants(_ parsed: Parsed) -> [String: [SegmentID: Set<Action>]] {
        var segmentIDs: [String: SegmentID] = [:]
        for (index, segment) in policy.segments.enumerated() { segmentIDs[segment.name] = SegmentID(index) }
        var grants: [String: [SegmentID: Set<Action>]] = [:]
        for binding in parsed.bindings {
            guard let role = parsed.roles["\(binding.namespace)/\(binding.role)"],
                let segment = parsed.network.namespaces[binding.namespace]?[OpenShiftPlan.segmentLabel].flatMap({ segmentIDs[$0] })
            else { continue }
            let actions = RBACRule.actions(allowedBy: role.rules)
            guard !actions.isEmpty else { continue }
            for subject in binding.subjects {
                grants[subject.name, default: [:]][segment, default: []].formUnion(actions)
            }
        }
        return grants
    }
}
