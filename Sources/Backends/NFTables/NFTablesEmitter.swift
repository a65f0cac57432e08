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
        // One string appended in place (no array of lines or words joined): the files of a
        // large estate are tens of megabytes.
        var out = ""
        out.reserveCapacity(512 + 96 * ruleset.sets.count + 80 * (ruleset.input.rules.count + ruleset.output.rules.count))
        appendHead(ruleset, workload: workload, policy: policy, to: &out)
        for set in ruleset.sets { appendDeclaration(set, to: &out) }
        appendChains(ruleset, to: &out)
        return out
    }

    /// The files of every workload (`rulesets` by workload index): what `text` writes for
    /// each, byte for byte, written as bytes; a set's declaration is written once per set
    /// storage and copied into every ruleset that declares it (the plan shares one storage per
    /// workload and network set across the rulesets that name it).
    ///
    /// Each ruleset is let go once written, so that a caller that hands over the only copy
    /// (`NFTablesPlan.takeRulesets`) never holds every ruleset and every text at once.
    static func texts(_ rulesets: consuming [NFTRuleset], workloads: [String], policy: String) -> [String] {
        // Keyed by storage, which each entry holds so that no other storage takes its address.
        var declarations: [ObjectIdentifier: (storage: NFTSet.Storage, text: [UInt8])] = [:]
        var out: [UInt8] = []
        var declaration: [UInt8] = []
        var texts: [String] = []
        texts.reserveCapacity(rulesets.count)
        for (index, workload) in zip(rulesets.indices, workloads) {
            var ruleset = NFTRuleset(table: "", sets: [], input: NFTChain(hook: .input), output: NFTChain(hook: .output))
            swap(&ruleset, &rulesets[index])
            out.removeAll(keepingCapacity: true)
            appendHead(ruleset, workload: workload, policy: policy, to: &out)
            for set in ruleset.sets {
                let key = ObjectIdentifier(set.storage)
                if let written = declarations[key] {
                    out += written.text
                } else {
                    declaration.removeAll(keepingCapacity: true)
                    appendDeclaration(set, to: &declaration)
                    declarations[key] = (set.storage, declaration)
                    out += declaration
                }
            }
            appendChains(ruleset, to: &out)
            texts.append(String(decoding: out, as: UTF8.self))
        }
        return texts
    }

    /// The header comments and the table's replacement, up to its sets.
    static func appendHead<Output: NFTTextOutput>(_ ruleset: NFTRuleset, workload: String, policy: String, to out: inout Output) {
        out += "# palisade: nftables ruleset of workload "
        out += workload
        out += " (policy "
        out += policy
        out += "), for every host that runs it.\n# Load with `nft -f "
        out += path(workload)
        out += "`: it replaces table inet "
        out += ruleset.table
        out += " and touches nothing else.\ntable inet "
        out += ruleset.table
        out += " {}\ndelete table inet "
        out += ruleset.table
        out += "\ntable inet "
        out += ruleset.table
        out += " {\n"
    }

    /// A set's declaration, its lines indented by one tab.
    static func appendDeclaration<Output: NFTTextOutput>(_ set: NFTSet, to out: inout Output) {
        out += "\tset "
        out += set.name
        out += setHeaders[set.family == .v4 ? 0 : 1]
        if let comment = set.comment {
            out += "\t\tcomment "
            appendQuoted(comment, to: &out)
            out += "\n"
        }
        if !set.elements.isEmpty {
            out += "\t\telements = { "
            for (index, element) in set.elements.enumerated() {
                if index > 0 { out += ", " }
                out += NFTablesOptions.element(element)
            }
            out += " }\n"
        }
        out += "\t}\n"
    }

    /// The input and output chains and the table's closing brace.
    static func appendChains<Output: NFTTextOutput>(_ ruleset: NFTRuleset, to out: inout Output) {
        // One scratch for both chains' tails (see `appendChain`).
        var tail = Output()
        appendChain(ruleset.input, tail: &tail, to: &out)
        appendChain(ruleset.output, tail: &tail, to: &out)
        out += "}\n"
    }

    /// A chain, its rules read in place (none copied). A rule whose words after its address
    /// match are those of the rule ahead (an identity's IPv4 and IPv6 rules of one flow: the
    /// plan writes them in pairs) copies them from `tail`, where each rule's are kept; they are
    /// written once per pair, not per rule.
    static func appendChain<Output: NFTTextOutput>(_ chain: NFTChain, tail: inout Output, to out: inout Output) {
        out += "\tchain "
        out += chain.hook.rawValue
        out += " {\n\t\ttype filter hook "
        out += chain.hook.rawValue
        out += " priority filter; policy "
        out += chain.policy.rawValue
        out += ";\n"
        // Each rule on its own line, indented by two tabs (a line's end and the next one's
        // indentation written as one piece). The rules read in place, by pointer, each field
        // where it is used: a rule handed to a call by value was copied whole (a retain and
        // release per field, several times per rule).
        chain.rules.withUnsafeBufferPointer { rules in
            guard let first = rules.baseAddress else { return }
            for index in rules.indices {
                let rule = first + index
                appendHead(rule, hook: chain.hook, lead: index == 0 ? .firstLine : .nextLine, to: &out)
                if index == 0 || !sameTail(rule - 1, rule) {
                    tail.removeAll(keepingCapacity: true)
                    appendTail(rule, to: &tail)
                }
                out += tail
            }
        }
        out += chain.rules.isEmpty ? "\t}\n" : "\n\t}\n"
    }

    /// Whether `appendTail` writes the same words for `rule` as for `previous`: both matches,
    /// both with or both without an address match, on the same ports, log, verdict and comment.
    @inline(__always)
    static func sameTail(_ previous: UnsafePointer<NFTRule>, _ rule: UnsafePointer<NFTRule>) -> Bool {
        rule.pointee.kind == .match && previous.pointee.kind == .match && hasAddressMatch(rule) == hasAddressMatch(previous)
            && rule.pointee.verdict == previous.pointee.verdict
            && rule.pointee.ports == previous.pointee.ports && rule.pointee.comment == previous.pointee.comment && rule.pointee.log == previous.pointee.log
    }

    /// What follows a set's name up to its comment, by family.
    static let setHeaders = NFTFamily.allCases.map { " {\n\t\ttype \($0.setType)\n\t\tflags interval\n" }

    static func text(_ rule: NFTRule, hook: NFTChain.Hook) -> String {
        var out = ""
        append(rule, hook: hook, to: &out)
        return out
    }

    /// The fixed rules' words after their first.
    static let neighbourDiscoveryWords = "icmpv6 type { \(neighbourDiscovery.joined(separator: ", ")) }"

    /// `ip saddr `, `ip6 daddr ` …: an address match's words ahead of the set or addresses,
    /// by hook (input, output) and family (v4, v6).
    static let addressMatches = [["ip saddr ", "ip6 saddr "], ["ip daddr ", "ip6 daddr "]]
    /// `ip saddr @` …: `addressMatches` with the `@` of a set, after each `Lead` (by its raw
    /// value), written as one piece.
    static let setMatches = Lead.allCases.map { lead in addressMatches.map { $0.map { lead.text + $0 + "@" } } }

    /// What goes ahead of a rule's words: nothing (a rule alone), or its line's start in a
    /// chain (two tabs, after the line break ending the rule ahead).
    enum Lead: Int, CaseIterable {
        case none, firstLine, nextLine

        var text: String {
            switch self {
            case .none: ""
            case .firstLine: "\t\t"
            case .nextLine: "\n\t\t"
            }
        }
    }
    /// `meta l4proto tcp` …, by protocol, without and with the space that separates it from
    /// an address match.
    static let wholeProtocols = spacedOrNot(TransportProtocol.allCases.map { "meta l4proto \($0)" })
    /// `tcp dport ` …, by protocol, without and with a space ahead.
    static let destinationPorts = spacedOrNot(TransportProtocol.allCases.map { "\($0) dport " })
    /// A verdict after a word, with the space ahead.
    static func spaced(_ verdict: NFTRule.Verdict) -> String {
        switch verdict {
        case .accept: " accept"
        case .drop: " drop"
        case .return: " return"
        }
    }

    /// `spaced(verdict)` with the start of a comment after it, as one piece.
    static func spacedWithComment(_ verdict: NFTRule.Verdict) -> String {
        switch verdict {
        case .accept: " accept comment \""
        case .drop: " drop comment \""
        case .return: " return comment \""
        }
    }

    /// Each word, by index, as it is (`[0]`) and after a space (`[1]`): a rule's pieces are
    /// appended whole rather than a space first (a large estate's files hold millions of rules).
    static func spacedOrNot(_ words: [String]) -> [[String]] { [words, words.map { " " + $0 }] }

    /// A rule's words, separated by spaces, appended to `out` after `lead` (a few pieces at a
    /// time, a set match joined to the lead and a verdict to its comment's start: a large
    /// estate's files hold millions of rules).
    static func append<Output: NFTTextOutput>(_ rule: NFTRule, hook: NFTChain.Hook, lead: Lead = .none, to out: inout Output) {
        withUnsafePointer(to: rule) { rule in
            appendHead(rule, hook: hook, lead: lead, to: &out)
            appendTail(rule, to: &out)
        }
    }

    /// Whether a rule writes an address match (then its first word): a match with a family and
    /// a peer.
    @inline(__always)
    static func hasAddressMatch(_ rule: UnsafePointer<NFTRule>) -> Bool {
        rule.pointee.kind == .match && rule.pointee.family != nil && rule.pointee.peer != nil
    }

    /// `lead`, then a fixed rule's words or a match's address match (nothing for a match
    /// without one): what `append` writes ahead of `appendTail`.
    @inline(__always)
    static func appendHead<Output: NFTTextOutput>(_ rule: UnsafePointer<NFTRule>, hook: NFTChain.Hook, lead: Lead, to out: inout Output) {
        // A set match writes the lead with its first words.
        var setMatch = false
        if rule.pointee.kind == .match, rule.pointee.family != nil, case .set? = rule.pointee.peer { setMatch = true }
        if !setMatch, lead != .none { out += lead.text }
        switch rule.pointee.kind {
        case .loopback: out += hook == .input ? "iif \"lo\"" : "oif \"lo\""
        case .established: out += "ct state established,related"
        case .invalid: out += "ct state invalid"
        case .neighbourDiscovery: out += neighbourDiscoveryWords
        case .match:
            if let family = rule.pointee.family, let peer = rule.pointee.peer {
                switch peer {
                case .set(let name):
                    out += setMatches[lead.rawValue][hook == .input ? 0 : 1][family == .v4 ? 0 : 1]
                    out += name
                case .addresses(let addresses):
                    out += addressMatches[hook == .input ? 0 : 1][family == .v4 ? 0 : 1]
                    appendGroup(addresses.cidrs, to: &out) { $1 += NFTablesOptions.element($0) }
                }
            }
        }
    }

    /// A rule's words after `appendHead`'s: a match's protocol match and log, then the
    /// verdict and comment (each with a space ahead when a word was written before it).
    @inline(__always)
    static func appendTail<Output: NFTTextOutput>(_ rule: UnsafePointer<NFTRule>, to out: inout Output) {
        // Whether a word was written (the next one needs a space ahead).
        var written = rule.pointee.kind != .match || hasAddressMatch(rule)
        if rule.pointee.kind == .match {
            switch rule.pointee.ports {
            case .all: break
            case .whole(let proto):
                out += wholeProtocols[written ? 1 : 0][proto.rawValue]
                written = true
            case .ranges(let proto, let ranges):
                out += destinationPorts[written ? 1 : 0][proto.rawValue]
                appendGroup(ranges, to: &out) { range, out in
                    out.appendDecimal(range.lower)
                    if range.lower != range.upper {
                        out += "-"
                        out.appendDecimal(range.upper)
                    }
                }
                written = true
            case .icmp(let families):
                if written { out += " " }
                out += "meta l4proto "
                appendGroup(NFTFamily.allCases.filter(families.contains), to: &out) { $1 += $0.icmp }
                written = true
            }
            if let log = rule.pointee.log {
                if written { out += " " }
                out += "limit rate 10/minute burst 5 packets log prefix "
                appendQuoted(log, to: &out)
                out += " level info"
                written = true
            }
        }
        if let verdict = rule.pointee.verdict, written, rule.pointee.comment != nil {
            out += spacedWithComment(verdict)
        } else {
            if let verdict = rule.pointee.verdict {
                out += written ? spaced(verdict) : verdict.rawValue
                written = true
            }
            if rule.pointee.comment != nil { out += written ? " comment \"" : "comment \"" }
        }
        if let comment = rule.pointee.comment {
            appendQuotedText(comment, to: &out)
            out += "\""
        }
    }

    /// One item as it is, several in braces separated by commas; `append` writes an item.
    static func appendGroup<Item, Output: NFTTextOutput>(_ items: [Item], to out: inout Output, _ append: (Item, inout Output) -> Void) {
        if items.count == 1 {
            append(items[0], &out)
            return
        }
        out += "{ "
        for (index, item) in items.enumerated() {
            if index > 0 { out += ", " }
            append(item, &out)
        }
        out += " }"
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
        var out = ""
        appendQuoted(text, to: &out)
        return out
    }

    /// `quoted(text)` appended to `out`.
    static func appendQuoted<Output: NFTTextOutput>(_ text: String, to out: inout Output) {
        out += "\""
        appendQuotedText(text, to: &out)
        out += "\""
    }

    /// What `quoted(text)` holds between its quotes, appended to `out`.
    static func appendQuotedText<Output: NFTTextOutput>(_ text: String, to out: inout Output) {
        // Plain ASCII with no quote and no line break (every comment Palisade writes) as it is,
        // without walking its characters (its bytes checked in place where it has them).
        let isPlain = { (byte: UInt8) in byte < 0x80 && byte != UInt8(ascii: "\"") && !(0x0A...0x0D).contains(byte) }
        if text.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(isPlain) }) ?? text.utf8.allSatisfy(isPlain) {
            out += text
        } else {
            out += String(text.map { $0 == "\"" ? "'" : $0.isNewline ? " " : $0 })
        }
    }
}

/// Where the emitter writes text: a string (`text`, one file) or bytes (`texts`, every file).
protocol NFTTextOutput {
    init()
    static func += (out: inout Self, text: String)
    /// Appends another output's text (a kept piece copied).
    static func += (out: inout Self, other: Self)
    /// Empties the output, keeping its room.
    mutating func removeAll(keepingCapacity: Bool)
    /// Appends a non-negative number in decimal.
    mutating func appendDecimal(_ value: Int)
}

extension String: NFTTextOutput {
    mutating func appendDecimal(_ value: Int) { self += String(value) }
}

extension Array: NFTTextOutput where Element == UInt8 {
    /// The text's bytes copied from its storage at once (appending its `utf8` view went byte
    /// by byte: a large estate's rulesets are millions of pieces).
    static func += (out: inout [UInt8], text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil { out.append(contentsOf: text.utf8) }
    }

    /// The digits written in place, most significant first (no string made per number: a
    /// large estate's rules hold hundreds of thousands of ports).
    mutating func appendDecimal(_ value: Int) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
