import Diagnostics
import IR
import Spec
import TestSupport
import Testing

/// The rules of the language (docs/language.md), one test (or a few) each, with valid and invalid cases.
@Suite struct SpecRuleTests {
    func compiled(_ text: String, files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) -> Policy? {
        let output = compileSpec(text, files: files)
        #expect(
            output.diagnostics.filter { $0.severity == .error }.isEmpty,
            "unexpected: \(output.diagnostics.map { "\($0.code.rawValue) \($0.message)" })", sourceLocation: sourceLocation)
        return output.policy
    }

    func errors(_ text: String, files: [String: String] = [:]) -> [String] {
        compileSpec(text, files: files).diagnostics.filter { $0.severity == .error }.map(\.code.rawValue)
    }

    func id(_ policy: Policy, _ name: String) -> WorkloadID { policy.workload(named: name)!.id }

    func address(_ text: String) -> ExternalSet {
        guard case .valid(let cidr) = CIDR.parse(text) else { fatalError("bad test address \(text)") }
        return ExternalSet(addresses: cidr.addressSet)
    }

    static let twoWorkloads = """
        version: 1
        name: t
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80, tcp/443, udp/53]}
          api: {image: nginx:1.25, ports: [tcp/9000, tcp/9100-9200, icmp]}

        """

    // MARK: Top level

    @Test func minimalSpecCompiles() throws {
        let policy = try #require(compiled("version: 1\nname: t\nworkloads: {}\n"))
        #expect(policy.segments.map(\.name) == ["t"])
        #expect(policy.segments[0].implied)
    }

    @Test func versionNameAndWorkloadsAreRequired() {
        #expect(errors("name: t\nworkloads: {}\n") == ["E102"])
        #expect(errors("version: 1\nworkloads: {}\n") == ["E102"])
        #expect(errors("version: 1\nname: t\n") == ["E102"])
    }

    @Test func allErrorsOfAFileAreReportedInSourceOrder() {
        let output = compileSpec(
            """
            version: 1
            name: t
            workloads:
              web: {image: nginx:1.25, replicas: many}
              api: {image: NGINX, ports: [tcp/0]}
            flows:
              - {from: wbe, to: api, ports: [tcp/80]}
            """)
        let located = output.diagnostics.map { "\($0.code.rawValue)@\($0.range!.start.line)" }
        #expect(located == ["E105@4", "E601@5", "E304@5", "E205@7"])
    }

    @Test func unknownKeysSuggestTheClosestKey() throws {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n")
        let diagnostic = try #require(output.diagnostics.first)
        #expect(diagnostic.code == .unknownKey)
        #expect(diagnostic.help == "did you mean 'replicas'?")
    }

    @Test func scalarsAreTypedByTheirField() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                description: yes
                networks:
                  v6: [2001:db8::1, 2001:db8:1::/48]
                workloads: {}
                """))
        #expect(policy.description == "yes")
        #expect(policy.networks[0].members.addresses.cidrs.map(\.description) == ["2001:db8::1/128", "2001:db8:1::/48"])
    }

    @Test func yesNoOnOffAreNotBooleans() throws {
        let output = compileSpec("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, runtime: {privileged: on}}\n")
        let diagnostic = try #require(output.diagnostics.first)
        #expect(diagnostic.code == .invalidBoolean)
        #expect(diagnostic.help == "write true")
    }

    @Test func namesAreDNSLabelsAndShareANamespace() {
        #expect(errors("version: 1\nname: Shop\nworkloads: {}\n") == ["E201"])
        #expect(errors("version: 1\nname: t\nsegments: {web: {}}\nworkloads:\n  web: {segment: web, image: nginx:1.25}\n") == ["E203"])
        #expect(errors("version: 1\nname: t\nroles: {all: [view]}\nworkloads: {}\n") == ["E202"])
        #expect(errors("version: 1\nname: t\nports: {udp: [udp/53]}\nworkloads: {}\n") == ["E202"])
        // Identities and roles have namespaces of their own.
        #expect(errors("version: 1\nname: t\nidentities: {web: {}}\nroles: {web: [view]}\nworkloads:\n  web: {image: nginx:1.25}\n") == [])
    }

    // MARK: Addresses and ports

    @Test func networksNormalizeAndNest() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                networks:
                  a: [10.0.0.0/25, 10.0.0.128/25, 10.0.1.0/24]
                  b: [a, 198.51.100.7, "dns:API.Example.com."]
                  c: [b, any]
                workloads: {}
                """))
        let b = try #require(policy.networks.first { $0.name == "b" })
        #expect(b.members.addresses.cidrs.map(\.description) == ["10.0.0.0/23", "198.51.100.7/32"])
        #expect(b.members.dns.sortedNames == ["api.example.com"])
        #expect(policy.networks.first { $0.name == "c" }?.members.isAny == true)
    }

    @Test func portSetsNormalizeAndNest() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                ports:
                  web: [tcp/80, tcp/443, tcp/81-100]
                  more: [web, udp/53, icmp, sctp]
                workloads: {}
                """))
        #expect(policy.portSets.first { $0.name == "more" }?.ports.description == "tcp/80-100, tcp/443, udp/53, sctp, icmp")
        #expect(errors("version: 1\nname: t\nports: {a: [b], b: [a]}\nworkloads: {}\n") == ["E207"])
    }

    @Test func workloadsListenOnPortsOrRangesOnly() {
        #expect(errors("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [all]}\n") == ["E307"])
        #expect(errors("version: 1\nname: t\nports: {p: [tcp/80, udp]}\nworkloads:\n  a: {image: nginx:1.25, ports: [p]}\n") == ["E307"])
        #expect(errors("version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, ports: [icmp, sctp/9]}\n") == [])
    }

    // MARK: The intent

    @Test func allowFlowsAreClippedToListenedPorts() throws {
        let policy = try #require(
            compiled(
                Self.twoWorkloads + """
                    flows:
                      - {from: web, to: api, ports: [tcp]}
                      - {from: api, to: web, ports: [all]}
                    """))
        #expect(policy.intent.ports(from: id(policy, "web"), to: id(policy, "api")).description == "tcp/9000, tcp/9100-9200")
        #expect(policy.intent.ports(from: id(policy, "api"), to: id(policy, "web")).description == "tcp/80, tcp/443, udp/53")
    }

    @Test func explicitPortsNotListenedAreErrorsOnlyWhenNamedDirectly() {
        let base = Self.twoWorkloads.replacingOccurrences(of: "workloads:", with: "segments: {s: {}}\nworkloads:")
            .replacingOccurrences(of: "{image", with: "{segment: s, image")
        #expect(errors(base + "flows:\n  - {from: web, to: api, ports: [tcp/8080]}\n") == ["E306"])
        #expect(errors(base + "flows:\n  - {from: web, to: s, ports: [tcp/8080]}\n") == [])
        #expect(errors(base + "flows:\n  - {action: deny, from: web, to: api, ports: [tcp/8080]}\n") == [])
        #expect(errors(base + "expect:\n  - {allow: {from: web, to: api, ports: [tcp/8080]}}\n") == ["E306", "E607"].filter { $0 == "E306" })
    }

    @Test func deniesSubtractWhateverTheirOrder() throws {
        for order in [["allow", "deny"], ["deny", "allow"]] {
            let flows = order.map { action in
                action == "allow" ? "  - {from: web, to: api, ports: [tcp/9100-9200]}" : "  - {action: deny, from: web, to: api, ports: [tcp/9150]}"
            }.joined(separator: "\n")
            let policy = try #require(compiled(Self.twoWorkloads + "flows:\n" + flows + "\n"))
            #expect(policy.intent.ports(from: id(policy, "web"), to: id(policy, "api")).description == "tcp/9100-9149, tcp/9151-9200")
        }
    }

    @Test func denyFromAnyDoesNotTouchWorkloads() throws {
        let policy = try #require(
            compiled(
                Self.twoWorkloads + """
                    flows:
                      - {from: [web, any], to: api, ports: [tcp/9000]}
                      - {action: deny, from: any, to: api, ports: [all]}
                    """))
        #expect(policy.intent.ports(from: id(policy, "web"), to: id(policy, "api")).description == "tcp/9000")
        #expect(policy.intent.ingress[id(policy, "api")] == nil)
    }

    @Test func externalDeniesCutAddressRanges() throws {
        let policy = try #require(
            compiled(
                Self.twoWorkloads + """
                    networks:
                      corp: [10.0.0.0/8, "2001:db8::/32"]
                      guests: [10.9.0.0/16, "2001:db8:9::/48"]
                    flows:
                      - {from: corp, to: web, ports: [tcp/443]}
                      - {action: deny, from: guests, to: web, ports: [tcp]}
                    """))
        let peers = policy.intent.ingress[id(policy, "web")]!.peers(.tcp, 443)
        #expect(peers.addresses.isSubset(of: address("10.0.0.0/8").addresses.union(address("2001:db8::/32").addresses)))
        #expect(!peers.addresses.v4.contains(0x0A09_0001))
        #expect(peers.addresses.v4.contains(0x0A08_0001))
        #expect(!peers.isSubset(of: address("10.0.0.0/8")))
        #expect(policy.intent.ingress[id(policy, "web")]!.peers(.tcp, 80).isEmpty)
    }

    @Test func dnsDestinationsFollowTheAnyAndDenyRules() throws {
        let spec =
            Self.twoWorkloads + """
                networks:
                  stripe: ["dns:api.stripe.com"]
                  other: ["dns:api.other.com"]
                  cidrs: [0.0.0.0/0]
                flows:
                  - {from: web, to: any, ports: [tcp/443]}
                  - {action: deny, from: web, to: cidrs, ports: [tcp/443]}
                  - {action: deny, from: web, to: other, ports: [tcp/443]}

                """
        let policy = try #require(compiled(spec))
        let peers = policy.intent.egress[id(policy, "web")]!.peers(.tcp, 443)
        #expect(peers.dns.contains("api.stripe.com"))
        #expect(!peers.dns.contains("api.other.com"))
        #expect(peers.addresses.v4.isEmpty)
        #expect(!peers.addresses.v6.isEmpty)
        let denyAll = try #require(compiled(spec + "  - {action: deny, from: web, to: any, ports: [tcp/443]}\n"))
        #expect(denyAll.intent.egress[id(denyAll, "web")] == nil)
    }

    @Test func dnsNetworksCannotBeSourcesAndExternalsCannotMeet() {
        let spec = Self.twoWorkloads + "networks: {stripe: [\"dns:api.stripe.com\"], corp: [10.0.0.0/8]}\nflows:\n"
        #expect(errors(spec + "  - {from: stripe, to: web, ports: [tcp/80]}\n") == ["E402"])
        #expect(errors(spec + "  - {from: corp, to: stripe, ports: [tcp/80]}\n") == ["E401"])
        #expect(errors(spec + "  - {from: [corp, web], to: [any, api], ports: [tcp/80]}\n") == ["E401"])
    }

    @Test func aFlowWhoseSidesShareAWorkloadCoversItsReplicas() throws {
        let policy = try #require(compiled(Self.twoWorkloads + "flows:\n  - {from: [web, api], to: api, ports: [tcp/9000]}\n"))
        #expect(policy.intent.ports(from: id(policy, "api"), to: id(policy, "api")).description == "tcp/9000")
    }

    @Test func segmentsExpandToTheirWorkloadsAndTheImpliedOneNeedsAPrefix() throws {
        let implied = Self.twoWorkloads + "flows:\n  - {from: segment:t, to: api, ports: [tcp/9000]}\n"
        let policy = try #require(compiled(implied))
        #expect(policy.intent.betweenWorkloads.count == 2)
        let output = compileSpec(Self.twoWorkloads + "flows:\n  - {from: t, to: api, ports: [tcp/9000]}\n")
        #expect(output.diagnostics.map(\.code) == [.unknownReference])
        #expect(output.diagnostics.first?.help == "the implied segment is referred to as 'segment:t'")
    }

    @Test func explicitPrefixesMustMatchTheKind() {
        let spec = Self.twoWorkloads + "networks: {corp: [10.0.0.0/8]}\nflows:\n"
        #expect(errors(spec + "  - {from: network:web, to: api, ports: [tcp/9000]}\n") == ["E206"])
        #expect(errors(spec + "  - {from: workload:corp, to: api, ports: [tcp/9000]}\n") == ["E206"])
        #expect(errors(spec + "  - {from: network:corp, to: workload:api, ports: [tcp/9000]}\n") == [])
        #expect(errors(spec + "  - {from: host:corp, to: api, ports: [tcp/9000]}\n") == ["E205"])
    }

    // MARK: Expectations

    @Test func expectationsAreCheckedOnTheIntentWithAWitness() throws {
        let spec =
            Self.twoWorkloads + """
                networks: {corp: [10.0.0.0/8], guests: [10.9.0.0/16], hq: [10.1.0.0/16]}
                flows:
                  - {from: corp, to: web, ports: [tcp/443]}
                  - {action: deny, from: guests, to: web, ports: [all]}
                expect:

                """
        #expect(compiled(spec + "  - {allow: {from: hq, to: web, ports: [tcp/443]}}\n") != nil)
        let failing = compileSpec(spec + "  - {allow: {from: corp, to: web, ports: [tcp/443]}}\n")
        let diagnostic = try #require(failing.diagnostics.first)
        #expect(diagnostic.code == .expectationFailed)
        #expect(diagnostic.message == "expectation does not hold: 10.9.0.0/16 -> web on tcp/443 is not allowed")
        #expect(errors(spec + "  - {deny: {from: guests, to: web, ports: [all]}}\n") == [])
        #expect(errors(spec + "  - {deny: {from: corp, to: [web, api], ports: [all]}}\n") == ["E607"])
        #expect(errors(spec + "  - {allow: {from: web, to: api, ports: [tcp/9000]}}\n") == ["E607"])
        #expect(errors(spec + "  - {allow: {from: web, to: api, ports: [tcp/9000]}, deny: {from: web, to: api, ports: [all]}}\n") == ["E107"])
    }

    // MARK: Runtime, identities, grants, images

    @Test func runtimeProfilesMergeOverDefaultsKeyByKey() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                defaults:
                  runtime:
                    user: 10001
                    read_only_root: true
                    capabilities: {drop: [ALL]}
                    resources: {cpu: 500m, memory: 256Mi, pids: 64}
                workloads:
                  a: {image: nginx:1.25}
                  b:
                    image: nginx:1.25
                    runtime:
                      user: 0
                      capabilities: {add: [NET_BIND_SERVICE]}
                      resources: {cpu: "1.5"}
                      seccomp: localhost/profiles/b.json
                """))
        let a = try #require(policy.workload(named: "a")).runtime
        let b = try #require(policy.workload(named: "b")).runtime
        #expect(a.user == 10001 && a.readOnlyRoot == true && a.capabilities == Capabilities(add: [], drop: ["ALL"]))
        #expect(a.resources == Resources(cpuMillis: 500, memoryBytes: 256 << 20, memoryText: "256Mi", pids: 64))
        #expect(b.user == 0 && b.readOnlyRoot == true)
        #expect(b.capabilities == Capabilities(add: ["NET_BIND_SERVICE"], drop: []))
        #expect(b.resources == Resources(cpuMillis: 1500))
        #expect(b.seccomp == .localhost("profiles/b.json"))
        #expect(b.origins[.user]?.start.line == 14)
        #expect(b.origins[.readOnlyRoot]?.start.line == 6)
    }

    @Test func identitiesAreImpliedAndMustBeServices() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                identities: {shared: {}, ops: {kind: group}}
                workloads:
                  a: {image: nginx:1.25, identity: shared}
                  b: {image: nginx:1.25, identity: shared}
                  c: {image: nginx:1.25}
                """))
        #expect(policy.identities.map(\.name) == ["c", "ops", "shared"])
        #expect(policy.identities.first { $0.name == "c" }?.implied == true)
        #expect(policy.workload(named: "b").map { policy.identity($0.identity).name } == "shared")
        #expect(policy.workload(named: "b")?.identity == policy.identityID(named: "shared"))
    }

    @Test func grantsResolveAndRefuseServiceIdentities() throws {
        let spec = """
            version: 1
            name: t
            segments: {a: {}, b: {}}
            identities: {sre: {kind: group}, bot: {}}
            roles: {oncall: [view, logs, exec, view]}
            workloads:
              w: {segment: a, image: nginx:1.25}
            grants:

            """
        #expect(errors(spec + "  - {identity: sre, role: oncall, segments: all}\n") == ["E109"])
        let clean = spec.replacingOccurrences(of: ", view]", with: "]")
        let policy = try #require(
            compiled(clean + "  - {identity: sre, role: oncall, segments: all}\n  - {identity: bot, role: oncall, segments: [b], allow_service: true}\n"))
        #expect(policy.grants.map { $0.segments.count } == [2, 1])
        #expect(policy.roles[0].actions == [.view, .logs, .exec])
        #expect(errors(clean + "  - {identity: bot, role: oncall, segments: [a]}\n") == ["E604"])
        #expect(errors(clean + "  - {identity: sre, role: on-call, segments: [c]}\n") == ["E205", "E205"])
    }

    @Test func imageReferencesParseAsDockerDoes() throws {
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                workloads:
                  a: {image: nginx}
                  b: {image: "localhost:5000/team/app:v1.2@sha256:\(String(repeating: "ab", count: 32))"}
                  c: {image: quay.io/org/app_x__y.z-w}
                """))
        let a = try #require(policy.workload(named: "a")).image
        #expect(a.registry == "docker.io" && a.path == "library/nginx" && a.tag == nil)
        let b = try #require(policy.workload(named: "b")).image
        #expect(b.registry == "localhost:5000" && b.path == "team/app" && b.tag == "v1.2" && b.digest?.hasPrefix("sha256:abab") == true)
    }

    @Test func imagePolicyMatchesRegistryAndPathPrefix() {
        let spec = "version: 1\nname: t\nimage_policy: {allowed_registries: [registry.example.com/shop]}\nworkloads:\n"
        #expect(errors(spec + "  a: {image: registry.example.com/shop/web:1}\n") == [])
        #expect(errors(spec + "  a: {image: registry.example.com/shopping/web:1}\n") == ["E602"])
        #expect(errors(spec + "  a: {image: other.example.com/shop/web:1}\n") == ["E602"])
    }

    // MARK: Includes

    @Test func includesMergeDefinitionsAndDiamondsOnce() throws {
        let files = [
            "common/base.yaml": "version: 1\nnetworks: {corp: [10.0.0.0/8]}\n",
            "common/a.yaml": "include: [base.yaml]\nports: {web: [tcp/80]}\n",
            "common/b.yaml": "include: [./base.yaml]\nidentities: {sre: {kind: group}}\n",
        ]
        let policy = try #require(
            compiled(
                """
                version: 1
                name: t
                include: [common/a.yaml, common/b.yaml]
                workloads:
                  w: {image: nginx:1.25, ports: [web]}
                flows:
                  - {from: corp, to: w, ports: [web]}
                """, files: files))
        #expect(policy.files == ["spec.yaml", "common/a.yaml", "common/base.yaml", "common/b.yaml"])
        #expect(policy.intent.ingress.count == 1)
    }

    @Test func includeRulesAreEnforced() {
        let top = "version: 1\nname: t\ninclude: [x.yaml]\nworkloads: {}\n"
        #expect(errors(top, files: ["x.yaml": "networks: {a: [10.0.0.0/8]}\n"]) == [])
        #expect(errors(top + "networks: {a: [10.0.0.0/8]}\n", files: ["x.yaml": "networks: {a: [10.0.0.0/8]}\n"]) == ["E204"])
        #expect(errors(top, files: ["x.yaml": "include: [y.yaml]\n", "y.yaml": "include: [x.yaml]\n"]) == ["E503"])
        #expect(errors(top, files: ["x.yaml": "name: other\ntargets: {}\n"]) == ["E504", "E504"])
        #expect(errors(top.replacingOccurrences(of: "x.yaml", with: "../x.yaml"), files: ["../x.yaml": ""]) == ["E502"])
        #expect(errors(top.replacingOccurrences(of: "x.yaml", with: "/etc/passwd")) == ["E502"])
        #expect(errors(top) == ["E501"])
    }

    @Test func duplicateDefinitionsNameBothPlaces() throws {
        let output = compileSpec(
            "version: 1\nname: t\ninclude: [x.yaml]\nworkloads:\n  w: {image: nginx:1.25}\n",
            files: ["x.yaml": "workloads:\n  w: {image: nginx:1.25}\n"])
        let diagnostic = try #require(output.diagnostics.first)
        #expect(diagnostic.code == .duplicateDefinition)
        #expect(diagnostic.range?.file == "x.yaml")
        #expect(diagnostic.notes.first?.range?.file == "spec.yaml")
    }

    // MARK: Targets and lint

    @Test func targetsAreKnownAndOptionsPassThrough() throws {
        let policy = try #require(
            compiled("version: 1\nname: t\nworkloads: {}\ntargets:\n  swarm: {gaps: narrow, encrypt_networks: false}\n  aws: {vpc_id: vpc-1}\n"))
        #expect(policy.targets.map(\.target) == [.swarm, .aws])
        #expect(policy.options(for: .swarm)?.gaps == .narrow)
        #expect(policy.options(for: .swarm)?.option("encrypt_networks")?.value.value == .boolean(false))
        #expect(policy.options(for: .aws)?.gaps == .widen)
    }

    @Test func lintConfigurationIsChecked() throws {
        let spec = "version: 1\nname: t\nworkloads:\n  db: {image: nginx:1.25}\nlint:\n"
        let policy = try #require(compiled(spec + "  disable: [PAL101]\n  ignore:\n    - {rule: PAL203, subject: workload:db, reason: needs it}\n"))
        #expect(policy.lint.ignore.map(\.subject) == ["workload:db"])
        #expect(errors(spec + "  ignore:\n    - {rule: PAL203, subject: workload:dbb, reason: x}\n") == ["E205"])
        #expect(errors(spec + "  ignore:\n    - {rule: PAL203, subject: workload:db}\n") == ["E102"])
    }
}
