import Foundation

/// Problems the fuzz targets found (crashes, diagnostics in the wrong place) that are reported
/// but not fixed yet. A target skips the inputs that reach one, so that a run looks for new
/// problems rather than finding the same one again in its first seconds. Each has a regression
/// test in the main package, disabled until the fix lands; delete the entry with the fix.
/// `PALISADE_FUZZ_KNOWN=1` turns the skipping off, to check whether a fix holds.
///
/// An entry is a predicate on a fuzzed file's text, handed to the target that needs it (a
/// reader's `ReaderTarget(_:mainFile:knownIssue:)`, or a check in `SpecTarget`), with a comment
/// naming its regression test. Open: the Kubernetes and OpenShift readers' CEL `matches()` on a
/// backtracking regex engine (below). Fixed so far: the CEL evaluation without a cost limit, AWS rule ports, a lone
/// carriage return, syntax errors at the end of a file without a final newline, ports out of
/// range in the GCP, Azure, Swarm and Mesos readers; their inputs are seeds in `Fuzz/Regressions/`.
public enum KnownIssues {
    /// False when `PALISADE_FUZZ_KNOWN=1`: every entry then lets every input through.
    public static let skipping = ProcessInfo.processInfo.environment["PALISADE_FUZZ_KNOWN"] != "1"

    /// Kubernetes, OpenShift: CEL's `matches()` runs on ICU's backtracking regex engine
    /// (`NSRegularExpression`), where Kubernetes uses RE2's linear one, so a pattern such as
    /// `^(a|aa)+$` on forty `a`s and a `!` runs for minutes.
    /// `FuzzRegressionTests.kubernetesCELRegexRunsInLinearTime` in Tests/BackendsTests. True
    /// when a `matches('…')` pattern the generated files do not have (`known`) quantifies a group.
    public static func celBacktrackingRegex(_ text: String, known: Set<String>) -> Bool {
        guard skipping else { return false }
        var rest = Substring(text)
        while let start = rest.range(of: "matches(") {
            rest = rest[start.upperBound...]
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            let call = String(rest[..<end])
            if !known.contains(where: { call.hasPrefix($0) }), [")+", ")*", "){", ")?"].contains(where: { call.contains($0) }) { return true }
        }
        return false
    }

    /// The `matches(` arguments of `files`, up to the end of their line: the patterns the
    /// generated policies use, which `celBacktrackingRegex` lets through.
    public static func regexCalls(in contents: [String]) -> Set<String> {
        var result: Set<String> = []
        for text in contents {
            var rest = Substring(text)
            while let start = rest.range(of: "matches(") {
                rest = rest[start.upperBound...]
                guard let close = rest.range(of: "')") else { break }
                result.insert(String(rest[..<close.upperBound]))
            }
        }
        return result
    }
}
