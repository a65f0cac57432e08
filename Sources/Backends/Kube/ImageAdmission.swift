import IR
import YAML

/// The spec's `image_policy` (and, where a backend asks, the runtime constraints Pod
/// Security Admission cannot say) as a `ValidatingAdmissionPolicy` and its
/// `ValidatingAdmissionPolicyBinding` (`admissionregistration.k8s.io/v1`, Kubernetes 1.30,
/// OpenShift 4.17). Shared by the Kubernetes-family targets.
///
/// How a backend uses it:
///
///     let admission = ImageAdmission(name: "palisade.\(policy.name).images", namespaces: ["shop", "db"],
///                                    imagePolicy: imagePolicy, runtime: [])   // or one constraint per workload
///     documents += admission.documents(labels: [("palisade.dev/policy", policy.name)])  // cluster-scoped: after the namespaces,
///                                                                                        // before the workloads
///
/// and its reader hands the file's documents and each workload's object to
/// `ImageAdmissionCheck.verify` (see `ImageAdmissionCheck.swift`), which evaluates the CEL the
/// file holds: every workload admitted, a pod with a foreign registry or without a digest
/// refused.
///
/// The policy matches Pods (create, update, and the `pods/ephemeralcontainers` subresource
/// through which `kubectl debug` adds containers) and every pod-template kind that makes
/// them (Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
/// ReplicationControllers): the Pod rule is what no controller can bypass, the others refuse a
/// bad template when it is applied instead of when its pods fail to appear. The binding
/// selects the policy's namespaces by `kubernetes.io/metadata.name`, which the API server
/// sets and no one can change.
public struct ImageAdmission: Sendable, Hashable {
    /// The runtime a workload's pods must ask for exactly, beyond what Pod Security
    /// Admission can check.
    public struct RuntimeConstraint: Sendable, Hashable {
        /// The workload, as its pods' `palisade.dev/workload` label names it.
        public var workload: String
        /// Every capability a container may add (`securityContext.capabilities.add`); nil:
        /// unconstrained.
        public var capabilities: [String]?
        /// The one UID every container runs as; nil: unconstrained.
        public var user: Int?

        public init(workload: String, capabilities: [String]?, user: Int?) {
            self.workload = workload
            self.capabilities = capabilities
            self.user = user
        }
    }

    /// One CEL validation with the message a refused request gets.
    public struct Validation: Sendable, Hashable {
        public var expression: String
        public var message: String
    }

    /// The name of both objects.
    public var name: String
    /// The namespaces the binding selects.
    public var namespaces: [String]
    public var imagePolicy: ImagePolicy
    /// Per-workload runtime constraints; empty for none (OpenShift: its SCCs enforce them).
    public var runtime: [RuntimeConstraint]

    /// The pod label naming a pod's workload.
    public static let workloadLabel = "palisade.dev/workload"

    public init(name: String, namespaces: [String], imagePolicy: ImagePolicy, runtime: [RuntimeConstraint] = []) {
        self.name = name
        self.namespaces = namespaces
        self.imagePolicy = imagePolicy
        self.runtime = runtime
    }

    /// Whether there is anything to enforce.
    public var isEmpty: Bool { imagePolicy.allowedRegistries.isEmpty && !imagePolicy.requireDigest && runtime.isEmpty }

    /// The resources the policy matches, by API group.
    static let resourceRules: [(group: String, resources: [String])] = [
        ("", ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]),
        ("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
        ("batch", ["jobs", "cronjobs"]),
    ]

    /// The pod spec and pod metadata of every matched kind, and every container of the pod.
    public var variables: [(name: String, expression: String)] {
        let template = { (field: String) in
            "object.kind == 'Pod' ? object.\(field) : object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.\(field) : object.spec.template.\(field)"
        }
        var result = [
            (name: "podSpec", expression: template("spec")),
            (
                name: "containers",
                expression: "variables.podSpec.containers"
                    + " + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : [])"
                    + " + (has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])"
            ),
        ]
        if !runtime.isEmpty {
            result.append((name: "podMetadata", expression: template("metadata")))
            result.append(
                (
                    name: "workload",
                    expression: "has(variables.podMetadata.labels) && '\(Self.workloadLabel)' in variables.podMetadata.labels"
                        + " ? variables.podMetadata.labels['\(Self.workloadLabel)'] : ''"
                ))
        }
        return result
    }

