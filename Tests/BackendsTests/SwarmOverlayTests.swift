import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `output: overlay`, `apply` (`compile --apply-to`) and `deployment` (`--with`) on Swarm,
/// against the application fixtures under `samples/apps/`.
@Suite struct SwarmOverlayTests {
    static let samples = backendSamples
    let backend = SwarmBackend()

    /// The application's compose file for a sample, as `--apply-to` would read it.
    func application(_ policy: Policy) throws -> [ApplicationFile] {
        let url = repositoryRoot.appendingPathComponent("samples/apps/\(policy.name)/swarm.yaml")
        return [ApplicationFile(path: "swarm.yaml", contents: try String(contentsOf: url, encoding: .utf8))]
    }

    func typed(_ gaps: GapPolicy, _ extra: [String: OptionValue] = [:]) throws -> SwarmOptions {
        SwarmOptions.parse(options(.swarm, gaps, extra)).options
    }

    /// A node's value as YAML means it: a plain scalar another type could take stays typed, every
    /// other scalar is a string, whatever its quoting.
    func meaning(_ node: YAMLNode?) -> StructuredValue? {
        guard let node else { return nil }
        switch node.content {
        case .scalar(let text, let style): return style == .plain && plainScalarIsAmbiguous(text) ? .number(text) : .string(text)
        case .sequence(let items): return .array(items.compactMap(meaning))
        case .mapping(let pairs): return .object(pairs.map { .init($0.name, meaning($0.value) ?? .null) })
        }
    }

    func root(_ text: String, _ file: String = "swarm.yaml") throws -> YAMLNode {
        try #require(YAMLLoader.load(text: text, file: file).root)
    }

