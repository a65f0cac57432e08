import IR

/// Reads every workload's ruleset back, from the files alone, and applies nftables semantics:
/// a chain's rules in order, the first accept or drop decides (`return` leaves it to the
/// chain's policy), the policy decides what no rule does; a connection from A to B on a port
/// is allowed when A's output chain lets it out and B's input chain lets it in (replies are
/// accepted as established). A workload's identity set (`@id_web`, `@id_web_v6`) stands for
/// that workload's hosts whatever addresses it holds at run time, `@hosts` for every workload's;
/// any other set, and addresses in a rule, are external peers. A connection between workloads
/// is allowed when it is over both IPv4 and IPv6.
struct NFTablesReader {
    let policy: Policy
    let files: [OutputFile]

    /// Each workload's ruleset, parsed, by workload index.
    func rulesets() throws -> [NFTRuleset] {
        try policy.workloads.map { workload in
            let file = try files.required(NFTablesEmitter.path(workload.name))
            var parser = try NFTablesParser(path: file.path, text: file.contents)
            return try parser.ruleset()
        }
    }

    func read() throws -> ReadBack {
        ReadBack(relation: try Self.relation(try rulesets(), policy: policy))
    }

    // MARK: Semantics

    /// What a set stands for.
    enum Meaning: Equatable {
        case workload(WorkloadID)
        case everyWorkload
        case addresses(AddressSet)
    }

    /// The meaning of each set of a ruleset. `identities` holds the names of the identity and
    /// host sets as Palisade writes them (`id_web`, `id_web_v6`, `hosts`), found with one
    /// look-up; any other name is taken apart as below.
    ///
    /// `leavingIdentities`: the sets `identities` holds are left out of the result (a reader
    /// looks names up in `identities` first, then here: every set a rule names is declared,
    /// which the parser checks and the plan does by construction).
    static func meanings(
        _ ruleset: NFTRuleset, policy: Policy, workloadsByName: [String: WorkloadID], identities: [String: Meaning] = [:],
        leavingIdentities: Bool = false, file: String
    ) throws -> [String: Meaning] {
        var result: [String: Meaning] = [:]
        if !leavingIdentities { result.reserveCapacity(ruleset.sets.count) }
        for set in ruleset.sets {
            if let meaning = identities[set.name] {
                if !leavingIdentities { result[set.name] = meaning }
                continue
            }
            let name = set.name.hasSuffix("_v6") ? String(set.name.dropLast(3)) : set.name
            if name == NFTNames.hosts {
                result[set.name] = .everyWorkload
            } else if name.hasPrefix("id_") {
                guard let id = workloadsByName[String(name.dropFirst(3))] else {
                    throw ReadFailure(file, "set '\(set.name)' names no workload of the spec")
                }
                result[set.name] = .workload(id)
            } else {
                result[set.name] = .addresses(set.addresses)
            }
        }
        return result
    }

    /// The identity and host set names whose meaning their name alone decides, as `meanings`
    /// decides it: a workload name that sanitizes to one without `_` (every DNS label) gives
    /// `id_NAME` and `id_NAME_v6`, which `meanings` takes apart to that workload; the last such
    /// workload of a name wins there as here.
    static func identityMeanings(_ workloadsByName: [String: WorkloadID]) -> [String: Meaning] {
        var result: [String: Meaning] = [NFTNames.hosts: .everyWorkload, NFTNames.hosts(.v6): .everyWorkload]
        result.reserveCapacity(2 * workloadsByName.count + 2)
        for (name, id) in workloadsByName where !name.utf8.contains(UInt8(ascii: "_")) {
            result[NFTNames.identity(name, .v4)] = .workload(id)
            result[NFTNames.identity(name, .v6)] = .workload(id)
        }
        return result
    }

