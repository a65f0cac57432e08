import IR
import YAML

/// A `ValidatingAdmissionPolicy` with its binding, read back from a file: what it matches
/// and its CEL, parsed.
public struct ReadAdmissionPolicy: Sendable {
    public var name: String
    /// The namespaces the binding selects (by `kubernetes.io/metadata.name`).
    public var namespaces: Set<String>
    /// `group/resource` (`/pods`, `apps/deployments`) for CREATE and UPDATE.
    public var resources: Set<String>
    public var variables: [(name: String, expression: CELExpression)]
    public var validations: [(expression: CELExpression, message: String)]
    /// The CEL texts, in file order (variables, then validations).
    public var expressions: [String]

    /// Whether the policy refuses `object`, a request on `resource` in `namespace`: the
    /// message of the first validation that does not hold (or fails: `failurePolicy: Fail`),
    /// or nil when it admits it.
    public func refusal(of object: CELValue, resource: String, namespace: String, evaluator: CELEvaluator) -> String? {
        guard namespaces.contains(namespace), resources.contains(resource) else { return nil }
        var values: [String: CELValue] = [:]
        var bindings: [String: CELValue] = ["object": object, "variables": .map([:])]
        for variable in variables {
            // A variable that fails makes every validation that reads it fail, as on the API
            // server (which evaluates them lazily).
            if case .success(let value) = evaluator.evaluate(variable.expression, bindings) { values[variable.name] = value }
            bindings["variables"] = .map(values)
        }
        for validation in validations {
            switch evaluator.holds(validation.expression, bindings) {
            case .success(true): continue
            case .success(false): return validation.message
            case .failure(let error): return "\(validation.message) (evaluation failed: \(error.message))"
            }
        }
        return nil
    }
}

/// The reader's check of the admission policies a file holds, by evaluating their CEL.
public enum ImageAdmissionCheck {
    /// A workload's object as the file holds it (a Deployment, StatefulSet, …).
    public struct Workload {
        public var name: String
        public var namespace: String
        /// `apps/deployments`, `batch/cronjobs`, …
        public var resource: String
        public var object: YAMLNode
        /// The image of containers that name none: a skeleton a kustomize component patches
        /// (the spec's image stands for the team's).
        public var image: String?

        public init(name: String, namespace: String, resource: String, object: YAMLNode, image: String? = nil) {
            self.name = name
            self.namespace = namespace
            self.resource = resource
            self.object = object
            self.image = image
        }
    }

    /// What the evaluation showed: requests admitted and refused as they must be.
    public struct Outcome: Sendable, Hashable {
        public var admitted: Int
        public var refused: Int
    }

    /// The admission policies of `documents` with their bindings; a `ReadFailure` for a
    /// policy without a binding (or the reverse), one that does not deny, or CEL outside the
    /// subset (with its column).
    public static func policies(in documents: [YAMLNode], file: String) throws(ReadFailure) -> [ReadAdmissionPolicy] {
        var policies: [String: YAMLNode] = [:]
        var bindings: [String: YAMLNode] = [:]
        for document in documents {
            guard let name = document["metadata"]?["name"]?.scalar else { continue }
            switch document["kind"]?.scalar {
            case "ValidatingAdmissionPolicy": policies[name] = document
            case "ValidatingAdmissionPolicyBinding": bindings[name] = document
            default: continue
            }
        }
        var result: [ReadAdmissionPolicy] = []
        for (name, binding) in bindings.sorted(by: { $0.key < $1.key }) {
            let spec = binding["spec"]
            guard let policyName = spec?["policyName"]?.scalar, let policy = policies.removeValue(forKey: policyName) else {
                throw ReadFailure(file, "ValidatingAdmissionPolicyBinding \(name) names no ValidatingAdmissionPolicy of the file")
            }
            guard strings(spec?["validationActions"]).contains("Deny") else {
                throw ReadFailure(file, "ValidatingAdmissionPolicyBinding \(name) does not deny")
            }
            guard policy["spec"]?["failurePolicy"]?.scalar ?? "Fail" == "Fail" else {
                throw ReadFailure(file, "ValidatingAdmissionPolicy \(policyName): failurePolicy is not Fail")
            }
            result.append(try read(policy, name: policyName, binding: binding, file: file))
        }
        if let orphan = policies.keys.sorted().first {
            throw ReadFailure(file, "ValidatingAdmissionPolicy \(orphan) has no binding: it enforces nothing")
        }
        return result
    }

