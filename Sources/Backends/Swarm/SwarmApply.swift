import Diagnostics
import IR
import YAML

/// `compile --apply-to`: the application's compose file with Palisade's fields set on every
/// workload's service and every other field kept (`targets/swarm/README.md`, "Applying onto
/// the application's file").
extension SwarmBackend: ApplicationBackend {
    public func apply(_ policy: Policy, with options: SwarmOptions, to application: [ApplicationFile]) throws -> Application {
        let compose = try SwarmCompose(application)
        let located = try compose.services(of: policy)
        var complete = options
        complete.output = .complete
        // The gaps are those of the whole stack: the file written carries every field of it
        // that bears on them (networks, ports, runtime keys).
        let emission = try emit(policy, with: complete)
        var overlay = options
        overlay.output = .overlay
        // The ports the application's other services publish are taken: Palisade's go around
        // them by the same rule as between workloads (`SwarmIngressPorts`). A workload's
        // service keeps none of its own (`setPorts`).
        let names = Set(policy.workloads.map(\.name))
        let reserved = compose.files.reduce(PortSet()) { $0.union(SwarmReader.publishedPorts(root: $1.root, excluding: names)) }
        let plan = try plan(policy, overlay, reserved: reserved)
        let decided = SwarmEmitter(plan: plan).document()
        var documents = compose.files.map { StructuredValue($0.root) }
        var overrides: [Override] = []
        for workload in policy.workloads {
            guard let (index, pair) = located[workload.id] else { continue }
            var hardening = SwarmHardening(
                workload: workload, application: pair.value, palisade: decided["services"]?[workload.name] ?? .object([]),
                published: plan.published[workload.id] ?? PortSet(), file: compose.files[index].path)
            let body = hardening.hardened()
            overrides += hardening.overrides
            documents[index].update("services") { $0.set(workload.name, body) }
        }
        // Networks and secrets go into the first file that holds a workload's service;
        // `docker stack deploy -c A -c B` merges top-level maps by name.
        if let first = located.values.map(\.file).min() {
            let root = compose.files[first].root
            if case .object(let networks)? = decided["networks"] {
                documents[first].update("networks") { defined in
                    if case .null = defined { defined = .object([]) }
                    for network in networks {
                        if let theirs = root["networks"]?[network.key], !StructuredValue(theirs).means(network.value) {
                            overrides.append(
                                Override(
                                    origin: theirs.range, subject: "network \(network.key)", field: "networks.\(network.key)", application: theirs.text,
                                    palisade: network.value.text))
                        }
                        defined.set(network.key, network.value)
                    }
                }
            }
            if case .object(let secrets)? = decided["secrets"] {
                // A secret the application defines (`file:` for its own tests, say) keeps its
                // definition: Palisade decides who gets it, not where it comes from.
                documents[first].update("secrets") { defined in
                    if case .null = defined { defined = .object([]) }
                    for secret in secrets where defined[secret.key] == nil { defined.set(secret.key, secret.value) }
                }
            }
        }
        // Palisade's fields are compose 3.9 (`deploy.resources.limits.pids`): a file of an
        // older 3.x format would fail docker's schema for them.
        for (index, file) in compose.files.enumerated() {
            guard let version = file.root["version"], let text = version.scalar, Self.isOlderThanStackFormat(text) else { continue }
            overrides.append(
                Override(origin: version.range, subject: "file \(file.path)", field: "version", application: text, palisade: SwarmEmitter.version))
            documents[index].set("version", .string(SwarmEmitter.version))
        }
        let header = [
            "Hardened by palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)):",
            "the fields palisade decides are set on every service of the spec; every other field is the application's.",
            "Comments and anchors of the original are not kept (libyaml gives no comments to a loader).",
        ]
        let files = try zip(compose.files, documents).map { file, document in
            OutputFile(
                path: file.path, contents: try YAMLWriter.write(document, header: header + ["Deploy: docker stack deploy -c \(file.path) \(policy.name)"]))
        }
        return Application(
            emission: Emission(files: files, gaps: emission.gaps, widened: emission.widened, narrowed: emission.narrowed), overrides: overrides)
    }
}

