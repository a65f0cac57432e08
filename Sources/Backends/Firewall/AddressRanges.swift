import IR

/// The addresses of lists of address ranges as the cloud readers read them, each range's
/// text parsed once: rules' lists differ while the ranges in them repeat (an estate's few
/// external networks in many combinations), and parsing is the costly part.
struct AddressRanges {
    private var parsed: [String: AddressSet] = [:]

    /// The union of the ranges that parse; a text that is not a range adds nothing.
    mutating func addresses(_ ranges: [String]) -> AddressSet {
        var result = AddressSet()
        for text in ranges { result = result.union(range(text)) }
        return result
    }

    /// One range's addresses, empty when the text is not one.
    mutating func range(_ text: String) -> AddressSet {
        if let known = parsed[text] { return known }
        let addresses = if case .valid(let cidr) = CIDR.parse(text) { cidr.addressSet } else { AddressSet() }
        parsed[text] = addresses
        return addresses
    }
}