    /// A chain as the reader sees it: which rules can match a workload peer, and the
    /// contribution of each to external peers.
    /// A reference type: the relation looks chains up by workload many times, and a view is
    /// never changed once made.
    final class ChainView {
        let chain: NFTChain
        /// Rules that match every workload (no address match, or `@hosts`), by position.
        let general: [Int]
        /// The workloads that rules match by their own set, in ascending order; the positions
        /// of the rules of `ownPeers[k]` are `ownPositions[ownStarts[k]..<ownStarts[k + 1]]`,
        /// in order. Flat arrays, not a dictionary of arrays: a large estate's chains name tens
        /// of thousands of peers, each an array made, hashed and torn down.
        let ownPeers: [WorkloadID]
        private let ownStarts: [Int]
        private let ownPositions: [Int]
        /// The external addresses each rule matches (empty: none), by position.
        let external: [AddressSet]
        /// The port sets of the rules' protocol matches, shared by the chains read together.
        private let portSets: PortSets
        /// Each rule's protocol match in `portSets`, by position (`PortSets.none` for the fixed
        /// rules, which no peer's decision reads): a number per rule, not three port sets
        /// each retained, kept and released.
        private let matches: [Int32]
        /// The families of each rule's packets (bit 0: IPv4, bit 1: IPv6), by position.
        private let familyBits: [UInt8]
        /// Whether each rule accepts (its verdict, `return` and none being the policy's).
        private let accepts: [Bool]

        convenience init(_ chain: NFTChain, meanings: [String: Meaning]) {
            self.init(chain, portSets: PortSets()) { meanings[$0] }
        }

        /// `meaning`: what each set a rule names stands for; `portSets`: the port sets of the
        /// rules' protocol matches, shared by the chains read together.
        init(_ chain: NFTChain, portSets: PortSets, meaning: (String) -> Meaning?) {
            self.chain = chain
            self.portSets = portSets
            var general: [Int] = []
            // Each rule matching one workload, as its workload's index above its position:
            // sorted, they are the rules by workload, each workload's in order.
            var own: [UInt64] = []
            var external: [AddressSet] = []
            var matches: [Int32] = []
            var familyBits: [UInt8] = []
            var accepts: [Bool] = []
            // Every array at its most at once (a chain's rules are a few dozen; grown by
            // appending, they were reallocated several times per chain).
            general.reserveCapacity(chain.rules.count)
            own.reserveCapacity(chain.rules.count)
            external.reserveCapacity(chain.rules.count)
            matches.reserveCapacity(chain.rules.count)
            familyBits.reserveCapacity(chain.rules.count)
            accepts.reserveCapacity(chain.rules.count)
            for (index, rule) in chain.rules.enumerated() {
                let bits = Self.familyBits(rule)
                var addresses = AddressSet()
                if rule.kind == .match, rule.verdict != nil {
                    switch rule.peer {
                    case nil:
                        general.append(index)
                        addresses = .all
                    case .set(let name):
                        switch meaning(name) {
                        case .everyWorkload: general.append(index)
                        case .workload(let id): own.append(UInt64(id.index) << 32 | UInt64(index))
                        case .addresses(let set): addresses = set
                        case nil: break
                        }
                    case .addresses(let set): addresses = set
                    }
                    // The addresses of the rule's families only.
                    if !addresses.isEmpty, bits != 3 {
                        addresses = bits == 1 ? AddressSet(v4: addresses.v4) : bits == 2 ? AddressSet(v6: addresses.v6) : AddressSet()
                    }
                }
                external.append(addresses)
                matches.append(rule.kind == .match ? portSets.id(rule.ports) : PortSets.none)
                familyBits.append(bits)
                accepts.append(Self.verdict(rule, policy: chain.policy) == .accept)
            }
            self.general = general
            own.sort()
            var ownPeers: [WorkloadID] = []
            var ownStarts: [Int] = []
            ownPeers.reserveCapacity(own.count)
            ownStarts.reserveCapacity(own.count + 1)
            for (offset, key) in own.enumerated() where ownPeers.last?.index != Int(key >> 32) {
                ownPeers.append(WorkloadID(Int(key >> 32)))
                ownStarts.append(offset)
            }
            ownStarts.append(own.count)
            self.ownPeers = ownPeers
            self.ownStarts = ownStarts
            ownPositions = own.map { Int($0 & 0xFFFF_FFFF) }
            self.external = external
            self.matches = matches
            self.familyBits = familyBits
            self.accepts = accepts
        }