    /// The checks, in a fixed order: registries, digests, runtime.
    public var validations: [Validation] {
        var result: [Validation] = []
        if !imagePolicy.allowedRegistries.isEmpty {
            let condition = imagePolicy.allowedRegistries.map { "(\(Self.registryCondition($0, image: "c.image")))" }.joined(separator: " || ")
            result.append(
                Validation(
                    expression: "variables.containers.all(c, \(condition))",
                    message: "every image must come from image_policy.allowed_registries: \(imagePolicy.allowedRegistries.joined(separator: ", "))"))
        }
        if imagePolicy.requireDigest {
            result.append(
                Validation(
                    expression: "variables.containers.all(c, c.image.matches('\(Self.digestSuffix)'))",
                    message: "every image must be pinned by digest (@sha256:...): image_policy.require_digest"))
        }
        if !runtime.isEmpty {
            // Each workload's branch, then `false`, written into one string (a string per branch,
            // joined, was copied twice).
            var expression = ""
            for constraint in runtime.sorted(by: { $0.workload < $1.workload }) {
                expression += "variables.workload == '"
                expression += constraint.workload
                expression += "' ? "
                expression += Self.runtimeCondition(constraint)
                expression += " : "
            }
            expression += "false"
            result.append(
                Validation(
                    expression: expression,
                    message: "a pod must be a workload of the spec (label \(Self.workloadLabel)) and add exactly its capabilities and run as its user"))
        }
        return result
    }

    /// The two objects, the policy first.
    public func documents(labels: [(String, String)] = []) -> [StructuredValue] {
        let metadataEntries: [StructuredValue.Entry] =
            [.init("name", .string(name))] + (labels.isEmpty ? [] : [.init("labels", .object(labels.map { .init($0.0, .string($0.1)) }))])
        let metadata: StructuredValue = .object(metadataEntries)
        let rules: [StructuredValue] = Self.resourceRules.map { rule in
            .object([
                .init("apiGroups", .array([.string(rule.group)])), .init("apiVersions", .array(["v1"])),
                .init("operations", .array(["CREATE", "UPDATE"])), .init("resources", .array(rule.resources.map { .string($0) })),
            ])
        }
        // The spec's image policy, said plainly for tools that check the CEL independently
        // (scripts/cel-check.py).
        var annotations: [StructuredValue.Entry] = []
        if !imagePolicy.allowedRegistries.isEmpty {
            annotations.append(.init(Self.allowedRegistriesAnnotation, .string(imagePolicy.allowedRegistries.joined(separator: ","))))
        }
        annotations.append(.init(Self.requireDigestAnnotation, .string(imagePolicy.requireDigest ? "true" : "false")))
        let policy: StructuredValue = .object([
            .init("apiVersion", "admissionregistration.k8s.io/v1"), .init("kind", "ValidatingAdmissionPolicy"),
            .init("metadata", .object(metadataEntries + [.init("annotations", .object(annotations))])),
            .init(
                "spec",
                .object([
                    .init("failurePolicy", "Fail"),
                    .init("matchConstraints", .object([.init("resourceRules", .array(rules))])),
                    .init(
                        "variables", .array(variables.map { .object([.init("name", .string($0.name)), .init("expression", .string($0.expression))]) })),
                    .init(
                        "validations",
                        .array(
                            validations.map {
                                .object([
                                    .init("expression", .string($0.expression)), .init("message", .string($0.message)), .init("reason", "Forbidden"),
                                ])
                            })),
                ])),
        ])
        let binding: StructuredValue = .object([
            .init("apiVersion", "admissionregistration.k8s.io/v1"), .init("kind", "ValidatingAdmissionPolicyBinding"), .init("metadata", metadata),
            .init(
                "spec",
                .object([
                    .init("policyName", .string(name)), .init("validationActions", .array(["Deny"])),
                    .init(
                        "matchResources",
                        .object([
                            .init(
                                "namespaceSelector",
                                .object([
                                    .init(
                                        "matchExpressions",
                                        .array([
                                            .object([
                                                .init("key", .string(Self.namespaceNameLabel)), .init("operator", "In"),
                                                .init("values", .array(namespaces.sorted().map { .string($0) })),
                                            ])
                                        ]))
                                ]))
                        ])),
                ])),
        ])
        return [policy, binding]
    }

    /// The policy's annotations that say the spec's image policy: the patterns, comma-separated,
    /// and `true` or `false`.
    public static let allowedRegistriesAnnotation = "palisade.dev/allowed-registries"
    public static let requireDigestAnnotation = "palisade.dev/require-digest"

    /// The label the API server gives every namespace: its name.
    public static let namespaceNameLabel = "kubernetes.io/metadata.name"

    // MARK: The registry rule in CEL

    /// A path component of a reference: lower-case letters and digits joined by `.`, `_`,
    /// `__` or runs of `-`.
    static let component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    /// A component without `.`: a first component that is not a registry host.
    static let componentWithoutDot = "[a-z0-9]+(?:(?:_|__|-+)[a-z0-9]+)*"
    /// An optional tag, an optional digest, the end.
    static let referenceEnd = "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
    /// A digest at the end.
    static let digestSuffix = "@sha256:[0-9a-f]{64}$"

