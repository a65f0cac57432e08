import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// `output: overlay`, `--apply-to` and `--with` on Kubernetes: the component OpenShift's is
/// (`KubeOverlay`, `KubeApplication`), on `KubePlatform.kubernetes`, read back with Pod
/// Security Admission and the admission policy's CEL evaluated on the patched pods.
@Suite struct KubernetesOverlayTests {
    let backend = KubernetesBackend()

    /// The samples' teams run in the namespaces of the openshift target's `namespace_prefix`
    /// (`shop-app`): the kubernetes target takes the same prefix here, as conformance does.
    func settings(
        _ policy: Policy, _ output: String, _ gaps: GapPolicy = .widen, exposure: String? = nil, more: [String: OptionValue] = [:]
    ) -> TargetOptions {
        var extra: [String: OptionValue] = more
        extra["output"] = .string(output)
        let openshift = policy.targets.first { $0.target == .openshift }?.options ?? []
        if let prefix = openshift.first(where: { $0.key.value == "namespace_prefix" }) { extra["namespace_prefix"] = prefix.value.value }
        if let exposure { extra["exposure"] = .string(exposure) }
        return options(.kubernetes, gaps, extra)
    }

    /// The team's fixture for a sample: every YAML file of samples/apps/POLICY/openshift/base
    /// (plain Kubernetes workloads, the base samples/apps/POLICY/kubernetes builds on too).
    func fixture(_ policy: String) throws -> [ApplicationFile] {
        let folder = repositoryRoot.appendingPathComponent("samples/apps/\(policy)/openshift/base")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { name in
            ApplicationFile(path: name, contents: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    func replacing(_ files: [OutputFile], _ path: String, _ change: (String) -> String) -> [OutputFile] {
        files.map { $0.path == path ? OutputFile(path: $0.path, contents: change($0.contents)) : $0 }
    }

    @Test(arguments: backendSamples)
    func theComponentReadsBackAsTheCompleteManifests(sample: String) throws {
        let policy = try samplePolicy(sample)
        for (gaps, exposure) in [(GapPolicy.widen, nil), (.narrow, nil), (.widen, "nodeport")] as [(GapPolicy, String?)] {
            let layered = try backend.emit(policy, options: settings(policy, "overlay", gaps, exposure: exposure))
            let whole = try backend.emit(policy, options: settings(policy, "complete", gaps, exposure: exposure))
            #expect(Set(layered.files.map(\.path)) == Set(["kustomization.yaml", "policy.yaml"] + policy.workloads.map { "patches/\($0.name).yaml" }))
            let read = try backend.read(layered.files, policy: policy)
            let reference = try backend.read(whole.files, policy: policy)
            #expect(read.relation == reference.relation, "\(sample): the component allows what the manifests allow")
            #expect(read.runtime == reference.runtime, "\(sample): the component's pods run as the manifests' do")
            #expect(read.grants == reference.grants)
            #expect(layered.widened == whole.widened && layered.narrowed == whole.narrowed && layered.gaps == whole.gaps)
        }
    }

    /// The component carries what the options add to the manifests: CiliumNetworkPolicies
    /// (`cni: cilium`) and AdminNetworkPolicies (`admin_network_policy`), and reads back as the
    /// manifests do.
    @Test(arguments: backendSamples)
    func theComponentCarriesCiliumAndAdminNetworkPolicies(sample: String) throws {
        var policy = try samplePolicy(sample)
        let more: [String: OptionValue] = ["cni": .string("cilium"), "admin_network_policy": .boolean(true)]
        // The reader reads the policy's own options, as `--set` leaves them.
        policy.targets.removeAll { $0.target == .kubernetes }
        policy.targets.append(settings(policy, "overlay", more: more))
        let layered = try backend.emit(policy, options: settings(policy, "overlay", more: more))
        let whole = try backend.emit(policy, options: settings(policy, "complete", more: more))
        let kinds = { (files: [OutputFile], kind: String) in
            try files.filter { $0.path.hasSuffix(".yaml") && !$0.path.hasPrefix("patches/") }.flatMap { try $0.documents() }.filter {
                $0["kind"]?.scalar == kind
            }
            .count
        }
        for kind in ["CiliumNetworkPolicy", "AdminNetworkPolicy"] {
            #expect(try kinds(layered.files, kind) == kinds(whole.files, kind), "\(sample): \(kind)")
        }
        let read = try backend.read(layered.files, policy: policy)
        #expect(read.relation == (try backend.read(whole.files, policy: policy)).relation, "\(sample)")
        #expect(layered.widened == whole.widened && layered.narrowed == whole.narrowed && layered.gaps == whole.gaps)
    }

    @Test func randomSpecsReadBackTheSameInBothModes() throws {
        try forRandomSpecs(seed: 53, count: 20) { policy, gaps in
            // The property test's contract, on the component: read back, it differs from the
            // intent by exactly the reported gaps.
            _ = try checkRoundTrip(backend, policy, settings(policy, "overlay", gaps))
            let layered = try backend.read(try backend.emit(policy, options: settings(policy, "overlay", gaps)).files, policy: policy)
            let whole = try backend.read(try backend.emit(policy, options: settings(policy, "complete", gaps)).files, policy: policy)
            #expect(layered.relation == whole.relation && layered.runtime == whole.runtime && layered.grants == whole.grants)
        }
    }

    @Test func theComponentHoldsKubernetesKindsAndPatchesOnlyWhatPalisadeOwns() throws {
        let policy = try samplePolicy("payments.yaml")
        let files = try backend.emit(policy, options: settings(policy, "overlay")).files
        let kustomization = try #require(files.first { $0.path == "kustomization.yaml" })
        #expect(kustomization.contents.contains("kubectl apply -k DIR (Kubernetes 1.30 or later") && !kustomization.contents.contains("oc apply"))
        let component = try Kustomize.component(kustomization)
        #expect(component.resources == ["policy.yaml"] && component.patches.map(\.name).sorted() == policy.workloads.map(\.name).sorted())
        let resources = try #require(files.first { $0.path == "policy.yaml" })
        let kinds = Set(try resources.documents().compactMap { $0["kind"]?.scalar })
        #expect(
            kinds.isSubset(of: [
                "Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Service", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
            ]))
        #expect(kinds.contains("ValidatingAdmissionPolicy") && resources.contents.contains(PodSecurityLevel.enforceLabel))
        // The load balancers stay; the ClusterIP Services named after workloads are the team's.
        for document in try resources.documents() where document["kind"]?.scalar == "Service" {
            #expect(document["spec"]?["type"]?.scalar != "ClusterIP")
        }
        for file in files where file.path.hasPrefix("patches/") {
            for field in ["image:", "replicas:", "selector:", "command:", "containerPort:"] {
                #expect(!file.contents.contains(field), "\(file.path) sets \(field)")
            }
        }
        // AppArmor goes in the patch, as the 1.30 field.
        let tokenizer = try #require(files.first { $0.path == "patches/tokenizer.yaml" })
        #expect(tokenizer.contents.contains("appArmorProfile:") && tokenizer.contents.contains("localhostProfile: payments-tokenizer"))
    }

    /// The reader builds the component over skeletons and admits the patched pods: a
    /// namespace label stricter than a patched pod, or a CEL the spec's images break, fails it.
    @Test func theReaderAdmitsThePatchedPodsThroughPodSecurityAndTheAdmissionPolicy() throws {
        let policy = try samplePolicy("shop.yaml")
        let files = try backend.emit(policy, options: settings(policy, "overlay")).files
        let resources = try #require(files.first { $0.path == "policy.yaml" }).contents
        #expect(resources.contains("pod-security.kubernetes.io/enforce: baseline"), "a shop namespace runs below restricted")
        let stricter = replacing(files, "policy.yaml") { $0.replacingOccurrences(of: "enforce: baseline", with: "enforce: restricted") }
        #expect {
            _ = try backend.read(stricter, policy: policy)
        } throws: { error in
            (error as? ReadFailure)?.reason.contains("enforces Pod Security level restricted, which refuses its pods") == true
        }
        #expect(resources.contains("[.]com)/shop"))
        let foreign = replacing(files, "policy.yaml") { $0.replacingOccurrences(of: "[.]com)/shop", with: "[.]com)/elsewhere") }
        #expect {
            _ = try backend.read(foreign, policy: policy)
        } throws: { error in
            (error as? ReadFailure)?.reason.contains("the admission policy refuses workload") == true
        }
    }

