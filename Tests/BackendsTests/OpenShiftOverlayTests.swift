import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `output: overlay` (a kustomize Component over the team's workloads), `apply` (the team's
/// manifests hardened) and `deployment` (what kustomize builds from both, read back).
@Suite struct OpenShiftOverlayTests {
    let backend = OpenShiftBackend()

    /// The spec's own options for openshift, with `gaps`, `exposure` and `output` as given.
    func settings(_ policy: Policy, _ output: String, _ gaps: GapPolicy? = nil, exposure: String? = nil) -> TargetOptions {
        var result = policy.targets.first { $0.target == .openshift } ?? options(.openshift, .widen)
        var extra: [String: OptionValue] = ["output": .string(output)]
        if let exposure { extra["exposure"] = .string(exposure) }
        if let gaps { result.gaps = gaps }
        let range = SourceRange.wholeFile("spec.yaml")
        result.options =
            result.options.filter { extra[$0.key.value] == nil }
            + extra.keys.sorted().map { OptionEntry(key: Located($0, at: range), value: Located(extra[$0]!, at: range)) }
        return result
    }

    func overlay(_ policy: Policy, _ gaps: GapPolicy? = nil, exposure: String? = nil) -> TargetOptions { settings(policy, "overlay", gaps, exposure: exposure) }

    func complete(_ policy: Policy, _ gaps: GapPolicy? = nil, exposure: String? = nil) -> TargetOptions {
        settings(policy, "complete", gaps, exposure: exposure)
    }

    /// The team's fixture for a sample: every YAML file under samples/apps/POLICY/openshift/base.
    func fixture(_ policy: String) throws -> [ApplicationFile] {
        let folder = repositoryRoot.appendingPathComponent("samples/apps/\(policy)/openshift/base")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { name in
            ApplicationFile(path: name, contents: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    @Test(arguments: backendSamples)
    func theComponentReadsBackAsTheCompleteManifests(sample: String) throws {
        let policy = try samplePolicy(sample)
        let variants: [(GapPolicy?, String?)] = [(nil, nil), (.widen, nil), (.narrow, nil), (nil, "route"), (nil, "loadbalancer")]
        for (overlayOptions, completeOptions) in variants.map({ (overlay(policy, $0.0, exposure: $0.1), complete(policy, $0.0, exposure: $0.1)) }) {
            let layered = try backend.emit(policy, options: overlayOptions)
            let whole = try backend.emit(policy, options: completeOptions)
            #expect(Set(layered.files.map(\.path)) == Set(["kustomization.yaml", "policy.yaml"] + policy.workloads.map { "patches/\($0.name).yaml" }))
            let read = try backend.read(layered.files, policy: policy)
            let reference = try backend.read(whole.files, policy: policy)
            #expect(read.relation == reference.relation, "\(sample): the component allows what the manifests allow")
            #expect(read.runtime == reference.runtime, "\(sample): the component's pods run as the manifests' do")
            #expect(read.grants == reference.grants)
            #expect(layered.widened == whole.widened && layered.narrowed == whole.narrowed && layered.gaps == whole.gaps)
        }
    }

    @Test func randomSpecsReadBackTheSameInBothModes() throws {
        try forRandomSpecs(seed: 47, count: 20) { policy, gaps in
            for exposure in ["loadbalancer", "route"] {
                let layered = try backend.read(try backend.emit(policy, options: overlay(policy, gaps, exposure: exposure)).files, policy: policy)
                let whole = try backend.read(try backend.emit(policy, options: complete(policy, gaps, exposure: exposure)).files, policy: policy)
                #expect(layered.relation == whole.relation && layered.runtime == whole.runtime && layered.grants == whole.grants)
            }
        }
    }

    @Test func theComponentIsAKustomizeComponentThatPatchesEveryWorkloadKindByName() throws {
        let policy = try samplePolicy("shop.yaml")
        let files = try backend.emit(policy, options: overlay(policy)).files
        let kustomization = try #require(files.first { $0.path == "kustomization.yaml" })
        let root = try #require(YAMLLoader.load(text: kustomization.contents, file: kustomization.path).root)
        #expect(root["apiVersion"]?.scalar == "kustomize.config.k8s.io/v1alpha1" && root["kind"]?.scalar == "Component")
        let component = try Kustomize.component(kustomization)
        #expect(component.resources == ["policy.yaml"])
        #expect(component.patches.map(\.name).sorted() == policy.workloads.map(\.name).sorted())
        #expect(kustomization.contents.contains("kind: (Deployment|StatefulSet|DaemonSet)"))
        // No workload and no Service named after one: those are the team's.
        let resources = try #require(files.first { $0.path == "policy.yaml" }).contents
        #expect(!resources.contains("kind: Deployment"))
        #expect(resources.contains("name: web-routes"))
        // A patch owns no image, replicas, selector, command or ports.
        for file in files where file.path.hasPrefix("patches/") {
            for field in ["image:", "replicas:", "selector:", "command:", "containerPort:"] {
                #expect(!file.contents.contains(field), "\(file.path) sets \(field)")
            }
        }
    }

    @Test func strategicMergeMergesContainersAndVolumesByNameAndReplacesPrimitiveLists() throws {
        let base = try #require(
            YAMLLoader.load(
                text: """
                    containers:
                    - name: web
                      image: nginx
                      securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME]}}
                      volumeMounts: [{name: conf, mountPath: /etc/nginx}]
                    - name: sidecar
                      image: envoy
                    volumes: [{name: conf, configMap: {name: web}}]
                    """, file: "app.yaml"
            ).root)
        let patch = try #require(
            YAMLLoader.load(
                text: """
                    containers:
                    - name: web
                      securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}
                      volumeMounts: [{name: tmp, mountPath: /tmp}]
                    volumes: [{name: tmp, emptyDir: {}}]
                    """, file: "patch.yaml"
            ).root)
        var replaced: [String] = []
        let merged = Kustomize.merge(patch, onto: base) { path, _, _ in replaced.append(OpenShiftBackend.fieldPath(path)) }
        let value = Kustomize.value(merged)
        #expect(replaced == ["containers[web].securityContext.capabilities.add"])
        let containers = value["containers"]
        guard case .array(let list)? = containers, list.count == 2 else {
            Issue.record("two containers expected, got \(String(describing: containers))")
            return
        }
        #expect(list[0]["image"] == "nginx" && list[1]["image"] == "envoy")
        #expect(list[0]["securityContext"]?["capabilities"]?["add"] == ["NET_BIND_SERVICE"])
        #expect(list[0]["volumeMounts"] == [.object(["name": "conf", "mountPath": "/etc/nginx"]), .object(["name": "tmp", "mountPath": "/tmp"])])
        #expect(value["volumes"] == [.object(["name": "conf", "configMap": .object(["name": "web"])]), .object(["name": "tmp", "emptyDir": .object([])])])
    }

    static let team = """
        # The team's web tier.
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop-edge
        spec:
          replicas: 3
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: registry.example.com/shop/web:1.27.2
                command: [nginx, -g, "daemon off;"]
                env:
                - {name: WORKERS, value: "4"}
                readinessProbe: {httpGet: {path: /healthz, port: 80}}
                ports: [{containerPort: 80, name: http}]
                securityContext:
                  privileged: true
              volumes: [{name: conf, configMap: {name: web-conf}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: web-conf, namespace: shop-edge}
        data: {nginx.conf: "events {}"}
        """

    /// The shop sample's team files, `web` replaced by `Self.team`.
    func shopApplication(web: String = Self.team) throws -> [ApplicationFile] {
        let files = try fixture("shop")
        return files.map { file in
            guard file.path == "workloads.yaml" else { return file }
            let documents = file.contents.components(separatedBy: "\n---\n").filter { !$0.contains("  name: web\n") }
            return ApplicationFile(path: file.path, contents: documents.joined(separator: "\n---\n"))
        } + [ApplicationFile(path: "web.yaml", contents: web)]
    }

    @Test func applyKeepsEveryFieldPalisadeDoesNotOwnAndReportsTheContradictingOne() throws {
        let policy = try samplePolicy("shop.yaml")
        let application = try shopApplication()
        let result = try backend.apply(policy, options: complete(policy), to: application)
        let web = try #require(result.emission.files.first { $0.path == "web.yaml" })
        let documents = YAMLLoader.loadStream(text: web.contents, file: "web.yaml").documents
        #expect(documents.count == 2)
        let original = YAMLLoader.loadStream(text: Self.team, file: "web.yaml").documents
        // The team's own fields, unchanged.
        for path in [["spec", "replicas"], ["spec", "selector"]] {
            #expect(Kustomize.sameValue(try #require(Kustomize.at(original[0], path)), try #require(Kustomize.at(documents[0], path))), "\(path) changed")
        }
        let volumes = try #require(Kustomize.at(documents[0], ["spec", "template", "spec", "volumes"]))
        guard case .sequence(let items) = volumes.content,
            case .sequence(let teamItems)? = Kustomize.at(original[0], ["spec", "template", "spec", "volumes"])?.content
        else {
            Issue.record("volumes are lists")
            return
        }
        #expect(Kustomize.sameValue(items[0], teamItems[0]), "the team's volume changed")
        let container = try #require(try OpenShiftBackend.containers(documents[0]).first)
        let teamContainer = try #require(try OpenShiftBackend.containers(original[0]).first)
        for key in ["image", "command", "env", "readinessProbe", "ports"] {
            #expect(Kustomize.sameValue(try #require(container[key]), try #require(teamContainer[key])), "\(key) changed")
        }
        #expect(Kustomize.sameValue(documents[1], original[1]), "the ConfigMap changed")
        #expect(container["env"]?.content != nil && web.contents.contains("value: \"4\""), "a quoted string stays a string")
        // Keys keep the team's order, Palisade's come after.
        guard case .mapping(let pairs) = container.content else { return }
        #expect(Array(pairs.map(\.name).prefix(6)) == ["name", "image", "command", "env", "readinessProbe", "ports"])
        // Palisade's fields are set.
        #expect(container["securityContext"]?["privileged"]?.scalar == "false")
        #expect(Kustomize.at(documents[0], ["spec", "template", "spec", "serviceAccountName"])?.scalar == "web")
        #expect(Kustomize.at(documents[0], ["spec", "template", "metadata", "labels", "palisade.dev/workload"])?.scalar == "web")
        #expect(Kustomize.at(documents[0], ["spec", "template", "metadata", "labels", "app"])?.scalar == "web")
        // The contradiction, reported at the team's value.
        let override = try #require(result.overrides.first { $0.field.hasSuffix("securityContext.privileged") })
        #expect(override.subject == "Deployment shop-edge/web")
        #expect(override.field == "spec.template.spec.containers[web].securityContext.privileged")
        #expect(override.application == "true" && override.palisade == "false")
        #expect(override.origin?.file == "web.yaml" && override.origin?.start.line == 24)
        // Files without a workload of the spec keep their bytes; the policy objects come beside them.
        let config = try #require(result.emission.files.first { $0.path == "config.yaml" })
        #expect(config == application.first { $0.path == "config.yaml" })
        #expect(result.emission.files.contains { $0.path == OpenShiftBackend.policyFile && $0.contents.contains("kind: NetworkPolicy") })
        // The team's kustomization lists the policy objects.
        let kustomization = try #require(result.emission.files.first { $0.path == "kustomization.yaml" })
        #expect(kustomization.contents.contains("- \(OpenShiftBackend.policyFile)"))
    }

    @Test func applyOverridesWhatThePatchLeavesAloneAndReportsEachAtItsPlace() throws {
        let policy = try samplePolicy("shop.yaml")
        let web = Self.team.replacingOccurrences(
            of: "    spec:\n      containers:",
            with: "    spec:\n      hostNetwork: true\n      serviceAccountName: default\n      containers:"
        ).replacingOccurrences(of: "ports: [{containerPort: 80, name: http}]", with: "ports: [{containerPort: 80, name: http, hostPort: 80}]")
        let result = try backend.apply(policy, options: complete(policy), to: try shopApplication(web: web))
        let fields = Dictionary(result.overrides.map { ($0.field, $0) }, uniquingKeysWith: { first, _ in first })
        let host = try #require(fields["spec.template.spec.hostNetwork"])
        #expect(host.application == "true" && host.palisade == "false" && host.origin?.start.line == 15)
        let account = try #require(fields["spec.template.spec.serviceAccountName"])
        #expect(account.application == "default" && account.palisade == "web" && account.origin?.start.line == 16)
        let port = try #require(fields["spec.template.spec.containers[web].ports[80].hostPort"])
        #expect(port.palisade == "unset")
        let written = try #require(result.emission.files.first { $0.path == "web.yaml" }).contents
        #expect(!written.contains("hostPort") && written.contains("hostNetwork: false"))
    }

    @Test func aWorkloadTheApplicationLacksIsALocatedError() throws {
        let policy = try samplePolicy("shop.yaml")
        let application = try shopApplication().filter { $0.path != "web.yaml" }
        do {
            _ = try backend.apply(policy, options: complete(policy), to: application)
            Issue.record("expected an error")
        } catch let error as BackendError {
            #expect(error.diagnostic.message.contains("workload 'web' has no Deployment, StatefulSet or DaemonSet"))
            #expect(error.diagnostic.range == policy.workload(named: "web")?.origin)
        }
        do {
            _ = try backend.deployment([], application: application, policy: policy, options: complete(policy))
            Issue.record("expected an error")
        } catch let error as BackendError {
            #expect(error.diagnostic.message.contains("'web'"))
        }
    }

    @Test(arguments: backendSamples)
    func eachSamplesTeamFixtureDeploysWithTheComponentAsTheManifestsDo(sample: String) throws {
        let policy = try samplePolicy(sample)
        let component = try backend.emit(policy, options: overlay(policy)).files
        let reference = try backend.read(try backend.emit(policy, options: complete(policy)).files, policy: policy)
        let deployed = try backend.deployment(component, application: try fixture(policy.name), policy: policy, options: overlay(policy))
        #expect(deployed.readBack.relation == reference.relation)
        #expect(deployed.readBack.runtime == reference.runtime, "the team's pods run as the spec says once patched")
        #expect(deployed.readBack.grants == reference.grants)
        // The team's storage, mounted writable where the spec keeps the root read-only, is the
        // only thing its fixtures open.
        for gap in deployed.gaps {
            #expect(gap.reason.contains("a writable mount of 'data'"), "\(gap.reason)")
            #expect(gap.origin?.file == "workloads.yaml")
        }
        // And apply hardens the same files to the same relation.
        let applied = try backend.apply(policy, options: complete(policy), to: try fixture(policy.name))
        #expect(applied.emission.files.count == 4)
        if policy.name == "shop" {
            #expect(
                applied.overrides.map(\.field).sorted() == [
                    "spec.template.spec.containers[web].securityContext.capabilities.add", "spec.template.spec.containers[web].securityContext.privileged",
                ])
        }
    }

    @Test func deploymentReportsWhatTheApplicationOpensAtItsPlace() throws {
        let policy = try samplePolicy("shop.yaml")
        let web =
            Self.team.replacingOccurrences(
                of: "    spec:\n      containers:", with: "    spec:\n      hostNetwork: true\n      containers:"
            ).replacingOccurrences(of: "ports: [{containerPort: 80, name: http}]", with: "ports: [{containerPort: 80, name: http, hostPort: 8080}]")
            + "\n"
        let sidecar = web.replacingOccurrences(
            of: "      volumes:",
            with: "      - name: debug\n        image: busybox\n        securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}\n      volumes:")
        let deployed = try backend.deployment([], application: try shopApplication(web: sidecar), policy: policy, options: complete(policy))
        let byKey = Dictionary(grouping: deployed.gaps) { gap -> String in
            if case .runtime(let workload, let key) = gap.subject { return "\(workload).\(key.name)" }
            return ""
        }
        let host = try #require(byKey["web.host_network"])
        #expect(host.contains { $0.origin?.file == "web.yaml" && $0.origin?.start.line == 15 && $0.reason.contains("hostNetwork: true") })
        #expect(host.contains { $0.reason.contains("hostPort 8080") && $0.origin?.start.line == 23 })
        #expect(byKey["web.privileged"]?.contains { $0.reason.contains("container debug") && $0.origin?.file == "web.yaml" } == true)
        #expect(byKey["web.capabilities"]?.contains { $0.reason.contains("SYS_ADMIN") } == true)
        // OpenShift's SCC admission refuses such pods.
        #expect(deployed.readBack.runtime[try #require(policy.workload(named: "web")).id] == nil)
        #expect(deployed.gaps.contains { $0.reason.contains("OpenShift refuses its pods") && $0.origin?.file == "web.yaml" })
        // The patch set the web container's own privileged back to false: not a gap.
        #expect(byKey["web.privileged"]?.contains { $0.reason.contains("container web") } != true)
        // On the host's network, no NetworkPolicy holds the pods: the relation shows it.
        let reference = try backend.read(try backend.emit(policy, options: complete(policy)).files, policy: policy)
        #expect(deployed.readBack.relation != reference.relation)
    }

    @Test func aWorkloadDefinedTwiceOrAFileThatDoesNotLoadIsALocatedError() throws {
        let policy = try samplePolicy("shop.yaml")
        let twice = try shopApplication() + [ApplicationFile(path: "again.yaml", contents: Self.team)]
        do {
            _ = try backend.apply(policy, options: complete(policy), to: twice)
            Issue.record("expected an error")
        } catch let error as BackendError {
            #expect(error.diagnostic.message.contains("workload 'web' is defined twice"))
            #expect(error.diagnostic.range?.file == "web.yaml" || error.diagnostic.range?.file == "again.yaml")
        }
        let broken = try shopApplication() + [ApplicationFile(path: "broken.yaml", contents: "kind: [Deployment\n")]
        for run in [
            { _ = try backend.apply(policy, options: complete(policy), to: broken) },
            { _ = try backend.deployment([], application: broken, policy: policy, options: complete(policy)) },
        ] as [() throws -> Void] {
            do {
                try run()
                Issue.record("expected an error")
            } catch let error as BackendError {
                #expect(error.diagnostic.range?.file == "broken.yaml")
            }
        }
    }

    @Test func cutShortTeamFilesAreErrorsNeverCrashes() throws {
        let policy = try samplePolicy("shop.yaml")
        let files = try shopApplication()
        let web = Self.team
        for length in stride(from: 0, to: web.count, by: max(web.count / 24, 1)) {
            let cut = files.map { $0.path == "web.yaml" ? ApplicationFile(path: $0.path, contents: String(web.prefix(length))) : $0 }
            for run in [
                { _ = try backend.apply(policy, options: complete(policy), to: cut) },
                { _ = try backend.deployment([], application: cut, policy: policy, options: complete(policy)) },
            ] as [() throws -> Void] {
                do {
                    try run()
                } catch is BackendError {
                } catch is ReadFailure {
                }
            }
        }
    }

    @Test func aSpecLabelThatTakesTheSelectorsKeyIsALocatedError() throws {
        let policy = try samplePolicy("shop.yaml")
        // The spec labels db `app.kubernetes.io/name: postgres`; this team selects on `db`.
        let application = try fixture("shop").map { file in
            ApplicationFile(path: file.path, contents: file.contents.replacingOccurrences(of: "      app: db\n", with: "      app.kubernetes.io/name: db\n"))
        }
        for run in [
            { _ = try backend.apply(policy, options: complete(policy), to: application) },
            { _ = try backend.deployment([], application: application, policy: policy, options: complete(policy)) },
        ] as [() throws -> Void] {
            do {
                try run()
                Issue.record("expected an error")
            } catch let error as BackendError {
                #expect(error.diagnostic.message.contains("app.kubernetes.io/name=postgres replaces db, which the selector matches"))
                #expect(error.diagnostic.range?.file == "workloads.yaml")
            }
        }
    }

    @Test func aTeamObjectTheComponentAlsoAddsIsRefusedAsKustomizeDoes() throws {
        let policy = try samplePolicy("minimal.yaml")
        var application = try fixture("minimal")
        application.append(ApplicationFile(path: "namespace.yaml", contents: "apiVersion: v1\nkind: Namespace\nmetadata: {name: minimal}\n"))
        #expect(throws: BackendError.self) {
            _ = try backend.deployment([], application: application, policy: policy, options: complete(policy))
        }
    }
}

