import Diagnostics
import Foundation
import TestSupport
import Testing
import YAML

@testable import Spec

/// Flows and workloads of known keys only are read in one pass over their pairs
/// (`FlowKeys(direct:)`, `WorkloadKeys(direct:)`), not through `Decoder.fields`: on the
/// samples, the bad inputs and random flows and workloads, both readings must decode the same
/// flows and workloads and report the same diagnostics, in the same order.
@Suite struct DirectReadingTests {
    /// The flows, workloads and diagnostics of one file, read directly or through `fields`.
    /// Each flow, each workload and each diagnostic as a line, and whether the flows are complete.
    static func decode(_ bytes: [UInt8], direct: Bool) -> [String] {
        let loaded = YAMLLoader.load(bytes: bytes, file: "spec.yaml")
        guard let root = loaded.root else { return ["no root: \(loaded.diagnostics)"] }
        var decoder = Decoder()
        decoder.readsDirectly = direct
        let file = decoder.specFile(root, path: "spec.yaml", included: false)
        // A runtime profile's origins are a dictionary, printed in no fixed order: they are
        // printed sorted, after the rest of the workload.
        let workloads = file.workloads.map { definition in
            var plain = definition
            plain.body.runtime.origins = [:]
            return "\(plain) \(definition.body.runtime.origins.sorted { $0.key < $1.key })"
        }
        // A flow with the references and port entries its ranges point at.
        let flows = file.flows.map { flow in
            "\(flow) \(file.flowReferences[flow.from]) \(file.flowReferences[flow.to]) \(file.flowPorts[flow.ports])"
        }
        return flows + ["\(file.flowsIncomplete)"] + workloads + decoder.diagnostics.map { "\($0)" }
    }

