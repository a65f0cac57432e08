import IR
import Spec
import TestSupport
import Testing

/// `SpecQuery`: `explain`'s --from, --to and --port read with the front end's grammar.
@Suite struct SpecQueryTests {
    static let spec = """
        version: 1
        name: q
        networks: {corp: [10.0.0.0/8], stripe: ["dns:api.stripe.com"]}
        ports: {web-ports: [tcp/80, tcp/443]}
        segments: {front: {}, back: {}}
        workloads:
          web: {image: nginx:1.25, segment: front, ports: [tcp/443]}
          api: {image: nginx:1.25, segment: back, ports: [tcp/9000]}
        flows:
          - {from: corp, to: web, ports: [tcp/443]}
        """

    let policy: Policy

    init() throws {
        policy = try #require(compileSpec(Self.spec).policy)
    }

    func endpoints(_ text: String, source: Bool = true) throws -> Endpoints {
        try SpecQuery.endpoints(text, in: policy, source: source)
    }

    /// The message a query is refused with.
    func problem(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func referencesNameWorkloadsSegmentsAndNetworks() throws {
        let web = try #require(policy.workload(named: "web")).id
        #expect(try endpoints("web").workloads == [web])
        #expect(try endpoints("workload:web").workloads == [web])
        #expect(try endpoints("front").workloads == [web])
        #expect(try endpoints("segment:front").workloads == [web])
        let corp = try #require(policy.networks.first { $0.name == "corp" }).members
        #expect(try endpoints("corp").external == corp)
        #expect(try endpoints("network:corp", source: false).external == corp)
        #expect(try endpoints("any", source: false).external == .any)
        #expect(try endpoints("any", source: true).external == ExternalSet(addresses: .all), "a source is addresses only")
        #expect(try endpoints("stripe", source: true).external.dns.isEmpty, "a network as a source stands for its addresses")
    }

    @Test func addressesAndDNSNamesAreSidesToo() throws {
        #expect(try endpoints("203.0.113.9").external.addresses.cidrs.map(\.description) == ["203.0.113.9/32"])
        #expect(try endpoints("10.0.0.0/8").external == ExternalSet(addresses: try #require(policy.networks.first).members.addresses))
        #expect(try endpoints("2001:db8::1").workloads.isEmpty)
        let dns = try endpoints("dns:API.stripe.com", source: false)
        #expect(dns.external.dns == DNSNames(["api.stripe.com"]), "names are normalized as in a network entry")
    }

    @Test func badSidesSayWhyInTheFrontEndsWords() {
        #expect(problem { try endpoints("wbe") } == "'wbe' is not a workload, segment, network or address of policy 'q'; did you mean 'web'?")
        #expect(problem { try endpoints("segment:web") } == "'web' is a workload, not a segment; write 'workload:web'")
        #expect(problem { try endpoints("network:crop") } == "unknown network 'crop'; did you mean 'corp'?")
        #expect(problem { try endpoints("wokrload:web") } == "unknown reference kind 'wokrload:' in 'wokrload:web'; did you mean 'workload'?")
        #expect(
            problem { try endpoints("10.1.2.3/8") }
                == "'10.1.2.3/8' has host bits set; write '10.0.0.0/8' for the network, or '10.1.2.3/32' for the single address")
        #expect(problem { try endpoints("10.0.0.300") }?.hasPrefix("'10.0.0.300' is not a valid address or CIDR: ") == true)
        #expect(problem { try endpoints("dns:api.stripe.com", source: true) } == "'dns:api.stripe.com': dns: names are destinations only")
        #expect(problem { try endpoints("dns:*.stripe.com", source: false) } == "wildcard DNS names are not supported in version 1")
        #expect(problem { try endpoints("dns:localhost", source: false) } == "'localhost' is not a fully qualified DNS name")
        #expect(problem { try endpoints("") } == "'' is not a workload, segment, network or address of policy 'q'")
    }

    @Test func anImpliedSegmentIsNamedWithItsKind() throws {
        let implied = try #require(compileSpec("version: 1\nname: storefront\nworkloads:\n  a: {image: nginx:1.25}\n").policy)
        let segment = try #require(implied.segments.first)
        #expect(segment.implied)
        #expect(try SpecQuery.endpoints("segment:\(segment.name)", in: implied, source: true).workloads == segment.workloads)
        #expect(
            problem { try SpecQuery.endpoints(segment.name, in: implied, source: true) }
                == "'\(segment.name)' is not a workload, segment, network or address of policy 'storefront'; "
                + "the implied segment is referred to as 'segment:\(segment.name)'")
    }

    @Test func portEntriesAreTheSpecsPortEntries() throws {
        #expect(try SpecQuery.ports("tcp/443", in: policy) == PortSet(PortRange(.tcp, 443, 443)))
        #expect(try SpecQuery.ports("tcp/8000-8100", in: policy) == PortSet(PortRange(.tcp, 8000, 8100)))
        #expect(try SpecQuery.ports("udp", in: policy) == .whole(.udp))
        #expect(try SpecQuery.ports("icmp", in: policy) == .whole(.icmp))
        #expect(try SpecQuery.ports("all", in: policy) == .all)
        #expect(try SpecQuery.ports("web-ports", in: policy) == PortSet(PortRange(.tcp, 80, 80)).union(PortSet(PortRange(.tcp, 443, 443))))
    }

    @Test func badPortEntriesSayWhy() {
        func port(_ text: String) -> String? { problem { try SpecQuery.ports(text, in: policy) } }
        #expect(port("tcp/99999") == "ports are 1-65535; 'tcp/99999' is outside")
        #expect(port("tcp/10-5") == "range 'tcp/10-5' has LOW above HIGH; write 'tcp/5-10'")
        #expect(port("TCP/80") == "unknown protocol 'TCP' in 'TCP/80'; did you mean 'tcp'?")
        #expect(port("icmp/3") == "icmp has no ports; write 'icmp'")
        #expect(port("80") == "'80' has no protocol; write 'tcp/80' or 'udp/80'")
        #expect(port("web-port") == "unknown port set 'web-port'; did you mean 'web-ports'?")
        #expect(port("tcp/x") == "'tcp/x' is not PROTO/PORT or PROTO/LOW-HIGH")
        #expect(
            port("nothing-like-it")
                == "unknown port set 'nothing-like-it'; port entries are PROTO/PORT, PROTO/LOW-HIGH, tcp, udp, sctp, icmp, all, or a port set name")
    }
}