    @Test(arguments: backendSamples)
    func eachSamplesTeamFixtureDeploysWithTheComponentAsTheManifestsDo(sample: String) throws {
        let policy = try samplePolicy(sample)
        let component = try backend.emit(policy, options: settings(policy, "overlay")).files
        let reference = try backend.read(try backend.emit(policy, options: settings(policy, "complete")).files, policy: policy)
        let deployed = try backend.deployment(component, application: try fixture(policy.name), policy: policy, options: settings(policy, "overlay"))
        #expect(deployed.readBack.relation == reference.relation)
        #expect(deployed.readBack.runtime == reference.runtime, "the team's pods run as the spec says once patched")
        #expect(deployed.readBack.grants == reference.grants)
        for gap in deployed.gaps {
            #expect(gap.reason.contains("a writable mount of 'data'"), "\(gap.reason)")
            #expect(gap.origin?.file == "workloads.yaml" && gap.target == .kubernetes)
        }
        let applied = try backend.apply(policy, options: settings(policy, "complete"), to: try fixture(policy.name))
        #expect(applied.emission.files.map(\.path).sorted() == ["config.yaml", "kustomization.yaml", KubeApplication.policyFile, "workloads.yaml"])
        let objects = try #require(applied.emission.files.first { $0.path == KubeApplication.policyFile }).contents
        #expect(objects.contains("kubectl apply -f on the folder") && !objects.contains("kind: Deployment"))
        if policy.name == "shop" {
            #expect(
                applied.overrides.map(\.field).sorted() == [
                    "spec.template.spec.containers[web].securityContext.capabilities.add", "spec.template.spec.containers[web].securityContext.privileged",
                ])
            #expect(applied.overrides.allSatisfy { $0.subject == "Deployment shop-edge/web" })
        }
    }

    /// The workload the team's file puts in `workloads.yaml` under `name`, changed.
    func team(_ policy: String, workload: String, _ change: (String) -> String) throws -> [ApplicationFile] {
        try fixture(policy).map { file in
            guard file.path == "workloads.yaml" else { return file }
            let documents = file.contents.components(separatedBy: "\n---\n").map { $0.contains("\n  name: \(workload)\n") ? change($0) : $0 }
            return ApplicationFile(path: file.path, contents: documents.joined(separator: "\n---\n"))
        }
    }

    @Test func withReportsAPodPodSecurityAdmissionRefusesAtTheTeamsObject() throws {
        let policy = try samplePolicy("shop.yaml")
        let application = try team("shop", workload: "catalog") { document in
            document.replacingOccurrences(
                of: "      containers:\n      - name: catalog\n", with: "      hostPID: true\n      containers:\n      - name: catalog\n")
        }
        #expect(application.first { $0.path == "workloads.yaml" }?.contents.contains("hostPID: true") == true)
        let deployed = try backend.deployment([], application: application, policy: policy, options: settings(policy, "complete"))
        let catalog = try #require(policy.workload(named: "catalog"))
        #expect(deployed.readBack.runtime[catalog.id] == nil)
        let refused = try #require(deployed.gaps.first { $0.reason.contains("Pod Security Admission refuses its pods") })
        #expect(refused.reason.contains("hostPID") && refused.origin?.file == "workloads.yaml" && refused.target == .kubernetes)
        #expect(deployed.gaps.contains { $0.reason.contains("hostPID: true: its pods see the node's processes") })
    }

    @Test func withReportsAPodTheAdmissionPolicyRefusesAtTheTeamsObject() throws {
        let policy = try samplePolicy("shop.yaml")
        let application = try team("shop", workload: "catalog") { document in
            document.replacingOccurrences(of: "image: registry.example.com/shop/catalog", with: "image: docker.io/someone/catalog")
        }
        let deployed = try backend.deployment([], application: application, policy: policy, options: settings(policy, "complete"))
        let catalog = try #require(policy.workload(named: "catalog"))
        #expect(deployed.readBack.runtime[catalog.id] == nil)
        let refused = try #require(deployed.gaps.first { $0.reason.hasPrefix("the admission policy palisade.shop-shop.images refuses its ") })
        #expect(refused.origin?.file == "workloads.yaml")
    }

    @Test func applyToTheKubernetesFolderDropsPalisadesOwnComponentAndListsThePolicyFile() throws {
        let policy = try samplePolicy("shop.yaml")
        let root = """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
            - workloads.yaml
            - config.yaml
            components:
            - ../../../../out/kubernetes/shop
            """
        let application = try fixture("shop").map { $0.path == "kustomization.yaml" ? ApplicationFile(path: $0.path, contents: root) : $0 }
        let result = try backend.apply(policy, options: settings(policy, "overlay"), to: application)
        let kustomization = try #require(result.emission.files.first { $0.path == "kustomization.yaml" }).contents
        #expect(kustomization.contains("- \(KubeApplication.policyFile)") && !kustomization.contains("components"))
        let removed = try #require(result.overrides.first { $0.field == "components" })
        #expect(removed.application == "[../../../../out/kubernetes/shop]" && removed.palisade == "unset")
        // A spec workload missing from the team's files is an error at the spec, in Kubernetes' name.
        let missing = try team("shop", workload: "catalog") { $0.replacingOccurrences(of: "name: catalog\n", with: "name: catalog-old\n") }
        #expect {
            _ = try backend.apply(policy, options: settings(policy, "complete"), to: missing)
        } throws: { error in
            (error as? BackendError)?.diagnostic.message.hasPrefix("kubernetes: workload 'catalog' has no Deployment") == true
        }
    }
}