extension SwarmBackend {
    /// Whether a compose `version` is a 3.x older than 3.9 (`3`, `3.7`).
    static func isOlderThanStackFormat(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.first == "3", parts.count <= 2 else { return false }
        return parts.count == 1 || (Int(parts[1]).map { $0 < 9 } ?? false)
    }
}

/// One service of the application's file with Palisade's fields set, and the fields whose
/// application value it replaced.
struct SwarmHardening {
    let workload: Workload
    /// The service as the application wrote it.
    let application: YAMLNode
    /// The service as `security.yaml` would hold it.
    let palisade: StructuredValue
    /// The ports the spec lets outside peers reach (the target side).
    let published: PortSet
    let file: String
    var overrides: [Override] = []

    var runtime: RuntimeProfile { workload.runtime }

    mutating func report(_ node: YAMLNode?, _ key: String, _ theirs: String, _ ours: String) {
        overrides.append(
            Override(
                origin: node?.range ?? application.range, subject: "service \(workload.name)", field: "services.\(workload.name).\(key)", application: theirs,
                palisade: ours))
    }

    mutating func hardened() -> StructuredValue {
        var body = StructuredValue(application)
        if case .object = body {} else { body = .object([]) }
        // Scalars: set where the spec decides them.
        for key in ["user", "read_only"] {
            guard let ours = palisade[key] else { continue }
            if let theirs = application[key], !StructuredValue(theirs).means(ours) { report(theirs, key, theirs.text, ours.text) }
            body.set(key, ours)
        }
        if runtime.capabilities != nil {
            for key in ["cap_add", "cap_drop"] {
                let ours = palisade[key]
                if let theirs = application[key], Set(theirs.items.compactMap(\.scalar)) != Set(ours?.items.map(\.text) ?? []) {
                    report(theirs, key, theirs.text, ours?.text ?? "absent")
                }
                if let ours { body.set(key, ours) } else { body.remove(key) }
            }
        }
        removeIgnoredContradictions(&body)
        setVolumes(&body)
        setSecrets(&body)
        setNetworks(&body)
        setPorts(&body)
        if case .object(let labels)? = palisade["labels"] { body.update("labels") { merge(labels, into: &$0, key: "labels", theirs: application["labels"]) } }
        if let deploy = palisade["deploy"] { setDeploy(deploy, &body) }
        return body
    }

    /// Keys `docker stack deploy` ignores (it prints "Ignoring unsupported options"), where the
    /// application asks for what the spec forbids: removed, so the file says what runs.
    mutating func removeIgnoredContradictions(_ body: inout StructuredValue) {
        let runtime = self.runtime
        let checks: [(key: String, contradicts: (YAMLNode) -> Bool)] = [
            ("privileged", { $0.scalar == "true" && runtime.privileged != true }),
            // Networks are Palisade's: any network mode replaces them on the engines that apply it.
            ("network_mode", { _ in runtime.hostNetwork != true }),
            ("pid", { $0.scalar == "host" && runtime.hostPID != true }),
            ("ipc", { $0.scalar == "host" && runtime.hostIPC != true }),
        ]
        for (key, contradicts) in checks {
            guard let theirs = application[key], contradicts(theirs) else { continue }
            report(theirs, key, theirs.text, "absent")
            body.remove(key)
        }
        guard let options = application["security_opt"] else { return }
        var kept: [StructuredValue] = []
        for option in options.items {
            let text = option.scalar ?? ""
            let parts = text.split(whereSeparator: { $0 == ":" || $0 == "=" }).map(String.init)
            let (name, value) = (parts.first ?? "", parts.dropFirst().joined(separator: ":"))
            let contradicts =
                (name == "seccomp" && value == "unconfined" && runtime.seccomp != nil && runtime.seccomp != .unconfined)
                || (name == "apparmor" && value == "unconfined" && runtime.apparmor != nil && runtime.apparmor != .unconfined)
                || (name == "no-new-privileges" && value == "false" && runtime.noNewPrivileges == true)
            if contradicts { report(option, "security_opt", text, "absent") } else { kept.append(StructuredValue(option)) }
        }
        if kept.isEmpty { body.remove("security_opt") } else { body.set("security_opt", .array(kept)) }
    }

