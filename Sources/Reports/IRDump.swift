import IR
import YAML

/// The IR as JSON, for `palisade compile --dump-ir` and the front end's golden tests.
/// Deterministic: every collection sorted.
public enum IRDump {
    public static func json(_ policy: Policy) -> String { JSONWriter.write(value(policy)) }

    static func value(_ policy: Policy) -> StructuredValue {
        let names = policy.workloads.map(\.name)
        let external = Self.external
        let ports = Self.ports
        func endpoints(_ endpoints: Endpoints) -> StructuredValue {
            var entries: [StructuredValue.Entry] = [.init("workloads", .array(endpoints.workloads.map { .string(names[$0.index]) }))]
            if !endpoints.external.isEmpty { entries.append(.init("external", external(endpoints.external))) }
            return .object(entries)
        }
        func runtime(_ profile: RuntimeProfile) -> StructuredValue {
            var entries: [StructuredValue.Entry] = []
            func add(_ key: RuntimeKey, _ value: StructuredValue?) { if let value { entries.append(.init(key.name, value)) } }
            add(.user, profile.user.map { .int($0) })
            add(.runAsNonRoot, profile.runAsNonRoot.map { .bool($0) })
            add(.privileged, profile.privileged.map { .bool($0) })
            add(.readOnlyRoot, profile.readOnlyRoot.map { .bool($0) })
            add(.writablePaths, profile.writablePaths.map { .array($0.map { .string($0) }) })
            add(.noNewPrivileges, profile.noNewPrivileges.map { .bool($0) })
            add(
                .capabilities,
                profile.capabilities.map {
                    .object([.init("add", .array($0.add.map { .string($0) })), .init("drop", .array($0.drop.map { .string($0) }))])
                })
            add(.seccomp, profile.seccomp.map { .string($0.description) })
            add(.apparmor, profile.apparmor.map { .string($0.description) })
            add(.hostNetwork, profile.hostNetwork.map { .bool($0) })
            add(.hostPID, profile.hostPID.map { .bool($0) })
            add(.hostIPC, profile.hostIPC.map { .bool($0) })
            if let resources = profile.resources {
                var limits: [StructuredValue.Entry] = []
                if let cpu = resources.cpuMillis { limits.append(.init("cpu_millis", .int(cpu))) }
                if let memory = resources.memoryBytes { limits.append(.init("memory_bytes", .int(memory))) }
                if let pids = resources.pids { limits.append(.init("pids", .int(pids))) }
                entries.append(.init(RuntimeKey.resources.name, .object(limits)))
            }
            return .object(entries)
        }
        return .object([
            .init("name", .string(policy.name)),
            .init("files", .array(policy.files.map { .string($0) })),
            .init(
                "segments",
                .array(
                    policy.segments.map { segment in
                        .object([
                            .init("name", .string(segment.name)),
                            .init("implied", .bool(segment.implied)),
                            .init("labels", .object(segment.labels.map { .init($0.key, .string($0.value)) })),
                            .init("workloads", .array(segment.workloads.map { .string(names[$0.index]) })),
                        ])
                    })),
            .init("networks", .object(policy.networks.map { .init($0.name, external($0.members)) })),
            .init("port_sets", .object(policy.portSets.map { .init($0.name, ports($0.ports)) })),
            .init(
                "identities",
                .array(
                    policy.identities.map { identity in
                        .object([
                            .init("name", .string(identity.name)), .init("kind", .string(identity.kind.rawValue)), .init("implied", .bool(identity.implied)),
                        ])
                    })),
            .init("roles", .object(policy.roles.map { .init($0.name, .array($0.actions.map { .string($0.rawValue) })) })),
            .init(
                "grants",
                .array(
                    policy.grants.map { grant in
                        .object([
                            .init("identity", .string(policy.identity(grant.identity).name)), .init("role", .string(policy.role(grant.role).name)),
                            .init("segments", .array(grant.segments.map { .string(policy.segments[$0.index].name) })),
                        ])
                    })),
            .init("secrets", .array(policy.secrets.map { .string($0.name) })),
            .init(
                "workloads",
                .array(
                    policy.workloads.map { workload in
                        .object([
                            .init("name", .string(workload.name)),
                            .init("segment", .string(policy.segments[workload.segment.index].name)),
                            .init(
                                "image",
                                .object([
                                    .init("registry", .string(workload.image.registry)), .init("path", .string(workload.image.path)),
                                    .init("tag", workload.image.tag.map { .string($0) } ?? .null),
                                    .init("digest", workload.image.digest.map { .string($0) } ?? .null),
                                ])),
                            .init("identity", .string(policy.identity(workload.identity).name)),
                            .init("replicas", .int(workload.replicas)),
                            .init("listens", ports(workload.listens)),
                            .init("secrets", .array(workload.secrets.map { .string($0) })),
                            .init("runtime", runtime(workload.runtime)),
                            .init("labels", .object(workload.labels.map { .init($0.key, .string($0.value)) })),
                        ])
                    })),
            .init(
                "flows",
                .array(
                    policy.flows.map { flow in
                        .object([
                            .init("label", .string(flow.label)), .init("action", .string(flow.action.rawValue)),
                            .init("from", endpoints(flow.sources)), .init("to", endpoints(flow.destinations)),
                            .init("ports", ports(flow.ports)), .init("origin", .string(flow.origin.description)),
                        ])
                    })),
            .init("intent", relation(policy.intent, names: names)),
            .init(
                "expectations",
                .array(
                    policy.expectations.map { expectation in
                        var entries: [StructuredValue.Entry] = [
                            .init("kind", .string(expectation.kind.rawValue)), .init("from", endpoints(expectation.sources)),
                            .init("to", endpoints(expectation.destinations)), .init("ports", ports(expectation.ports)),
                        ]
                        if let targets = expectation.targets { entries.append(.init("targets", .array(targets.map { .string($0.rawValue) }))) }
                        return .object(entries)
                    })),
            .init("targets", .object(policy.targets.map { .init($0.target.rawValue, .object([.init("gaps", .string($0.gaps.rawValue))])) })),
        ])
    }

