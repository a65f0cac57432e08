internal import CYAML

/// The least work any YAML front end does on a file: libyaml's event parser run over it, every
/// event dropped, no node composed. The benchmark measures it as the floor the front end is
/// held to (`palisade compile --parse-floor`, hidden).
public enum YAMLParseFloor {
    /// The number of events libyaml parses from `bytes`, or nil when libyaml reports an error.
    public static func events(in bytes: [UInt8]) -> Int? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { return nil }
        defer { yaml_parser_delete(parser) }
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            var byte: UInt8 = 0
            return withUnsafePointer(to: &byte) { empty -> Int? in
                yaml_parser_set_input_string(parser, buffer.count > 0 ? buffer.baseAddress : empty, buffer.count)
                var count = 0
                while true {
                    var event = yaml_event_t()
                    guard yaml_parser_parse(parser, &event) == 1 else { return nil }
                    let type = event.type
                    yaml_event_delete(&event)
                    count += 1
                    if type == YAML_STREAM_END_EVENT { return count }
                }
            }
        }
    }
}
