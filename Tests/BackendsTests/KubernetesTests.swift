import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

@Suite struct KubernetesTests {
    static let samples = backendSamples
    let backend = KubernetesBackend()

    func emit(_ policy: Policy, _ gaps: GapPolicy = .widen, _ extra: [String: OptionValue] = [:]) throws -> Emission {
        try backend.emit(policy, options: options(.kubernetes, gaps, extra))
    }

    func policy(_ text: String) throws -> Policy { try #require(compileSpec(text).policy) }

    /// A spec with one segment per runtime profile given, a workload each.
    func spec(_ runtimes: [String: String], extra: String = "") -> String {
        var text = "version: 1\nname: t\nsegments:\n"
        for name in runtimes.keys.sorted() { text += "  \(name)-ns: {}\n" }
        text += "workloads:\n"
        for (name, runtime) in runtimes.sorted(by: { $0.key < $1.key }) {
            text += "  \(name): {segment: \(name)-ns, image: registry.example.com/\(name):1, ports: [tcp/8080], runtime: {\(runtime)}}\n"
        }
        return text + extra
    }

    static let restricted = "user: 1000, run_as_non_root: true, no_new_privileges: true, capabilities: {drop: [ALL]}, seccomp: runtime-default"

    @Test(arguments: samples)
    func samplesRoundTripUnderBothGapPolicies(sample: String) throws {
        let policy = try samplePolicy(sample)
        for gaps in [GapPolicy.widen, .narrow] {
            let (emission, read) = try checkRoundTrip(backend, policy, options(.kubernetes, gaps))
            try checkRuntime(policy, emission, read)
            if gaps == .widen { #expect(emission.narrowed.betweenWorkloads.isEmpty) } else { #expect(emission.widened.isEmpty) }
        }
        _ = try checkRoundTrip(backend, policy, options(.kubernetes, .widen, ["exposure": .string("nodeport")]))
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 41, count: 30) { policy, gaps in
            _ = try checkRoundTrip(backend, policy, options(.kubernetes, gaps))
        }
    }

    /// The shared plan writes no OpenShift kind for Kubernetes, and the DNS egress goes to
    /// kube-system's `k8s-app: kube-dns` pods on port 53.
    @Test(arguments: samples)
    func manifestsHoldOnlyKubernetesKinds(sample: String) throws {
        let emission = try emit(try samplePolicy(sample))
        let kinds = Set(try emission.files[0].documents().compactMap { $0["kind"]?.scalar })
        #expect(
            kinds.isSubset(of: [
                "Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Deployment", "Service", "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
            ]))
        let text = emission.files[0].contents
        #expect(text.contains("kubectl apply -f manifests.yaml"))
        #expect(!text.contains("security.openshift.io") && !text.contains("openshift-dns"))
        if text.contains("name: allow-dns") {
            #expect(text.contains("k8s-app: kube-dns") && text.contains("port: 53"))
        }
    }

    @Test func eachNamespaceEnforcesTheStrictestLevelItsWorkloadsMeet() throws {
        let policy = try policy(
            spec([
                "strict": Self.restricted, "loose": "user: 1000", "wide": "privileged: true",
                "caps": Self.restricted.replacingOccurrences(of: "drop: [ALL]", with: "drop: [ALL], add: [CHOWN]"),
            ]))
        let emission = try emit(policy)
        let namespaces = try emission.files[0].documents().filter { $0["kind"]?.scalar == "Namespace" }
        var levels: [String: String] = [:]
        for namespace in namespaces {
            levels[namespace["metadata"]?["name"]?.scalar ?? ""] = namespace["metadata"]?["labels"]?[PodSecurityLevel.enforceLabel]?.scalar
            #expect(namespace["metadata"]?["labels"]?[PodSecurityLevel.enforceVersionLabel]?.scalar == "v1.30")
        }
        #expect(levels == ["strict-ns": "restricted", "loose-ns": "baseline", "wide-ns": "privileged", "caps-ns": "baseline"])
        // Each namespace below restricted is reported once, at the key that lowers it.
        let reported = emission.gaps.compactMap { gap -> String? in
            guard case .runtime(let workload, let key) = gap.subject, gap.reason.contains("Pod Security level") else { return nil }
            return "\(workload).\(key.name)"
        }
        #expect(Set(reported) == ["loose.capabilities", "wide.privileged", "caps.capabilities"])
        let read = try backend.read(emission.files, policy: policy)
        #expect(read.runtime[policy.workload(named: "wide")!.id]?.privileged == true)
    }

