import Diagnostics
import IR
import Spec
import TestSupport
import Testing

/// Entries that specs repeat many times (port entries, segment keys) are parsed once and
/// remembered; every occurrence still gets its own location and its own error.
@Suite struct RepeatedEntryTests {
    func errors(_ text: String) -> [(code: String, line: Int)] {
        compileSpec(text).diagnostics.filter { $0.severity == .error }.map { ($0.code.rawValue, $0.range?.start.line ?? 0) }
            .sorted { ($0.line, $0.code) < ($1.line, $1.code) }
    }

    @Test func aBadPortEntryIsReportedAtEveryOccurrence() {
        let text = """
            version: 1
            name: t
            workloads:
              a: {image: nginx:1.25, ports: [tcp/99999]}
              b: {image: nginx:1.25, ports: [tcp/99999, tcp/80]}
            flows:
              - {from: a, to: b, ports: [tcp/99999]}

            """
        let found = errors(text)
        #expect(found.map(\.code) == ["E304", "E304", "E304"])
        #expect(found.map(\.line) == [4, 5, 7])
    }

    @Test func aQuotedNumberIsANameAndAPlainOneHasNoProtocol() {
        // `"8080"` names a port set (unknown here); a plain 8080 after it is still refused as a number.
        let text = """
            version: 1
            name: t
            workloads:
              a: {image: nginx:1.25, ports: [tcp/8080]}
              b: {image: nginx:1.25, ports: [tcp/8080]}
            flows:
              - {from: a, to: b, ports: ["8080"]}
              - {from: a, to: b, ports: [8080]}

            """
        let found = errors(text)
        #expect(found.map(\.code) == ["E205", "E303"])
        #expect(found.map(\.line) == [7, 8])
    }

    @Test func repeatedEntriesKeepTheirOwnPlaces() throws {
        let text = """
            version: 1
            name: t
            workloads:
              a: {image: nginx:1.25, ports: [tcp/5432]}
              b: {image: nginx:1.25, ports: [tcp/5432, udp/53]}
            flows:
              - {from: a, to: b, ports: [tcp/5432, udp/53]}
              - {from: b, to: a, ports: [tcp/5432]}
              - {from: a, to: b, ports: [tcp/5432, udp/53]}

            """
        let output = compileSpec(text)
        let policy = try #require(output.policy)
        #expect(policy.flows.map(\.origin.start.line) == [7, 8, 9])
        #expect(policy.flows.map { $0.ports.description } == ["tcp/5432, udp/53", "tcp/5432", "tcp/5432, udp/53"])
    }

    @Test func aMisspelledSegmentIsReportedOnceInEveryWorkload() {
        let text = """
            version: 1
            name: t
            segments: {s: {}}
            workloads:
              a: {segmnt: s, image: nginx:1.25}
              b: {segmnt: s, image: nginx:1.25}
              c: {image: nginx:1.25}

            """
        let found = errors(text)
        #expect(found.map(\.code) == ["E101", "E101", "E208"])
        #expect(found.map(\.line) == [5, 6, 7])
    }
}
