import IR

/// GCP's per-rule limits, and the splitting that keeps every rule within them: a rule that
/// would hold too many ranges or ports becomes several rules whose union is exactly the
/// rule, each named after the rule and the part of the address or port space it holds.
/// Sources: see `targets/gcp/README.md` (Limits).
enum GCPRuleLimits {
    /// Source or destination ranges one rule holds. The quotas page states 5,000 today; 256
    /// was the limit before and is what other generators keep to: a rule within 256 fits both.
    static let ranges = 256
    /// Port strings (`443`, `8000-8010`) one rule holds, over all of its `allowed` or `denied`
    /// entries (a limit stated per rule; counting across entries fits a per-entry reading too).
    static let ports = 256
    /// Source, and target, service accounts one rule names.
    static let serviceAccounts = 10
    /// The characters of a rule's name.
    static let name = 63
    /// Priorities GCP takes.
    static let priorities = 0...65535

    /// Why a rule is not one GCP takes, by these limits; empty when it is.
    static func problems(_ rule: GCPPlan.Rule) -> [String] {
        var problems: [String] = []
        if rule.sourceRanges.count > ranges { problems.append("\(rule.sourceRanges.count) source ranges (at most \(ranges))") }
        if rule.destinationRanges.count > ranges { problems.append("\(rule.destinationRanges.count) destination ranges (at most \(ranges))") }
        let portCount = portStrings(rule.matches)
        if portCount > ports { problems.append("\(portCount) ports (at most \(ports))") }
        if rule.sourceServiceAccounts.count > serviceAccounts { problems.append("\(rule.sourceServiceAccounts.count) source service accounts") }
        if rule.targetServiceAccounts.count > serviceAccounts { problems.append("\(rule.targetServiceAccounts.count) target service accounts") }
        if !isDNSLabelLike(rule.name, 1...name) { problems.append("the name '\(rule.name)' is not 1-\(name) characters of RFC 1035") }
        if !priorities.contains(rule.priority) { problems.append("priority \(rule.priority) outside \(priorities)") }
        return problems
    }

    /// The port strings of a rule's entries.
    static func portStrings(_ matches: [GCPPlan.Rule.Match]) -> Int { matches.reduce(0) { $0 + $1.ports.count } }

    // MARK: Splitting

    /// Whether `split` leaves the rule whole: its ranges and port strings within the limits.
    static func withinSplitLimits(_ rule: GCPPlan.Rule) -> Bool {
        rule.sourceRanges.count <= ranges && rule.destinationRanges.count <= ranges && portStrings(rule.matches) <= ports
    }

    /// `rule` as rules within the limits, each with the suffix that names its part (empty for
    /// a rule that needed no split, which keeps its name): first by ranges, then by ports. The
    /// parts are a product, so every range of the rule meets every port of it exactly once.
    static func split(_ rule: GCPPlan.Rule) -> [(rule: GCPPlan.Rule, suffix: String)] {
        var byRanges: [(rule: GCPPlan.Rule, suffix: String)] = []
        let sources = rangeParts(rule.sourceRanges)
        let destinations = rangeParts(rule.destinationRanges)
        for source in sources {
            for destination in destinations {
                var part = rule
                part.sourceRanges = source.ranges
                part.destinationRanges = destination.ranges
                byRanges.append((part, joined(source.suffix, destination.suffix)))
            }
        }
        return byRanges.flatMap { item in
            portParts(item.rule.matches).map { ports in
                var part = item.rule
                part.matches = ports.matches
                return (part, joined(item.suffix, ports.suffix))
            }
        }
    }

    private static func joined(_ parts: String...) -> String { parts.filter { !$0.isEmpty }.joined(separator: "-") }

    /// Ranges in parts of at most `ranges`: all of them when they fit; else the family's
    /// address space halved until each half fits, a part named by the prefix that holds it
    /// (`10-128-0-0-9` for 10.128.0.0/9). A range joining a part changes only that part (or
    /// halves it when it no longer fits). The ranges are one family's, as GCP's rules are.
    static func rangeParts(_ texts: [String]) -> [(ranges: [String], suffix: String)] {
        guard texts.count > ranges else { return [(texts, "")] }
        var v4: [(UInt32, Int)] = []
        var v6: [(UInt128, Int)] = []
        for text in texts {
            switch CIDR.parse(text) {
            case .valid(.v4(let address, let prefix)): v4.append((address, prefix))
            case .valid(.v6(let address, let prefix)): v6.append((address, prefix))
            default: break
            }
        }
        var result: [(ranges: [String], suffix: String)] = []
        for block in bisect(v4.sorted { $0.0 < $1.0 }, limit: ranges) {
            result.append((block.items.map { CIDR.v4($0.0, prefix: $0.1).description }, slug(CIDR.v4(block.base, prefix: block.prefix))))
        }
        for block in bisect(v6.sorted { $0.0 < $1.0 }, limit: ranges) {
            result.append((block.items.map { CIDR.v6($0.0, prefix: $0.1).description }, slug(CIDR.v6(block.base, prefix: block.prefix))))
        }
        return result
    }