    /// A relation as JSON: `between_workloads` pairs, then `ingress` and `egress` rules by workload.
    public static func json(_ relation: Relation, policy: Policy) -> String {
        JSONWriter.write(self.relation(relation, names: policy.workloads.map(\.name)))
    }

    /// What a backend's reader says the files of one policy allow on one target.
    public struct ReadBack: Sendable {
        public var policy: Policy
        public var target: TargetName
        public var relation: Relation

        public init(policy: Policy, target: TargetName, relation: Relation) {
            self.policy = policy
            self.target = target
            self.relation = relation
        }
    }

    /// `compile --dump-read`: a JSON list of `{policy, target, relation}`, for the conformance
    /// checks that hold the readers to the platforms' own tools.
    public static func json(_ readBacks: [ReadBack]) -> String {
        JSONWriter.write(
            .array(
                readBacks.map { entry in
                    .object([
                        .init("policy", .string(entry.policy.name)), .init("target", .string(entry.target.rawValue)),
                        .init("relation", relation(entry.relation, names: entry.policy.workloads.map(\.name))),
                    ])
                }))
    }

    static func relation(_ relation: Relation, names: [String]) -> StructuredValue {
        func rules(_ byWorkload: [WorkloadID: ExternalRules]) -> StructuredValue {
            .object(
                byWorkload.sorted(by: { $0.key < $1.key }).map { id, rules in
                    .init(
                        names[id.index],
                        .array(
                            rules.entries.map { entry in
                                .object([.init("ports", ports(entry.ports)), .init("peers", external(entry.peers))])
                            }))
                })
        }
        return .object([
            .init(
                "between_workloads",
                .array(
                    relation.sortedPairs.map { pair, set in
                        .object([
                            .init("from", .string(names[pair.source.index])), .init("to", .string(names[pair.destination.index])),
                            .init("ports", ports(set)),
                        ])
                    })),
            .init("ingress", rules(relation.ingress)),
            .init("egress", rules(relation.egress)),
        ])
    }

    static func external(_ set: ExternalSet) -> StructuredValue {
        var entries: [StructuredValue.Entry] = [.init("addresses", .array(set.addresses.cidrs.map { .string($0.description) }))]
        if set.dns.allExcept {
            entries.append(.init("dns", "all"))
            if !set.dns.names.isEmpty { entries.append(.init("dns_except", .array(set.dns.sortedNames.map { .string($0) }))) }
        } else if !set.dns.isEmpty {
            entries.append(.init("dns", .array(set.dns.sortedNames.map { .string($0) })))
        }
        return .object(entries)
    }

    static func ports(_ set: PortSet) -> StructuredValue { .array(set.ranges.map { .string($0.description) }) }
}
