import IR
import YAML

/// Reads a CiliumNetworkPolicy back as the egress-only policy `ClusterNetwork` evaluates (see
/// `CiliumFQDN.swift`): its `endpointSelector`, and egress rules to names (`toFQDNs`), to pods
/// (`toEndpoints`) or to everyone (`toPorts` alone), on their ports. Whatever Cilium would
/// enforce that this evaluation cannot say is refused, with the object and its line: ingress,
/// deny rules, CIDR, entity, service or node peers, named ports, L7 rules other than a DNS
/// rule that lets every lookup through, and wildcard names other than `*` (the spec's names
/// have no wildcards).
struct CiliumReader {
    let file: String

    func policy(_ node: YAMLNode) throws -> NetworkPolicy {
        let name = node["metadata"]?["name"]?.scalar ?? ""
        let namespace = node["metadata"]?["namespace"]?.scalar ?? ""
        let object = "\(CiliumPolicy.kind) \(namespace)/\(name) (line \(node.range.start.line))"
        func failure(_ reason: String) -> ReadFailure { ReadFailure(file, "\(object): \(reason)") }
        guard node["apiVersion"]?.scalar == CiliumPolicy.apiVersion else { throw failure("apiVersion is not \(CiliumPolicy.apiVersion)") }
        guard !namespace.isEmpty else { throw failure("no namespace") }
        guard let spec = node["spec"], case .mapping(let pairs) = spec.content else { throw failure("no spec") }
        for key in pairs.map(\.name) where !["endpointSelector", "egress", "description"].contains(key) {
            throw failure("'\(key)' is not read: palisade reads endpointSelector and egress")
        }
        guard let selectorNode = spec["endpointSelector"] else { throw failure("no endpointSelector") }
        let podSelector = try selector(selectorNode, failure)
        if podSelector.namespace != nil { throw failure("the endpointSelector names a namespace: the policy's own is implied") }
        guard let egress = spec["egress"], case .sequence(let items) = egress.content, !items.isEmpty else {
            throw failure("egress is not a list of rules")
        }
        let rules = try items.enumerated().map { index, item in
            try rule(item) { failure("egress rule \(index + 1): \($0)") }
        }
        return NetworkPolicy(name: name, namespace: namespace, podSelector: podSelector.pods, egress: rules)
    }

    /// One egress rule: exactly one of `toFQDNs` and `toEndpoints`, or neither (every
    /// destination), with `toPorts` (every port without it).
    func rule(_ node: YAMLNode, _ failure: (String) -> ReadFailure) throws -> PolicyRule {
        guard case .mapping(let pairs) = node.content, !pairs.isEmpty else { throw failure("not a mapping of toFQDNs, toEndpoints and toPorts") }
        for key in pairs.map(\.name) where !["toFQDNs", "toEndpoints", "toPorts"].contains(key) {
            throw failure("'\(key)' is not read: palisade reads toFQDNs, toEndpoints and toPorts")
        }
        if node["toFQDNs"] != nil && node["toEndpoints"] != nil { throw failure("toFQDNs with toEndpoints, which Cilium refuses") }
        var rule = PolicyRule(peers: nil, ports: nil)
        if let fqdns = node["toFQDNs"] {
            rule.peers = []
            rule.names = DNSNames(unionOf: try list(fqdns, "toFQDNs", failure).map { try names($0, failure) })
        }
        if let endpoints = node["toEndpoints"] {
            rule.peers = try list(endpoints, "toEndpoints", failure).map { item in
                let selector = try selector(item, failure)
                return .pods(namespaces: selector.namespace, pods: selector.pods)
            }
        }
        if let toPorts = node["toPorts"] {
            var ports: [PolicyPort] = []
            for entry in try list(toPorts, "toPorts", failure) {
                ports += try portRule(entry, dnsProxy: node["toEndpoints"] != nil, failure)
            }
            rule.ports = ports
        }
        return rule
    }

    /// A `toFQDNs` entry: `matchName`, or `matchPattern` `*` (every name) or without wildcards.
    func names(_ node: YAMLNode, _ failure: (String) -> ReadFailure) throws -> DNSNames {
        if let name = node["matchName"]?.scalar, node["matchPattern"] == nil { return DNSNames([name]) }
        guard let pattern = node["matchPattern"]?.scalar, node["matchName"] == nil else {
            throw failure("a toFQDNs entry is one matchName or one matchPattern")
        }
        if pattern == CiliumPolicy.everyName { return .all }
        guard !pattern.contains("*") else { throw failure("matchPattern '\(pattern)': palisade reads '*' and plain names only (dns: names have no wildcards)") }
        return DNSNames([pattern])
    }

