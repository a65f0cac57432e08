import Diagnostics
import Foundation
import IR
import TestSupport
import Testing
import YAML

@testable import Backends

/// The platforms' uniqueness rules that the generated files could break and that only the
/// platform itself checks, over every sample's output (Swarm's ingress ports are in
/// `SwarmIngressTests`):
/// - OpenShift: a Route without `spec.host` gets `NAME-NAMESPACE.SUFFIX`, and when routes of two
///   namespaces claim one host the router admits the older only (HostAlreadyClaimed); a
///   Service's port names are unique (and required with several ports), as its (port,
///   protocol) pairs are (Kubernetes API validation); an explicit `nodePort` is unique in the
///   cluster; a Route's `targetPort` names a port of its Service.
/// - Marathon: an explicit `servicePort` is unique across every app (Marathon refuses the
///   app), and one app cannot claim a host port twice for a protocol.
@Suite struct UniquenessTests {
    /// Each sample's OpenShift manifests under the sample's own options and under each exposure.
    func openShiftDocuments() throws -> [(sample: String, documents: [YAMLNode])] {
        var result: [(String, [YAMLNode])] = []
        for sample in backendSamples {
            let policy = try samplePolicy(sample)
            var variants = [policy.options(for: .openshift) ?? options(.openshift, .widen)]
            for exposure in ["loadbalancer", "route"] { variants.append(options(.openshift, .widen, ["exposure": .string(exposure)])) }
            for variant in variants {
                let files = try OpenShiftBackend().emit(policy, options: variant).files
                result.append((sample, try files.flatMap { try $0.documents() }))
            }
        }
        return result
    }

    static func string(_ node: YAMLNode?, _ path: String...) -> String? {
        var node = node
        for key in path { node = node?[key] }
        return node?.scalar
    }

    @Test func openShiftRouteHostsAreUniqueInEveryOutput() throws {
        for (sample, documents) in try openShiftDocuments() {
            var hosts: [String: String] = [:]
            var services: [String: YAMLNode] = [:]
            for document in documents where Self.string(document, "kind") == "Service" {
                services["\(Self.string(document, "metadata", "namespace") ?? "")/\(Self.string(document, "metadata", "name") ?? "")"] = document
            }
            for route in documents where Self.string(route, "kind") == "Route" {
                let name = try #require(Self.string(route, "metadata", "name"))
                let namespace = try #require(Self.string(route, "metadata", "namespace"))
                let host = Self.string(route, "spec", "host") ?? "\(name)-\(namespace)"
                #expect(hosts[host] == nil, "\(sample): routes \(hosts[host] ?? "") and \(namespace)/\(name) claim host \(host)")
                hosts[host] = "\(namespace)/\(name)"
                // The Service it points to, in its namespace, with the port it names.
                let service = services["\(namespace)/\(Self.string(route, "spec", "to", "name") ?? "")"]
                #expect(service != nil, "\(sample): route \(namespace)/\(name) points to no Service")
                if let target = Self.string(route, "spec", "port", "targetPort"), case .sequence(let ports)? = service?["spec"]?["ports"]?.content {
                    #expect(ports.contains { $0["name"]?.scalar == target }, "\(sample): route \(namespace)/\(name) names port \(target), not in its Service")
                }
            }
        }
    }

