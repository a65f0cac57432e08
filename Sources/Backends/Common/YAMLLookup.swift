import YAML

extension YAMLNode {
    /// The value of `key` when this is a mapping: for readers of generated files.
    subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = content else { return nil }
        return pairs.first { $0.name == key }?.value
    }
}
