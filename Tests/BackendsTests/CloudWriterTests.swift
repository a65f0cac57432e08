import IR
import TestSupport
import Testing
import YAML

@testable import Backends

/// The cloud targets' writers that join values written once against the generic path that
/// builds each document's tree and writes it whole: the same bytes.
@Suite struct CloudWriterTests {
    /// AWS templates joined from resources written once are the trees' bytes, in one template
    /// and in numbered ones (300 identities need four).
    @Test func awsTemplatesAreTheTreesBytes() throws {
        var policies = try backendSamples.map { try samplePolicy($0) }
        policies.append(try AWSTests.chain(300))
        for policy in policies {
            for gaps in [GapPolicy.widen, .narrow] {
                let emitter = AWSEmitter(plan: try AWSPlan(policy: policy, options: AWSOptions.parse(options(.aws, gaps)).options))
                #expect(emitter.templates() == emitter.treeTemplates(), "\(policy.name) \(gaps)")
            }
        }
        try forRandomSpecs(seed: 29, count: 30) { policy, gaps in
            let emitter = AWSEmitter(plan: try AWSPlan(policy: policy, options: AWSOptions.parse(options(.aws, gaps)).options))
            #expect(emitter.templates() == emitter.treeTemplates())
        }
    }

    /// `WrittenEntry.scan`, eight bytes a step, counts newlines and finds backslashes and bytes
    /// beyond ASCII as a byte-by-byte count does: every byte in every position of words and
    /// tails, and random byte strings dense in newlines and near misses.
    @Test func writtenEntryScanIsTheByteByByteCount() {
        func check(_ bytes: [UInt8]) {
            let scanned = bytes.withUnsafeBufferPointer(AWSEmitter.WrittenEntry.scan)
            #expect(scanned.newlines == bytes.filter { $0 == UInt8(ascii: "\n") }.count, "\(bytes)")
            #expect(scanned.escaped == bytes.contains { $0 == UInt8(ascii: "\\") || $0 >= 0x80 }, "\(bytes)")
        }
        for length in 0...20 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: UInt8(ascii: " "), count: length)
                    if position < length { bytes[position] = byte }
                    check(bytes)
                }
            }
        }
        var rng = SeededGenerator(seed: 37)
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0B, 0x0D, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0x8A, 0xDC, 0xFF, 0x20, 0x22]
        for _ in 0..<5000 {
            check((0..<Int.random(in: 0...64, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 0 })
        }
    }

    /// A resource's size taken from its written bytes is `jsonSize` of its value, for values
    /// with strings that need escapes or are beyond ASCII too; the values written at an indent
    /// and joined by `appendObject` are what `JSONWriter.write` gives the whole object.
    @Test func writtenEntriesMeasureAndJoinAsTheWriterWrites() {
        var rng = SeededGenerator(seed: 31)
        let words = ["", "a", "SgWeb", "tcp", "a \"quoted\" word", "back\\slash", "line\nbreak", "tab\t", "\u{7F}", "é", "日本", "\u{2028}", "0.0.0.0/0"]
        func value(_ depth: Int) -> StructuredValue {
            switch Int.random(in: 0..<(depth > 3 ? 3 : 6), using: &rng) {
            case 0: return .string(words.randomElement(using: &rng) ?? "")
            case 1: return .int(Int.random(in: -70_000...70_000, using: &rng))
            case 2: return Bool.random(using: &rng) ? .bool(true) : .null
            case 3: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in value(depth + 1) })
            default:
                return .object(
                    (0..<Int.random(in: 0..<4, using: &rng)).map { index in .init((words.randomElement(using: &rng) ?? "") + "\(index)", value(depth + 1)) })
            }
        }
        for _ in 0..<500 {
            let entries = (0..<Int.random(in: 0..<4, using: &rng)).map { index in StructuredValue.Entry("k\(index)", value(0)) }
            let written = entries.map(AWSEmitter.WrittenEntry.init)
            for (entry, item) in zip(entries, written) { #expect(item.size == jsonSize(entry.value)) }
            var inner: [UInt8] = []
            JSONWriter.appendObject(written.map { ($0.key, $0.value) }, at: 2, to: &inner)
            var out: [UInt8] = []
            JSONWriter.appendObject([("Resources", inner)], at: 0, to: &out)
            out.append(UInt8(ascii: "\n"))
            #expect(String(decoding: out, as: UTF8.self) == JSONWriter.write(.object([.init("Resources", .object(entries))])))
        }
    }
}