/// `--apply-to` on a layered kustomize folder, and the connections the team's own host
/// networking opens under `--with`.
@Suite struct OpenShiftLayeredApplicationTests {
    let backend = OpenShiftBackend()

    /// Every YAML file under samples/apps/POLICY/openshift[/SUB], by its path relative to it.
    func folder(_ policy: String, _ sub: String = "") throws -> [ApplicationFile] {
        let root = repositoryRoot.appendingPathComponent("samples/apps/\(policy)/openshift\(sub)")
        let walker = try #require(FileManager.default.enumerator(atPath: root.path))
        var paths: [String] = []
        while let entry = walker.nextObject() as? String {
            if entry.hasSuffix(".yaml") { paths.append(entry) }
        }
        return try paths.sorted().map { ApplicationFile(path: $0, contents: try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8)) }
    }

    func settings(_ policy: Policy) -> TargetOptions { policy.targets.first { $0.target == .openshift } ?? options(.openshift, .widen) }

    @Test(arguments: backendSamples)
    func applyToALayeredFolderListsThePolicyFileOnlyAtItsRoot(sample: String) throws {
        let policy = try samplePolicy(sample)
        let application = try folder(policy.name)
        #expect(application.map(\.path).contains("base/kustomization.yaml"))
        let result = try backend.apply(policy, options: settings(policy), to: application)
        let files = Dictionary(uniqueKeysWithValues: result.emission.files.map { ($0.path, $0.contents) })
        // The sub-kustomization keeps its bytes; the root one lists the policy file and no
        // longer names Palisade's own overlay output.
        #expect(files["base/kustomization.yaml"] == application.first { $0.path == "base/kustomization.yaml" }?.contents)
        let rootText = try #require(files["kustomization.yaml"])
        let root = try #require(YAMLLoader.loadStream(text: rootText, file: "kustomization.yaml").documents.first)
        #expect(root["resources"].map(OpenShiftBackend.describe) == "[base, palisade-policy.yaml]")
        #expect(root["components"] == nil)
        let removed = try #require(result.overrides.first { $0.field == "components" })
        #expect(removed.subject == "Kustomization kustomization.yaml")
        #expect(removed.origin?.file == "kustomization.yaml" && removed.application.hasSuffix("openshift/\(policy.name)]") && removed.palisade == "unset")
        #expect(files[OpenShiftBackend.policyFile] != nil)

        // The base folder alone: its own kustomization lists the file.
        let base = try backend.apply(policy, options: settings(policy), to: try folder(policy.name, "/base"))
        let baseRoot = try #require(base.emission.files.first { $0.path == "kustomization.yaml" })
        #expect(baseRoot.contents.contains("- palisade-policy.yaml"))
        #expect(!base.overrides.contains { $0.field == "components" })
    }

    @Test func aKustomizationEntryThatWouldNotResolveIsALocatedError() throws {
        let policy = try samplePolicy("shop.yaml")
        for (path, entry) in [
            ("kustomization.yaml", "../elsewhere"), ("base/kustomization.yaml", "missing.yaml"), ("kustomization.yaml", "../../../../out/openshift/other"),
        ] {
            let application = try folder("shop").map { file in
                guard file.path == path else { return file }
                let key = file.contents.contains("components:") && path == "kustomization.yaml" ? "components:\n" : "resources:\n"
                return ApplicationFile(path: file.path, contents: file.contents.replacingOccurrences(of: key, with: key + "- \(entry)\n"))
            }
            do {
                _ = try backend.apply(policy, options: settings(policy), to: application)
                Issue.record("\(path): \(entry) was accepted")
            } catch let error as BackendError {
                #expect(error.diagnostic.message.contains("'\(entry)'"), "\(error.diagnostic.message)")
                #expect(error.diagnostic.range?.file == path)
            }
        }
    }

    @Test func theTeamsHostNetworkOpensConnectionsReportedAtItsLine() throws {
        let policy = try samplePolicy("shop.yaml")
        var application = try folder("shop", "/base")
        let index = try #require(application.firstIndex { $0.path == "workloads.yaml" })
        let text = application[index].contents
        // The web Deployment's pod spec gets `hostNetwork: true` as its first key.
        let web = try #require(text.range(of: "  name: web\n"))
        let pod = try #require(text.range(of: "    spec:\n", range: web.upperBound..<text.endIndex))
        application[index].contents = text.replacingCharacters(in: pod, with: "    spec:\n      hostNetwork: true\n")
        let line = text[..<pod.upperBound].split(separator: "\n", omittingEmptySubsequences: false).count
        let component = try backend.emit(policy, options: settings(policy)).files
        let deployed = try backend.deployment(component, application: application, policy: policy, options: settings(policy))
        // Palisade's files alone (complete and overlay read back the same).
        let own = try backend.read(component, policy: policy).relation
        let widened = deployed.readBack.relation.subtracting(own)
        let narrowed = own.subtracting(deployed.readBack.relation)
        #expect(!widened.isEmpty || !narrowed.isEmpty, "the team's hostNetwork changes the relation")
        let connections = deployed.gaps.filter { $0.kind == .widened || $0.kind == .narrowed }
        #expect(!connections.isEmpty)
        for gap in connections {
            #expect(gap.origin?.file == "workloads.yaml" && gap.origin?.start.line == line, "\(gap.message) at \(String(describing: gap.origin))")
            #expect(gap.reason.contains("hostNetwork: true on web:"), "\(gap.reason)")
            #expect([.workloadSegmentation, .externalIngress, .externalEgress, .dnsEgress].contains(gap.capability))
        }
        // Every connection the merged deployment adds or removes is covered by a gap of its kind.
        func covered(_ relation: Relation, _ kind: Gap.Kind) -> Bool {
            let gaps = connections.filter { $0.kind == kind }.compactMap(\.connection)
            func names(_ endpoint: Endpoint) -> [String] {
                switch endpoint {
                case .workload(let name): [name]
                case .workloads(let names): names
                default: []
                }
            }
            let name = { (id: WorkloadID) in policy.workloads[id.index].name }
            let pairs = relation.sortedPairs.allSatisfy { pair, ports in
                gaps.contains { names($0.source).contains(name(pair.source)) && names($0.destination).contains(name(pair.destination)) && $0.ports == ports }
            }
            let ingress = relation.ingress.allSatisfy { id, rules in
                rules.entries.allSatisfy { entry in
                    gaps.contains { $0.source == .external(entry.peers) && names($0.destination).contains(name(id)) && $0.ports == entry.ports }
                }
            }
            let egress = relation.egress.allSatisfy { id, rules in
                rules.entries.allSatisfy { entry in
                    gaps.contains { $0.destination == .external(entry.peers) && names($0.source).contains(name(id)) && $0.ports == entry.ports }
                }
            }
            let pairCount = relation.betweenWorkloads.count
            let counted = gaps.filter { !(names($0.source).isEmpty || names($0.destination).isEmpty) }.reduce(0) { $0 + $1.pairCount }
            return pairs && ingress && egress && counted == pairCount
        }
        #expect(covered(widened, .widened))
        #expect(covered(narrowed, .narrowed))
    }
}
