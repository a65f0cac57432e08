import Diagnostics
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// Each backend parses its options once into its own typed value: what the spec says, the
/// defaults where it says nothing, and where it says it.
@Suite struct TypedOptionsTests {
    func parse<Options: BackendOptions>(_ type: Options.Type, _ target: TargetName, _ extra: [String: OptionValue] = [:], gaps: GapPolicy = .widen) -> Options {
        let (parsed, diagnostics) = Options.parse(options(target, gaps, extra))
        #expect(diagnostics.isEmpty)
        return parsed
    }

    func addresses(_ text: String) -> AddressSet {
        if case .valid(let cidr) = CIDR.parse(text) { cidr.addressSet } else { .empty }
    }

    @Test func swarm() {
        let defaults = parse(SwarmOptions.self, .swarm)
        #expect(defaults.encryptNetworks && defaults.publishMode == .ingress && defaults.gaps == .widen)
        let set = parse(SwarmOptions.self, .swarm, ["encrypt_networks": .boolean(false), "publish_mode": .string("host")], gaps: .narrow)
        #expect(!set.encryptNetworks && set.publishMode == .host && set.gaps == .narrow)
    }

    @Test func mesos() throws {
        let defaults = parse(MesosOptions.self, .mesos)
        #expect(defaults.group == nil && defaults.containerizer == .docker && defaults.principal == "marathon" && defaults.role == "*")
        let set = parse(
            MesosOptions.self, .mesos,
            [
                "group": .string("/a/b"), "containerizer": .string("mesos"), "principal": .string("p"), "role": .string("r"),
            ])
        #expect(set.group == "/a/b" && set.containerizer == .mesos && set.principal == "p" && set.role == "r")
        // The containerizer's place in the spec, or else the target's.
        let policy = try #require(compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  mesos:\n    role: r\n    containerizer: docker\n").policy)
        let located = MesosOptions.parse(try #require(policy.options(for: .mesos))).options
        #expect(located.containerizerOrigin.start.line == 7)
        #expect(MesosOptions.of(policy, target: .mesos).containerizerOrigin.start.line == 7)
        let plain = try #require(compileSpec("version: 1\nname: t\nworkloads: {}\ntargets:\n  mesos: {role: r}\n").policy)
        #expect(MesosOptions.of(plain, target: .mesos).containerizerOrigin == plain.options(for: .mesos)?.origin)
    }

    @Test func openshift() throws {
        let defaults = parse(OpenShiftOptions.self, .openshift)
        #expect(defaults.namespacePrefix == "" && defaults.exposure == .loadbalancer)
        let clusterNetworks = ["10.128.0.0/14", "172.30.0.0/16", "fd01::/48", "fd02::/112"].map(addresses).reduce(AddressSet.empty) { $0.union($1) }
        #expect(defaults.clusterNetworks == clusterNetworks)
        let set = parse(
            OpenShiftOptions.self, .openshift,
            [
                "namespace_prefix": .string("p-"), "exposure": .string("route"), "cluster_networks": .string("10.0.0.0/8"),
            ])
        #expect(set.namespacePrefix == "p-" && set.exposure == .route && set.namespace("web") == "p-web")
        #expect(set.clusterNetworks == addresses("10.0.0.0/8"))
    }

    @Test func aws() {
        #expect(parse(AWSOptions.self, .aws).vpcID == nil)
        #expect(parse(AWSOptions.self, .aws, ["vpc_id": .string("vpc-0abc")]).vpcID == "vpc-0abc")
    }

    @Test func gcp() throws {
        let policy = try samplePolicy("minimal.yaml")
        let defaults = parse(GCPOptions.self, .gcp)
        #expect(defaults.network == "global/networks/default" && defaults.project == nil && defaults.serviceAccountPrefix == "pal-")
        #expect(defaults.internalRanges.map(\.description) == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
        #expect(defaults.serviceAccount("api", policy: policy) == "pal-api@\(policy.name).iam.gserviceaccount.com")
        let set = parse(
            GCPOptions.self, .gcp,
            [
                "network": .string("global/networks/x"), "project": .string("my-project"), "service_account_prefix": .string("s-"),
                "internal_ranges": .string("10.0.0.0/8, fd00::/8"),
            ])
        #expect(set.network == "global/networks/x" && set.project == "my-project" && set.accountID("api") == "s-api")
        #expect(set.internalRanges.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(set.serviceAccount("api", policy: policy) == "s-api@my-project.iam.gserviceaccount.com")
    }

    @Test func azure() {
        #expect(parse(AzureOptions.self, .azure).location == "[resourceGroup().location]")
        #expect(parse(AzureOptions.self, .azure, ["location": .string("westeurope")]).location == "westeurope")
    }

    /// A bad value is reported and leaves the default; the list a backend shows is its
    /// options type's.
    @Test(arguments: BackendRegistry.all.map(\.target))
    func badValuesLeaveTheDefaultsAndTheListIsTheTypes(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let names = backend.options.map(\.name)
        #expect(!names.isEmpty)
        var bad: [String: OptionValue] = [:]
        for name in names { bad[name] = .list([]) }
        let problems = backend.validate(options(target, .widen, bad))
        #expect(problems.count == names.count)
        #expect(problems.allSatisfy { $0.code == .invalidTargetOption })
        // Emitting with bad options is emitting with the defaults.
        let policy = try samplePolicy("shop.yaml")
        let withBad = try backend.emit(policy, options: options(target, .widen, bad)).files
        let withDefaults = try backend.emit(policy, options: options(target, .widen)).files
        #expect(withBad == withDefaults)
    }

    @Test func aTypedChoiceOffersTheCasesInOrder() {
        var reader = OptionReader(options(.openshift, .widen, ["exposure": .string("routes")]), specs: OpenShiftOptions.specs)
        #expect(reader.choice("exposure", default: OpenShiftOptions.Exposure.loadbalancer) == .loadbalancer)
        #expect(reader.diagnostics.map(\.help) == ["did you mean 'route'?"])
        var other = OptionReader(options(.openshift, .widen, ["exposure": .boolean(true)]), specs: OpenShiftOptions.specs)
        #expect(other.choice("exposure", default: OpenShiftOptions.Exposure.route) == .route)
        #expect(other.diagnostics.map(\.help) == ["expected one of: loadbalancer, route"])
    }
}
