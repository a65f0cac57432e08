import IR
import YAML

/// The `openshift` target's image policy: a ValidatingAdmissionPolicy (`ImageAdmission`) over
/// the policy's namespaces from OpenShift 4.17 (Kubernetes 1.30, where
/// `admissionregistration.k8s.io/v1` has it); with an older `version`, the gap as before.
/// Images only: the SCCs already hold every pod to its runtime profile, keyed by its service
/// account, which a pod's labels could not be.
extension OpenShiftPlan {
    /// The first OpenShift minor release whose API server serves ValidatingAdmissionPolicy v1.
    static let admissionPolicyMinorVersion = 17

    /// The admission policy the file holds, or nil (no `image_policy`, nothing in it to
    /// enforce, or a `version` without ValidatingAdmissionPolicy).
    var imageAdmission: ImageAdmission? {
        guard options.minorVersion >= Self.admissionPolicyMinorVersion, let imagePolicy = policy.imagePolicy ?? admissionImagePolicy else { return nil }
        let admission = ImageAdmission(
            name: "palisade.\(options.namespacePrefix)\(policy.name).images", namespaces: namespaces.map(\.name), imagePolicy: imagePolicy,
            runtime: admissionRuntime)
        return admission.isEmpty || namespaces.isEmpty ? nil : admission
    }

    /// The image policy's gap: none where the admission policy enforces it (or there is
    /// nothing to enforce), else the reason, with the version when that is why.
    func imagePolicyGaps(_ gaps: [Gap]) -> [Gap] {
        guard let imagePolicy = policy.imagePolicy else { return gaps }
        let nothing = imagePolicy.allowedRegistries.isEmpty && !imagePolicy.requireDigest
        return gaps.compactMap { gap in
            guard gap.subject == .imagePolicy else { return gap }
            if imageAdmission != nil || nothing { return nil }
            var changed = gap
            if options.minorVersion < Self.admissionPolicyMinorVersion {
                changed.reason =
                    "image_policy is checked at compile time only: OpenShift 4.\(options.minorVersion) has no ValidatingAdmissionPolicy "
                    + "(admissionregistration.k8s.io/v1, OpenShift 4.17 and later), its registry allowlist (image.config.openshift.io/cluster) is "
                    + "cluster-wide, and nothing in it requires digests"
            }
            return changed
        }
    }
}

extension OpenShiftReader {
    /// The file's admission policies evaluated on every Deployment and on pods that break the
    /// spec's image policy (`ImageAdmissionCheck.verify`); nil when the file holds none.
    /// Not for a team's own workloads (`application`): their images are theirs.
    func imageAdmission(_ documents: [YAMLNode], workloads: [ImageAdmissionCheck.Workload]) throws(ReadFailure) -> ImageAdmissionCheck.Outcome? {
        let policies = try ImageAdmissionCheck.policies(in: documents, file: Self.file)
        guard !policies.isEmpty, let imagePolicy = policy.imagePolicy, application == nil else { return nil }
        return try ImageAdmissionCheck.verify(policies, workloads: workloads, imagePolicy: imagePolicy, file: Self.file)
    }
}