    @Test func theReaderRefusesADeploymentItsNamespaceLevelRefuses() throws {
        let policy = try policy(spec(["loose": "user: 1000"]))
        let file = try #require(try emit(policy).files.first)
        let raised = OutputFile(
            path: file.path, contents: file.contents.replacingOccurrences(of: "enforce: baseline", with: "enforce: restricted"))
        #expect(throws: ReadFailure.self) { try backend.read([raised], policy: policy) }
        let bogus = OutputFile(path: file.path, contents: file.contents.replacingOccurrences(of: "enforce: baseline", with: "enforce: strict"))
        #expect(throws: ReadFailure.self) { try backend.read([bogus], policy: policy) }
        // Without the label admission is privileged: every pod is admitted.
        let unlabelled = OutputFile(
            path: file.path, contents: file.contents.replacingOccurrences(of: "    pod-security.kubernetes.io/enforce: baseline\n", with: ""))
        #expect(try backend.read([unlabelled], policy: policy).runtime.count == 1)
    }

    @Test func theReaderRefusesOpenShiftKinds() throws {
        let policy = try samplePolicy("shop.yaml")
        let openshift = try OpenShiftBackend().emit(policy, options: options(.openshift, .widen))
        #expect(throws: ReadFailure.self) { try backend.read(openshift.files, policy: policy) }
    }

    @Test func apparmorIsWrittenAndReadBack() throws {
        let policy = try policy(spec(["a": Self.restricted + ", apparmor: localhost/my-profile", "b": Self.restricted + ", apparmor: runtime-default"]))
        let emission = try emit(policy)
        #expect(emission.files[0].contents.contains("appArmorProfile:\n            type: Localhost\n            localhostProfile: my-profile"))
        let read = try backend.read(emission.files, policy: policy)
        #expect(read.runtime[policy.workload(named: "a")!.id]?.apparmor == .localhost("my-profile"))
        #expect(read.runtime[policy.workload(named: "b")!.id]?.apparmor == .runtimeDefault)
        #expect(!emission.gaps.contains { $0.capability == .apparmor })
    }

    /// NetworkPolicy matches no names: with gaps: widen a dns: destination opens every outside
    /// address on its ports; with gaps: narrow it is left out. Both are reported.
    @Test func dnsEgressIsAGapEitherWay() throws {
        let text = spec(["a": Self.restricted], extra: "networks:\n  api: [\"dns:api.example.com\"]\nflows:\n  - {from: a, to: api, ports: [tcp/443]}\n")
        let policy = try policy(text)
        let widen = try emit(policy, .widen)
        #expect(!widen.widened.egress.isEmpty && widen.narrowed.egress.isEmpty)
        #expect(widen.gaps.contains { $0.kind == .widened && $0.reason.contains("NetworkPolicy cannot match dns: names") })
        let narrow = try emit(policy, .narrow)
        #expect(narrow.widened.isEmpty && !narrow.narrowed.egress.isEmpty)
        #expect(narrow.gaps.contains { $0.kind == .narrowed && $0.reason.contains("dns: destinations") })
    }

    @Test func nodePortServicesCarryNoSourceRanges() throws {
        let text = spec(["a": Self.restricted], extra: "networks:\n  clients: [198.51.100.0/24]\nflows:\n  - {from: clients, to: a, ports: [tcp/8080]}\n")
        let policy = try policy(text)
        let emission = try emit(policy, .widen, ["exposure": .string("nodeport")])
        let services = try emission.files[0].documents().filter { $0["kind"]?.scalar == "Service" && $0["spec"]?["type"]?.scalar == "NodePort" }
        #expect(services.count == 1)
        #expect(services.first?["spec"]?["loadBalancerSourceRanges"] == nil)
        #expect(emission.widened.isEmpty && emission.narrowed.isEmpty)
    }