    /// A `toPorts` entry: its ports, and an L7 rule only where it is the DNS proxy's, letting
    /// every lookup through (then it allows what its ports allow).
    func portRule(_ node: YAMLNode, dnsProxy: Bool, _ failure: (String) -> ReadFailure) throws -> [PolicyPort] {
        guard case .mapping(let pairs) = node.content else { throw failure("a toPorts entry is not a mapping") }
        for key in pairs.map(\.name) where !["ports", "rules"].contains(key) {
            throw failure("'\(key)' in toPorts is not read: palisade reads ports and a DNS rule")
        }
        if let rules = node["rules"] {
            guard dnsProxy, case .mapping(let kinds) = rules.content, kinds.map(\.name) == ["dns"], let dns = rules["dns"],
                try list(dns, "dns", failure).contains(where: { $0["matchPattern"]?.scalar == CiliumPolicy.everyName })
            else { throw failure("an L7 rule other than a DNS rule to pods that lets every lookup through (matchPattern '*')") }
        }
        guard let ports = node["ports"] else { throw failure("a toPorts entry without ports") }
        var result: [PolicyPort] = []
        for port in try list(ports, "ports", failure) {
            let text = port["port"]?.scalar ?? "0"
            guard let number = Int(text), (0...65535).contains(number) else { throw failure("port '\(text)': palisade reads port numbers only") }
            let end = try port["endPort"].map { node -> Int in
                guard let end = node.scalar.flatMap({ Int($0) }), end >= number, end <= 65535, number > 0 else { throw failure("endPort without a range") }
                return end
            }
            let protocols: [TransportProtocol]
            switch port["protocol"]?.scalar ?? "ANY" {
            case "TCP": protocols = [.tcp]
            case "UDP": protocols = [.udp]
            case "SCTP": protocols = [.sctp]
            case "ANY": protocols = [.tcp, .udp, .sctp]
            case let other: throw failure("protocol \(other) is not read: palisade reads TCP, UDP, SCTP and ANY")
            }
            for proto in protocols {
                result.append(
                    number == 0 ? PolicyPort(proto: proto) : PolicyPort(proto: proto, port: number, endPort: end == number ? nil : end))
            }
        }
        return result
    }

    /// A Cilium endpoint selector: `matchLabels` only, keys from Kubernetes (`k8s:` or no
    /// source); the pod's namespace and its namespace's labels become a namespace selector.
    func selector(_ node: YAMLNode, _ failure: (String) -> ReadFailure) throws -> (namespace: LabelSelector?, pods: LabelSelector) {
        guard case .mapping(let pairs) = node.content else { throw failure("a selector is not a mapping") }
        for key in pairs.map(\.name) where key != "matchLabels" { throw failure("'\(key)' in a selector is not read: palisade reads matchLabels") }
        var namespace: [String: String]?
        var pods: [String: String] = [:]
        if let labels = node["matchLabels"] {
            guard case .mapping(let entries) = labels.content else { throw failure("matchLabels is not a mapping") }
            for entry in entries {
                var key = entry.name
                if key.hasPrefix(CiliumPolicy.kubernetesSource) {
                    key.removeFirst(CiliumPolicy.kubernetesSource.count)
                } else if key.contains(":") {
                    throw failure("label '\(key)': palisade reads labels from Kubernetes only")
                }
                let value = entry.value.scalar ?? ""
                if key == CiliumPolicy.namespaceLabel {
                    namespace = (namespace ?? [:]).merging([OpenShiftPlan.namespaceNameLabel: value]) { $1 }
                } else if key.hasPrefix(CiliumPolicy.namespaceLabelsPrefix) {
                    namespace = (namespace ?? [:]).merging([String(key.dropFirst(CiliumPolicy.namespaceLabelsPrefix.count)): value]) { $1 }
                } else {
                    pods[key] = value
                }
            }
        }
        return (namespace.map { LabelSelector(labels: $0) }, LabelSelector(labels: pods))
    }

    func list(_ node: YAMLNode, _ what: String, _ failure: (String) -> ReadFailure) throws -> [YAMLNode] {
        guard case .sequence(let items) = node.content else { throw failure("\(what) is not a list") }
        return items
    }
}
