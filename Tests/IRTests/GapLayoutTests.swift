import Diagnostics
import Testing

@testable import IR

/// A gap holds its connection (or two names) boxed, so that the lists of gaps a large spec makes
/// stay small; what goes in comes out, and boxed subjects compare and hash by value.
@Suite struct GapLayoutTests {
    static let origin = SourceRange(
        file: "spec.yaml", start: SourcePosition(line: 3, column: 5, offset: 40), end: SourcePosition(line: 3, column: 9, offset: 44))

    static func connectionGap(_ ports: PortSet) -> Gap {
        Gap(
            kind: .widened, capability: .portFiltering, target: .aws,
            subject: .connection(Connection(.workloads(named: ["a", "b"]), .workload("c"), ports: ports)), reason: "shares a group", origin: origin)
    }

    @Test func aGapIsAtMost104Bytes() {
        // Inline, a connection made a gap 160 bytes; boxed, the largest inline subject is a
        // runtime key's workload name.
        #expect(MemoryLayout<Gap>.size <= 104)
        #expect(MemoryLayout<Gap.Subject>.size <= 24)
    }

    @Test func boxedSubjectsKeepTheirValuesAndCompareByValue() {
        let ports = PortSet([PortRange(.tcp, 80, 80), PortRange(.udp, 53, 53)])
        let gap = Self.connectionGap(ports)
        guard case .connection(let connection) = gap.subject else {
            Issue.record("not a connection")
            return
        }
        #expect(connection.ports == ports)
        #expect(connection.destination == .workload("c"))
        // Two gaps made apart (two boxes) are equal and hash alike; other ports are not equal.
        let again = Self.connectionGap(ports)
        #expect(gap == again)
        #expect(Set([gap, again]).count == 1)
        #expect(gap != Self.connectionGap(PortSet([PortRange(.tcp, 80, 80)])))
        // A copy changed in place leaves the original as it was.
        var changed = gap
        changed.subject = .connection(Connection(.workload("x"), .workload("y"), ports: ports))
        #expect(gap == again)
        #expect(changed != gap)
        let grant = Gap.Subject.grant(identity: "api", role: "reader")
        #expect(grant == .grant(identity: "api", role: "reader"))
        #expect(grant != .grant(identity: "api", role: "writer"))
    }
}
