import IR
import YAML

/// The Mesos master's ACLs (`--acls`, the JSON form of `mesos.ACLs`) and the local
/// authorizer's semantics (apache/mesos `src/authorizer/local/authorizer.cpp`): for one
/// action, ACLs are tried in order; the first whose subject and object both *match* the
/// request decides, allowing only if both *allow* it; when none matches, `permissive`
/// decides (Mesos' default is true; Palisade always writes false).
struct MesosACLs: Equatable {
    /// An ACL entity: some named values, any value, or none.
    enum Entity: Equatable {
        case some([String])
        case any
        case none

        /// Whether a request for `value` falls under this entity (NONE and ANY match every request).
        func matches(_ value: String) -> Bool {
            switch self {
            case .any, .none: true
            case .some(let values): values.contains(value)
            }
        }

        /// Whether this entity lets `value` through (NONE lets nothing through).
        func allows(_ value: String) -> Bool {
            switch self {
            case .any: true
            case .none: false
            case .some(let values): values.contains(value)
            }
        }
    }

    struct Rule: Equatable {
        var principals: Entity
        var object: Entity
    }

    struct ActionRules: Equatable {
        var action: String
        /// The object field of this action (`users`, `roles`).
        var objectField: String
        var rules: [Rule]
    }

    var permissive: Bool
    var actions: [ActionRules]

    /// The local authorizer's answer for `principal` doing `action` on `object`.
    func authorizes(_ principal: String, _ action: String, _ object: String) -> Bool {
        for rule in actions.first(where: { $0.action == action })?.rules ?? [] {
            if rule.principals.matches(principal), rule.object.matches(object) {
                return rule.principals.allows(principal) && rule.object.allows(object)
            }
        }
        return permissive
    }

    /// The Mesos ACL actions a neutral action needs on the task's user; `deploy` and
    /// `secrets` have none (deploying is Marathon's to authorize; Mesos has no secret ACL).
    static let neutral: [Action: [String]] = [
        .view: ["view_tasks", "view_executors", "view_containers"],
        .logs: ["access_sandboxes"],
        .exec: [
            "launch_nested_container_sessions_as_user", "launch_nested_container_sessions_under_parent_with_user",
            "attach_containers_input", "attach_containers_output",
        ],
    ]

    /// Every action Palisade writes rules for, in file order.
    static let written: [(action: String, objectField: String)] =
        [("register_frameworks", "roles"), ("run_tasks", "users")]
        + [Action.view, .logs, .exec].flatMap { (neutral[$0] ?? []).map { ($0, "users") } }

    // MARK: JSON

    var json: StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("permissive", .bool(permissive))]
        for action in actions {
            entries.append(
                .init(
                    action.action,
                    .array(
                        action.rules.map { rule in
                            .object([.init("principals", Self.json(rule.principals)), .init(action.objectField, Self.json(rule.object))])
                        })))
        }
        return .object(entries)
    }

    static func json(_ entity: Entity) -> StructuredValue {
        switch entity {
        case .some(let values): .object([.init("values", .array(values.map { .string($0) }))])
        case .any: .object([.init("type", "ANY")])
        case .none: .object([.init("type", "NONE")])
        }
    }

    /// The file the ACLs are written to.
    static let file = MesosEmitter.aclsFile

    /// Parses the JSON form back (the fields Palisade writes and Mesos' entity shapes).
    init(json node: YAMLNode) throws {
        guard case .mapping(let pairs) = node.content else { throw ReadFailure(Self.file, "not a JSON object") }
        permissive = true
        actions = []
        for pair in pairs {
            if pair.name == "permissive" {
                permissive = pair.value.scalar == "true"
                continue
            }
            guard case .sequence(let items) = pair.value.content else { throw ReadFailure(Self.file, "\(pair.name) is not a list") }
            var field = "users"
            var rules: [Rule] = []
            for item in items {
                guard case .mapping(let fields) = item.content, let principals = fields.first(where: { $0.name == "principals" }),
                    let object = fields.first(where: { $0.name != "principals" })
                else { throw ReadFailure(Self.file, "an ACL of \(pair.name) lacks principals or an object") }
                field = object.name
                rules.append(Rule(principals: try Self.entity(principals.value), object: try Self.entity(object.value)))
            }
            actions.append(ActionRules(action: pair.name, objectField: field, rules: rules))
        }
    }

    init(permissive: Bool, actions: [ActionRules]) {
        self.permissive = permissive
        self.actions = actions
    }

    static func entity(_ node: YAMLNode) throws -> Entity {
        guard case .mapping(let fields) = node.content else { throw ReadFailure(Self.file, "an ACL entity is not an object") }
        let type = fields.first { $0.name == "type" }?.value.scalar ?? "SOME"
        switch type {
        case "ANY": return .any
        case "NONE": return .none
        default:
            guard let values = fields.first(where: { $0.name == "values" })?.value, case .sequence(let items) = values.content else {
                throw ReadFailure(Self.file, "a SOME entity without values")
            }
            return .some(items.compactMap(\.scalar))
        }
    }
}