    /// `10.128.0.0/9` as `10-128-0-0-9`, `2001:db8::/32` as `2001-db8---32`.
    static func slug(_ cidr: CIDR) -> String {
        String(cidr.description.map { $0 == "." || $0 == ":" || $0 == "/" ? "-" : $0 })
    }

    /// Disjoint prefixes (sorted by address) grouped by the aligned blocks that halve the
    /// address space until each holds at most `limit`; a block holding one prefix at most is
    /// never halved, so a prefix is never cut.
    static func bisect<T: FixedWidthInteger & UnsignedInteger>(_ items: [(T, Int)], limit: Int) -> [(base: T, prefix: Int, items: [(T, Int)])] {
        var result: [(base: T, prefix: Int, items: [(T, Int)])] = []
        func visit(_ base: T, _ prefix: Int, _ slice: ArraySlice<(T, Int)>) {
            guard !slice.isEmpty else { return }
            guard slice.count > limit, prefix < T.bitWidth else {
                result.append((base, prefix, Array(slice)))
                return
            }
            let upperHalf = base | (T(1) << (T.bitWidth - prefix - 1))
            // The first item at or past the upper half; the items are disjoint and inside the block.
            var low = slice.startIndex
            var high = slice.endIndex
            while low < high {
                let middle = (low + high) / 2
                if slice[middle].0 < upperHalf { low = middle + 1 } else { high = middle }
            }
            visit(base, prefix + 1, slice[slice.startIndex..<low])
            visit(upperHalf, prefix + 1, slice[low..<slice.endIndex])
        }
        visit(0, 0, items[...])
        return result
    }

    /// Entries in parts of at most `ports` port strings: all of them when they fit; else one
    /// part per protocol (`tcp`, `udp`, `sctp`, `icmp` with ICMPv6, other protocols by name),
    /// and a protocol with too many halved over 0-65535 until each half fits, named by its
    /// block (`tcp-32768-65535`); a port range across a half is cut in two, the union the same.
    static func portParts(_ matches: [GCPPlan.Rule.Match]) -> [(matches: [GCPPlan.Rule.Match], suffix: String)] {
        guard portStrings(matches) > ports else { return [(matches, "")] }
        var byProtocol: [(name: String, matches: [GCPPlan.Rule.Match])] = []
        for match in matches {
            let name = match.proto == .icmpv6 ? GCPPlan.Rule.IPProtocol.icmp.name : match.proto.name
            if let index = byProtocol.firstIndex(where: { $0.name == name }) {
                byProtocol[index].matches.append(match)
            } else {
                byProtocol.append((name, [match]))
            }
        }
        var result: [(matches: [GCPPlan.Rule.Match], suffix: String)] = []
        for (name, group) in byProtocol {
            guard portStrings(group) > ports, group.count == 1 else {
                result.append((group, name))
                continue
            }
            let ranges: [(Int, Int)] = group[0].ports.compactMap { text in
                let bounds = text.split(separator: "-").compactMap { Int($0) }
                guard let low = bounds.first, let high = bounds.last else { return nil }
                return (low, high)
            }.sorted { $0.0 < $1.0 }
            for block in portBlocks(ranges, lower: 0, upper: 65535) {
                let texts = block.ranges.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }
                result.append(([GCPPlan.Rule.Match(proto: group[0].proto, ports: texts)], "\(name)-\(block.lower)-\(block.upper)"))
            }
        }
        return result
    }

    /// Sorted, disjoint port ranges grouped by the halves of `lower...upper` until each holds
    /// at most `ports` (ranges cut at the halves' edge).
    private static func portBlocks(_ ranges: [(Int, Int)], lower: Int, upper: Int) -> [(lower: Int, upper: Int, ranges: [(Int, Int)])] {
        let inside = ranges.compactMap { range -> (Int, Int)? in
            let cut = (max(range.0, lower), min(range.1, upper))
            return cut.0 <= cut.1 ? cut : nil
        }
        if inside.isEmpty { return [] }
        if inside.count <= ports || lower == upper { return [(lower, upper, inside)] }
        let middle = lower + (upper - lower + 1) / 2
        return portBlocks(inside, lower: lower, upper: middle - 1) + portBlocks(inside, lower: middle, upper: upper)
    }
}
