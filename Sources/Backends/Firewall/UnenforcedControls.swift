import IR

/// Runtime profiles, secrets, grants and image policy are out of a firewall's reach: one
/// gap per workload and key the spec sets, per grant, and for the image policy. Each reason
/// ends with `: WHY`, the same for every gap of a control, so that a report can say it once
/// for the control (the firewalls' capabilities say `none` for all of them).
func unenforcedControls(_ policy: Policy, target: TargetName, why: String) -> [Gap] {
    var gaps: [Gap] = []
    appendUnenforcedControls(policy, target: target, why: why, to: &gaps)
    return gaps
}

/// The same gaps appended to `gaps`, room for them all made first: at 10,000 workloads they
/// are tens of thousands of gaps, and the array grown by doubling, then copied onto the
/// connection gaps, held several times their size.
func appendUnenforcedControls(_ policy: Policy, target: TargetName, why: String, to gaps: inout [Gap]) {
    // Each workload's parts read in place, by position: a copy of the whole workload is a
    // retain and a release of each of its many parts.
    let workloads = policy.workloads
    var count = policy.grants.count + 1
    for position in workloads.indices {
        count += workloads[position].runtime.origins.count + (workloads[position].secrets.isEmpty ? 0 : 1)
    }
    gaps.reserveCapacity(gaps.count + count)
    // A key's reason is the same for every workload: written once, shared by its gaps.
    let keys = RuntimeKey.allCases.map { key in (key, "\(key.name) is not enforced by \(target.rawValue): \(why)") }
    let secrets = "secrets are not delivered by \(target.rawValue): \(why)"
    for position in workloads.indices {
        let origins = workloads[position].runtime.origins
        for (key, reason) in keys {
            guard let origin = origins[key] else { continue }
            gaps.append(.runtime(target: target, workload: workloads[position].name, key: key, reason: reason, origin: origin))
        }
        if !workloads[position].secrets.isEmpty {
            gaps.append(
                Gap(
                    kind: .unenforced, capability: .secrets, target: target, subject: .secrets(workload: workloads[position].name),
                    reason: secrets, origin: workloads[position].origin))
        }
    }
    for grant in policy.grants {
        let (identity, role) = policy.names(of: grant)
        gaps.append(
            .grant(
                .unenforced, target: target, grant, in: policy, reason: "grant of role '\(role)' to '\(identity)' is not enforced by \(target.rawValue): \(why)"
            ))
    }
    if let imagePolicy = policy.imagePolicy {
        gaps.append(
            Gap(
                kind: .unenforced, capability: .imagePolicy, target: target, subject: .imagePolicy,
                reason: "image_policy is checked at compile time only, not by \(target.rawValue): \(why)", origin: imagePolicy.origin))
    }
}

/// What a cloud firewall enforces: traffic by identity, address and port; nothing of runtime,
/// secrets, grants or images. `denyRules` differs by cloud.
func firewallCapabilities(denyRules: Support) -> [Capability: Support] {
    var capabilities: [Capability: Support] = [:]
    for capability in Capability.allCases { capabilities[capability] = Support.none }
    for capability in [Capability.workloadSegmentation, .portFiltering, .externalIngress, .externalEgress] {
        capabilities[capability] = .full
    }
    capabilities[.denyRules] = denyRules
    return capabilities
}
