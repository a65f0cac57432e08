import IR
import TestSupport
import Testing

@testable import Lint

/// PAL305: a segment whose workloads mount secrets, in a spec whose image policy does not
/// require digests.
@Suite struct SecretsWithoutDigestTests {
    static let pinned = "\"registry.example.com/api@sha256:\(String(repeating: "d", count: 64))\""

    /// A spec with two segments: `back` mounts `token` (in api and ledger), `front` mounts nothing.
    static func spec(imagePolicy: String?, lint: String = "") -> String {
        var text = "version: 1\nname: t\n"
        if let imagePolicy { text += "image_policy: \(imagePolicy)\n" }
        text += """
            secrets: {token: {}, key: {}}
            segments: {front: {}, back: {}}
            workloads:
              web: {image: \(pinned), segment: front}
              api: {image: \(pinned), segment: back, secrets: [token]}
              ledger: {image: \(pinned), segment: back, secrets: [token, key]}

            """
        return text + lint
    }

    func findings(_ text: String) throws -> [Finding] {
        let policy = try #require(compileSpec(text).policy, "\(compileSpec(text).diagnostics.map(\.message))")
        return Linter.lint(policy).findings.filter { $0.rule == "PAL305" }
    }

    @Test func firesOncePerSegmentHoldingSecretsWhenThereIsNoImagePolicy() throws {
        let found = try findings(Self.spec(imagePolicy: nil))
        #expect(found.map(\.subject) == ["segment:back"])
        #expect(
            found.map(\.message) == ["segment 'back' holds secrets (key, token; mounted by api, ledger) but the spec has no image_policy requiring digests"])
        #expect(found.first?.range?.start.line == 7)
        #expect(found.first?.severity == .warning)
    }

    @Test func firesWhenTheImagePolicyDoesNotRequireDigestsEvenIfEveryImageIsPinned() throws {
        for policy in ["{require_digest: false}", "{allowed_registries: [registry.example.com]}"] {
            let found = try findings(Self.spec(imagePolicy: policy))
            #expect(found.map(\.message) == ["segment 'back' holds secrets (key, token; mounted by api, ledger) but image_policy does not set require_digest"])
        }
    }

    @Test func quietWhenDigestsAreRequiredOrNoWorkloadMountsASecret() throws {
        #expect(try findings(Self.spec(imagePolicy: "{require_digest: true}")).isEmpty)
        let unmounted = "version: 1\nname: t\nsecrets: {token: {}}\nworkloads:\n  api: {image: \(Self.pinned)}\n"
        #expect(try findings(unmounted).isEmpty)
    }

    @Test func theImpliedSegmentIsNamedAfterThePolicy() throws {
        let found = try findings("version: 1\nname: shop\nsecrets: {token: {}}\nworkloads:\n  api: {image: \(Self.pinned), secrets: [token]}\n")
        #expect(found.map(\.subject) == ["segment:shop"])
    }

    @Test func disableAndIgnoreBySegmentSuppressIt() throws {
        #expect(try findings(Self.spec(imagePolicy: nil, lint: "lint: {disable: [PAL305]}\n")).isEmpty)
        for subject in ["segment:back", "back"] {
            let text = Self.spec(imagePolicy: nil, lint: "lint:\n  ignore:\n    - {rule: PAL305, subject: \(subject), reason: reviewed}\n")
            let policy = try #require(compileSpec(text).policy)
            let result = Linter.lint(policy)
            #expect(!result.findings.contains { $0.rule == "PAL305" || $0.rule == UnmatchedIgnore.metadata.id })
        }
    }
}