    @Test(arguments: samples)
    func overlayReadsBackAsTheCompleteStackDoes(sample: String) throws {
        let policy = try samplePolicy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            for mode in ["ingress", "host"] {
                let complete = try backend.emit(policy, options: options(.swarm, gaps, ["publish_mode": .string(mode)]))
                let overlayOptions = options(.swarm, gaps, ["publish_mode": .string(mode), "output": .string("overlay")])
                let (overlay, read) = try checkRoundTrip(backend, policy, overlayOptions)
                #expect(overlay.files.map(\.path) == ["security.yaml"])
                let text = try #require(overlay.files.first?.contents)
                #expect(!text.contains("\n    image:") && !text.contains("\n      replicas:"), "overlay holds what the application owns")
                #expect(text.contains("docker stack deploy -c APP.yaml -c security.yaml \(policy.name)"))
                let full = try backend.read(complete.files, policy: policy)
                #expect(read.relation == full.relation)
                #expect(read.runtime == full.runtime)
                #expect(overlay.gaps == complete.gaps)
                #expect(try SwarmReader.portConflicts(overlay.files).isEmpty)
            }
        }
    }

    @Test func outputIsAnOptionWithLocatedErrors() throws {
        #expect(try typed(.widen).output == .complete)
        #expect(try typed(.widen, ["output": .string("overlay")]).output == .overlay)
        let problems = backend.validate(options(.swarm, .widen, ["output": .string("overlays")]))
        #expect(problems.map(\.code) == [.invalidTargetOption])
        #expect(problems.first?.help == "did you mean 'overlay'?")
    }

    // MARK: apply

    @Test(arguments: samples)
    func applyKeepsEveryFieldPalisadeDoesNotOwn(sample: String) throws {
        let policy = try samplePolicy(sample)
        let app = try application(policy)
        let result = try backend.apply(policy, options: options(.swarm, .widen), to: app)
        #expect(result.emission.files.map(\.path) == ["swarm.yaml"])
        let before = try root(app[0].contents)
        let after = try root(result.emission.files[0].contents)
        let owned: Set<String> = [
            "user", "read_only", "cap_add", "cap_drop", "volumes", "secrets", "networks", "ports", "labels", "deploy", "privileged",
        ]
        for service in before["services"]?.pairs ?? [] {
            let hardened = try #require(after["services"]?[service.name], "service \(service.name) kept")
            for field in service.value.pairs where !owned.contains(field.name) {
                #expect(meaning(field.value) == meaning(hardened[field.name]), "\(service.name).\(field.name) kept")
            }
            // Deploy keys Palisade does not set stay, in place.
            for field in service.value["deploy"]?.pairs ?? [] where field.name != "labels" && field.name != "resources" {
                #expect(meaning(field.value) == meaning(hardened["deploy"]?[field.name]), "\(service.name).deploy.\(field.name) kept")
            }
            // The application's keys keep their order.
            let order = hardened.pairs.map(\.name).filter { name in service.value.pairs.contains { $0.name == name } }
            #expect(order == service.value.pairs.map(\.name).filter { order.contains($0) }, "\(service.name): key order")
            // Volumes Palisade does not mount stay.
            let paths = Set(policy.workload(named: service.name)?.runtime.writablePaths ?? [])
            for volume in service.value["volumes"]?.items ?? [] where !paths.contains(volume.volumeTarget ?? "") {
                #expect(hardened["volumes"]?.items.contains { meaning($0) == meaning(volume) } == true)
            }
        }
        for key in before.pairs.map(\.name) where !["services", "networks", "secrets"].contains(key) {
            #expect(meaning(before[key]) == meaning(after[key]), "top-level \(key) kept")
        }
        #expect(Array(after.pairs.map(\.name).prefix(before.pairs.count)) == before.pairs.map(\.name))
    }

    @Test(arguments: samples)
    func applyReadsBackAsTheCompleteStackDoes(sample: String) throws {
        let policy = try samplePolicy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            let result = try backend.apply(policy, options: options(.swarm, gaps), to: try application(policy))
            let complete = try backend.emit(policy, options: options(.swarm, gaps))
            let read = try backend.read(result.emission.files, policy: policy)
            #expect(read.relation == (try backend.read(complete.files, policy: policy)).relation)
            #expect(read.relation.subtracting(policy.intent) == result.emission.widened)
            #expect(policy.intent.subtracting(read.relation) == result.emission.narrowed)
            try checkRuntime(policy, result.emission, read)
            let file = result.emission.files[0]
            #expect(try SwarmReader.portConflicts(root: try root(file.contents), file: file.path).isEmpty)
        }
    }

    @Test func applyOverridesAndReportsWhatContradictsTheSpec() throws {
        let policy = try samplePolicy("shop.yaml")
        let app = try application(policy)
        let result = try backend.apply(policy, options: options(.swarm, .widen), to: app)
        let lines = app[0].contents.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -1) + 1 }
        let found = result.overrides.map { "\($0.origin?.file ?? "-"):\($0.origin?.start.line ?? 0) \($0.message)" }
        #expect(
            found.contains("swarm.yaml:\(line("cap_add: [NET_ADMIN]")) service web: services.web.cap_add was [NET_ADMIN], now [NET_BIND_SERVICE]"),
            "\(found)")
        #expect(found.contains { $0.hasPrefix("swarm.yaml:\(line("\"8081:8081\"")) service web: services.web.ports was 8081:8081, now absent") }, "\(found)")
        #expect(found.contains("swarm.yaml:\(line("privileged: true")) service checkout: services.checkout.privileged was true, now absent"), "\(found)")
        #expect(found.count == 3, "\(found)")
        let web = try #require(try root(result.emission.files[0].contents)["services"]?["web"])
        #expect(web["cap_add"]?.items.compactMap(\.scalar) == ["NET_BIND_SERVICE"])
        #expect(!(web["ports"]?.items.contains { $0.text.contains("8081") } ?? true))
        #expect(try root(result.emission.files[0].contents)["services"]?["checkout"]?["privileged"] == nil)
        // Clean fixtures: nothing to override.
        for sample in ["minimal.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"] {
            let policy = try samplePolicy(sample)
            #expect(try backend.apply(policy, options: options(.swarm, .widen), to: try application(policy)).overrides.isEmpty, "\(sample)")
        }
    }

    @Test func applyOverridesEachOwnedField() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                ports: {http: [tcp/8080]}
                workloads:
                  a:
                    image: nginx:1.25
                    ports: [http]
                    runtime: {user: 10001, read_only_root: true, writable_paths: [/tmp], capabilities: {drop: [ALL]}, host_network: false}
                flows:
                  - {from: any, to: a, ports: [http]}
                """
            ).policy)
        let app = """
            version: "3.7"
            services:
              a:
                image: nginx:1.25   # the team's
                user: "0"
                read_only: false
                cap_drop: [NET_RAW]
                network_mode: host
                volumes: ["scratch:/tmp", "logs:/var/log/nginx"]
                networks: [default]
                ports: ["80:8080"]
                secrets: [extra]
                security_opt: ["seccomp:unconfined"]
            """
        let result = try backend.apply(policy, options: options(.swarm, .widen), to: [ApplicationFile(path: "app.yml", contents: app)])
        let fields = result.overrides.map { "\($0.origin?.start.line ?? 0) \($0.field)" }
        #expect(
            fields == [
                "5 services.a.user", "6 services.a.read_only", "7 services.a.cap_drop", "8 services.a.network_mode", "9 services.a.volumes",
                "12 services.a.secrets", "10 services.a.networks", "11 services.a.ports", "1 version",
            ], "\(result.overrides.map(\.message))")
        let a = try #require(try root(result.emission.files[0].contents, "app.yml")["services"]?["a"])
        #expect(a["user"]?.scalar == "10001" && a["read_only"]?.scalar == "true" && a["network_mode"] == nil)
        #expect(a["volumes"]?.items.map(\.text) == ["{type: tmpfs, target: /tmp}", "logs:/var/log/nginx"])
        #expect(a["image"]?.scalar == "nginx:1.25")
        #expect(try root(result.emission.files[0].contents, "app.yml")["version"]?.scalar == "3.9", "3.9 has deploy.resources.limits.pids")
        #expect(SwarmBackend.isOlderThanStackFormat("3") && SwarmBackend.isOlderThanStackFormat("3.8"))
        #expect(!SwarmBackend.isOlderThanStackFormat("3.9") && !SwarmBackend.isOlderThanStackFormat("3.10") && !SwarmBackend.isOlderThanStackFormat("2.4"))
        #expect(result.emission.files[0].contents.hasPrefix("# Hardened by palisade"))
        #expect(!result.emission.files[0].contents.contains("the team's"), "comments are lost through libyaml (documented)")
    }

    @Test func aWorkloadWithoutAServiceIsALocatedError() throws {
        let policy = try samplePolicy("shop.yaml")
        var text = try application(policy)[0].contents
        for name in ["db", "cache"] {
            let start = try #require(text.range(of: "\n  \(name):\n"))
            let end = text[start.upperBound...].range(of: "\n  [a-z]", options: .regularExpression)?.lowerBound ?? text.endIndex
            text.removeSubrange(start.lowerBound..<end)
        }
        let files = [ApplicationFile(path: "apps/shop.yaml", contents: text)]
        for call in [
            { _ = try backend.apply(policy, options: options(.swarm, .widen), to: files) },
            {
                _ = try backend.deployment(
                    try backend.emit(policy, options: options(.swarm, .widen)).files, application: files, policy: policy, options: options(.swarm, .widen))
            },
        ] {
            let error = try #require(throws: BackendError.self) { try call() }
            let cache = try #require(policy.workload(named: "cache"))
            #expect(error.diagnostic.message == "workload 'cache' has no service in 'apps/shop.yaml'")
            #expect(error.diagnostic.range == cache.origin)
            #expect(error.diagnostic.notes.map(\.message) == ["workload 'db' has no service either"])
        }
        let notCompose = try #require(throws: BackendError.self) {
            try backend.apply(policy, options: options(.swarm, .widen), to: [ApplicationFile(path: "x.yaml", contents: "a: 1\n")])
        }
        #expect(notCompose.diagnostic.range?.file == "x.yaml")
        let broken = try #require(throws: BackendError.self) {
            try backend.apply(policy, options: options(.swarm, .widen), to: [ApplicationFile(path: "x.yaml", contents: "services: [\n")])
        }
        #expect(broken.diagnostic.range?.file == "x.yaml" && broken.diagnostic.code == .yamlSyntax)
    }

    // MARK: merge and deployment

    @Test func mergeFollowsDockerStackDeploy() throws {
        let app = try root(
            """
            version: "3.9"
            services:
              a:
                image: app:1
                command: ["serve", "--old"]
                user: "0"
                read_only: true
                cap_add: [NET_ADMIN]
                cap_drop: [NET_RAW]
                ports: ["8081:8081", {target: 443, published: 443, protocol: tcp, mode: ingress}]
                volumes: ["data:/data", "cache:/tmp"]
                secrets: [{source: s, target: old}]
                networks: {backend: {aliases: [x]}}
                deploy: {replicas: 3, labels: {team: a}, resources: {limits: {cpus: "2"}}}
            networks: {backend: {driver: overlay}}
            """)
        let security = try root(
            """
            version: "3.9"
            services:
              a:
                command: ["serve", "--new"]
                user: "10001"
                read_only: false
                cap_add: [NET_BIND_SERVICE]
                cap_drop: [ALL]
                ports: [{target: 443, published: 443, protocol: tcp, mode: ingress}]
                volumes: [{type: tmpfs, target: /tmp}]
                secrets: [{source: s, target: s, mode: 256}]
                networks: [link-a-b]
                deploy: {replicas: 0, labels: {palisade.policy: t}, resources: {limits: {memory: 256M}}}
              b: {networks: [link-a-b]}
            networks: {link-a-b: {driver: overlay, internal: true}, backend: {driver: overlay, internal: true}}
            """, "security.yaml")
        let merged = SwarmMerge.file(app, security)
        let a = try #require(merged["services"]?["a"])
        #expect(a["image"]?.scalar == "app:1")
        #expect(a["command"]?.text == "[serve, --new]", "command is replaced, not appended")
        #expect(a["user"]?.scalar == "10001")
        #expect(a["read_only"]?.scalar == "true", "false is Go's zero value: it does not override")
        #expect(a["cap_add"]?.text == "[NET_ADMIN, NET_BIND_SERVICE]", "lists append")
        #expect(a["cap_drop"]?.text == "[NET_RAW, ALL]")
        #expect(a["ports"]?.items.count == 2, "ports merge by whole entry")
        #expect(a["volumes"]?.text == "[data:/data, {type: tmpfs, target: /tmp}]", "volumes merge by mount path")
        #expect(a["secrets"]?.text == "[{source: s, target: s, mode: 256}]", "secrets merge by source")
        #expect(a["networks"]?.text == "[backend, link-a-b]", "networks merge by name")
        #expect(a["networks"]?.items.first?.range.file == "swarm.yaml")
        #expect(a["deploy"]?.text == "{replicas: 0, labels: {team: a, palisade.policy: t}, resources: {limits: {cpus: 2, memory: 256M}}}")
        #expect(merged["services"]?["b"] != nil, "a service only the override has is added")
        #expect(merged["networks"]?["backend"]?.text == "{driver: overlay, internal: true}", "top-level definitions are replaced whole")
    }

    @Test(arguments: samples)
    func deploymentOfACleanApplicationIsPalisadesStack(sample: String) throws {
        let policy = try samplePolicy(sample)
        guard policy.name != "shop" else { return }
        for mode in ["complete", "overlay"] {
            let opts = options(.swarm, .widen, ["output": .string(mode)])
            let files = try backend.emit(policy, options: opts).files
            let deployed = try backend.deployment(files, application: try application(policy), policy: policy, options: opts)
            #expect(deployed.readBack.relation == (try backend.read(files, policy: policy)).relation)
            #expect(deployed.gaps.isEmpty, "\(deployed.gaps.map(\.message))")
        }
    }

    @Test func deploymentReportsWhatTheApplicationOpensInItsFile() throws {
        let policy = try samplePolicy("shop.yaml")
        let app = try application(policy)
        let opts = options(.swarm, .widen, ["output": .string("overlay")])
        let files = try backend.emit(policy, options: opts).files
        let deployed = try backend.deployment(files, application: app, policy: policy, options: opts)
        let lines = app[0].contents.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -1) + 1 }
        let found = deployed.gaps.map { "\($0.origin?.file ?? "-"):\($0.origin?.start.line ?? 0) \($0.kind.rawValue) \($0.message)" }
        let web = try #require(policy.workload(named: "web"))
        let alone = try backend.read(files, policy: policy).relation
        // The debug port is open to every address; NET_ADMIN is added; privileged is ignored
        // by docker stack deploy, so it opens nothing.
        #expect(deployed.readBack.relation.ingress[web.id] != alone.ingress[web.id])
        #expect(deployed.readBack.relation.ingress[web.id]?.entries.contains { $0.ports.contains(.tcp, 8081) } == true)
        #expect(
            found.contains {
                $0.hasPrefix("swarm.yaml:\(line("\"8081:8081\"")) widened swarm allows ") && $0.contains("-> web on tcp/8081")
                    && $0.contains("swarm.yaml publishes 8081:8081")
            }, "\(found)")
        #expect(found.contains { $0.hasPrefix("swarm.yaml:\(line("cap_add: [NET_ADMIN]")) unenforced web: swarm.yaml adds NET_ADMIN (cap_add)") }, "\(found)")
        #expect(found.count == 2, "\(found)")
        #expect(deployed.readBack.runtime[web.id]?.capabilities?.add == ["NET_ADMIN", "NET_BIND_SERVICE"])
        // Once applied, the same file opens nothing.
        let applied = try backend.apply(policy, options: opts, to: app).emission.files
        let clean = try backend.deployment(files, application: applied, policy: policy, options: opts)
        #expect(clean.gaps.isEmpty, "\(clean.gaps.map(\.message))")
        #expect(clean.readBack.relation == alone)
    }

    @Test func deploymentReportsNetworksHostNetworkingSecretsAndOtherServices() throws {
        let policy = try #require(
            compileSpec(
                """
                version: 1
                name: t
                ports: {http: [tcp/8080]}
                workloads:
                  a: {image: nginx:1.25, ports: [http], runtime: {read_only_root: true, writable_paths: [/tmp]}}
                  b: {image: nginx:1.25, ports: [http]}
                  c: {image: nginx:1.25, ports: [http]}
                flows:
                  - {from: a, to: b, ports: [http]}
                """
            ).policy)
        let app = """
            version: "3.9"
            services:
              a:
                image: a:1
                networks: [shared]
                volumes: ["data:/var/lib/a"]
                secrets: [token]
              b:
                image: b:1
              c:
                image: c:1
                networks: [shared, hostnet]
              debug:
                image: busybox:1
                networks: [shared]
            networks:
              shared: {driver: overlay}
              hostnet: {external: true, name: host}
            secrets:
              token: {external: true}
            """
        let opts = options(.swarm, .widen, ["output": .string("overlay")])
        let files = try backend.emit(policy, options: opts).files
        let deployed = try backend.deployment(files, application: [ApplicationFile(path: "app.yaml", contents: app)], policy: policy, options: opts)
        let found = Set(deployed.gaps.map { "\($0.origin?.start.line ?? 0) \($0.message)" })
        #expect(found.count == deployed.gaps.count)
        let a = WorkloadID(0)
        let c = WorkloadID(2)
        #expect(deployed.readBack.relation.ports(from: a, to: c) == .all, "a and c share the application's network")
        #expect(deployed.readBack.relation.ingress[c]?.entries.first?.ports == .all, "host networking opens every port")
        let shared = "adds network 'shared', and services on one network reach each other on every port"
        let outside = "joins it to a network that is not internal, or publishes a port: it reaches every external address"
        let debug = "it shares network 'shared' with WORKLOAD through app.yaml + security.yaml; services on one network reach each other on every port"
        #expect(
            found == [
                "12 swarm allows a -> c on all: app.yaml \(shared)",
                "5 swarm allows c -> a on all: app.yaml \(shared)",
                "12 swarm allows any address -> c on all: app.yaml joins it to the host network",
                "5 swarm allows a -> any on all: app.yaml \(outside)",
                "12 swarm allows c -> any on all: app.yaml \(outside)",
                "12 c: app.yaml joins it to the host network ('hostnet'): every port it listens on is open on its node",
                "6 a: app.yaml mounts a writable volume at /var/lib/a, which writable_paths does not list",
                "7 a: app.yaml gives it secret 'token', which the spec does not",
                "15 swarm allows service debug (not in the spec) -> a on all: \(debug.replacingOccurrences(of: "WORKLOAD", with: "a"))",
                "15 swarm allows service debug (not in the spec) -> c on all: \(debug.replacingOccurrences(of: "WORKLOAD", with: "c"))",
            ], "\(found)")
        #expect(deployed.gaps.allSatisfy { $0.origin?.file == "app.yaml" })
    }

    @Test func oddApplicationFilesAreErrorsOrReadNeverTraps() throws {
        let policy = try samplePolicy("minimal.yaml")
        let opts = options(.swarm, .widen, ["output": .string("overlay")])
        let files = try backend.emit(policy, options: opts).files
        let texts = [
            "services: {site: , api: []}",
            "services: {site: {ports: {a: 1}, networks: 7, cap_add: x, deploy: [1], volumes: {}}, api: {labels: [a=b, c], deploy: 3}}",
            "services: {site: {ports: [\"99999:1\", {target: x}]}, api: {networks: [nowhere]}}",
            "services: {site: {secrets: [{}], security_opt: [{}], privileged: [true]}, api: {image: \"$${x}\"}}",
            "services: {site: {}, api: {}}\nnetworks: []\nsecrets: 5",
            "- not\n- a mapping",
            "",
        ]
        for text in texts {
            let app = [ApplicationFile(path: "app.yaml", contents: text)]
            do {
                let result = try backend.apply(policy, with: try typed(.widen), to: app)
                _ = try? backend.read(result.emission.files, policy: policy)
            } catch is BackendError {}
            do { _ = try backend.deployment(files, application: app, policy: policy, options: opts) } catch is BackendError, is ReadFailure {}
        }
    }

    // MARK: for scripts/conformance-swarm.sh

    /// With `PALISADE_SWARM_DOCKER_MERGED=DIR` holding `POLICY.yaml`, docker/cli's own merge
    /// (`docker stack config -c samples/apps/POLICY/swarm.yaml -c security.yaml`, overlay mode,
    /// default options): read back, it is what `deployment` computes from its own merge.
    @Test func dockersMergeReadsBackAsDeploymentDoes() throws {
        guard let folder = ProcessInfo.processInfo.environment["PALISADE_SWARM_DOCKER_MERGED"] else { return }
        for sample in Self.samples {
            let policy = try samplePolicy(sample)
            let url = URL(fileURLWithPath: folder).appendingPathComponent("\(policy.name).yaml")
            let merged = try String(contentsOf: url, encoding: .utf8)
            // The spec's own options, as `palisade compile` used them, in overlay mode.
            var opts = policy.options(for: .swarm) ?? options(.swarm, .widen)
            let range = SourceRange.wholeFile("spec.yaml")
            opts.options.append(OptionEntry(key: Located("output", at: range), value: Located(.string("overlay"), at: range)))
            let files = try backend.emit(policy, options: opts).files
            let deployed = try backend.deployment(files, application: try application(policy), policy: policy, options: opts)
            let docker = try backend.read([OutputFile(path: "stack.yaml", contents: merged)], policy: policy)
            #expect(docker.relation == deployed.readBack.relation, "\(policy.name): docker's merge allows what deployment reads")
            for workload in policy.workloads {
                let (a, b) = (docker.runtime[workload.id], deployed.readBack.runtime[workload.id])
                // docker prints no `read_only: false` (Go's omitempty): absent is false.
                #expect(a?.user == b?.user && (a?.readOnlyRoot ?? false) == (b?.readOnlyRoot ?? false), "\(policy.name)/\(workload.name): user, read_only")
                #expect(Set(a?.capabilities?.add ?? []) == Set(b?.capabilities?.add ?? []), "\(policy.name)/\(workload.name): cap_add")
                #expect(Set(a?.capabilities?.drop ?? []) == Set(b?.capabilities?.drop ?? []), "\(policy.name)/\(workload.name): cap_drop")
                #expect(Set(a?.writablePaths ?? []) == Set(b?.writablePaths ?? []), "\(policy.name)/\(workload.name): tmpfs")
                #expect(a?.resources == b?.resources, "\(policy.name)/\(workload.name): limits")
            }
        }
    }

    /// The shop fixture with a service of the application's own that publishes `port` in
    /// ingress mode (short syntax).
    func shopWithAdmin(publishing port: String) throws -> (Policy, [ApplicationFile]) {
        let policy = try samplePolicy("shop.yaml")
        let text = try application(policy)[0].contents
        let services = try #require(text.range(of: "\nservices:\n"))
        var changed = text
        changed.insert(contentsOf: "  admin:\n    image: busybox\n    ports: [\"\(port)\"]\n", at: services.upperBound)
        return (policy, [ApplicationFile(path: "swarm.yaml", contents: changed)])
    }

    /// The published ports of a service of a written stack.
    func publishedPorts(_ contents: String, _ service: String) throws -> [String] {
        try root(contents)["services"]?[service]?["ports"]?.items.map { $0["published"]?.scalar ?? $0.text } ?? []
    }

    @Test func applyPublishesAroundThePortsTheApplicationPublishes() throws {
        let policy = try samplePolicy("shop.yaml")
        let alone = try backend.apply(policy, options: options(.swarm, .widen), to: try application(policy))
        let plain = alone.emission.files[0].contents
        // The port the rule gives catalog's metrics port on its own.
        let taken = try #require(try publishedPorts(plain, "catalog").first { (Int($0) ?? 0) >= 30000 })
        let (_, app) = try shopWithAdmin(publishing: "\(taken):80")
        let result = try backend.apply(policy, options: options(.swarm, .widen), to: app)
        let written = result.emission.files[0].contents
        #expect(try SwarmReader.portConflicts(root: try root(written), file: "swarm.yaml") == [])
        #expect(try !publishedPorts(written, "catalog").contains(taken))
        #expect(try publishedPorts(written, "admin") == ["\(taken):80"])
        #expect(result.overrides.map(\.message) == alone.overrides.map(\.message))
        // A workload's port the application publishes as itself is published elsewhere too.
        let (_, https) = try shopWithAdmin(publishing: "443:8443")
        let around = try backend.apply(policy, options: options(.swarm, .widen), to: https).emission.files[0].contents
        #expect(try SwarmReader.portConflicts(root: try root(around), file: "swarm.yaml") == [])
        #expect(try publishedPorts(plain, "web").contains("443"))
        #expect(try !publishedPorts(around, "web").contains("443"))
        #expect(try root(around)["services"]?["web"]?["ports"]?.items.contains { $0["target"]?.scalar == "443" } == true)
        // The written stack reads back as the complete one does.
        let read = try backend.read(result.emission.files, policy: policy)
        #expect(read.relation == (try backend.read(try backend.emit(policy, options: options(.swarm, .widen)).files, policy: policy)).relation)
    }

    @Test func deploymentRefusesAPortTheApplicationPublishesToo() throws {
        let policy = try samplePolicy("shop.yaml")
        let opts = options(.swarm, .widen, ["output": .string("overlay")])
        let files = try backend.emit(policy, options: opts).files
        let taken = try #require(try publishedPorts(files[0].contents, "catalog").first { (Int($0) ?? 0) >= 30000 })
        let (_, app) = try shopWithAdmin(publishing: "\(taken):80")
        let error = try #require(throws: BackendError.self) { _ = try backend.deployment(files, application: app, policy: policy, options: opts) }
        let lines = app[0].contents.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (lines.firstIndex { $0.contains("\"\(taken):80\"") } ?? -1) + 1
        #expect(error.diagnostic.range?.file == "swarm.yaml")
        #expect(error.diagnostic.range?.start.line == line)
        #expect(error.diagnostic.message.contains("tcp/\(taken) is published by services admin, catalog, in ingress mode"), "\(error.diagnostic.message)")
        #expect(error.diagnostic.notes.count == 1)
    }

    @Test(arguments: samples)
    func applyingTwiceOverridesNothingAndWritesTheSameBytes(sample: String) throws {
        let policy = try samplePolicy(sample)
        let first = try backend.apply(policy, options: options(.swarm, .widen), to: try application(policy))
        let again = first.emission.files.map { ApplicationFile(path: $0.path, contents: $0.contents) }
        let second = try backend.apply(policy, options: options(.swarm, .widen), to: again)
        #expect(second.overrides.isEmpty, "\(second.overrides.map(\.message))")
        #expect(second.emission.files.map(\.contents) == first.emission.files.map(\.contents))
    }

    @Test func overridesCompareMeaningNotSpelling() {
        let ours: StructuredValue = .object([
            .init("type", .string("tmpfs")), .init("target", .string("/data")), .init("tmpfs", .object([.init("size", .int(3))])),
        ])
        let theirs: StructuredValue = .object([
            .init("tmpfs", .object([.init("size", .string("3"))])), .init("target", .number("/data")), .init("type", .number("tmpfs")),
        ])
        #expect(theirs.means(ours))
        #expect(StructuredValue.bool(true).means(.number("yes")))
        #expect(!StructuredValue.object([.init("internal", .bool(true))]).means(.object([.init("internal", .bool(false))])))
        #expect(!StructuredValue.array([.string("a"), .string("b")]).means(.array([.string("b"), .string("a")])))
        #expect(!StructuredValue.object([.init("a", .null)]).means(.object([.init("b", .null)])))
    }
}