    static func strings(_ node: YAMLNode?) -> [String] {
        guard case .sequence(let items)? = node?.content else { return [] }
        return items.compactMap(\.scalar)
    }

    static func read(_ policy: YAMLNode, name: String, binding: YAMLNode, file: String) throws(ReadFailure) -> ReadAdmissionPolicy {
        // The namespaces: `kubernetes.io/metadata.name` In [...] (or matchLabels on it).
        let selector = binding["spec"]?["matchResources"]?["namespaceSelector"]
        var namespaces = Set<String>()
        if case .sequence(let expressions)? = selector?["matchExpressions"]?.content {
            for expression in expressions {
                guard expression["key"]?.scalar == ImageAdmission.namespaceNameLabel, expression["operator"]?.scalar == "In" else {
                    throw ReadFailure(file, "ValidatingAdmissionPolicyBinding of \(name): a namespace selector the reader does not model")
                }
                namespaces.formUnion(strings(expression["values"]))
            }
        }
        if let label = selector?["matchLabels"]?[ImageAdmission.namespaceNameLabel]?.scalar { namespaces.insert(label) }
        guard !namespaces.isEmpty else { throw ReadFailure(file, "ValidatingAdmissionPolicyBinding of \(name) selects no namespace") }

        var resources = Set<String>()
        if case .sequence(let rules)? = policy["spec"]?["matchConstraints"]?["resourceRules"]?.content {
            for rule in rules {
                let operations = strings(rule["operations"])
                guard operations.contains("*") || (operations.contains("CREATE") && operations.contains("UPDATE")) else { continue }
                for group in strings(rule["apiGroups"]) {
                    for resource in strings(rule["resources"]) { resources.insert("\(group)/\(resource)") }
                }
            }
        }
        var expressions: [String] = []
        func parse(_ node: YAMLNode?, _ what: String) throws(ReadFailure) -> CELExpression {
            guard let text = node?.scalar else { throw ReadFailure(file, "ValidatingAdmissionPolicy \(name): \(what) has no expression") }
            expressions.append(text)
            do {
                return try CELParser.parse(text)
            } catch {
                throw ReadFailure(file, "ValidatingAdmissionPolicy \(name): \(what): \(error)")
            }
        }
        var variables: [(name: String, expression: CELExpression)] = []
        if case .sequence(let items)? = policy["spec"]?["variables"]?.content {
            for item in items {
                let variable = item["name"]?.scalar ?? ""
                variables.append((variable, try parse(item["expression"], "variable '\(variable)'")))
            }
        }
        var validations: [(expression: CELExpression, message: String)] = []
        if case .sequence(let items)? = policy["spec"]?["validations"]?.content {
            for (index, item) in items.enumerated() {
                validations.append((try parse(item["expression"], "validation \(index + 1)"), item["message"]?.scalar ?? "refused"))
            }
        }
        return ReadAdmissionPolicy(
            name: name, namespaces: namespaces, resources: resources, variables: variables, validations: validations, expressions: expressions)
    }

    /// A YAML node as CEL sees the object: plain `true`/`false`, integers and null typed, every
    /// other scalar a string.
    public static func value(_ node: YAMLNode) -> CELValue {
        switch node.content {
        case .scalar(let text, let style):
            guard !style.isQuoted else { return .string(text) }
            if node.isNull { return .null }
            if text == "true" || text == "false" { return .bool(text == "true") }
            if let number = Int(text) { return .int(number) }
            return .string(text)
        case .sequence(let items):
            return .list(items.map(value))
        case .mapping(let pairs):
            var fields: [String: CELValue] = [:]
            for pair in pairs { fields[pair.name] = value(pair.value) }
            return .map(fields)
        }
    }

    /// The pod a workload object makes: its template's metadata and spec as a Pod.
    public static func pod(of object: CELValue, namespace: String) -> CELValue? {
        guard case .map(let fields) = object, case .string(let kind)? = fields["kind"] else { return nil }
        if kind == "Pod" { return object }
        var spec = fields["spec"]
        if kind == "CronJob" { spec = spec?.field("jobTemplate")?.field("spec") }
        guard let template = spec?.field("template"), let podSpec = template.field("spec") else { return nil }
        var metadata = template.field("metadata") ?? .map([:])
        metadata = metadata.setting("namespace", .string(namespace))
        return .map(["apiVersion": .string("v1"), "kind": .string("Pod"), "metadata": metadata, "spec": podSpec])
    }

