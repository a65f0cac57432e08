import Diagnostics
import TestSupport
import Testing

@testable import Spec

/// A flow's side keeps the workloads it names directly apart from those its segments add
/// (one array until a segment adds some): only the direct ones must listen on an allowed
/// port, in every order of names and segments.
@Suite struct DirectWorkloadTests {
    @Test func onlyDirectlyNamedWorkloadsMustListen() {
        let text = """
            version: 1
            name: t
            segments: {s: {}, t: {}}
            workloads:
              a: {segment: s, image: nginx:1.25, ports: [tcp/80]}
              b: {segment: s, image: nginx:1.25, ports: [tcp/80]}
              c: {segment: t, image: nginx:1.25, ports: [tcp/80]}
            flows:
              - {from: c, to: [a, segment:t, b], ports: [tcp/443]}
              - {from: c, to: [segment:s, c], ports: [tcp/443]}
              - {from: c, to: [b, a], ports: [tcp/443]}
              - {from: c, to: [t, a], ports: [tcp/443]}
              - {from: a, to: [segment:t], ports: [tcp/443]}

            """
        let found = compileSpec(text).diagnostics.filter { $0.code == .portNotListened }
            .map { (line: $0.range?.start.line ?? 0, message: $0.message) }.sorted { ($0.line, $0.message) < ($1.line, $1.message) }
            .map { "\($0.line) \($0.message)" }
        #expect(
            found == [
                "9 workload 'a' does not listen on tcp/443", "9 workload 'b' does not listen on tcp/443",
                "10 workload 'c' does not listen on tcp/443",
                "11 workload 'a' does not listen on tcp/443", "11 workload 'b' does not listen on tcp/443",
                "12 workload 'a' does not listen on tcp/443",
            ])
    }
}
