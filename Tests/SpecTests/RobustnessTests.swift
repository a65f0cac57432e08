import Foundation
import Spec
import TestSupport
import Testing

/// No input crashes the compiler: every sample, mutated at random many times, compiles to a
/// policy or to located errors. A crash here takes the whole test run down, so it cannot pass
/// unnoticed.
@Suite struct RobustnessTests {
    static let samples = ["minimal.yaml", "shop.yaml", "payments.yaml", "no-segments.yaml"]

    static let fragments: [[UInt8]] =
        [
            "{", "}", "[", "]", ":", "- ", "&a ", "*a", "<<: ", "'", "\"", "\n", "\t", "#", "?", "!!str ", "%", "|\n", ">\n",
            "any", "all", "tcp/0", "10.0.0.0/33", "::", "dns:", "segment:", "\u{0}", "\u{FF}", "yes", "~", "0x1F", "-1",
            "\n  ", "\n    - ", "version: 2\n",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]

    @Test(arguments: samples)
    func mutatedSamplesNeverCrash(sample: String) throws {
        let original = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent("samples/\(sample)")))
        var rng = SeededGenerator(seed: UInt64(sample.utf8.count))
        var rejected = 0
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.insert(contentsOf: Self.fragments.randomElement(using: &rng)!, at: position)
                case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...40, using: &rng)))
                default:
                    let start = Int.random(in: 0..<max(1, bytes.count), using: &rng)
                    let chunk = Array(bytes[start..<min(bytes.count, start + 60)])
                    bytes.insert(contentsOf: chunk, at: position)
                }
            }
            let output = SpecCompiler.compile(path: sample, fileSystem: InMemoryFileSystem(bytes: [sample: bytes]))
            if output.policy == nil {
                rejected += 1
                #expect(output.hasErrors)
                // Every error but an unreadable file points into the source.
                #expect(output.diagnostics.allSatisfy { $0.range != nil })
            }
        }
        #expect(rejected > 50, "mutations should mostly break the spec")
    }
}