    /// Palisade's tmpfs mounts replace the application's volume at the same path (compose
    /// merges volumes by mount path too); the application's other volumes stay.
    mutating func setVolumes(_ body: inout StructuredValue) {
        guard case .array(let ours)? = palisade["volumes"] else { return }
        var volumes = application["volumes"]?.items.map { ($0.volumeTarget, StructuredValue($0), Optional($0)) } ?? []
        for mount in ours {
            let target = mount["target"]?.text
            if let index = volumes.firstIndex(where: { $0.0 == target }) {
                if let theirs = volumes[index].2, !volumes[index].1.means(mount) { report(theirs, "volumes", theirs.text, mount.text) }
                volumes[index] = (target, mount, nil)
            } else {
                volumes.append((target, mount, nil))
            }
        }
        body.set("volumes", .array(volumes.map(\.1)))
    }

    /// The secrets the spec gives the workload, and no other.
    mutating func setSecrets(_ body: inout StructuredValue) {
        for theirs in application["secrets"]?.items ?? [] where !workload.secrets.contains(theirs.secretSource ?? "") {
            report(theirs, "secrets", theirs.text, "absent: the spec does not give it this secret")
        }
        if let ours = palisade["secrets"] { body.set("secrets", ours) } else { body.remove("secrets") }
    }

    /// Palisade's networks, and no other: services on one network reach each other on every port.
    mutating func setNetworks(_ body: inout StructuredValue) {
        let ours = palisade["networks"] ?? .array([])
        let names = Set(ours.items.map(\.text))
        if let theirs = application["networks"], let extra = theirs.networkNames.first(where: { !names.contains($0.name) }) {
            report(extra.node, "networks", theirs.networkNames.map(\.name).joined(separator: ", "), ours.text)
        }
        body.set("networks", ours)
    }

    /// Palisade's published ports; an application entry that opens a port the spec does not
    /// let outside peers reach is reported, and so is one Palisade publishes otherwise.
    mutating func setPorts(_ body: inout StructuredValue) {
        let ours = palisade["ports"]?.items ?? []
        let canonical = Set(ours.map(Self.canonicalPort))
        for theirs in application["ports"]?.items ?? [] where !canonical.contains(Self.canonicalPort(StructuredValue(theirs))) {
            let targets = (try? SwarmReader.publishedPorts(theirs, file: file)) ?? PortSet()
            let why =
                targets.isSubset(of: published) ? "published as \(palisade["ports"]?.text ?? "[]")" : "absent: the spec lets no outside peer reach \(targets)"
            report(theirs, "ports", theirs.text, why)
        }
        if ours.isEmpty { body.remove("ports") } else { body.set("ports", .array(ours)) }
    }

