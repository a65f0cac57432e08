/// A document to write: the common shape of every generated YAML and JSON file. Mappings
/// keep the order they were built in, so output is deterministic by construction.
public enum StructuredValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    /// A number written exactly as given (`0.5`, `128`): for fractions without floating-point
    /// rounding in the output.
    case number(String)
    case bool(Bool)
    case null
    case array([StructuredValue])
    case object([Entry])

    /// One key and value of an object.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: StructuredValue

        public init(_ key: String, _ value: StructuredValue) {
            self.key = key
            self.value = value
        }
    }

    /// An object from ordered pairs.
    public static func object(_ pairs: KeyValuePairs<String, StructuredValue>) -> StructuredValue {
        .object(pairs.map { Entry($0.key, $0.value) })
    }

    /// The value for `key` when this is an object.
    public subscript(key: String) -> StructuredValue? {
        guard case .object(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

extension StructuredValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: StructuredValue...) { self = .array(elements) }
}
