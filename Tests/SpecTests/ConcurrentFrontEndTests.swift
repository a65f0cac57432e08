import Diagnostics
import IR
import TestSupport
import Testing
import YAML

@testable import Spec

/// A large file's flows are decoded and lowered in parts at once on the cores
/// (`Decoder.flowsPerPart`, `LowerPass.flowsPerPart`). Split into parts or not, a spec must
/// give the same workloads, segments, flows, intent and diagnostics, errors in any part and in
/// the workloads the flows name included.
@Suite struct ConcurrentFrontEndTests {
    /// A spec of 400 workloads in two segments and `flows` flows between the first 40, with
    /// errors spread over the workloads and the flows (so over every part). Workloads: an
    /// unknown segment, identity and secret, a listen port that is a whole protocol. Flows: a
    /// misspelled key, an unknown workload, a port not listened on, external peers on both
    /// sides, an unknown port set, a bad port entry, a flow without ports.
    static func spec(flows: Int) -> String {
        var lines = [
            "version: 1", "name: parts", "networks:", "  office: [10.1.0.0/16]", "  partner: [192.0.2.0/24]",
            "segments:", "  front: {}", "  back: {}", "workloads:",
        ]
        for index in 0..<400 {
            let segment = index < 20 || index >= 200 ? "front" : "back"
            let image = "image: \"registry.example.com/wl-\(index):1.0\""
            switch index {
            case 97: lines.append("  wl-\(index): {segment: nowhere, \(image), ports: [tcp/80]}")
            case 198: lines.append("  wl-\(index): {segment: \(segment), \(image), identity: ghost, ports: [tcp/80]}")
            case 299: lines.append("  wl-\(index): {segment: \(segment), \(image), secrets: [missing-secret], ports: [tcp/80]}")
            case 350: lines.append("  wl-\(index): {segment: \(segment), \(image), ports: [tcp], labels: {bad: listen}}")
            default: lines.append("  wl-\(index): {segment: \(segment), \(image), ports: [tcp/80, tcp/5432, udp/53]}")
            }
        }
        lines.append("flows:")
        for index in 0..<flows {
            let (from, to) = ("wl-\(index % 40)", "wl-\((index * 7 + 3) % 40)")
            switch index % 997 {
            case 11: lines.append("  - {from: \(from), to: \(to), ports: [tcp/80], colour: red}")
            case 222: lines.append("  - {from: wl-missing-\(index), to: \(to), ports: [tcp/80]}")
            case 433: lines.append("  - {from: \(from), to: \(to), ports: [tcp/9999]}")
            case 644: lines.append("  - {from: office, to: partner, ports: [tcp/80]}")
            case 500: lines.append("  - {from: \(from), to: \(to), ports: [no-such-set]}")
            case 855: lines.append("  - {from: \(from), to: \(to), ports: [tcp/99999]}")
            case 966: lines.append("  - {from: \(from), to: \(to)}")
            default:
                let ports = ["[tcp/80]", "[tcp/5432, udp/53]", "[tcp]", "[all]"][index % 4]
                let action = index % 13 == 0 ? ", action: deny" : ""
                let source = index % 29 == 0 ? "office" : index % 31 == 0 ? "segment:back" : from
                lines.append("  - {from: \(source), to: \(to), ports: \(ports)\(action)}")
            }
        }
        // An allow to the workload whose listen ports had an error: not checked again.
        lines.append("  - {name: to-bad-listener, from: wl-1, to: wl-350, ports: [tcp/80]}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The flows (with the references and ports they point at), whether they are complete and
    /// the diagnostics in report order, of `text` decoded with `flowsPerPart`.
    static func decoded(_ text: String, flowsPerPart: Int) throws -> [String] {
        let root = try #require(YAMLLoader.load(text: text, file: "spec.yaml").root)
        var decoder = Decoder()
        decoder.flowsPerPart = flowsPerPart
        let file = decoder.specFile(root, path: "spec.yaml", included: false)
        var bag = DiagnosticBag()
        bag.report(contentsOf: decoder.diagnostics)
        let flows = file.flows.map { flow in
            "\(flow) \(file.flowReferences[flow.from]) \(file.flowReferences[flow.to]) \(file.flowPorts[flow.ports])"
        }
        return flows + ["\(file.flowsIncomplete)", "\(file.workloads.count) workloads"] + bag.sorted.map { "\($0)" }
    }

    @Test(arguments: [4_096, 1_000, 100])
    func decodingInPartsGivesWhatOnePassGives(flowsPerPart: Int) throws {
        let text = Self.spec(flows: 10_000)
        let whole = try Self.decoded(text, flowsPerPart: .max)
        let parts = try Self.decoded(text, flowsPerPart: flowsPerPart)
        #expect(whole.count > 10_000)
        #expect(whole.contains { $0.contains("unknownKey") && $0.contains("colour") })
        #expect(parts.count == whole.count)
        if let index = zip(parts, whole).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("line \(index) differs:\n\(parts[index])\n\(whole[index])")
        }
    }

    /// The compiled spec (its flows and intent apart) and the diagnostics, with parts of at
    /// least `partMinimum` flows.
    static func compiled(_ text: String, partMinimum: Int) -> (policy: Policy?, flows: [Flow], intent: Relation?, diagnostics: [String]) {
        let output = SpecCompiler.compile(
            path: "spec.yaml", fileSystem: InMemoryFileSystem(["spec.yaml": text]), limits: YAMLLimits(), stopAfter: .lower,
            validateOptions: nil, flowsPerPart: partMinimum)
        return (output.policy, output.policy?.flows ?? [], output.policy?.intent, output.diagnostics.map { "\($0)" })
    }

    @Test(arguments: [4_096, 100])
    func loweringInPartsGivesWhatOnePassGives(partMinimum: Int) {
        // With errors: no policy, but every diagnostic of every part, once, in order.
        let broken = Self.spec(flows: 9_000)
        let wholeErrors = Self.compiled(broken, partMinimum: .max).diagnostics
        #expect(wholeErrors.contains { $0.contains("wl-missing-222") })
        #expect(wholeErrors.contains { $0.contains("does not listen on tcp/9999") })
        #expect(wholeErrors.contains { $0.contains("no-such-set") })
        for marker in ["nowhere", "ghost", "missing-secret", "invalidListenPort"] { #expect(wholeErrors.contains { $0.contains(marker) }, "\(marker)") }
        #expect(!wholeErrors.contains { $0.contains("wl-350") && $0.contains("does not listen") })
        #expect(Self.compiled(broken, partMinimum: partMinimum).diagnostics == wholeErrors)

        // Without errors: the same workloads, segments, flows (numbered in order) and intent.
        let markers = ["colour", "wl-missing", "tcp/9999", "partner", "no-such-set", "nowhere", "ghost", "missing-secret", "bad: listen", "to-bad-listener"]
        let clean = broken.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            (!line.hasPrefix("  - ") || line.contains("ports:")) && !markers.contains { line.contains($0) }
        }.joined(separator: "\n")
        let whole = Self.compiled(clean, partMinimum: .max)
        let parts = Self.compiled(clean, partMinimum: partMinimum)
        #expect(whole.diagnostics.isEmpty, "\(whole.diagnostics.prefix(3))")
        #expect(whole.flows.count > 8_000)
        #expect(whole.flows.map(\.index) == Array(0..<whole.flows.count))
        #expect(parts.flows == whole.flows)
        #expect(parts.intent == whole.intent)
        #expect(parts.diagnostics == whole.diagnostics)
        #expect(parts.policy?.workloads.count == 396)
        #expect(parts.policy?.workloads == whole.policy?.workloads)
        #expect(parts.policy?.segments == whole.policy?.segments)
    }
}
