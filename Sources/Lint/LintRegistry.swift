/// Every lint rule, one line each, in id order. A test keeps this list, the rule page and
/// the rules' own examples in step.
public enum LintRegistry {
    public static let rules: [any LintRule] = [
        Privileged(), RootUser(), PrivilegeEscalation(), DangerousCapabilities(), CapabilitiesNotDropped(), HostNamespaces(),
        SeccompUnset(), AppArmorUnset(), WritableRoot(), MissingResourceLimits(), Unconfined(),
        ImageNotPinned(), LatestTag(), NoRegistryPolicy(), PublicRegistry(),
        ExposedAdminPorts(), EgressToAny(), ShadowedFlow(), CancelledFlow(), UnreachedWorkload(), IsolatedWorkload(), BroadCIDR(),
        UnusedIdentity(), UnusedRole(), UnusedSecret(), AdminEverywhere(), SharedServiceIdentity(), GrantToService(),
        UnnamedFlows(), PublicWorkloadWithoutExpectation(),
    ]

    /// Every rule's description, including the linter's own PAL600.
    public static var descriptions: [RuleDescription] { rules.map(\.description) + [UnmatchedIgnore.description] }
}