    static func check(_ bytes: [UInt8], _ label: String) {
        let direct = decode(bytes, direct: true)
        let general = decode(bytes, direct: false)
        #expect(direct.count == general.count, "\(label)")
        if let index = zip(direct, general).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(label): line \(index) differs:\n\(direct[index])\n\(general[index])")
        }
    }

    static func contents(_ path: String) -> [UInt8] {
        (try? LocalFileSystem().read(repositoryRoot.appendingPathComponent(path).path)) ?? []
    }

    static var corpus: [String] {
        let folders = ["samples", "samples/apps", "samples/common", "Tests/SpecTests/BadInputs"]
        return folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent(folder).path)) ?? [])
                .filter { $0.hasSuffix(".yaml") }.map { "\(folder)/\($0)" }
        }.sorted()
    }

    @Test func theCorpusHasFlows() {
        #expect(Self.corpus.count > 50)
        let withFlows = Self.corpus.filter { path in
            Self.decode(Self.contents(path), direct: true).first?.hasPrefix("FlowSyntax(") == true
        }
        #expect(withFlows.count > 10)
    }

    static func node(_ text: String) throws -> YAMLNode { try #require(YAMLLoader.load(text: text, file: "f.yaml").root) }

    /// Which flows are read directly: known keys only, with `from`, `to` and `ports`.
    @Test func directReadingTakesCleanFlowsOnly() throws {
        func direct(_ text: String) throws -> Bool { FlowKeys(direct: try Self.node(text)) != nil }
        #expect(try direct("{from: a, to: b, ports: [tcp/80]}"))
        #expect(try direct("{name: f, description: d, action: deny, 'from': a, to: ~, ports: 80}"))
        #expect(try !direct("{from: a, to: b}"))
        #expect(try !direct("{from: a, to: b, ports: [tcp/80], port: [tcp/81]}"))
        #expect(try !direct("[from, to, ports]"))
    }

    /// Which workloads are read directly: known keys only, with `image`.
    @Test func directReadingTakesCleanWorkloadsOnly() throws {
        func direct(_ text: String) throws -> Bool { WorkloadKeys(direct: try Self.node(text)) != nil }
        #expect(try direct("{image: nginx:1.25}"))
        #expect(try direct("{segment: s, image: x, identity: i, replicas: 2, ports: [], secrets: [], runtime: {}, labels: {}, description: d}"))
        #expect(try !direct("{segment: s}"))
        #expect(try !direct("{image: x, segmnt: s}"))
        #expect(try !direct("image"))
    }

    @Test(arguments: corpus)
    func corpusFilesDecodeAlike(path: String) {
        let bytes = Self.contents(path)
        #expect(!bytes.isEmpty || path.hasSuffix("empty.yaml"), "\(path)")
        Self.check(bytes, path)
    }

    /// A random flow: mostly the six keys with good values, sometimes a key missing, unknown,
    /// misspelled or quoted, or a value of the wrong kind.
    static func randomFlow(_ rng: inout some RandomNumberGenerator) -> String {
        func pick(_ options: [String]) -> String { options.randomElement(using: &rng) ?? options[0] }
        let keys = ["from", "to", "ports", "action", "name", "description", "'from'", "\"to\"", "form", "port", "actions", "x"]
        let values = [
            "a", "b", "[a, b]", "any", "workload:a", "segment:s", "network:n", "dns:x.example.com", "[]", "~", "''", "{k: v}", "[tcp/80]",
            "[tcp/80, udp/53]", "[all]", "[80]", "tcp/80", "[tcp/99999]", "allow", "deny", "maybe", "flow-1", "Bad_Name", "\"text\"",
        ]
        var pairs: [String] = []
        var used: Set<String> = []
        for key in ["from", "to", "ports"] where Int.random(in: 0..<12, using: &rng) != 0 {
            pairs.append("\(key): \(pick(values))")
            used.insert(key)
        }
        for _ in 0..<Int.random(in: 0..<3, using: &rng) {
            let key = pick(keys)
            guard used.insert(key.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))).inserted else { continue }
            pairs.append("\(key): \(pick(values))")
        }
        pairs.shuffle(using: &rng)
        return Int.random(in: 0..<8, using: &rng) == 0 ? pick(values) : "{" + pairs.joined(separator: ", ") + "}"
    }

    /// A random workload, as `randomFlow` makes a flow.
    static func randomWorkload(_ rng: inout some RandomNumberGenerator) -> String {
        func pick(_ options: [String]) -> String { options.randomElement(using: &rng) ?? options[0] }
        let keys = [
            "segment", "identity", "replicas", "ports", "secrets", "runtime", "labels", "description", "'segment'", "segmnt", "segments", "port", "x",
        ]
        let values = [
            "s", "[s]", "i", "2", "-1", "two", "[tcp/80]", "[tcp/80, udp/53]", "[80]", "[all]", "[tcp]", "[db, db]", "[db]", "{}",
            "{read_only_root: true}", "{user: 0}", "{app: web}", "{Bad Key: v}", "~", "''", "text", "nginx:1.25", "Bad:Image",
        ]
        var pairs: [String] = []
        var used: Set<String> = []
        if Int.random(in: 0..<10, using: &rng) != 0 {
            pairs.append("image: \(pick(["nginx:1.25", "registry.example.com/a/b:1.0", "~", "[x]", "UPPER:1"]))")
            used.insert("image")
        }
        for _ in 0..<Int.random(in: 0..<6, using: &rng) {
            let key = pick(keys)
            guard used.insert(key.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))).inserted else { continue }
            pairs.append("\(key): \(pick(values))")
        }
        pairs.shuffle(using: &rng)
        return Int.random(in: 0..<10, using: &rng) == 0 ? pick(values) : "{" + pairs.joined(separator: ", ") + "}"
    }

    @Test(arguments: 0..<50)
    func randomFlowsAndWorkloadsDecodeAlike(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed))
        let workloads = (0..<10).map { "  w\($0): " + Self.randomWorkload(&rng) }
        let flows = (0..<20).map { _ in "  - " + Self.randomFlow(&rng) }
        let text = "version: 1\nname: t\nworkloads:\n" + workloads.joined(separator: "\n") + "\nflows:\n" + flows.joined(separator: "\n") + "\n"
        Self.check(Array(text.utf8), text)
    }
}
