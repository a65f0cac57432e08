/// Whether a plain (unquoted) scalar with this text would be read by some YAML reader as
/// something other than a string: YAML 1.1 booleans and nulls (`yes`, `on`, `~`), integers in
/// any base (`0755`, `0x1F`, `1_000`), floats (`1e3`, `1.10`, `.inf`), sexagesimal numbers
/// (`1:20`), timestamps (`2001-12-14`), the merge key `<<` and the value key `=`.
/// Writers quote such strings so that every reader gets the string back.
public func plainScalarIsAmbiguous(_ text: String) -> Bool {
    if text.isEmpty { return true }
    if text.utf8.count <= 5, ambiguousWords.contains(text) { return true }
    var body = Substring(text).utf8[...]
    if body.first == UInt8(ascii: "+") || body.first == UInt8(ascii: "-") { body = body.dropFirst() }
    if body.count == 4, [".inf", ".nan"].contains(String(decoding: body, as: UTF8.self).lowercased()) { return true }
    guard let first = body.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) || first == UInt8(ascii: ".") else { return false }
    // Numbers, timestamps and sexagesimals use only these characters.
    return body.allSatisfy { numericBytes.contains($0) }
}

private let numericBytes = Set("0123456789abcdefABCDEFxXoObB_.:+-eE tTzZ".utf8)

private let ambiguousWords: Set<String> = [
    "~", "null", "Null", "NULL",
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF",
    "<<", "=",
]