extension CloudWriterTests {
    /// GCP's rules written one by one are the bytes of the file's tree.
    @Test func gcpRulesAreTheTreesBytes() throws {
        for sample in backendSamples {
            for gaps in [GapPolicy.widen, .narrow] {
                let emitter = GCPEmitter(plan: try GCPPlan(policy: try samplePolicy(sample), options: GCPOptions.parse(options(.gcp, gaps)).options))
                #expect(emitter.file() == emitter.treeFile(), "\(sample) \(gaps)")
            }
        }
        try forRandomSpecs(seed: 37, count: 30) { policy, gaps in
            let emitter = GCPEmitter(plan: try GCPPlan(policy: policy, options: GCPOptions.parse(options(.gcp, gaps)).options))
            #expect(emitter.file() == emitter.treeFile())
        }
    }

    /// The object writer gives `JSONWriter.write`'s bytes for objects of strings, numbers,
    /// string lists (empty ones too) and nested values.
    @Test func objectWriterWritesAsTheWriter() {
        let lists: [[String]] = [[], ["a"], ["10.0.0.0/8", "a \"b\"", "é"]]
        for list in lists {
            for indent in [0, 2, 6] {
                var writer = JSONWriter.ObjectWriter(at: indent)
                writer.string("name", "x\ny")
                writer.int("priority", -65535)
                writer.strings("ranges", list)
                writer.value("nested", .object([.init("a", .array([.int(1), .object([])]))]))
                var inner: [UInt8] = []
                JSONWriter.append(.array(list.map { .string($0) }), at: indent + 2, to: &inner)
                writer.written("again", inner)
                let tree: StructuredValue = .object([
                    .init("name", "x\ny"), .init("priority", .int(-65535)), .init("ranges", .array(list.map { .string($0) })),
                    .init("nested", .object([.init("a", .array([.int(1), .object([])]))])), .init("again", .array(list.map { .string($0) })),
                ])
                var expected: [UInt8] = []
                JSONWriter.append(tree, at: indent, to: &expected)
                #expect(writer.finished() == expected)
            }
            #expect(JSONWriter.ObjectWriter(at: 4).finished() == Array("{}".utf8))
            var items: [UInt8] = []
            JSONWriter.appendArray(list.map { Array("\"\($0)\"".utf8) }, at: 2, to: &items)
            var expected: [UInt8] = []
            JSONWriter.append(.array(list.map { .string($0) }), at: 2, to: &expected)
            if !list.contains(where: { $0.contains("\"") }) { #expect(items == expected) }
        }
    }
}

extension CloudWriterTests {
    /// GCP's `allowed` entries taken from one pass over a port set's ranges, against the form
    /// that listed the set's protocols and filtered its ranges once per protocol.
    @Test func gcpMatchesFromOneRunPerProtocol() {
        func reference(_ ports: PortSet) -> [GCPPlan.Rule.Match] {
            var result: [GCPPlan.Rule.Match] = []
            for proto in ports.protocols {
                let ranges = ports.ranges.filter { $0.proto == proto }
                switch proto {
                case .icmp:
                    result.append(GCPPlan.Rule.Match(proto: .icmp))
                    result.append(GCPPlan.Rule.Match(proto: .icmpv6))
                case .tcp, .udp, .sctp:
                    let whole = ranges.count == 1 && ranges[0].isWholeProtocol
                    let texts = whole ? [] : ranges.map { $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" }
                    result.append(GCPPlan.Rule.Match(proto: GCPPlan.Rule.IPProtocol(name: proto.description), ports: texts))
                }
            }
            return result
        }
        for ports in samplePortSets(whole: .udp, seed: 53) { #expect(GCPPlan.matches(ports) == reference(ports), "\(ports)") }
    }
}
