import Foundation
import YAML

/// Problems the fuzz targets found (crashes, diagnostics in the wrong place) that are reported
/// but not fixed yet. A target skips the inputs that reach one, so that a run looks for new
/// problems rather than finding the same one again in its first seconds. Each has a regression
/// test in the main package, disabled until the fix lands; delete the entry with the fix.
/// `PALISADE_FUZZ_KNOWN=1` turns the skipping off, to check whether a fix holds.
///
/// An entry is a predicate on a fuzzed file's text, handed to the target that needs it (a
/// reader's `ReaderTarget(_:mainFile:knownIssue:)`, or a check in `SpecTarget`), with a comment
/// naming its regression test. Fixed so far: AWS rule ports, a lone carriage return, syntax
/// errors at the end of a file without a final newline; their inputs are seeds in
/// `Fuzz/Regressions/`.
public enum KnownIssues {
    /// False when `PALISADE_FUZZ_KNOWN=1`: every entry then lets every input through.
    public static let skipping = ProcessInfo.processInfo.environment["PALISADE_FUZZ_KNOWN"] != "1"

    /// GCP, Azure, Swarm, Mesos: a port below 0 or past `UInt32`, or a range that ends before it
    /// starts, traps in `PortSet` or `IntervalSet` instead of being rejected.
    /// `FuzzRegressionTests.portsOutOfRangeAreRejected` in Tests/BackendsTests.
    public static func portOutOfRange(_ text: String) -> Bool {
        // The spec limits, not the reader's: this check must stay cheap on an alias bomb, which
        // is the reader's to survive.
        // Fixed: the GCP, Azure, Swarm and Mesos readers reject such ports (a ReadFailure).
        guard skipping, false, let root = YAMLLoader.load(text: text, file: "input").root else { return false }
        var found = false
        visit(root) { pairs in
            for pair in pairs where portKeys.contains(pair.name) {
                let values: [YAMLNode] = if case .sequence(let items) = pair.value.content { items } else { [pair.value] }
                for value in values where badPort(value.scalar) { found = true }
            }
        }
        return found
    }

    /// The keys under which the readers take port numbers.
    static let portKeys: Set<String> = ["ports", "destinationPortRange", "destinationPortRanges", "published", "target", "hostPort"]

    /// A port (`443`), a range (`8000-8100`) or Swarm's short syntax (`8000-8100:80/tcp`) with a
    /// number outside 0...65535 or a range that ends before it starts.
    static func badPort(_ text: String?) -> Bool {
        guard var text else { return false }
        if let number = Int(text) { return !(0...65535).contains(number) }
        if let slash = text.firstIndex(of: "/") { text = String(text[..<slash]) }
        if let colon = text.firstIndex(of: ":") { text = String(text[..<colon]) }
        let parts = text.split(separator: "-")
        guard !parts.isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return false }
        let numbers = parts.map { Int($0) ?? Int.max }
        return numbers.contains { !(0...65535).contains($0) } || numbers.first! > numbers.last!
    }

    /// Calls `body` with the pairs of every mapping in the tree.
    static func visit(_ node: YAMLNode, _ body: ([YAMLPair]) -> Void) {
        switch node.content {
        case .scalar: break
        case .sequence(let items): for item in items { visit(item, body) }
        case .mapping(let pairs):
            body(pairs)
            for pair in pairs { visit(pair.value, body) }
        }
    }
}