        /// Where `ownPositions` holds the rules that match `peer` by its own set (nil: none do),
        /// found by binary search in `ownPeers`.
        func ownRange(_ peer: WorkloadID) -> Range<Int>? {
            var low = 0
            var high = ownPeers.count
            while low < high {
                let middle = (low + high) / 2
                if ownPeers[middle] < peer { low = middle + 1 } else { high = middle }
            }
            guard low < ownPeers.count, ownPeers[low] == peer else { return nil }
            return ownStarts[low]..<ownStarts[low + 1]
        }

        /// The positions of the rules that match `peer` by its own set, in order (nil: none).
        func own(_ peer: WorkloadID) -> ArraySlice<Int>? { ownRange(peer).map { ownPositions[$0] } }

        static func verdict(_ rule: NFTRule, policy: NFTRule.Verdict) -> NFTRule.Verdict {
            rule.verdict == .return ? policy : (rule.verdict ?? policy)
        }

        /// `rule.families` as bits (1: IPv4, 2: IPv6).
        static func familyBits(_ rule: NFTRule) -> UInt8 {
            var bits: UInt8 = rule.family.map { $0 == .v4 ? 1 : 2 } ?? 3
            if case .icmp(let icmp) = rule.ports { bits &= (icmp.contains(.v4) ? 1 : 0) | (icmp.contains(.v6) ? 2 : 0) }
            return bits
        }

        func verdict(_ rule: NFTRule) -> NFTRule.Verdict { Self.verdict(rule, policy: chain.policy) }

        /// The ports on which the chain accepts a new connection with workload `peer` (nil: a
        /// workload no rule names by its own set), over both address families.
        ///
        /// The rules that can match, in order, the first deciding each port: each rule takes
        /// the ports no rule ahead took, until none is left. While few ports are left in
        /// pieces, rule by rule; once the denies ahead have cut them into many pieces
        /// (overlapping denies), in batches of doubling size, each batch first resolved among
        /// itself (`firstMatch`, near-linear), so the work stays near-linear in the rules.
        func accepted(_ peer: WorkloadID?) -> PortSet {
            let own = peer.flatMap(ownRange) ?? 0..<0
            let table = portSets.matches
            var result: PortSet? = nil
            var batch: [Int] = []
            for family in NFTFamily.allCases {
                let bit: UInt8 = family == .v4 ? 1 : 2
                var remaining = PortSet.all
                var accepted = PortSet()
                // The positions of `general` and `own` merged in order, as taken.
                var nextGeneral = 0
                var nextOwn = own.lowerBound
                func next() -> Int? {
                    while true {
                        let position: Int
                        if nextGeneral < general.count, nextOwn >= own.upperBound || general[nextGeneral] < ownPositions[nextOwn] {
                            position = general[nextGeneral]
                            nextGeneral += 1
                        } else if nextOwn < own.upperBound {
                            position = ownPositions[nextOwn]
                            nextOwn += 1
                        } else {
                            return nil
                        }
                        if familyBits[position] & bit != 0 { return position }
                    }
                }
                var batchSize = Self.batchStart
                // Whether `remaining` is still every port (no rule took any).
                var untouched = true
                while !remaining.isEmpty {
                    if remaining.keys.intervals.count <= Self.fewPieces {
                        guard let position = next() else { break }
                        let match = table[Int(matches[position])]
                        if untouched {
                            // The first rule takes its ports within every port and leaves the rest.
                            if accepts[position] { accepted.formUnion(match.withinAll) }
                            remaining = match.rest
                            untouched = false
                        } else if match.rest.isEmpty {
                            // A rule over every port takes whatever is left.
                            if accepts[position] { accepted.formUnion(remaining) }
                            remaining = PortSet()
                        } else {
                            if accepts[position] { accepted.formUnion(match.ports.intersection(remaining)) }
                            remaining = remaining.subtracting(match.ports)
                        }
                        continue
                    }
                    untouched = false
                    batch.removeAll(keepingCapacity: true)
                    while batch.count < batchSize, let position = next() { batch.append(position) }
                    if batch.isEmpty { break }
                    let decided = Self.firstMatch(batch.map { (table[Int(matches[$0])].ports, accepts[$0]) })
                    accepted.formUnion(decided.accepted.intersection(remaining))
                    remaining = remaining.subtracting(decided.matched)
                    batchSize *= 2
                }
                if chain.policy == .accept { accepted.formUnion(remaining) }
                result = result.map { $0.intersection(accepted) } ?? accepted
            }
            return result ?? PortSet()
        }

