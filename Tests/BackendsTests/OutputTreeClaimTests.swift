import Backends
import TestSupport
import Testing

/// A file `TARGET/POLICY/…` claims `TARGET/POLICY`, read from the path's first two components
/// without splitting it: the same claims as splitting it, for any path.
@Suite struct OutputTreeClaimTests {
    /// The claims by splitting the whole path, as adding a file made them before.
    static func splitClaims(_ paths: [String]) -> [String: Set<String>] {
        var claims: [String: Set<String>] = [:]
        for path in paths {
            let components = path.split(separator: "/", omittingEmptySubsequences: false)
            if components.count >= 3 { claims[String(components[0]), default: []].insert(String(components[1])) }
        }
        return claims
    }

    @Test func claimsAreThoseOfTheSplitPath() {
        let fixed = ["a", "a/b", "a/b/c", "a/b/", "a//c", "/a/b", "t/p/d/e.json", "nftables/bench/hosts/web-1.nft", "ç/é/ü", "x/y/z/"]
        var rng = SeededGenerator(seed: 5)
        let alphabet = Array("ab/é")
        let random = (0..<2000).map { _ in String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
        for paths in [fixed, random] {
            var tree = OutputTree()
            for path in paths { tree.add(path, "") }
            #expect(tree.policies == Self.splitClaims(paths))
        }
    }
}
