import TestSupport
import Testing
import YAML

@testable import Backends

/// An app's network elements made from one template are what `JSONWriter` lays out for each.
@Suite struct MesosNetworkEntriesTests {
    @Test func entriesAreWhatTheWriterWritesForEachName() {
        var random = SeededGenerator(seed: 11)
        let pieces = ["link-", "net-", "a", "z9", "-", "\"", "\\", "\n", "\t", "é", "日", "\u{1}", "\"\"", "/"]
        var names = ["", "\"\"", "container", "own-web"]
        for _ in 0..<300 { names.append((0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()) }
        let entries = MesosEmitter.networkEntries(names)
        for (name, entry) in zip(names, entries) {
            var written: [UInt8] = []
            JSONWriter.appendObject(keys: ["mode", "name"], at: 12, to: &written) { key, out in
                JSONWriter.appendQuoted(key == 0 ? "container" : name, to: &out)
            }
            #expect(entry == written, "\(name)")
        }
    }
}