    @Test func namespacesKubernetesKeepsAreRefused() throws {
        let policy = try policy("version: 1\nname: t\nsegments:\n  kube-x: {}\nworkloads:\n  a: {segment: kube-x, image: r.example.com/a:1}\n")
        let problems = backend.validate(policy)
        #expect(problems.map(\.message) == ["kubernetes namespace 'kube-x' collides with a namespace Kubernetes reserves (default, kube-*)"])
        // OpenShift's own namespaces are free on Kubernetes.
        let openshift = try self.policy(
            "version: 1\nname: t\nsegments:\n  openshift-x: {}\nworkloads:\n  a: {segment: openshift-x, image: r.example.com/a:1}\n")
        #expect(backend.validate(openshift).isEmpty)
    }

    /// The image policy is a ValidatingAdmissionPolicy (shared with OpenShift): no gap, and the
    /// reader evaluates it, so a policy that would refuse a workload of the spec fails the read.
    @Test func theImagePolicyIsAnAdmissionPolicyTheReaderEvaluates() throws {
        let policy = try samplePolicy("shop.yaml")
        let emission = try emit(policy)
        #expect(!emission.gaps.contains { $0.capability == .imagePolicy })
        let file = try #require(emission.files.first)
        #expect(file.contents.contains("kind: ValidatingAdmissionPolicyBinding"))
        _ = try backend.read([file], policy: policy)
        let foreign = OutputFile(path: file.path, contents: file.contents.replacingOccurrences(of: "registry[.]example[.]com", with: "other[.]example[.]com"))
        #expect(throws: ReadFailure.self) { try backend.read([foreign], policy: policy) }
    }

    /// Exact capabilities and user, which Pod Security Admission cannot say, are CEL
    /// validations of the same admission policy, even without an image policy.
    @Test func exactCapabilitiesAndUserAreAdmissionValidations() throws {
        let policy = try policy(spec(["a": Self.restricted, "b": "privileged: true"]))
        let file = try #require(try emit(policy).files.first)
        #expect(file.contents.contains("variables.workload == ''a'' ?"))
        #expect(file.contents.contains("runAsUser == 1000"))
        _ = try backend.read([file], policy: policy)
        let other = OutputFile(path: file.path, contents: file.contents.replacingOccurrences(of: "runAsUser == 1000", with: "runAsUser == 1001"))
        #expect(throws: ReadFailure.self) { try backend.read([other], policy: policy) }
        // Nothing to constrain, nothing to admit.
        let plain = try self.policy(spec(["c": "privileged: false"]))
        #expect(!(try emit(plain).files[0].contents.contains("ValidatingAdmissionPolicy")))
    }

    // MARK: The Pod Security Standards, control by control

    func pod(_ change: (inout PodSecurity) -> Void) -> PodSecurity {
        var pod = PodSecurity()
        pod.runAsNonRoot = true
        pod.allowPrivilegeEscalation = false
        pod.drop = ["ALL"]
        pod.seccomp = .runtimeDefault
        pod.volumeTypes = ["emptyDir", "secret"]
        change(&pod)
        return pod
    }

    @Test func restrictedNeedsEveryControlSetExplicitly() {
        #expect(PodSecurityLevel.of(pod { _ in }) == .restricted)
        #expect(PodSecurityLevel.of(pod { $0.add = ["NET_BIND_SERVICE"] }) == .restricted)
        #expect(PodSecurityLevel.of(pod { $0.seccomp = .localhost("p.json") }) == .restricted)
        #expect(PodSecurityLevel.of(pod { $0.runAsNonRoot = nil }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.runAsUser = 0 }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.allowPrivilegeEscalation = nil }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.drop = [] }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.seccomp = nil }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.add = ["CHOWN"] }) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.volumeTypes.insert("gitRepo") }) == .baseline)
    }

    @Test func baselineRefusesKnownEscalations() {
        #expect(PodSecurityLevel.of(PodSecurity()) == .baseline)
        #expect(PodSecurityLevel.of(pod { $0.privileged = true }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.hostNetwork = true }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.hostPID = true }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.hostIPC = true }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.hostPorts = true }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.add = ["NET_ADMIN"] }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.seccomp = .unconfined }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.apparmor = .unconfined }) == .privileged)
        #expect(PodSecurityLevel.of(pod { $0.volumeTypes.insert("hostPath") }) == .privileged)
        #expect(PodSecurityLevel.violations(pod { $0.privileged = true }, of: .privileged).isEmpty)
    }
}