        /// Up to how many pieces of ports left `accepted` takes rule by rule.
        static let fewPieces = 16
        /// The first batch once they are more.
        static let batchStart = 16

        /// Rules in order, each deciding the ports no rule ahead of it matched: the ports
        /// accepted and the ports matched at all. The port axis is cut at every boundary of
        /// every rule, and each rule claims the pieces of its ranges still unclaimed, skipping
        /// the claimed ones by a union-find of the next unclaimed piece: work near-linear in
        /// the rules' ranges, where subtracting rule after rule costs the square of
        /// overlapping ones.
        static func firstMatch(_ rules: [(ports: PortSet, accept: Bool)]) -> (accepted: PortSet, matched: PortSet) {
            var cuts: [UInt64] = []
            for rule in rules {
                for interval in rule.ports.keys.intervals {
                    cuts.append(UInt64(interval.lower))
                    cuts.append(UInt64(interval.upper) + 1)
                }
            }
            cuts.sort()
            var bounds: [UInt64] = []
            bounds.reserveCapacity(cuts.count)
            for cut in cuts where bounds.last != cut { bounds.append(cut) }
            guard bounds.count >= 2 else { return (PortSet(), PortSet()) }
            // Piece p is [bounds[p], bounds[p + 1] - 1]; claim[p]: 0 unclaimed, 1 accepted, 2 dropped.
            let pieces = bounds.count - 1
            var claim = [UInt8](repeating: 0, count: pieces)
            // nextFree[p]: some piece at or after p that may be unclaimed (pieces: none).
            var nextFree = Array(0...pieces)
            func find(_ piece: Int) -> Int {
                var root = piece
                while nextFree[root] != root { root = nextFree[root] }
                var current = piece
                while nextFree[current] != root {
                    let following = nextFree[current]
                    nextFree[current] = root
                    current = following
                }
                return root
            }
            func piece(_ value: UInt64) -> Int {
                var low = 0
                var high = bounds.count - 1
                while low < high {
                    let middle = (low + high) / 2
                    if bounds[middle] < value { low = middle + 1 } else { high = middle }
                }
                return low
            }
            for rule in rules {
                for interval in rule.ports.keys.intervals {
                    let last = piece(UInt64(interval.upper) + 1) - 1
                    var current = find(piece(UInt64(interval.lower)))
                    while current <= last {
                        claim[current] = rule.accept ? 1 : 2
                        nextFree[current] = current + 1
                        current = find(current + 1)
                    }
                }
            }
            var accepted: [IntervalSet<UInt32>.Interval] = []
            var matched: [IntervalSet<UInt32>.Interval] = []
            for piece in 0..<pieces where claim[piece] != 0 {
                let interval = IntervalSet<UInt32>.Interval(UInt32(bounds[piece]), UInt32(bounds[piece + 1] - 1))
                matched.append(interval)
                if claim[piece] == 1 { accepted.append(interval) }
            }
            return (PortSet(keys: IntervalSet(normalizing: accepted)), PortSet(keys: IntervalSet(normalizing: matched)))
        }

