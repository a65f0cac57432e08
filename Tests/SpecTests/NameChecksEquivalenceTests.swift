import Diagnostics
import IR
import TestSupport
import Testing
import YAML

@testable import Spec

/// The resolve pass checks reserved names by asking each kind's definitions for `any` and
/// `all`, and shared names by looking segment and network names up among the other kinds,
/// instead of gathering every name; the decoder notes the definitions that do not decode as it
/// reads them, instead of comparing each section with what decoded afterwards. On random specs
/// each must report what the gathering it replaced reports (computed here, as it was).
@Suite struct NameChecksEquivalenceTests {
    /// Names drawn for every kind: some shared, some reserved, one a protocol, one invalid.
    static let pool = ["a", "b", "c", "d", "any", "all", "tcp", "Bad_Name"]

    /// The definitions of one kind: its section, the body each is given, and the kind's word.
    static let kinds: [(section: String, body: String, kind: String)] = [
        ("workloads", "{image: nginx:1.25}", "workload"), ("segments", "{}", "segment"), ("networks", "[10.0.0.0/8]", "network"),
        ("ports", "[tcp/80]", "port set"), ("identities", "{}", "identity"), ("roles", "[view]", "role"), ("secrets", "{}", "secret"),
    ]

    /// A random spec, and where each definition's name is: kind, name and line.
    static func randomSpec(_ generator: inout some RandomNumberGenerator) -> (text: String, definitions: [(kind: String, name: String, line: Int)]) {
        var lines = ["version: 1", "name: t"]
        var definitions: [(kind: String, name: String, line: Int)] = []
        for kind in kinds {
            let names = pool.filter { _ in Bool.random(using: &generator) }
            guard !names.isEmpty else { continue }
            lines.append("\(kind.section):")
            for name in names.shuffled(using: &generator) {
                // A body that does not decode, now and then: its name is then an invalid definition.
                let body = Int.random(in: 0..<6, using: &generator) == 0 ? "7" : kind.body
                lines.append("  \(name): \(body)")
                definitions.append((kind.kind, name, lines.count))
            }
        }
        return (lines.joined(separator: "\n") + "\n", definitions)
    }

    /// What the gathering of every name reported: reserved names, protocol-named port sets, and
    /// every definition after the first (by place) of a name that workloads, segments and
    /// networks share, as `message @ line`, sorted.
    static func expected(_ definitions: [(kind: String, name: String, line: Int)], decoded: Set<String>) -> [String] {
        // Only definitions that decoded, with a valid name, take part.
        let kept = definitions.filter { decoded.contains("\($0.kind):\($0.name)") }
        var result: [String] = []
        for definition in kept where definition.name == "any" || definition.name == "all" {
            result.append("'\(definition.name)' is reserved and cannot name a \(definition.kind) @ \(definition.line)")
        }
        for definition in kept where definition.kind == "port set" && TransportProtocol(name: definition.name) != nil {
            result.append("'\(definition.name)' is a protocol and cannot name a port set @ \(definition.line)")
        }
        let shared = kept.filter { ["workload", "segment", "network"].contains($0.kind) }
        for name in Set(shared.map(\.name)) {
            let entries = shared.filter { $0.name == name }.sorted { $0.line < $1.line }
            for entry in entries.dropFirst() {
                result.append("\(entry.kind) '\(name)' has the name of \(entries[0].kind) '\(name)' @ \(entry.line)")
            }
        }
        return result.sorted()
    }

    @Test func reservedAndSharedNamesAsTheGatheringReportedThem() {
        var generator = SeededGenerator(seed: 15)
        for _ in 0..<300 {
            let (text, definitions) = Self.randomSpec(&generator)
            let output = compileSpec(text)
            let reported = output.diagnostics.filter { [.reservedName, .nameCollision].contains($0.code) }
                .map { "\($0.message) @ \($0.range?.start.line ?? 0)" }.sorted()
            // The definitions that decoded: those the decoder did not note as invalid (a valid
            // name and body), by kind.
            guard let root = YAMLLoader.load(text: text, file: "spec.yaml").root else {
                Issue.record("no root for \(text)")
                continue
            }
            var decoder = Decoder()
            let file = decoder.specFile(root, path: "spec.yaml", included: false)
            let decoded = Set(
                file.networks.map { "network:\($0.name.value)" } + file.ports.map { "port set:\($0.name.value)" }
                    + file.segments.map { "segment:\($0.name.value)" } + file.identities.map { "identity:\($0.name.value)" }
                    + file.roles.map { "role:\($0.name.value)" } + file.secrets.map { "secret:\($0.name.value)" }
                    + file.workloads.map { "workload:\($0.name.value)" })
            #expect(reported == Self.expected(definitions, decoded: decoded), "\(text)")
        }
    }

    @Test func invalidDefinitionsAsTheSectionsComparedWithWhatDecoded() {
        var generator = SeededGenerator(seed: 16)
        for _ in 0..<300 {
            let (text, _) = Self.randomSpec(&generator)
            guard let root = YAMLLoader.load(text: text, file: "spec.yaml").root else {
                Issue.record("no root for \(text)")
                continue
            }
            var decoder = Decoder()
            let file = decoder.specFile(root, path: "spec.yaml", included: false)
            // As the decoder found them before: each section's keys that no decoded definition has.
            let decoded: [String: Set<String>] = [
                "networks": Set(file.networks.map(\.name.value)), "ports": Set(file.ports.map(\.name.value)),
                "segments": Set(file.segments.map(\.name.value)), "identities": Set(file.identities.map(\.name.value)),
                "roles": Set(file.roles.map(\.name.value)), "secrets": Set(file.secrets.map(\.name.value)),
                "workloads": Set(file.workloads.map(\.name.value)),
            ]
            var invalid: Set<String> = []
            guard case .mapping(let sections) = root.content else { continue }
            for section in sections {
                guard let names = decoded[section.name], case .mapping(let pairs) = section.value.content else { continue }
                for pair in pairs where !pair.name.isEmpty && !names.contains(pair.name) { invalid.insert(pair.name) }
            }
            #expect(file.invalidDefinitions == invalid, "\(text)")
        }
    }
}