    /// Literal text in a pattern: only `.` among the characters of hosts and paths is special,
    /// and a class says it without a backslash (so the CEL string needs no escapes).
    static func literal(_ text: String) -> String { text.replacingOccurrences(of: ".", with: "[.]") }

    /// A CEL condition on the string expression `image` that holds exactly when the reference
    /// comes from `pattern` by `ImageReference.matches(registryPattern:)`, for every reference
    /// the compiler accepts (and refuses text that is not a reference). Docker's rules: the
    /// first component is the registry only when another follows and it has a `.` or `:`, is
    /// `localhost`, or has an upper-case letter; otherwise the registry is `docker.io`, where a
    /// one-component path means `library/NAME` (as after `docker.io/` written so, not `DOCKER.IO/`).
    public static func registryCondition(_ pattern: String, image: String) -> String {
        let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let host = parts[0].lowercased()
        let prefix = parts.count == 2 ? parts[1].split(separator: "/").map(String.init) : []
        let any = "\(component)(?:/\(component))*"
        func matches(_ body: String) -> String { "\(image).matches('^\(body)\(referenceEnd)')" }
        guard host == "docker.io" else {
            let path = prefix.isEmpty ? any : literal(prefix.joined(separator: "/")) + "(?:/\(component))*"
            let condition = matches("(?i:\(literal(host)))/\(path)")
            // A host with no `.` or `:` that is not localhost is a registry only when written
            // with an upper-case letter.
            let plain = !host.contains(".") && !host.contains(":") && host != "localhost"
            return plain ? "\(condition) && !\(image).startsWith('\(host)/')" : condition
        }
        // docker.io: the paths of two or more components that match, and the one-component
        // names that `library/` makes match.
        var multi: String?
        var single: String?
        switch prefix.count {
        case 0:
            multi = "\(component)(?:/\(component))+"
            single = component
        case 1:
            multi = literal(prefix[0]) + "(?:/\(component))+"
            single = prefix[0] == "library" ? component : nil
        default:
            multi = literal(prefix.joined(separator: "/")) + "(?:/\(component))*"
            single = prefix.count == 2 && prefix[0] == "library" ? literal(prefix[1]) : nil
        }
        let explicit = [single, multi].compactMap { $0 }
        // `docker.io/` exactly: one component means `library/NAME`; another spelling of the host
        // (`DOCKER.IO/`) takes the path as written, as any other host does.
        let asWritten = prefix.isEmpty ? any : literal(prefix.joined(separator: "/")) + "(?:/\(component))*"
        var conditions = [
            matches("docker[.]io/(?:\(explicit.joined(separator: "|")))"),
            "(\(matches("(?i:docker[.]io)/\(asWritten)")) && !\(image).startsWith('docker.io/'))",
        ]
        if let single { conditions.append(matches(single)) }
        if prefix.isEmpty {
            conditions.append("(\(matches("\(componentWithoutDot)(?:/\(component))+")) && !\(image).startsWith('localhost/'))")
        } else if let multi, !prefix[0].contains("."), prefix[0] != "localhost" {
            conditions.append(matches(multi))
        }
        return conditions.joined(separator: " || ")
    }

    /// A workload's runtime constraint on every container.
    static func runtimeCondition(_ constraint: RuntimeConstraint) -> String {
        guard constraint.capabilities != nil || constraint.user != nil else { return "true" }
        // Written into one string from constant pieces: the literals joined with `+` and the
        // interpolations made a string each, per workload of a large estate.
        var text = "("
        if let capabilities = constraint.capabilities {
            text += Self.capabilitiesConditionStart
            for (position, capability) in capabilities.sorted().enumerated() {
                if position > 0 { text += ", " }
                text += "'"
                text += capability
                text += "'"
            }
            text += "]))"
        }
        if let user = constraint.user {
            if constraint.capabilities != nil { text += " && " }
            let number = String(user)
            text += Self.userConditionStart
            text += number
            text += Self.userConditionMiddle
            text += number
            text += ")"
        }
        text += ")"
        return text
    }

    /// `runtimeCondition`'s capabilities check up to the allowed list.
    static let capabilitiesConditionStart =
        "variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities)"
        + " || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a in ["

    /// `runtimeCondition`'s user check up to the user, and between the user's two mentions.
    static let userConditionStart = "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.runAsUser) ? c.securityContext.runAsUser == "
    static let userConditionMiddle =
        " : has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsUser)"
        + " && variables.podSpec.securityContext.runAsUser == "
}
