import Diagnostics
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// Bad target options are reported exactly as before options were typed: the same messages,
/// helps and places, in the same order, for every backend.
@Suite struct OptionDiagnosticsTests {
    static let spec = """
        version: 1
        name: t
        workloads: {}
        targets:
          openshift: {namespace_prefx: x, namespace_prefix: "Bad", exposure: rout, cluster_networks: "10.0.0.0/8,nope"}
          swarm: {encrypt_networks: "yes", publish_mode: [host], extra: 1}
          mesos: {group: Shop, containerizer: ucr, principal: "", role: 7}
          aws: {vpc_id: vpc-zz, vpcid: x}
          gcp: {network: foo, project: AB, service_account_prefix: waytoolongprefix, internal_ranges: "10.0.0.0/8, x", netwrk: y}
          azure: {location: West Europe, locaton: x}
          kubernetes: {namespace_prefix: "Bad", exposure: route, cluster_networks: nope}
          nftables: {table_prefix: 9x, log_denied: "yes", adresses: x, addresses: {web: [10.0.0.300]}}
        """

    static let expected: [TargetName: [String]] = [
        .openshift: [
            "5:15-5:30 error E702 unknown option 'namespace_prefx' for target openshift | did you mean 'namespace_prefix'?",
            "5:53-5:58 error E702 option 'namespace_prefix' of target openshift: a prefix is lower-case letters, digits and '-', starting with a letter | -",
            "5:70-5:74 error E702 option 'exposure' of target openshift cannot be 'rout' | did you mean 'route'?",
            "5:94-5:111 error E702 option 'cluster_networks' of target openshift: a comma-separated list of CIDRs | -",
        ],
        .swarm: [
            "6:58-6:63 error E702 unknown option 'extra' for target swarm | swarm options: encrypt_networks, publish_mode, output, gaps",
            "6:29-6:34 error E702 option 'encrypt_networks' of target swarm is true or false | -",
            "6:50-6:56 error E702 option 'publish_mode' of target swarm cannot be that value | expected one of: ingress, host",
        ],
        .mesos: [
            "7:18-7:22 error E702 option 'group' of target mesos: a group path is absolute, like /shop | -",
            "7:39-7:42 error E702 option 'containerizer' of target mesos cannot be 'ucr' | expected one of: docker, mesos",
            "7:55-7:57 error E702 option 'principal' of target mesos: a principal is 1-255 characters | -",
            "7:65-7:66 error E702 option 'role' of target mesos is a string | -",
        ],
        .aws: [
            "8:25-8:30 error E702 unknown option 'vpcid' for target aws | did you mean 'vpc_id'?",
            "8:17-8:23 error E702 option 'vpc_id' of target aws: a VPC id is vpc- followed by hex digits | -",
        ],
        .gcp: [
            "9:112-9:118 error E702 unknown option 'netwrk' for target gcp | did you mean 'network'?",
            "9:18-9:21 error E702 option 'network' of target gcp: a network is global/networks/NAME (or projects/PROJECT/global/networks/NAME, or its "
                + "full URL) | -",
            "9:32-9:34 error E702 option 'project' of target gcp: a project id is 6-30 lower-case letters, digits and '-' | -",
            "9:60-9:76 error E702 option 'service_account_prefix' of target gcp: at most 10 characters | -",
            "9:95-9:110 error E702 option 'internal_ranges' of target gcp: a comma-separated list of CIDRs | -",
        ],
        .azure: [
            "10:34-10:41 error E702 unknown option 'locaton' for target azure | did you mean 'location'?",
            "10:21-10:32 error E702 option 'location' of target azure: an Azure location is lower-case letters and digits, like westeurope | -",
        ],
        .kubernetes: [
            "11:34-11:39 error E702 option 'namespace_prefix' of target kubernetes: a prefix is lower-case letters, digits and '-', starting with a letter | -",
            "11:51-11:56 error E702 option 'exposure' of target kubernetes cannot be 'route' | expected one of: loadbalancer, nodeport",
            "11:76-11:80 error E702 option 'cluster_networks' of target kubernetes: a comma-separated list of CIDRs | -",
        ],
        .nftables: [
            "12:51-12:59 error E702 unknown option 'adresses' for target nftables | did you mean 'addresses'?",
            "12:28-12:30 error E702 option 'table_prefix' of target nftables: letters, digits, '_' and '-', starting with a letter | -",
            "12:44-12:49 error E702 option 'log_denied' of target nftables is true or false | -",
            "12:82-12:92 error E702 '10.0.0.300' is not an address or CIDR: '300' is above 255 | -",
        ],
    ]

    static func rendered(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.map { diagnostic in
            let place = diagnostic.range.map { "\($0.start.line):\($0.start.column)-\($0.end.line):\($0.end.column)" } ?? "-"
            return "\(place) \(diagnostic.severity.rawValue) \(diagnostic.code.rawValue) \(diagnostic.message) | \(diagnostic.help ?? "-")"
        }
    }

    @Test(arguments: TargetName.allCases)
    func badOptionsAreReportedAsBefore(target: TargetName) throws {
        let policy = try #require(compileSpec(Self.spec).policy)
        let backend = try #require(BackendRegistry.backend(for: target))
        let got = Self.rendered(backend.validate(try #require(policy.options(for: target))))
        #expect(got == Self.expected[target])
    }
}
