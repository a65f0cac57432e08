import Testing

@testable import IR

/// Enums hashed and compared by case (`HashedByCase`): equal exactly when their raw values
/// are, each case's tag its place among the cases, and usable as dictionary keys.
@Suite struct HashedByCaseTests {
    func check<T: HashedByCase & CaseIterable>(_: T.Type) where T.RawValue: Hashable {
        let cases = Array(T.allCases)
        #expect(cases.map { Int($0.caseTag) } == Array(cases.indices))
        #expect(cases.map(\.caseIndex) == Array(cases.indices))
        for a in cases {
            for b in cases { #expect((a == b) == (a.rawValue == b.rawValue)) }
        }
        let keyed = Dictionary(uniqueKeysWithValues: cases.enumerated().map { ($1, $0) })
        #expect(cases.enumerated().allSatisfy { keyed[$1] == $0 })
        #expect(Set(cases.map(\.hashValue)).count == cases.count)
    }

    @Test func casesAreTheirOwnKeys() {
        check(Capability.self)
        check(RuntimeKey.self)
        check(Gap.Kind.self)
        check(IdentityKind.self)
        check(Action.self)
        check(TargetName.self)
        check(GapPolicy.self)
    }

    @Test func enumsWithoutAListOfCasesToo() {
        let supports: [Support] = [.full, .partial, .none]
        #expect(Set(supports).count == 3 && supports.map(\.caseTag) == [0, 1, 2])
        #expect(Support.none != .full && Support(rawValue: "none") == Support.none)
        #expect(FlowAction(rawValue: FlowAction.deny.rawValue) == .deny)
    }
}
