import IR

/// One rule of an RBAC Role: verbs on resources of API groups.
struct RBACRule: Hashable {
    var apiGroups: [String]
    var resources: [String]
    var verbs: [String]
    var resourceNames: [String] = []

    /// Whether this rule allows `verb` on `resource` of `group` (any name).
    func allows(_ group: String, _ resource: String, _ verb: String) -> Bool {
        resourceNames.isEmpty
            && (apiGroups.contains(group) || apiGroups.contains("*"))
            && (resources.contains(resource) || resources.contains("*"))
            && (verbs.contains(verb) || verbs.contains("*"))
    }

    /// The precise rules behind each neutral action (Kubernetes' own `view`, `edit` roles
    /// grant the same verbs, among many others).
    static func rules(for action: Action) -> [RBACRule] {
        let read = ["get", "list", "watch"]
        switch action {
        case .view:
            return [
                RBACRule(apiGroups: [""], resources: ["pods", "services", "endpoints", "events"], verbs: read),
                RBACRule(apiGroups: ["apps"], resources: ["deployments", "replicasets"], verbs: read),
            ]
        case .logs:
            return [
                RBACRule(apiGroups: [""], resources: ["pods"], verbs: ["get"]),
                RBACRule(apiGroups: [""], resources: ["pods/log"], verbs: ["get"]),
            ]
        case .deploy:
            return [
                RBACRule(apiGroups: ["apps"], resources: ["deployments"], verbs: read + ["create", "update", "patch", "delete"]),
                RBACRule(apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"]),
                RBACRule(apiGroups: ["apps"], resources: ["replicasets"], verbs: read),
            ]
        case .exec:
            return [
                RBACRule(apiGroups: [""], resources: ["pods"], verbs: ["get"]),
                // `get` as well: API servers before 1.35 authorize the WebSocket upgrade as get.
                RBACRule(apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"]),
            ]
        case .secrets:
            return [RBACRule(apiGroups: [""], resources: ["secrets"], verbs: read)]
        case .admin:
            return Action.allCases.filter { $0 != .admin }.flatMap(rules(for:))
        }
    }

    /// The rules of a role: each (group, resources) once, verbs merged, in a stable order.
    static func rules(for actions: Set<Action>) -> [RBACRule] {
        var verbs: [[String]: [String: Set<String>]] = [:]
        var order: [(groups: [String], resource: String)] = []
        for action in actions.sorted() {
            for rule in rules(for: action) {
                for resource in rule.resources {
                    if verbs[rule.apiGroups]?[resource] == nil { order.append((rule.apiGroups, resource)) }
                    verbs[rule.apiGroups, default: [:]][resource, default: []].formUnion(rule.verbs)
                }
            }
        }
        // Resources with the same verbs in the same group share a rule.
        var merged: [RBACRule] = []
        for (groups, resource) in order {
            let set = verbs[groups]?[resource] ?? []
            let sorted = verbOrder.filter(set.contains)
            if let index = merged.firstIndex(where: { $0.apiGroups == groups && $0.verbs == sorted }) {
                merged[index].resources.append(resource)
            } else {
                merged.append(RBACRule(apiGroups: groups, resources: [resource], verbs: sorted))
            }
        }
        return merged
    }

    static let verbOrder = ["get", "list", "watch", "create", "update", "patch", "delete"]

    /// The neutral actions a set of rules allows in full.
    static func actions(allowedBy rules: [RBACRule]) -> Set<Action> {
        var held = Set(
            Action.allCases.filter { $0 != .admin }.filter { action in
                Self.rules(for: action).allSatisfy { needed in
                    needed.apiGroups.allSatisfy { group in
                        needed.resources.allSatisfy { resource in
                            needed.verbs.allSatisfy { verb in rules.contains { $0.allows(group, resource, verb) } }
                        }
                    }
                }
            })
        if held.count == Action.allCases.count - 1 { held.insert(.admin) }
        return held
    }
}

/// A subject of a RoleBinding.
struct RBACSubject: Hashable {
    enum Kind: String, Hashable {
        case user = "User"
        case group = "Group"
        case serviceAccount = "ServiceAccount"
    }
    var kind: Kind
    var name: String
    /// For service accounts.
    var namespace: String?
}

struct RBACRole: Hashable {
    var name: String
    var namespace: String
    var rules: [RBACRule]
}

struct RBACBinding: Hashable {
    var name: String
    var namespace: String
    var role: String
    var subjects: [RBACSubject]
}
