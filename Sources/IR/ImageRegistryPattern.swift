extension ImageReference {
    /// Whether the image comes from a `host[:port][/path-prefix]` pattern: same registry
    /// (case-insensitively), and the path starts with the prefix at a component boundary.
    /// The one rule for `image_policy.allowed_registries`: the front end checks the spec's
    /// images with it, and the admission policies the Kubernetes-family targets write
    /// (`ImageAdmission`) express exactly it, tested against it.
    public func matches(registryPattern pattern: String) -> Bool {
        let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard String(parts[0]).lowercased() == registry.lowercased() else { return false }
        guard parts.count == 2 else { return true }
        let prefix = String(parts[1])
        return path == prefix || path.hasPrefix(prefix + "/")
    }
}
