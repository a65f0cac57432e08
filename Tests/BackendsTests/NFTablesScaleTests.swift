import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// The nftables reader's shortcuts for large rulesets give what the plain semantics give:
/// overlapping denies resolved in batches, identity sets found by name.
@Suite struct NFTablesScaleTests {
    static func randomPorts(_ random: inout SeededGenerator) -> NFTRule.Ports {
        switch Int.random(in: 0..<20, using: &random) {
        case 0: return .all
        case 1: return .whole([.tcp, .udp, .sctp].randomElement(using: &random)!)
        case 2: return .icmp([[.v4], [.v6], Set(NFTFamily.allCases)].randomElement(using: &random)!)
        default:
            let proto: TransportProtocol = Int.random(in: 0..<4, using: &random) == 0 ? .udp : .tcp
            let ranges = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                let lower = Int.random(in: 1...400, using: &random)
                return PortRange(proto, lower, min(400, lower + Int.random(in: 0...40, using: &random)))
            }
            return .ranges(proto, ranges)
        }
    }

    /// The first rule of the peer's rules that matches a port decides it, rule after rule:
    /// the semantics the reader's batches must give.
    static func ruleByRule(_ chain: NFTChain, positions: [Int]) -> PortSet {
        var result: PortSet?
        for family in NFTFamily.allCases {
            var remaining = PortSet.all
            var accepted = PortSet()
            for position in positions {
                let rule = chain.rules[position]
                guard rule.families.contains(family) else { continue }
                let ports = rule.ports.portSet
                if (rule.verdict == .return ? chain.policy : rule.verdict) == .accept { accepted.formUnion(ports.intersection(remaining)) }
                remaining = remaining.subtracting(ports)
            }
            if chain.policy == .accept { accepted.formUnion(remaining) }
            result = result.map { $0.intersection(accepted) } ?? accepted
        }
        return result ?? PortSet()
    }

    @Test func manyOverlappingRulesDecideAsRuleByRule() {
        var random = SeededGenerator(seed: 17)
        let a = WorkloadID(0)
        let b = WorkloadID(1)
        let meanings: [String: NFTablesReader.Meaning] = [
            "id_a": .workload(a), "id_a_v6": .workload(a), "id_b": .workload(b), "hosts": .everyWorkload,
            "net_x": .addresses(AddressSet(v4: IntervalSet(lower: 1, upper: 9))),
        ]
        for round in 0..<60 {
            var chain = NFTChain(hook: .input, policy: round % 3 == 0 ? .accept : .drop)
            chain.rules = [.fixed(.loopback), .fixed(.established), .fixed(.invalid), .fixed(.neighbourDiscovery)]
            // Up to 600 rules: mostly a's (denies that cut the ports into many pieces, then
            // accepts), some for every workload, some for others.
            for _ in 0..<Int.random(in: 1...600, using: &random) {
                var rule = NFTRule()
                switch Int.random(in: 0..<10, using: &random) {
                case 0: rule.peer = nil
                case 1: (rule.family, rule.peer) = (.v4, .set("hosts"))
                case 2: (rule.family, rule.peer) = (.v4, .set("id_b"))
                case 3: (rule.family, rule.peer) = (.v4, .set("net_x"))
                case 4: (rule.family, rule.peer) = (.v6, .set("id_a_v6"))
                default: (rule.family, rule.peer) = (.v4, .set("id_a"))
                }
                rule.ports = Self.randomPorts(&random)
                let verdicts: [NFTRule.Verdict?] = [.drop, .drop, .drop, .accept, .accept, .return, nil]
                rule.verdict = verdicts.randomElement(using: &random)!
                if rule.verdict == nil { rule.log = "x" }
                chain.rules.append(rule)
            }
            let view = NFTablesReader.ChainView(chain, meanings: meanings)
            func positions(_ names: Set<String>) -> [Int] {
                chain.rules.indices.filter { index in
                    let rule = chain.rules[index]
                    guard rule.kind == .match, rule.verdict != nil else { return false }
                    switch rule.peer {
                    case nil: return true
                    case .set(let name): return name == "hosts" || names.contains(name)
                    case .addresses: return false
                    }
                }
            }
            #expect(view.accepted(a) == Self.ruleByRule(chain, positions: positions(["id_a", "id_a_v6"])), "round \(round)")
            #expect(view.accepted(b) == Self.ruleByRule(chain, positions: positions(["id_b"])), "round \(round)")
            #expect(view.accepted(nil) == Self.ruleByRule(chain, positions: positions([])), "round \(round)")
        }
    }

    @Test func firstMatchGivesEachPortTheFirstRuleThatMatchesIt() {
        var random = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let rules = (0..<Int.random(in: 0...80, using: &random)).map { _ in
                (ports: Self.randomPorts(&random).portSet, accept: Bool.random(using: &random))
            }
            var remaining = PortSet.all
            var accepted = PortSet()
            for rule in rules {
                if rule.accept { accepted.formUnion(rule.ports.intersection(remaining)) }
                remaining = remaining.subtracting(rule.ports)
            }
            let decided = NFTablesReader.ChainView.firstMatch(rules)
            #expect(decided.accepted == accepted)
            #expect(decided.matched == PortSet.all.subtracting(remaining))
        }
        #expect(NFTablesReader.ChainView.firstMatch([]).matched.isEmpty)
    }

    /// Identity and host sets found by their whole name mean what taking the name apart gives.
    @Test(arguments: backendSamples)
    func setsFoundByNameMeanWhatTheirNamesSay(sample: String) throws {
        let policy = try samplePolicy(sample)
        let plan = NFTablesPlan(policy: policy, options: NFTablesOptions.parse(options(.nftables, .widen)).options)
        var workloadsByName: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadsByName[NFTNames.sanitized(workload.name)] = workload.id }
        let identities = NFTablesReader.identityMeanings(workloadsByName)
        #expect(identities.count == 2 * policy.workloads.count + 2)
        for ruleset in plan.rulesets {
            let fast = try NFTablesReader.meanings(ruleset, policy: policy, workloadsByName: workloadsByName, identities: identities, file: "f")
            let plain = try NFTablesReader.meanings(ruleset, policy: policy, workloadsByName: workloadsByName, file: "f")
            #expect(fast == plain)
        }
    }

    /// Every file written at once (`texts`: bytes, set declarations rendered once per shared
    /// set) is what `text` writes for each ruleset alone, for the plan's rulesets (sharing set
    /// storage) and for the rulesets parsed back (sharing none), with and without log rules.
    @Test(arguments: backendSamples)
    func filesWrittenAtOnceAreEachRulesetsText(sample: String) throws {
        let policy = try samplePolicy(sample)
        let names = policy.workloads.map(\.name)
        for extra: [String: OptionValue] in [[:], ["log_denied": .boolean(true)]] {
            let plan = NFTablesPlan(policy: policy, options: NFTablesOptions.parse(options(.nftables, .widen, extra)).options)
            let each = zip(names, plan.rulesets).map { NFTablesEmitter.text($1, workload: $0, policy: policy.name) }
            #expect(NFTablesEmitter.texts(plan.rulesets, workloads: names, policy: policy.name) == each)
            // The rulesets handed over, as the backend writes them.
            var handing = plan
            #expect(NFTablesEmitter.texts(handing.takeRulesets(), workloads: names, policy: policy.name) == each)
            #expect(handing.rulesets.isEmpty && plan.rulesets.count == names.count)
            let parsed = try zip(names, each).map { name, text in
                var parser = try NFTablesParser(path: NFTablesEmitter.path(name), text: text)
                return try parser.ruleset()
            }
            #expect(parsed.map(\.sets) == plan.rulesets.map(\.sets))
            #expect(NFTablesEmitter.texts(parsed, workloads: names, policy: policy.name) == each)
        }
    }

    /// Numbers written as digits into bytes are what `String` writes.
    @Test func decimalDigitsAreStringsDigits() {
        var random = SeededGenerator(seed: 5)
        let values = [0, 1, 9, 10, 99, 100, 65535, 65536, Int(Int32.max)] + (0..<2000).map { _ in Int.random(in: 0...1_000_000, using: &random) }
        for value in values {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            bytes.appendDecimal(value)
            var text = "x"
            text.appendDecimal(value)
            #expect(bytes == Array(("x" + String(value)).utf8) && text == "x" + String(value), "\(value)")
        }
    }

    /// A rule written after its line's start (a set match joined to it, a verdict to its
    /// comment's start) is the line's start and the rule's own text: random rules of every
    /// kind, peer, match, verdict, comment and log, after every lead.
    @Test func rulesAfterALeadAreTheLeadAndTheRule() {
        var random = SeededGenerator(seed: 23)
        let kinds: [NFTRule.Kind] = [.loopback, .established, .invalid, .neighbourDiscovery, .match, .match, .match]
        let peers: [NFTRule.Peer?] = [nil, .set("id_web"), .set("net_corp_v6"), .addresses(CIDR.v4(0x0A00_0000, prefix: 8).addressSet)]
        let verdicts: [NFTRule.Verdict?] = [nil, .accept, .drop, .return]
        let comments: [String?] = [nil, "flow #1", "say \"hi\"\nthere"]
        for _ in 0..<2000 {
            var rule = NFTRule(kind: kinds.randomElement(using: &random)!, verdict: verdicts.randomElement(using: &random)!)
            rule.family = [nil, .v4, .v6].randomElement(using: &random)!
            rule.peer = peers.randomElement(using: &random)!
            rule.ports = Self.randomPorts(&random)
            rule.comment = comments.randomElement(using: &random)!
            rule.log = Bool.random(using: &random) ? nil : "palisade p w input drop: "
            for hook in [NFTChain.Hook.input, .output] {
                for lead in NFTablesEmitter.Lead.allCases {
                    var bytes: [UInt8] = []
                    NFTablesEmitter.append(rule, hook: hook, lead: lead, to: &bytes)
                    var text = ""
                    NFTablesEmitter.append(rule, hook: hook, lead: lead, to: &text)
                    let expected = lead.text + NFTablesEmitter.text(rule, hook: hook)
                    #expect(String(decoding: bytes, as: UTF8.self) == expected && text == expected, "\(rule)")
                }
            }
        }
    }

    /// A chain written with each rule's words after its address match copied from the rule
    /// ahead where they are the same (`appendChain`) is each rule's own text on its line:
    /// random chains whose rules come in runs that share ports, verdict, comment and log or
    /// differ in one of them, with and without address matches, in bytes and in a string.
    @Test func chainsWithSharedTailsAreEachRulesText() {
        var random = SeededGenerator(seed: 29)
        let kinds: [NFTRule.Kind] = [.loopback, .established, .invalid, .neighbourDiscovery, .match, .match, .match, .match]
        let peers: [NFTRule.Peer?] = [nil, .set("id_web"), .set("id_web_v6"), .addresses(CIDR.v4(0x0A00_0000, prefix: 8).addressSet)]
        let verdicts: [NFTRule.Verdict?] = [nil, .accept, .drop, .return]
        let comments: [String?] = [nil, "flow #1", "flow #2", "say \"hi\"\nthere"]
        for _ in 0..<300 {
            var chain = NFTChain(hook: Bool.random(using: &random) ? .input : .output)
            var rule = NFTRule()
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                // Mostly the rule ahead with its family and peer changed (as the plan pairs
                // them); now and then one more field changed, or a new rule altogether.
                switch Int.random(in: 0..<8, using: &random) {
                case 0:
                    rule = NFTRule(kind: kinds.randomElement(using: &random)!, verdict: verdicts.randomElement(using: &random)!)
                    rule.ports = Self.randomPorts(&random)
                    rule.comment = comments.randomElement(using: &random)!
                    rule.log = Bool.random(using: &random) ? nil : "palisade p w input drop: "
                case 1: rule.ports = Self.randomPorts(&random)
                case 2: rule.verdict = verdicts.randomElement(using: &random)!
                case 3: rule.comment = comments.randomElement(using: &random)!
                case 4: rule.log = rule.log == nil ? "x" : nil
                default: break
                }
                rule.family = [nil, .v4, .v6].randomElement(using: &random)!
                rule.peer = peers.randomElement(using: &random)!
                chain.rules.append(rule)
            }
            let lines = chain.rules.map { "\t\t" + NFTablesEmitter.text($0, hook: chain.hook) + "\n" }.joined()
            let expected =
                "\tchain \(chain.hook.rawValue) {\n\t\ttype filter hook \(chain.hook.rawValue) priority filter; policy drop;\n\(lines)\t}\n"
            var bytes: [UInt8] = []
            var bytesTail: [UInt8] = []
            NFTablesEmitter.appendChain(chain, tail: &bytesTail, to: &bytes)
            var text = ""
            var textTail = ""
            NFTablesEmitter.appendChain(chain, tail: &textTail, to: &text)
            #expect(String(decoding: bytes, as: UTF8.self) == expected && text == expected, "\(chain)")
        }
    }

    /// A set changed after it was copied gets storage of its own: the copy, and the text
    /// written for it, keep what it was.
    @Test func aChangedSetLeavesItsCopiesAlone() {
        let set = NFTSet(name: "net_a", family: .v4, comment: "network a", elements: [.v4(0x0A00_0000, prefix: 8)])
        var changed = set
        changed.elements = [.v4(0x0B00_0000, prefix: 8)]
        changed.comment = nil
        #expect(set.elements == [.v4(0x0A00_0000, prefix: 8)] && set.comment == "network a")
        #expect(changed.addresses == CIDR.v4(0x0B00_0000, prefix: 8).addressSet && changed != set)
        let chain = NFTChain(hook: .input)
        let rulesets = [set, changed, set].map { NFTRuleset(table: "t", sets: [$0], input: chain, output: NFTChain(hook: .output)) }
        let names = ["a", "b", "c"]
        #expect(
            NFTablesEmitter.texts(rulesets, workloads: names, policy: "p") == zip(names, rulesets).map { NFTablesEmitter.text($1, workload: $0, policy: "p") })
    }

    /// The chain views the relation reads (identity and host sets looked up in one table for
    /// every ruleset, other sets per ruleset) are the views of each ruleset's own meanings.
    @Test(arguments: backendSamples)
    func viewsMatchEachRulesetsMeanings(sample: String) throws {
        let policy = try samplePolicy(sample)
        let plan = NFTablesPlan(policy: policy, options: NFTablesOptions.parse(options(.nftables, .widen)).options)
        var workloadsByName: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadsByName[NFTNames.sanitized(workload.name)] = workload.id }
        let (input, output) = try NFTablesReader.views(plan.rulesets, policy: policy)
        for (index, ruleset) in plan.rulesets.enumerated() {
            let meanings = try NFTablesReader.meanings(ruleset, policy: policy, workloadsByName: workloadsByName, file: "f")
            for (view, chain) in [(input[index], ruleset.input), (output[index], ruleset.output)] {
                let plain = NFTablesReader.ChainView(chain, meanings: meanings)
                #expect(view.general == plain.general && view.ownPeers == plain.ownPeers && view.external == plain.external)
                for peer in [nil] + policy.workloads.map(\.id) { #expect(view.accepted(peer) == plain.accepted(peer)) }
                #expect(Self.ownByPeer(view, workloads: policy.workloads.count) == Self.ownByPeer(chain, meanings: meanings))
            }
        }
    }

    /// The rules a chain view finds per workload peer (flat, sorted, searched) are the rules
    /// that name that workload's own set, in order: compared with a dictionary of the rules
    /// built in the plain way, on every sample and on random chains.
    @Test(arguments: backendSamples)
    func ownRulesAreEachPeersRulesInOrder(sample: String) throws {
        let policy = try samplePolicy(sample)
        let plan = NFTablesPlan(policy: policy, options: NFTablesOptions.parse(options(.nftables, .widen)).options)
        let (input, output) = try NFTablesReader.views(plan.rulesets, policy: policy)
        var workloadsByName: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadsByName[NFTNames.sanitized(workload.name)] = workload.id }
        for (index, ruleset) in plan.rulesets.enumerated() {
            let meanings = try NFTablesReader.meanings(ruleset, policy: policy, workloadsByName: workloadsByName, file: "f")
            #expect(Self.ownByPeer(input[index], workloads: policy.workloads.count) == Self.ownByPeer(ruleset.input, meanings: meanings))
            #expect(Self.ownByPeer(output[index], workloads: policy.workloads.count) == Self.ownByPeer(ruleset.output, meanings: meanings))
        }
        var random = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let workloads = Int.random(in: 1...40, using: &random)
            var meanings: [String: NFTablesReader.Meaning] = ["hosts": .everyWorkload, "net": .addresses(.all)]
            for id in 0..<workloads { meanings["id_\(id)"] = .workload(WorkloadID(id)) }
            let names = Array(meanings.keys).sorted()
            var chain = NFTChain(hook: .input)
            chain.rules = (0..<Int.random(in: 0...300, using: &random)).map { _ in
                NFTRule(
                    family: .v4, peer: .set(names.randomElement(using: &random)!), verdict: Bool.random(using: &random) ? .accept : .drop)
            }
            let view = NFTablesReader.ChainView(chain, meanings: meanings)
            #expect(Self.ownByPeer(view, workloads: workloads) == Self.ownByPeer(chain, meanings: meanings))
            #expect(view.ownPeers == view.ownPeers.sorted() && Set(view.ownPeers).count == view.ownPeers.count)
        }
    }

    /// The rules of each workload peer as a view finds them.
    static func ownByPeer(_ view: NFTablesReader.ChainView, workloads: Int) -> [WorkloadID: [Int]] {
        var result: [WorkloadID: [Int]] = [:]
        for id in (0..<workloads).map(WorkloadID.init) { if let own = view.own(id) { result[id] = Array(own) } }
        return result
    }

    /// The rules of each workload peer, collected rule by rule into a dictionary (the
    /// reference for `ownByPeer(view)`).
    static func ownByPeer(_ chain: NFTChain, meanings: [String: NFTablesReader.Meaning]) -> [WorkloadID: [Int]] {
        var result: [WorkloadID: [Int]] = [:]
        for (index, rule) in chain.rules.enumerated() where rule.kind == .match && rule.verdict != nil {
            if case .set(let name) = rule.peer, case .workload(let id) = meanings[name] { result[id, default: []].append(index) }
        }
        return result
    }
}
