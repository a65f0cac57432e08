import IR

/// What identity-level rules allow beyond the intent (`widened`) and what of the intent they
/// lack (`narrowed`): exactly `planned.subtracting(intent)` and `intent.subtracting(planned)`,
/// with each distinct difference of two external rules computed once: most workloads meet
/// one of a few pairs of rules, and the difference is the costly part.
func identityGaps(planned: GroupedRelation, intent: Relation) -> (widened: ProductRelation, narrowed: Relation) {
    let between = Relation(betweenWorkloads: intent.betweenWorkloads)
    var widened = planned.subtracting(between)
    var narrowed = between.subtracting(planned)
    (widened.ingress, widened.pairs.ingress) = planned.externalBeyond(planned.ingress, intent.ingress)
    (widened.egress, widened.pairs.egress) = planned.externalBeyond(planned.egress, intent.egress)
    narrowed.ingress = planned.externalLacking(intent.ingress, planned.ingress)
    narrowed.egress = planned.externalLacking(intent.egress, planned.egress)
    return (widened, narrowed)
}

extension GroupedRelation {
    /// The external part of `subtracting`: a group's rules as one block for its workloads that
    /// `theirs` gives none, and for each other workload what its rules in `theirs` leave.
    fileprivate func externalBeyond(_ mine: [Int: ExternalRules], _ theirs: [WorkloadID: ExternalRules]) -> (
        blocks: [ProductRelation.ExternalBlock], pairs: [WorkloadID: ExternalRules]
    ) {
        var blocks: [ProductRelation.ExternalBlock] = []
        var pairs: [WorkloadID: ExternalRules] = [:]
        var known = ExternalRulesDifferences()
        for group in mine.keys.sorted() {
            guard let rules = mine[group] else { continue }
            var free: [WorkloadID] = []
            for workload in groups[group] {
                guard let other = theirs[workload] else {
                    free.append(workload)
                    continue
                }
                guard other != rules else { continue }
                let rest = known.of(rules, minus: other)
                if !rest.isEmpty { pairs[workload] = rest }
            }
            if !free.isEmpty { blocks.append(.init(workloads: free, rules: rules)) }
        }
        return (blocks, pairs)
    }

    /// The external part of `Relation.subtracting(_: GroupedRelation)`: what each workload's
    /// rules in `mine` leave of its group's rules in `theirs`.
    fileprivate func externalLacking(_ mine: [WorkloadID: ExternalRules], _ theirs: [Int: ExternalRules]) -> [WorkloadID: ExternalRules] {
        var groupOf = [Int](repeating: -1, count: (groups.lazy.compactMap { $0.last?.index }.max() ?? -1) + 1)
        for (index, members) in groups.enumerated() {
            for member in members { groupOf[member.index] = index }
        }
        var known = ExternalRulesDifferences()
        var result: [WorkloadID: ExternalRules] = [:]
        for (workload, rules) in mine {
            let group = workload.index < groupOf.count ? groupOf[workload.index] : -1
            let other = theirs[group] ?? ExternalRules()
            guard other != rules else { continue }
            let rest = known.of(rules, minus: other)
            if !rest.isEmpty { result[workload] = rest }
        }
        return result
    }
}
