import IR

/// Writes an `NFTRuleset` as an nft script: the table created (so that deleting it works on a
/// first load), deleted and declared again, all in the one transaction `nft -f` makes of a
/// file, so the table is replaced atomically and nothing else on the host is touched.
enum NFTablesEmitter {
    /// The file of a workload's hosts.
    static func path(_ workload: String) -> String { NFTNames.sanitized(workload) + ".nft" }

    /// The ICMPv6 types a host needs to reach its link over IPv6: neighbour discovery, and
    /// multicast listener discovery (MLD, which RFC 4890 §4.4.1 says must not be dropped:
    /// switches that snoop MLD stop forwarding neighbour solicitations to a host that never
    /// reports). Open in both chains: a host answers queries and sends reports and dones.
    static let neighbourDiscovery = [
        "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert", "mld-listener-query", "mld-listener-report",
        "mld2-listener-report", "mld-listener-done",
    ]

    static func text(_ ruleset: NFTRuleset, workload: String, policy: String) -> String {
        var lines = [
            "# palisade: nftables ruleset of workload \(workload) (policy \(policy)), for every host that runs it.",
            "# Load with `nft -f \(path(workload))`: it replaces table inet \(ruleset.table) and touches nothing else.",
            "table inet \(ruleset.table) {}",
            "delete table inet \(ruleset.table)",
            "table inet \(ruleset.table) {",
        ]
        for set in ruleset.sets {
            lines.append("\tset \(set.name) {")
            lines.append("\t\ttype \(set.family.setType)")
            lines.append("\t\tflags interval")
            if let comment = set.comment { lines.append("\t\tcomment \(quoted(comment))") }
            let elements = elementTexts(set.elements)
            if !elements.isEmpty { lines.append("\t\telements = { \(elements.joined(separator: ", ")) }") }
            lines.append("\t}")
        }
        for chain in [ruleset.input, ruleset.output] {
            lines.append("\tchain \(chain.hook.rawValue) {")
            lines.append("\t\ttype filter hook \(chain.hook.rawValue) priority filter; policy \(chain.policy.rawValue);")
            for rule in chain.rules { lines.append("\t\t" + text(rule, hook: chain.hook)) }
            lines.append("\t}")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ rule: NFTRule, hook: NFTChain.Hook) -> String {
        var words: [String] = []
        switch rule.kind {
        case .loopback: words = [hook == .input ? "iif" : "oif", "\"lo\""]
        case .established: words = ["ct", "state", "established,related"]
        case .invalid: words = ["ct", "state", "invalid"]
        case .neighbourDiscovery: words = ["icmpv6", "type", "{ \(neighbourDiscovery.joined(separator: ", ")) }"]
        case .match:
            if let family = rule.family, let peer = rule.peer {
                words += [family.keyword, hook == .input ? "saddr" : "daddr"]
                switch peer {
                case .set(let name): words.append("@" + name)
                case .addresses(let addresses): words.append(group(elementTexts(addresses)))
                }
            }
            switch rule.ports {
            case .all: break
            case .whole(let proto): words += ["meta", "l4proto", proto.description]
            case .ranges(let proto, let ranges):
                words += [proto.description, "dport", group(ranges.map { $0.lower == $0.upper ? "\($0.lower)" : "\($0.lower)-\($0.upper)" })]
            case .icmp(let families):
                words += ["meta", "l4proto", group(NFTFamily.allCases.filter(families.contains).map(\.icmp))]
            }
            if let log = rule.log { words += ["limit", "rate", "10/minute", "burst", "5", "packets", "log", "prefix", quoted(log), "level", "info"] }
        }
        if let verdict = rule.verdict { words.append(verdict.rawValue) }
        if let comment = rule.comment { words += ["comment", quoted(comment)] }
        return words.joined(separator: " ")
    }

    /// One element as it is, several in braces.
    static func group(_ items: [String]) -> String { items.count == 1 ? items[0] : "{ \(items.joined(separator: ", ")) }" }

    /// Set elements: the prefixes of the addresses, hosts without their length.
    static func elementTexts(_ addresses: AddressSet) -> [String] { addresses.cidrs.map(NFTablesOptions.element) }
    /// A set's elements, each as written.
    static func elementTexts(_ elements: [CIDR]) -> [String] { elements.map(NFTablesOptions.element) }

    /// A string in double quotes; nft strings hold no quote or newline, so those become `'` and
    /// spaces.
    static func quoted(_ text: String) -> String {
        // Plain ASCII with no quote and no line break (every comment Palisade writes) as it is,
        // without walking its characters.
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\"") && !(0x0A...0x0D).contains($0) }) { return "\"" + text + "\"" }
        return "\"" + String(text.map { $0 == "\"" ? "'" : $0.isNewline ? " " : $0 }) + "\""
    }
}
