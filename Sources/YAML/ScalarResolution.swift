/// Whether a plain (unquoted) scalar with this text would be read by some YAML reader as
/// something other than a string: YAML 1.1 booleans and nulls (`yes`, `on`, `~`), integers in
/// any base (`0755`, `0x1F`, `1_000`), floats (`1e3`, `1.10`, `.inf`), sexagesimal numbers
/// (`1:20`), timestamps (`2001-12-14`), the merge key `<<` and the value key `=`.
/// Writers quote such strings so that every reader gets the string back.
public func plainScalarIsAmbiguous(_ text: String) -> Bool {
    if text.isEmpty { return true }
    if ambiguousWords.contains(text) { return true }
    var body = Substring(text)
    if body.first == "+" || body.first == "-" { body = body.dropFirst() }
    let lowered = body.lowercased()
    if lowered == ".inf" || lowered == ".nan" { return true }
    guard let first = body.first, first.isASCII, first.isNumber || first == "." else { return false }
    // Numbers, timestamps and sexagesimals use only these characters.
    let numeric: Set<Character> = Set("0123456789abcdefABCDEFxXoObB_.:+-eE tTzZ")
    return body.allSatisfy { numeric.contains($0) }
}

private let ambiguousWords: Set<String> = [
    "~", "null", "Null", "NULL",
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF",
    "<<", "=",
]