        /// What the chain accepts from (to) external peers: each accept minus every rule ahead
        /// of it; `names`: addresses open on every address reach every `dns:` name too.
        func externalRules(names: Bool) -> ExternalRules {
            let table = portSets.matches
            var rules: [(ports: PortSet, peers: ExternalSet, accept: Bool)] = []
            for index in external.indices where !external[index].isEmpty {
                // A rule over every address reaches every name too (a name resolves to some address).
                let peers = ExternalSet(addresses: external[index], dns: names && external[index].isAll ? .all : .none)
                rules.append((table[Int(matches[index])].ports, peers, accepts[index]))
            }
            if chain.policy == .accept { rules.append((.all, ExternalSet(addresses: .all, dns: names ? .all : .none), true)) }
            var result: ExternalRules
            if let firstAccept = rules.firstIndex(where: \.accept), !rules[firstAccept...].contains(where: { !$0.accept }) {
                // Every drop ahead of every accept (as Palisade writes them): accepts minus drops.
                result = ExternalRules(contributions: rules.map { .init(ports: $0.ports, peers: $0.peers, deny: !$0.accept) })
            } else {
                // An accept after a drop (a hand-edited ruleset): each accept minus what the
                // rules ahead of it matched, kept as one running union, not listed again per accept.
                result = ExternalRules()
                var matched = ExternalRules()
                for rule in rules {
                    let this = ExternalRules(contributions: [.init(ports: rule.ports, peers: rule.peers, deny: false)])
                    if rule.accept { result = result.union(this.subtracting(matched)) }
                    matched = matched.union(this)
                }
            }
            return result
        }
    }

    /// `NFTRule.Ports.portSet`, with the part of it within every port and every port less
    /// it, made once per distinct protocol match and numbered: the plan gives every peer of a
    /// flow the same matches, so a large estate's tens of thousands of rules hold a few
    /// hundred, and making a port set (an interval set, sorted) cost more than the rest of
    /// reading its rule. A reference type: the chain views read together share one table and
    /// keep each rule's number into it.
    final class PortSets {
        struct Match {
            var ports: PortSet
            var withinAll: PortSet
            var rest: PortSet

            init(_ ports: PortSet) {
                self.ports = ports
                withinAll = ports.intersection(.all)
                rest = PortSet.all.subtracting(ports)
            }
        }

        /// The number of no ports (the fixed rules').
        static let none: Int32 = 0
        /// The number of every port.
        private static let all: Int32 = 1
        // Both tables are unchecked for exclusive access: a reader's tables are used by one
        // thread, one call at a time, and a dynamic check per rule cost more than the look-up.
        /// Each match, by number.
        @exclusivity(unchecked) private(set) var matches = [Match(PortSet()), Match(.all)]
        /// Every match but the two above, numbered from 0 (its number in `matches` less 2).
        /// The rules of a chain come in runs of one match (a flow's peers and families), met
        /// by comparing with the last; a few hundred distinct ones interleave, met by their
        /// fingerprint before their ranges are hashed.
        @exclusivity(unchecked) private var numbers = Interner<NFTRule.Ports>(fingerprint: \.fingerprint)

        /// The number of `ports`' match in `matches`, made the first time it is asked for.
        func id(_ ports: NFTRule.Ports) -> Int32 {
            if case .all = ports { return Self.all }
            let number = numbers.id(ports) + 2
            if number == matches.count { matches.append(Match(ports.portSet)) }
            return Int32(number)
        }
    }

