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
    enum Meaning {
        case workload(WorkloadID)
        case everyWorkload
        case addresses(AddressSet)
    }

    /// The meaning of each set of a ruleset.
    static func meanings(_ ruleset: NFTRuleset, policy: Policy, workloadsByName: [String: WorkloadID], file: String) throws -> [String: Meaning] {
        var result: [String: Meaning] = [:]
        for set in ruleset.sets {
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

    /// A chain as the reader sees it: which rules can match a workload peer, and the
    /// contribution of each to external peers.
    struct ChainView {
        let chain: NFTChain
        /// Rules that match every workload (no address match, or `@hosts`), by position.
        var general: [Int] = []
        /// Rules that match one workload, by position.
        var own: [WorkloadID: [Int]] = [:]
        /// The external addresses each rule matches (empty: none), by position.
        var external: [AddressSet] = []

        init(_ chain: NFTChain, meanings: [String: Meaning]) {
            self.chain = chain
            for (index, rule) in chain.rules.enumerated() {
                var addresses = AddressSet()
                if rule.kind == .match, rule.verdict != nil {
                    switch rule.peer {
                    case nil:
                        general.append(index)
                        addresses = .all
                    case .set(let name):
                        switch meanings[name] {
                        case .everyWorkload: general.append(index)
                        case .workload(let id): own[id, default: []].append(index)
                        case .addresses(let set): addresses = set
                        case nil: break
                        }
                    case .addresses(let set): addresses = set
                    }
                    addresses = AddressSet(unionOf: rule.families.map { $0.part(of: addresses) })
                }
                external.append(addresses)
            }
        }

        func verdict(_ rule: NFTRule) -> NFTRule.Verdict {
            rule.verdict == .return ? chain.policy : (rule.verdict ?? chain.policy)
        }

        /// The ports on which the chain accepts a new connection with workload `peer` (nil: a
        /// workload no rule names by its own set), over both address families.
        func accepted(_ peer: WorkloadID?) -> PortSet {
            let positions = peer.flatMap { own[$0] }.map { (general + $0).sorted() } ?? general
            var result: PortSet? = nil
            for family in NFTFamily.allCases {
                var remaining = PortSet.all
                var accepted = PortSet()
                for position in positions {
                    let rule = chain.rules[position]
                    guard rule.families.contains(family) else { continue }
                    let ports = rule.ports.portSet
                    if verdict(rule) == .accept { accepted.formUnion(ports.intersection(remaining)) }
                    remaining = remaining.subtracting(ports)
                    if remaining.isEmpty { break }
                }
                if chain.policy == .accept { accepted.formUnion(remaining) }
                result = result.map { $0.intersection(accepted) } ?? accepted
            }
            return result ?? PortSet()
        }

        /// What the chain accepts from (to) external peers: each accept minus every rule ahead
        /// of it; `names`: addresses open on every address reach every `dns:` name too.
        func externalRules(names: Bool) -> ExternalRules {
            var rules: [(ports: PortSet, peers: ExternalSet, accept: Bool)] = []
            for (index, rule) in chain.rules.enumerated() where !external[index].isEmpty {
                // A rule over every address reaches every name too (a name resolves to some address).
                let peers = ExternalSet(addresses: external[index], dns: names && external[index].isAll ? .all : .none)
                rules.append((rule.ports.portSet, peers, verdict(rule) == .accept))
            }
            if chain.policy == .accept { rules.append((.all, ExternalSet(addresses: .all, dns: names ? .all : .none), true)) }
            var result: ExternalRules
            if let firstAccept = rules.firstIndex(where: \.accept), !rules[firstAccept...].contains(where: { !$0.accept }) {
                // Every drop ahead of every accept (as Palisade writes them): accepts minus drops.
                result = ExternalRules(contributions: rules.map { .init(ports: $0.ports, peers: $0.peers, deny: !$0.accept) })
            } else {
                result = ExternalRules()
                for (index, rule) in rules.enumerated() where rule.accept {
                    let ahead = rules[..<index].map { ExternalRules.Contribution(ports: $0.ports, peers: $0.peers, deny: true) }
                    result = result.union(ExternalRules(contributions: [.init(ports: rule.ports, peers: rule.peers, deny: false)] + ahead))
                }
            }
            return result
        }
    }

    /// The views of every workload's input and output chains.
    static func views(_ rulesets: [NFTRuleset], policy: Policy) throws -> (input: [ChainView], output: [ChainView]) {
        var workloadsByName: [String: WorkloadID] = [:]
        for workload in policy.workloads { workloadsByName[NFTNames.sanitized(workload.name)] = workload.id }
        var input: [ChainView] = []
        var output: [ChainView] = []
        for (workload, ruleset) in zip(policy.workloads, rulesets) {
            let meanings = try meanings(ruleset, policy: policy, workloadsByName: workloadsByName, file: NFTablesEmitter.path(workload.name))
            input.append(ChainView(ruleset.input, meanings: meanings))
            output.append(ChainView(ruleset.output, meanings: meanings))
        }
        return (input, output)
    }

    /// The relation the rulesets enforce (one per workload, in the policy's order).
    static func relation(_ rulesets: [NFTRuleset], policy: Policy) throws -> Relation {
        let (input, output) = try views(rulesets, policy: policy)
        var relation = Relation()
        let inFallback = input.map { $0.accepted(nil) }
        func into(_ destination: WorkloadID, from source: WorkloadID) -> PortSet {
            input[destination.index].own[source] != nil ? input[destination.index].accepted(source) : inFallback[destination.index]
        }
        for workload in policy.workloads {
            let view = output[workload.id.index]
            for destination in view.own.keys {
                let ports = view.accepted(destination).intersection(into(destination, from: workload.id))
                if !ports.isEmpty { relation.betweenWorkloads[WorkloadPair(workload.id, destination)] = ports }
            }
            let fallback = view.accepted(nil)
            if !fallback.isEmpty {
                for destination in policy.workloads where view.own[destination.id] == nil {
                    let ports = fallback.intersection(into(destination.id, from: workload.id))
                    if !ports.isEmpty { relation.betweenWorkloads[WorkloadPair(workload.id, destination.id)] = ports }
                }
            }
            let ingress = input[workload.id.index].externalRules(names: false)
            if !ingress.isEmpty { relation.ingress[workload.id] = ingress }
            let egress = view.externalRules(names: true)
            if !egress.isEmpty { relation.egress[workload.id] = egress }
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
                describe(out, owner: source, positions: out.own[destination].map { (out.general + $0).sorted() } ?? out.general, what: what)
                let into = input[destination.index]
                describe(into, owner: destination, positions: into.own[source].map { (into.general + $0).sorted() } ?? into.general, what: what)
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
