/// Every lint rule, one line each, in id order. Tests hold this list, the rule files
/// (`Sources/Lint/Rules/`), the rule page and the rules' own examples in step.
public enum LintRegistry {
    /// The rules the linter runs on a policy.
    public static let rules: [any LintRule] = [
        Privileged(), RootUser(), PrivilegeEscalation(), DangerousCapabilities(), CapabilitiesNotDropped(), HostNamespaces(), PrivilegedSegment(),
        SeccompUnset(), ApparmorUnset(), WritableRoot(), MissingResourceLimits(), Unconfined(),
        ImageNotPinned(), LatestTag(), NoRegistryPolicy(), PublicRegistry(), SecretsWithoutDigest(),
        ExposedAdminPorts(), EgressToAny(), ShadowedFlow(), CancelledFlow(), FlowReachesNoPort(), IsolatedWorkload(), BroadCidr(),
        UnusedIdentity(), UnusedRole(), UnusedSecret(), AdminEverywhere(), SharedServiceIdentity(), GrantToService(),
        UnnamedFlow(), PublicWithoutExpectation(),
    ]

    /// Every rule with a place on the rule page: the rules, then the linter's own PAL600.
    public static let all: [any DescribedRule.Type] = rules.map { type(of: $0) } + [UnmatchedIgnore.self]

    /// Every rule's metadata, in the order of `all`.
    public static var metadata: [RuleMetadata] { all.map { $0.metadata } }

    /// The same as `metadata`, under the name the rule page and reports use.
    public static var descriptions: [RuleMetadata] { metadata }
}
