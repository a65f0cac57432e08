internal import CYAML

/// Writes `StructuredValue`s as YAML through libyaml's emitter: block style, two-space
/// indentation, no line folding, and every string a YAML 1.1 reader could take for another
/// type double-quoted. Several values become a multi-document stream.
public enum YAMLWriter {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter header: comment lines (without `#`) written before the first document.
    public static func write(_ documents: [StructuredValue], header: [String] = []) throws -> String {
        // Like the parser, the emitter stays at one heap address for its whole life.
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else { throw Failure(description: "libyaml emitter did not start") }
        defer { yaml_emitter_delete(emitter) }
        let sink = OutputSink()
        try withExtendedLifetime(sink) {
            let context = Unmanaged.passUnretained(sink).toOpaque()
            yaml_emitter_set_output(
                emitter,
                { context, buffer, size in
                    guard let context, let buffer else { return 0 }
                    let sink = Unmanaged<OutputSink>.fromOpaque(context).takeUnretainedValue()
                    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                    return 1
                }, context)
            yaml_emitter_set_unicode(emitter, 1)
            yaml_emitter_set_indent(emitter, 2)
            yaml_emitter_set_width(emitter, -1)
            yaml_emitter_set_break(emitter, YAML_LN_BREAK)

            let session = Session(emitter: emitter)
            try session.emit { event in yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) }
            for document in documents {
                try session.emit { event in yaml_document_start_event_initialize(&event, nil, nil, nil, 0) }
                try session.emit(document)
                try session.emit { event in yaml_document_end_event_initialize(&event, 1) }
            }
            try session.emit { event in yaml_stream_end_event_initialize(&event) }
            guard yaml_emitter_flush(emitter) == 1 else { throw Failure(description: "libyaml emitter could not flush") }
        }
        let body = String(decoding: sink.bytes, as: UTF8.self)
        let comments = header.map { $0.isEmpty ? "#\n" : "# \($0)\n" }.joined()
        return comments + body
    }

    /// One value as a single document, without the `---` marker.
    public static func write(_ document: StructuredValue, header: [String] = []) throws -> String {
        let body = try write([document])
        let comments = header.map { $0.isEmpty ? "#\n" : "# \($0)\n" }.joined()
        return comments + (body.hasPrefix("---\n") ? String(body.dropFirst(4)) : body)
    }
}

private final class OutputSink {
    var bytes: [UInt8] = []
}

private struct Session {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    func emit(_ make: (inout yaml_event_t) -> Int32) throws {
        var event = yaml_event_t()
        guard make(&event) == 1 else { throw YAMLWriter.Failure(description: "libyaml could not create an event") }
        guard yaml_emitter_emit(emitter, &event) == 1 else {
            let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            throw YAMLWriter.Failure(description: "libyaml emitter: \(problem)")
        }
    }

    func emit(_ value: StructuredValue) throws {
        switch value {
        case .string(let text):
            try scalar(text, style: plainScalarIsAmbiguous(text) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)
        case .int(let number): try scalar(String(number), style: YAML_PLAIN_SCALAR_STYLE)
        case .number(let text): try scalar(text, style: YAML_PLAIN_SCALAR_STYLE)
        case .bool(let flag): try scalar(flag ? "true" : "false", style: YAML_PLAIN_SCALAR_STYLE)
        case .null: try scalar("null", style: YAML_PLAIN_SCALAR_STYLE)
        case .array(let items):
            try emit { event in
                yaml_sequence_start_event_initialize(&event, nil, nil, 1, items.isEmpty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE)
            }
            for item in items { try emit(item) }
            try emit { event in yaml_sequence_end_event_initialize(&event) }
        case .object(let entries):
            try emit { event in
                yaml_mapping_start_event_initialize(&event, nil, nil, 1, entries.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE)
            }
            for entry in entries {
                try emit(.string(entry.key))
                try emit(entry.value)
            }
            try emit { event in yaml_mapping_end_event_initialize(&event) }
        }
    }

    func scalar(_ text: String, style: yaml_scalar_style_t) throws {
        // libyaml copies `length` bytes; an empty string still needs a valid pointer.
        var text = text
        let empty: UInt8 = 0
        try withUnsafePointer(to: empty) { fallback in
            try text.withUTF8 { buffer in
                let base = UnsafeMutablePointer(mutating: buffer.baseAddress ?? fallback)
                try emit { event in
                    yaml_scalar_event_initialize(&event, nil, nil, base, Int32(buffer.count), 1, 1, style)
                }
            }
        }
    }
}