    /// An image of a registry no pattern of `policy` allows, pinned by digest.
    static func foreignImage(_ policy: ImagePolicy) -> String {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        var host = "palisade-foreign.invalid"
        var attempt = 1
        while policy.allowedRegistries.contains(where: ImageReference(text: "", registry: host, path: "probe/app", tag: nil, digest: digest).matches) {
            attempt += 1
            host = "palisade-foreign-\(attempt).invalid"
        }
        return "\(host)/probe/app@\(digest)"
    }

    /// Images near each allowed entry that the registry rule refuses: the entry as a path
    /// under a foreign host, a look-alike host that extends the entry's, and a path that
    /// extends the prefix without a `/`.
    static func lookAlikes(_ policy: ImagePolicy) -> [String] {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        var result: [String] = []
        for pattern in policy.allowedRegistries {
            let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let host = parts[0].lowercased()
            let prefix = parts.count == 2 ? parts[1] : nil
            let hostName = host.split(separator: ":", maxSplits: 1).map(String.init)
            let lookAlikeHost = hostName[0] + ".palisade-foreign.invalid" + (hostName.count == 2 ? ":" + hostName[1] : "")
            let candidates = [
                ImageReference(
                    text: "", registry: "palisade-foreign.invalid", path: "\(host.replacingOccurrences(of: ":", with: "-"))/\(prefix ?? "probe")/app", tag: nil,
                    digest: digest),
                ImageReference(text: "", registry: lookAlikeHost, path: "\(prefix ?? "probe")/app", tag: nil, digest: digest),
                prefix.map { ImageReference(text: "", registry: host, path: "\($0)x/app", tag: nil, digest: digest) },
            ]
            for candidate in candidates.compactMap({ $0 }) where !policy.allowedRegistries.contains(where: candidate.matches) {
                result.append("\(candidate.registry)/\(candidate.path)@\(digest)")
            }
        }
        return result
    }

    /// Evaluates the policies on every workload (its object and its pod must be admitted)
    /// and on pods changed to break the spec (a foreign registry in a container, an init
    /// container or an ephemeral container; an image without its digest; a capability or user
    /// outside a runtime constraint; no workload label), which must be refused. A
    /// `ReadFailure` names the first request that goes the wrong way.
    public static func verify(
        _ policies: [ReadAdmissionPolicy], workloads: [Workload], imagePolicy: ImagePolicy, runtime: [ImageAdmission.RuntimeConstraint] = [],
        file: String
    ) throws(ReadFailure) -> Outcome {
        let evaluator = CELEvaluator()
        var outcome = Outcome(admitted: 0, refused: 0)
        func refusal(_ object: CELValue, _ resource: String, _ namespace: String) -> String? {
            for policy in policies {
                if let message = policy.refusal(of: object, resource: resource, namespace: namespace, evaluator: evaluator) { return message }
            }
            return nil
        }
        let constraints = Dictionary(runtime.map { ($0.workload, $0) }, uniquingKeysWith: { first, _ in first })
        let foreign = foreignImage(imagePolicy)
        for workload in workloads {
            var object = value(workload.object)
            if let image = workload.image {
                object =
                    object.changingTemplate { template in
                        template.changingContainers { $0.field("image") == nil ? $0.setting("image", .string(image)) : $0 }
                    } ?? object
            }
            guard let pod = pod(of: object, namespace: workload.namespace) else {
                throw ReadFailure(file, "\(workload.name): no pod template")
            }
            for (request, resource) in [(object, workload.resource), (pod, "/pods")] {
                if let message = refusal(request, resource, workload.namespace) {
                    throw ReadFailure(file, "the admission policy refuses workload \(workload.name) (\(resource)): \(message)")
                }
                outcome.admitted += 1
            }
            var broken: [(String, CELValue, String)] = []
            if !imagePolicy.allowedRegistries.isEmpty {
                broken.append(("a container from a foreign registry", pod.changingContainer { $0.setting("image", .string(foreign)) }, "/pods"))
                broken.append(("an init container from a foreign registry", pod.adding("initContainers", image: foreign), "/pods"))
                broken.append(
                    ("an ephemeral container from a foreign registry", pod.adding("ephemeralContainers", image: foreign), "/pods/ephemeralcontainers"))
                for image in lookAlikes(imagePolicy) {
                    broken.append(("a container from \(image)", pod.changingContainer { $0.setting("image", .string(image)) }, "/pods"))
                }
                if let changed = object.changingTemplate({ $0.changingContainer { $0.setting("image", .string(foreign)) } }) {
                    broken.append(("its \(workload.resource) with a foreign registry", changed, workload.resource))
                }
            }
            if imagePolicy.requireDigest {
                broken.append(
                    (
                        "an image without its digest",
                        pod.changingContainer { container in
                            guard case .string(let image)? = container.field("image") else { return container }
                            return container.setting("image", .string(String(image.prefix { $0 != "@" })))
                        }, "/pods"
                    ))
            }
            if let constraint = constraints[workload.name] {
                broken.append(("a pod without its workload label", pod.changingLabels { $0.removing(ImageAdmission.workloadLabel) }, "/pods"))
                if let capabilities = constraint.capabilities {
                    let extra = ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"].first { !capabilities.contains($0) } ?? "SYS_MODULE"
                    broken.append(
                        (
                            "a container adding \(extra)",
                            pod.changingContainer { container in
                                let security = container.field("securityContext") ?? .map([:])
                                var caps = security.field("capabilities") ?? .map([:])
                                var added: [CELValue] = []
                                if case .list(let items)? = caps.field("add") { added = items }
                                caps = caps.setting("add", .list(added + [.string(extra)]))
                                return container.setting("securityContext", security.setting("capabilities", caps))
                            }, "/pods"
                        ))
                }
                if let user = constraint.user {
                    broken.append(
                        (
                            "a container running as UID \(user + 1)",
                            pod.changingContainer { container in
                                container.setting("securityContext", (container.field("securityContext") ?? .map([:])).setting("runAsUser", .int(user + 1)))
                            }, "/pods"
                        ))
                }
            }
            for (what, request, resource) in broken {
                guard refusal(request, resource, workload.namespace) != nil else {
                    throw ReadFailure(file, "the admission policy admits a pod of workload \(workload.name) with \(what)")
                }
                outcome.refused += 1
            }
        }
        return outcome
    }
}