    @Test func openShiftServicePortsAreUniquePerServiceAndNodePortsInTheCluster() throws {
        for (sample, documents) in try openShiftDocuments() {
            var nodePorts: [String: String] = [:]
            var objects = Set<String>()
            for document in documents {
                let kind = Self.string(document, "kind") ?? ""
                let id = "\(kind) \(Self.string(document, "metadata", "namespace") ?? "")/\(Self.string(document, "metadata", "name") ?? "")"
                #expect(objects.insert(id).inserted, "\(sample): \(id) twice")
                guard kind == "Service", case .sequence(let ports)? = document["spec"]?["ports"]?.content else { continue }
                var names = Set<String>()
                var numbers = Set<String>()
                for port in ports {
                    let name = port["name"]?.scalar
                    #expect(ports.count == 1 || name != nil, "\(sample): \(id) has several ports, one without a name")
                    if let name { #expect(names.insert(name).inserted, "\(sample): \(id) names port \(name) twice") }
                    let number = "\(port["port"]?.scalar ?? "")/\(port["protocol"]?.scalar ?? "TCP")"
                    #expect(numbers.insert(number).inserted, "\(sample): \(id) lists \(number) twice")
                    if let nodePort = port["nodePort"]?.scalar {
                        #expect(nodePorts[nodePort] == nil, "\(sample): nodePort \(nodePort) of \(id) is also \(nodePorts[nodePort] ?? "")'s")
                        nodePorts[nodePort] = id
                    }
                }
            }
        }
    }

    /// Generated Route hosts join name and namespace with `-`, so route `a-80` in namespace
    /// `x-9-y` and route `a-80-x-9` in namespace `y` would both get `a-80-x-9-y.SUFFIX`: the
    /// plan renames such routes apart.
    @Test func openShiftRouteHostsOfContrivedNamesDoNotCollide() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: rc
                segments: {x-9-y: {}, "y": {}}
                workloads:
                  a: {segment: x-9-y, image: nginx:1.25, ports: [tcp/80]}
                  a-80-x: {segment: "y", image: nginx:1.25, ports: [tcp/9]}
                flows:
                  - {from: any, to: [a, a-80-x], ports: [tcp]}
                """
            ).policy)
        let files = try OpenShiftBackend().emit(policy, options: options(.openshift, .widen, ["exposure": .string("route")])).files
        let routes = try files.flatMap { try $0.documents() }.filter { Self.string($0, "kind") == "Route" }
        let hosts = routes.map { "\(Self.string($0, "metadata", "name") ?? "")-\(Self.string($0, "metadata", "namespace") ?? "")" }
        #expect(hosts.count == 2)
        #expect(Set(hosts).count == hosts.count, "\(hosts)")
        // Each colliding route is renamed by a hash of its own namespace and name, and the
        // reader still finds the workload behind it.
        #expect(hosts.allSatisfy { $0.split(separator: "-").count >= 4 }, "\(hosts)")
        let emission = try OpenShiftBackend().emit(policy, options: options(.openshift, .widen, ["exposure": .string("route")]))
        #expect(try OpenShiftBackend().read(files, policy: policy).relation == policy.intent.subtracting(emission.narrowed).union(emission.widened))
    }

    /// Every app of a Marathon group, nested groups included.
    static func apps(_ group: [String: Any]) -> [[String: Any]] {
        ((group["apps"] as? [[String: Any]]) ?? []) + ((group["groups"] as? [[String: Any]]) ?? []).flatMap(apps)
    }

    @Test func marathonServicePortsAreUniqueAcrossAppsAndHostPortsWithinEach() throws {
        var servicePorts: [Int: String] = [:]
        for sample in backendSamples {
            let policy = try samplePolicy(sample)
            for variant in [policy.options(for: .mesos) ?? options(.mesos, .widen), options(.mesos, .narrow)] {
                let emission = try MesosBackend().emit(policy, options: variant)
                let text = try #require(emission.files.first { $0.path == "marathon.json" }?.contents)
                let group = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                var ids = Set<String>()
                for app in Self.apps(group) {
                    let id = app["id"] as? String ?? ""
                    #expect(ids.insert(id).inserted, "\(sample): app \(id) twice")
                    let container = app["container"] as? [String: Any]
                    let mappings = (container?["portMappings"] as? [[String: Any]]) ?? (app["portDefinitions"] as? [[String: Any]]) ?? []
                    var hostPorts = Set<String>()
                    for mapping in mappings {
                        let proto = mapping["protocol"] as? String ?? "tcp"
                        if let host = (mapping["hostPort"] ?? mapping["port"]) as? Int, host != 0 {
                            #expect(hostPorts.insert("\(host)/\(proto)").inserted, "\(sample): app \(id) claims host port \(host)/\(proto) twice")
                        }
                        if let service = mapping["servicePort"] as? Int, service != 0 {
                            #expect(
                                servicePorts[service] == nil || servicePorts[service] == "\(sample) \(id)",
                                "\(sample): servicePort \(service) of \(id) and \(servicePorts[service] ?? "")")
                            servicePorts[service] = "\(sample) \(id)"
                        }
                    }
                }
            }
        }
    }
}