    /// A port entry in one spelling: `PUBLISHED:TARGET/PROTOCOL MODE`.
    static func canonicalPort(_ entry: StructuredValue) -> String {
        if case .object = entry {
            let proto = entry["protocol"]?.text ?? "tcp"
            return "\(entry["published"]?.text ?? ""):\(entry["target"]?.text ?? "")/\(proto) \(entry["mode"]?.text ?? "ingress")"
        }
        var text = entry.text
        var proto = "tcp"
        if let slash = text.firstIndex(of: "/") {
            proto = String(text[text.index(after: slash)...])
            text = String(text[..<slash])
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        return "\(parts.count > 1 ? parts[parts.count - 2] : ""):\(parts.last ?? "")/\(proto) ingress"
    }

    /// Palisade's labels set into the application's (a list of `KEY=VALUE` becomes a mapping).
    mutating func merge(_ labels: [StructuredValue.Entry], into value: inout StructuredValue, key: String, theirs: YAMLNode?) {
        if case .array(let items) = value {
            value = .object(
                items.map { item in
                    let parts = item.text.split(separator: "=", maxSplits: 1).map(String.init)
                    return .init(parts.first ?? "", .string(parts.count > 1 ? parts[1] : ""))
                })
        }
        if case .object = value {} else { value = .object([]) }
        for label in labels {
            if let old = value[label.key], old.text != label.value.text {
                let node = theirs?.pairs.first { $0.name == label.key }?.value ?? theirs
                report(node, "\(key).\(label.key)", old.text, label.value.text)
            }
            value.set(label.key, label.value)
        }
    }

    /// `deploy.resources.limits` the spec sets, and Palisade's `deploy.labels`; replicas,
    /// update and restart policies, placement and reservations stay the application's.
    mutating func setDeploy(_ ours: StructuredValue, _ body: inout StructuredValue) {
        let theirs = application["deploy"]
        body.update("deploy") { deploy in
            if case .object = deploy {} else { deploy = .object([]) }
            if case .object(let limits)? = ours["resources"]?["limits"] {
                deploy.update("resources") { resources in
                    if case .object = resources {} else { resources = .object([]) }
                    resources.update("limits") { set in
                        if case .object = set {} else { set = .object([]) }
                        for limit in limits {
                            let old = theirs?["resources"]?["limits"]?[limit.key]
                            if let old, !Self.sameLimit(limit.key, old.scalar ?? "", limit.value.text) {
                                report(old, "deploy.resources.limits.\(limit.key)", old.text, limit.value.text)
                            }
                            set.set(limit.key, limit.value)
                        }
                    }
                }
            }
            if case .object(let labels)? = ours["labels"] {
                deploy.update("labels") { merge(labels, into: &$0, key: "deploy.labels", theirs: theirs?["labels"]) }
            }
        }
    }

    /// Whether two limits are the same amount (`0.5` and `"0.50"`, `512M` and `536870912`).
    static func sameLimit(_ key: String, _ a: String, _ b: String) -> Bool {
        switch key {
        case "cpus": Quantity.millicores(a) != nil && Quantity.millicores(a) == Quantity.millicores(b)
        case "memory": SwarmReader.bytes(a) != nil && SwarmReader.bytes(a) == SwarmReader.bytes(b)
        default: a == b
        }
    }
}

extension StructuredValue {
    /// Whether two values mean the same to compose: mappings by key whatever their order, lists
    /// item by item, scalars by what compose reads (`"3"` and `3`, `yes` and `true` alike,
    /// quoted or not). An override is reported only where the values differ by this.
    func means(_ other: StructuredValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.means($1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count, Set(a.map(\.key)).count == a.count else { return false }
            return a.allSatisfy { entry in b.first { $0.key == entry.key }.map { entry.value.means($0.value) } ?? false }
        case (.array, _), (_, .array), (.object, _), (_, .object): return false
        default: return Self.scalarMeaning(text) == Self.scalarMeaning(other.text)
        }
    }

    /// A scalar as compose reads it: a YAML 1.1 boolean or a decimal integer in one spelling,
    /// anything else as written.
    static func scalarMeaning(_ text: String) -> String {
        switch text.lowercased() {
        case "true", "yes", "on", "y": return "true"
        case "false", "no", "off", "n": return "false"
        default: return Int(text).map(String.init) ?? text
        }
    }

    /// The items of an array (none for anything else).
    var items: [StructuredValue] {
        if case .array(let items) = self { return items }
        return []
    }

    /// Changes `key` of an object in place (`null` where it is absent), keeping its position.
    mutating func update(_ key: String, _ change: (inout StructuredValue) -> Void) {
        var value = self[key] ?? .null
        change(&value)
        set(key, value)
    }
}
