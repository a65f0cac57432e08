import IR
import Spec
import TestSupport
import Testing

/// A flow naming one port entry takes that entry's ports as they are, without the union the
/// flows naming several go through; both must give the same ports for the same entries.
@Suite struct FlowPortsFastPathTests {
    static let entries = ["tcp", "udp", "sctp/9", "udp/53", "tcp/80", "tcp/8000-8100", "all", "icmp", "web-ports", "tcp/1-65535"]

    /// The ports of each flow of a spec whose flows name these port lists (deny flows: no
    /// listen check), or nil with the errors recorded.
    static func flowPorts(_ lists: [[String]], sourceLocation: SourceLocation = #_sourceLocation) -> [PortSet]? {
        let flows = lists.map { "  - {from: web, to: db, action: deny, ports: [\($0.joined(separator: ", "))]}" }
        let text = """
            version: 1
            name: t
            ports:
              web-ports: [tcp/80, tcp/443]
            workloads:
              web: {image: nginx:1.25}
              db: {image: postgres:16}
            flows:

            """ + flows.joined(separator: "\n") + "\n"
        let output = compileSpec(text)
        #expect(!output.hasErrors, "\(output.diagnostics.map(\.message))", sourceLocation: sourceLocation)
        return output.policy?.flows.map(\.ports)
    }

    @Test func oneEntryGivesWhatTheUnionOfItWithItselfGives() throws {
        let lists = Self.entries.flatMap { [[$0], [$0, $0]] }
        let ports = try #require(Self.flowPorts(lists))
        for index in stride(from: 0, to: ports.count, by: 2) {
            #expect(ports[index] == ports[index + 1], "\(lists[index])")
            #expect(!ports[index].isEmpty, "\(lists[index])")
        }
    }

    @Test func randomPairsGiveTheUnionOfTheirSingleEntries() throws {
        var rng = SeededGenerator(seed: 53)
        var lists: [[String]] = []
        for _ in 0..<100 {
            let first = Self.entries.randomElement(using: &rng)!
            let second = Self.entries.randomElement(using: &rng)!
            lists += [[first], [second], [first, second]]
        }
        let ports = try #require(Self.flowPorts(lists))
        for index in stride(from: 0, to: ports.count, by: 3) {
            #expect(ports[index + 2] == PortSet(unionOf: [ports[index], ports[index + 1]]), "\(lists[index + 2])")
        }
    }
}

/// A flow side naming one workload takes that workload alone, without the general loop over
/// references; it must give what the loop gives for the same workload named twice.
@Suite struct FlowSideFastPathTests {
    @Test func oneWorkloadGivesWhatTheGeneralLoopGives() throws {
        let text = """
            version: 1
            name: t
            networks:
              office: [10.0.0.0/8]
            segments:
              front: {}
            workloads:
              web: {image: nginx:1.25, segment: front, ports: [tcp/80]}
              db: {image: postgres:16, segment: front, ports: [tcp/5432]}
            flows:
              - {from: web, to: db, ports: [tcp/5432]}
              - {from: [web, web], to: [db, db], ports: [tcp/5432]}
              - {from: workload:web, to: workload:db, ports: [tcp/5432]}
              - {from: [workload:web, workload:web], to: [workload:db, db], ports: [tcp/5432]}
              - {from: office, to: web, ports: [tcp/80]}
              - {from: [office], to: [web, web], ports: [tcp/80]}

            """
        let output = compileSpec(text)
        #expect(!output.hasErrors, "\(output.diagnostics.map(\.message))")
        let flows = try #require(output.policy?.flows)
        try #require(flows.count == 6)
        for index in stride(from: 0, to: 6, by: 2) {
            #expect(flows[index].sources == flows[index + 1].sources)
            #expect(flows[index].destinations == flows[index + 1].destinations)
            #expect(flows[index].sources.workloads.count + flows[index].destinations.workloads.count >= 1)
        }
        #expect(flows[0].sources == flows[2].sources)
        #expect(flows[0].destinations == flows[2].destinations)
    }

    @Test func aWrongKindOrUnknownNameIsStillReported() {
        let output = compileSpec(
            "version: 1\nname: t\nsegments:\n  front: {}\nworkloads:\n  web: {image: nginx:1.25, segment: front, ports: [tcp/80]}\n"
                + "flows:\n  - {from: workload:front, to: web, ports: [tcp/80]}\n  - {from: wbe, to: web, ports: [tcp/80]}\n")
        #expect(output.diagnostics.map(\.code) == [.wrongReferenceKind, .unknownReference])
    }
}
