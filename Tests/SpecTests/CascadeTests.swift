import Diagnostics
import IR
import Spec
import TestSupport
import Testing

/// An error that invalidates a flow, a reference or a definition is reported once: what only
/// follows from it is not; an expectation that fails points at the flows that make it fail; an
/// address error says which rule the text breaks.
@Suite struct CascadeTests {
    static func diagnostics(_ text: String) -> [Diagnostic] {
        SpecCompiler.compile(path: "s.yaml", fileSystem: InMemoryFileSystem(["s.yaml": text])).diagnostics
    }

    static func codes(_ text: String) -> [String] {
        diagnostics(text).map { "\($0.code.rawValue)@\($0.range?.start.line ?? 0)" }
    }

    @Test func aBrokenPortEntryDoesNotAlsoFailTheExpectationThatReliedOnTheFlow() {
        let spec = """
            version: 1
            name: a
            workloads:
              web: {image: nginx:1.25, ports: [tcp/80]}
              api: {image: nginx:1.25, ports: [tcp/443]}
            flows:
              - {from: web, to: api, ports: [tcp:443]}
            expect:
              - {allow: {from: web, to: api, ports: [tcp/443]}}
            """
        #expect(Self.codes(spec) == ["E303@7"])
    }

    @Test func aMisspelledSegmentKeyIsOneError() {
        let spec = """
            version: 1
            name: a
            segments:
              front: {}
            workloads:
              web: {segmnet: front, image: nginx:1.25, ports: [tcp/80]}
            """
        let diagnostics = Self.diagnostics(spec)
        #expect(diagnostics.map(\.code) == [.unknownKey])
        #expect(diagnostics.first?.help == "did you mean 'segment'?")
    }

    @Test func aBrokenDefinitionIsStillAKnownName() {
        let spec = """
            version: 1
            name: a
            segments:
              front:
            workloads:
              web: {segment: front, image: nginx:1.25, ports: [tcp/80]}
            """
        #expect(Self.codes(spec) == ["E103@4"])
    }

    @Test func aFailedExpectationPointsAtTheFlowsThatMakeItFail() throws {
        let spec = """
            version: 1
            name: a
            workloads:
              web: {image: nginx:1.25, ports: [tcp/80]}
              api: {image: nginx:1.25, ports: [tcp/443]}
            flows:
              - {name: web-to-api, from: web, to: api, ports: [tcp/443]}
              - {name: no-web, action: deny, from: web, to: api, ports: [all]}
              - {name: api-to-web, from: api, to: web, ports: [tcp/80]}
            expect:
              - {allow: {from: web, to: api, ports: [tcp/443]}}
              - {deny: {from: api, to: web, ports: [all]}}
            """
        let diagnostics = Self.diagnostics(spec)
        #expect(diagnostics.map(\.code) == [.expectationFailed, .expectationFailed])
        #expect(diagnostics[0].notes.map(\.message) == ["denied by no-web"])
        #expect(diagnostics[0].notes.first?.range?.start.line == 8)
        #expect(diagnostics[1].notes.map(\.message) == ["allowed by api-to-web"])
        #expect(diagnostics[1].notes.first?.range?.start.line == 9)
    }

    @Test(arguments: [
        ("010.0.0.1", "'010' has a leading zero, which some tools read as octal; write 10"),
        ("10.0.0.256/32", "'256' is above 255"),
        ("10.0.0/8", "an IPv4 address has 4 parts, this has 3"),
        ("10..0.1", "an IPv4 address has no empty part"),
        ("10.0.0.0/33", "the prefix length 33 is above 32"),
        ("10.0.0.0/08", "the prefix length '08' has a leading zero"),
        ("2001:db8::/129", "the prefix length 129 is above 128"),
        ("corp.example", "not an IPv4 or IPv6 address"),
    ])
    func addressErrorsNameTheRuleBroken(text: String, reason: String) {
        guard case .invalid(let problem) = CIDR.parse(text) else {
            Issue.record("'\(text)' parsed")
            return
        }
        #expect(problem == reason)
    }
}

/// A network of many entries resolves to the normalized set of its addresses.
@Suite struct LargeNetworkTests {
    @Test func aNetworkOfTwentyFiveThousandAddressesIsNormalizedOnce() throws {
        let addresses = stride(from: 0, to: 50_000, by: 2).map { "10.\($0 / 65_536).\($0 / 256 % 256).\($0 % 256)" }
        let adjacent = ["192.0.2.0", "192.0.2.1", "192.0.2.2/31", "dns:a.example.com", "dns:A.example.com"]
        let spec = """
            version: 1
            name: big
            networks:
              n: [\((addresses + adjacent).joined(separator: ", "))]
            workloads:
              web: {image: nginx:1.25, ports: [tcp/80]}
            flows:
              - {from: web, to: n, ports: [tcp/443]}
            """
        let output = SpecCompiler.compile(path: "s.yaml", fileSystem: InMemoryFileSystem(["s.yaml": spec]))
        let policy = try #require(output.policy, "\(output.diagnostics.map(\.message))")
        let network = try #require(policy.networks.first { $0.name == "n" })
        #expect(network.members.addresses.v4.intervals.count == 25_001)
        #expect(network.members.addresses.v4.intervals.last == .init(0xC000_0200, 0xC000_0203))
        #expect(network.members.dns.sortedNames == ["a.example.com"])
    }
}
