import Backends
import Diagnostics
import IR

/// What a target really enforces of a policy, measured against the intent.
public enum Fidelity {
    /// The connections a target's files allow. Every backend's reader tests hold it to
    /// `read(files) = intent − narrowed + widened`, so this is the read-back relation without
    /// reading the files again.
    public static func relation(_ policy: Policy, _ emission: Emission) -> Relation {
        policy.intent.subtracting(emission.narrowed).union(emission.widened)
    }

    /// The part of `relation(policy, emission)` an assertion from `sources` to `destinations`
    /// can see (nil: every workload): the widened products are expanded only between those
    /// workloads, so a few assertions about a large estate never list its widened pairs.
    /// The intent is restricted alike before the narrowed pairs are taken out, so the work is
    /// in the part the assertions see, not in the whole intent.
    public static func relation(_ policy: Policy, _ emission: Emission, sources: Set<WorkloadID>?, destinations: Set<WorkloadID>?) -> Relation {
        let widened = emission.widenedProducts.restricted(sources: sources, destinations: destinations)
        return restricted(policy.intent, sources: sources, destinations: destinations).subtracting(emission.narrowed).union(widened)
    }

    /// The part of `relation` from `sources` (nil: every workload) to `destinations`: the
    /// pairs between them, the ingress of `destinations` and the egress of `sources`. Few
    /// pairs of them are looked up one by one; else the relation's pairs are filtered.
    static func restricted(_ relation: Relation, sources: Set<WorkloadID>?, destinations: Set<WorkloadID>?) -> Relation {
        guard sources != nil || destinations != nil else { return relation }
        var part = Relation()
        if let sources, let destinations, sources.count * destinations.count < relation.betweenWorkloads.count {
            for source in sources {
                for destination in destinations {
                    let pair = WorkloadPair(source, destination)
                    if let ports = relation.betweenWorkloads[pair] { part.betweenWorkloads[pair] = ports }
                }
            }
        } else {
            let sourceSet = WorkloadMembership(sources)
            let destinationSet = WorkloadMembership(destinations)
            for (pair, ports) in relation.betweenWorkloads where sourceSet.contains(pair.source) && destinationSet.contains(pair.destination) {
                part.betweenWorkloads[pair] = ports
            }
        }
        if let destinations {
            for id in destinations { if let rules = relation.ingress[id] { part.ingress[id] = rules } }
        } else {
            part.ingress = relation.ingress
        }
        if let sources {
            for id in sources { if let rules = relation.egress[id] { part.egress[id] = rules } }
        } else {
            part.egress = relation.egress
        }
        return part
    }

    /// The `expect` assertions that fail on what a target's emission allows, judged on the
    /// part of its relation between the workloads the assertions name.
    public static func expectationGaps(_ policy: Policy, target: TargetName, emission: Emission) -> [Gap] {
        let applicable = policy.expectations.filter { $0.targets?.contains(target) ?? true }
        guard !applicable.isEmpty else { return [] }
        var sources = Set<WorkloadID>()
        var destinations = Set<WorkloadID>()
        for expectation in applicable {
            sources.formUnion(expectation.sources.workloads)
            destinations.formUnion(expectation.destinations.workloads)
        }
        return expectationGaps(policy, target: target, relation: relation(policy, emission, sources: sources, destinations: destinations))
    }

    /// The `expect` assertions that fail on a target's relation, as gaps located at the
    /// assertion, each with a witness connection.
    public static func expectationGaps(_ policy: Policy, target: TargetName, relation: Relation) -> [Gap] {
        let listens = policy.workloads.map(\.listens)
        let names = policy.workloads.map(\.name)
        return policy.expectations.compactMap { expectation in
            guard expectation.targets?.contains(target) ?? true else { return nil }
            guard let witness = expectation.witness(on: relation, listens: listens) else { return nil }
            return Gap(
                kind: .expectationFailed, capability: .workloadSegmentation, target: target,
                subject: .expectation(expectation.kind, witness: Connection(witness, names: names)), reason: "", origin: expectation.origin)
        }
    }

    /// `exact`, or the gaps counted by kind: `3 widened, 1 narrowed, 2 unenforced`. With a
    /// target's capabilities, the unenforced gaps of controls it does not cover at all are
    /// counted apart, after the other unenforced ones: `2 widened, 88 outside its scope`
    /// (`TargetGaps`). Where a widened or narrowed gap is a product standing for several
    /// connections, the connections are counted too, from the products' sizes (never listed):
    /// `2 widened (600 connections)`.
    public static func summary(_ gaps: [Gap], capabilities: [Capability: Support] = [:]) -> String {
        guard !gaps.isEmpty else { return "exact" }
        // Counted by kind in arrays, each gap read in place: a cloud target's gaps number over
        // a hundred thousand at 10,000 workloads, and copying each one retains all its parts.
        let kinds = Gap.Kind.allCases
        var counts = [Int](repeating: 0, count: kinds.count)
        var connections = counts
        var outside = 0
        // Whether an unenforced gap of each control is outside the target's scope (1) or not
        // (0), looked up once per control (-1: not yet), not once per gap.
        var outsideByControl = [Int8](repeating: -1, count: Capability.allCases.count)
        // Each gap's fields are read where they lie: passing the gap on, or asking every gap
        // for its connections' count, copied it (and retained its strings) each time.
        for index in gaps.indices {
            let kind = gaps[index].kind
            if kind == .unenforced {
                let capability = gaps[index].capability
                if outsideByControl[capability.caseIndex] < 0 {
                    outsideByControl[capability.caseIndex] =
                        TargetGaps.isOutsideScope(kind: kind, capability: capability, capabilities: capabilities) ? 1 : 0
                }
                if outsideByControl[capability.caseIndex] == 1 {
                    outside += 1
                    continue
                }
            }
            let slot = kind.caseIndex
            counts[slot] += 1
            if kind == .widened || kind == .narrowed { connections[slot] += gaps[index].pairCount }
        }
        // Only widened and narrowed gaps say how many connections they stand for.
        func part(_ kind: Gap.Kind) -> String? {
            let slot = kind.caseIndex
            guard counts[slot] > 0 else { return nil }
            guard kind == .widened || kind == .narrowed, connections[slot] != counts[slot] else { return "\(counts[slot]) \(kind.rawValue)" }
            return "\(counts[slot]) \(kind.rawValue) (\(connections[slot]) connections)"
        }
        var parts = [Gap.Kind.widened, .narrowed, .unenforced].compactMap(part)
        if outside > 0 { parts.append("\(outside) \(outsideScope)") }
        parts += [Gap.Kind.expectationFailed, .platformRequired].compactMap(part)
        return parts.joined(separator: ", ")
    }

    /// The words for the gaps of controls a target does not cover at all.
    public static let outsideScope = "outside its scope"
}