    /// The views of every workload's input and output chains.
    static func views(_ rulesets: [NFTRuleset], policy: Policy) throws -> (input: [ChainView], output: [ChainView]) {
        var workloadsByName: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadsByName[NFTNames.sanitized(workload.name)] = workload.id }
        let identities = identityMeanings(workloadsByName)
        var input: [ChainView] = []
        var output: [ChainView] = []
        let portSets = PortSets()
        input.reserveCapacity(rulesets.count)
        output.reserveCapacity(rulesets.count)
        for (workload, ruleset) in zip(policy.workloads, rulesets) {
            // The sets of this ruleset whose name alone does not decide their meaning (networks,
            // mostly): the identity and host sets are looked up in `identities`, not copied into
            // a table per ruleset.
            let others = try meanings(
                ruleset, policy: policy, workloadsByName: workloadsByName, identities: identities, leavingIdentities: true,
                file: NFTablesEmitter.path(workload.name))
            let meaning = { (name: String) in identities[name] ?? others[name] }
            input.append(ChainView(ruleset.input, portSets: portSets, meaning: meaning))
            output.append(ChainView(ruleset.output, portSets: portSets, meaning: meaning))
        }
        return (input, output)
    }

    /// The relation the rulesets enforce (one per workload, in the policy's order).
    static func relation(_ rulesets: [NFTRuleset], policy: Policy) throws -> Relation {
        let (input, output) = try views(rulesets, policy: policy)
        var relation = Relation()
        // Room for every pair a rule names (grown once, not rehashed as it fills).
        relation.betweenWorkloads.reserveCapacity(output.reduce(0) { $0 + $1.ownPeers.count })
        let inFallback = input.map { $0.accepted(nil) }
        func into(_ destination: WorkloadID, from source: WorkloadID) -> PortSet {
            input[destination.index].ownRange(source) != nil ? input[destination.index].accepted(source) : inFallback[destination.index]
        }
        // By index: a workload's id is its position, and no workload is copied per visit.
        for index in policy.workloads.indices {
            let workload = WorkloadID(index)
            let view = output[index]
            for destination in view.ownPeers {
                let ports = view.accepted(destination).intersection(into(destination, from: workload))
                if !ports.isEmpty { relation.betweenWorkloads[WorkloadPair(workload, destination)] = ports }
            }
            let fallback = view.accepted(nil)
            if !fallback.isEmpty {
                // Every workload not in `ownPeers` (both ascending, walked together).
                var nextOwn = 0
                for other in policy.workloads.indices {
                    if nextOwn < view.ownPeers.count, view.ownPeers[nextOwn].index == other {
                        nextOwn += 1
                        continue
                    }
                    let destination = WorkloadID(other)
                    let ports = fallback.intersection(into(destination, from: workload))
                    if !ports.isEmpty { relation.betweenWorkloads[WorkloadPair(workload, destination)] = ports }
                }
            }
            let ingress = input[index].externalRules(names: false)
            if !ingress.isEmpty { relation.ingress[workload] = ingress }
            let egress = view.externalRules(names: true)
            if !egress.isEmpty { relation.egress[workload] = egress }
        }
        return relation
    }

    // MARK: Explain

    /// The rules that decide `from → to` on `ports`, by file, chain and line.
    func explain(from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        let rulesets = try rulesets()
        let (input, output) = try Self.views(rulesets, policy: policy)
        let name = { (id: WorkloadID) in policy.workloads[id.index].name }
        var lines: [String] = []
        func describe(_ view: ChainView, owner: WorkloadID, positions: [Int], what: String) {
            var remaining = ports
            for position in positions {
                let rule = view.chain.rules[position]
                let common = rule.ports.portSet.intersection(remaining)
                guard !common.isEmpty else { continue }
                let text = NFTablesEmitter.text(rule, hook: view.chain.hook)
                let place = "\(NFTablesEmitter.path(name(owner))) chain \(view.chain.hook.rawValue), line \(rule.line)"
                lines.append("\(place): \(text) — \(view.verdict(rule).rawValue)s \(what) on \(common)")
                remaining = remaining.subtracting(rule.ports.portSet)
            }
            if !remaining.isEmpty {
                lines.append(
                    "\(NFTablesEmitter.path(name(owner))) chain \(view.chain.hook.rawValue): policy \(view.chain.policy.rawValue) for \(what) on \(remaining)")
            }
        }
        for destination in to.workloads {
            for source in from.workloads {
                let what = "\(name(source)) -> \(name(destination))"
                let out = output[source.index]
                describe(out, owner: source, positions: out.own(destination).map { (out.general + $0).sorted() } ?? out.general, what: what)
                let into = input[destination.index]
                describe(into, owner: destination, positions: into.own(source).map { (into.general + $0).sorted() } ?? into.general, what: what)
            }
            if !from.external.addresses.isEmpty {
                let view = input[destination.index]
                let positions = view.external.indices.filter { !view.external[$0].intersection(from.external.addresses).isEmpty }
                describe(view, owner: destination, positions: positions, what: "\(from.external.summary) -> \(name(destination))")
            }
        }
        if !to.external.isEmpty {
            for source in from.workloads {
                let view = output[source.index]
                let positions = view.external.indices.filter {
                    !view.external[$0].intersection(to.external.addresses).isEmpty || (!to.external.dns.isEmpty && view.external[$0].isAll)
                }
                describe(view, owner: source, positions: positions, what: "\(name(source)) -> \(to.external.summary)")
            }
        }
        return lines
    }
}
