import Foundation
import IR
import Testing

@testable import Backends

/// `--with` and `--apply-to` on Kubernetes: Pod Security Admission judges the whole merged pod
/// (every init container and container, and the pod's own fields), as the admission plugin
/// does; and the reader under `--with` gets the target's `cni`.
@Suite struct KubernetesWithAdmissionTests {
    let overlay = KubernetesOverlayTests()
    var backend: KubernetesBackend { overlay.backend }

    static let digest = "@sha256:" + String(repeating: "a", count: 64)

    /// The shop team's `web` (shop-edge, enforce: restricted) with `containers` inserted before
    /// its own container (`kind`: containers or initContainers).
    func web(_ kind: String, _ containers: String) throws -> [ApplicationFile] {
        try overlay.team("shop", workload: "web") { document in
            let anchor = "      containers:\n      - name: web\n"
            return kind == "containers"
                ? document.replacingOccurrences(of: anchor, with: "      containers:\n" + containers + "      - name: web\n")
                : document.replacingOccurrences(of: anchor, with: "      initContainers:\n" + containers + anchor)
        }
    }

    func deployed(_ application: [ApplicationFile]) throws -> (Deployment, Workload) {
        let policy = try samplePolicy("shop.yaml")
        let deployed = try backend.deployment([], application: application, policy: policy, options: overlay.settings(policy, "complete"))
        return (deployed, try #require(policy.workload(named: "web")))
    }

    /// The line of the first occurrence of `text` in the team's workloads.yaml.
    func line(of text: String, in application: [ApplicationFile]) throws -> Int {
        let contents = try #require(application.first { $0.path == "workloads.yaml" }).contents
        let lines = contents.components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    @Test func aSidecarWithNoSecurityContextIsRefusedAtRestricted() throws {
        let application = try web("containers", "      - name: shipper\n        image: registry.example.com/shop/shipper\(Self.digest)\n")
        let (deployed, web) = try deployed(application)
        #expect(deployed.readBack.runtime[web.id] == nil, "the pods do not run")
        let refused = try #require(deployed.gaps.first { $0.reason.contains("Pod Security Admission refuses its pods") }, "\(deployed.gaps)")
        #expect(refused.reason.contains("namespace shop-edge enforces level restricted, and its container shipper asks for"), "\(refused.reason)")
        #expect(refused.reason.contains("allowPrivilegeEscalation is not false") && refused.reason.contains("capabilities do not drop ALL"))
        let expected = try line(of: "- name: shipper", in: application)
        #expect(refused.origin?.file == "workloads.yaml" && refused.origin?.start.line == expected)
        #expect(!deployed.gaps.contains { $0.reason.contains("container web asks for") }, "the patched container is admitted")
    }

    @Test func aPrivilegedSidecarIsRefusedEvenAtBaseline() throws {
        let application = try web(
            "containers",
            "      - name: shipper\n        image: registry.example.com/shop/shipper\(Self.digest)\n        securityContext:\n          privileged: true\n")
        let (deployed, web) = try deployed(application)
        #expect(deployed.readBack.runtime[web.id] == nil)
        let refused = try #require(deployed.gaps.first { $0.reason.contains("its container shipper asks for privileged") }, "\(deployed.gaps)")
        #expect(refused.subject == .runtime(workload: "web", key: .privileged))
        #expect(deployed.gaps.contains { $0.reason.contains("privileged: true on container shipper") }, "the weakening is reported as well")
    }

    @Test func anInitContainerWithNoSecurityContextIsRefused() throws {
        let application = try web("initContainers", "      - name: setup\n        image: registry.example.com/shop/setup\(Self.digest)\n")
        let (deployed, web) = try deployed(application)
        #expect(deployed.readBack.runtime[web.id] == nil)
        let refused = try #require(deployed.gaps.first { $0.reason.contains("its init container setup asks for") }, "\(deployed.gaps)")
        #expect(refused.reason.contains("allowPrivilegeEscalation is not false"))
        let expected = try line(of: "- name: setup", in: application)
        #expect(refused.origin?.file == "workloads.yaml" && refused.origin?.start.line == expected)
    }

    @Test func aSidecarThatMeetsRestrictedIsAdmitted() throws {
        let application = try web(
            "containers",
            "      - name: shipper\n        image: registry.example.com/shop/shipper\(Self.digest)\n        securityContext:\n"
                + "          allowPrivilegeEscalation: false\n          runAsNonRoot: true\n          capabilities:\n            drop: [ALL]\n"
                + "          seccompProfile:\n            type: RuntimeDefault\n")
        let (deployed, web) = try deployed(application)
        #expect(deployed.readBack.runtime[web.id] != nil)
        #expect(!deployed.gaps.contains { $0.reason.contains("Pod Security Admission") }, "\(deployed.gaps)")
    }

    /// `--apply-to` hardens the workload's container; a sidecar that still breaks its
    /// namespace's level is reported at the team's container.
    @Test func applyToReportsASidecarPodSecurityAdmissionRefuses() throws {
        let policy = try samplePolicy("shop.yaml")
        let application = try web("containers", "      - name: shipper\n        image: registry.example.com/shop/shipper\(Self.digest)\n")
        let applied = try backend.apply(policy, options: overlay.settings(policy, "complete"), to: application)
        let refused = try #require(applied.emission.gaps.first { $0.reason.contains("its container shipper asks for") }, "\(applied.emission.gaps)")
        #expect(refused.reason.contains("namespace shop-edge enforces level restricted"))
        let expected = try line(of: "- name: shipper", in: application)
        #expect(refused.origin?.file == "workloads.yaml" && refused.origin?.start.line == expected)
        let clean = try backend.apply(policy, options: overlay.settings(policy, "complete"), to: try overlay.fixture("shop"))
        let refusals = clean.emission.gaps.filter { $0.reason.contains("Pod Security Admission refuses its pods") }
        #expect(refusals.isEmpty, "the hardened fixture is admitted: \(refusals.map(\.reason))")
    }

    /// The reader under `--with` gets the target's `cni`: the component's own
    /// CiliumNetworkPolicies read back.
    @Test func withReadsTheComponentsCiliumPolicies() throws {
        let policy = try samplePolicy("shop.yaml")
        let options = overlay.settings(policy, "overlay", more: ["cni": .string("cilium")])
        let component = try backend.emit(policy, options: options).files
        #expect(component.contains { $0.contents.contains("CiliumNetworkPolicy") })
        let deployed = try backend.deployment(component, application: try overlay.fixture("shop"), policy: policy, options: options)
        #expect(!deployed.readBack.relation.isEmpty)
    }
}

extension KubernetesWithAdmissionTests {
    /// Every sample's team fixture, hardened by `--apply-to`, is admitted at the levels
    /// Palisade labels its namespaces with.
    @Test(arguments: backendSamples)
    func eachSamplesHardenedFixtureIsAdmitted(sample: String) throws {
        let policy = try samplePolicy(sample)
        let applied = try backend.apply(policy, options: overlay.settings(policy, "complete"), to: try overlay.fixture(policy.name))
        let refusals = applied.emission.gaps.filter { $0.reason.contains("Pod Security Admission refuses its pods") }
        #expect(refusals.isEmpty, "\(refusals.map(\.reason))")
    }
}