extension CELValue {
    func field(_ name: String) -> CELValue? {
        guard case .map(let fields) = self else { return nil }
        return fields[name]
    }

    func setting(_ name: String, _ value: CELValue) -> CELValue {
        guard case .map(var fields) = self else { return self }
        fields[name] = value
        return .map(fields)
    }

    func removing(_ name: String) -> CELValue {
        guard case .map(var fields) = self else { return self }
        fields[name] = nil
        return .map(fields)
    }

    /// A pod (or pod spec holder) with its first container changed.
    func changingContainer(_ change: (CELValue) -> CELValue) -> CELValue {
        guard let spec = field("spec"), case .list(var containers)? = spec.field("containers"), !containers.isEmpty else { return self }
        containers[0] = change(containers[0])
        return setting("spec", spec.setting("containers", .list(containers)))
    }

    /// A pod (or pod spec holder) with every container changed.
    func changingContainers(_ change: (CELValue) -> CELValue) -> CELValue {
        guard let spec = field("spec"), case .list(let containers)? = spec.field("containers") else { return self }
        return setting("spec", spec.setting("containers", .list(containers.map(change))))
    }

    /// A pod with one more container in `list`, a copy of its first with `image`.
    func adding(_ list: String, image: String) -> CELValue {
        guard let spec = field("spec"), case .list(let containers)? = spec.field("containers"), let first = containers.first else { return self }
        var items: [CELValue] = []
        if case .list(let existing)? = spec.field(list) { items = existing }
        items.append(first.setting("name", .string("palisade-probe")).setting("image", .string(image)))
        return setting("spec", spec.setting(list, .list(items)))
    }

    func changingLabels(_ change: (CELValue) -> CELValue) -> CELValue {
        let metadata = field("metadata") ?? .map([:])
        return setting("metadata", metadata.setting("labels", change(metadata.field("labels") ?? .map([:]))))
    }

    /// A workload object with its pod template changed (as a pod: `spec` within the template).
    func changingTemplate(_ change: (CELValue) -> CELValue) -> CELValue? {
        guard case .string(let kind)? = field("kind"), kind != "Pod", let spec = field("spec") else { return nil }
        if kind == "CronJob" {
            guard let job = spec.field("jobTemplate"), let jobSpec = job.field("spec"), let template = jobSpec.field("template") else { return nil }
            return setting("spec", spec.setting("jobTemplate", job.setting("spec", jobSpec.setting("template", change(template)))))
        }
        guard let template = spec.field("template") else { return nil }
        return setting("spec", spec.setting("template", change(template)))
    }
}
