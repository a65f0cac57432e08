import IR
import YAML

extension SwarmEmitter {
    /// What `YAMLWriter.write(document(), header:)` writes, byte for byte, written straight
    /// to bytes without the document built first (a large estate's stack is tens of
    /// megabytes); nil when a string needs what only libyaml writes (escapes, non-ASCII, a
    /// quoted style such as for leading or trailing spaces, a key over 128 bytes), which
    /// `file()` then writes through the document.
    func composeText(header: [String]) -> String? {
        var yaml = BlockYAML()
        yaml.out.reserveCapacity(2048 * policy.workloads.count + 1024)
        for line in header { yaml.out += (line.isEmpty ? "#\n" : "# \(line)\n").utf8 }
        var networksByWorkload = [[String]](repeating: [], count: policy.workloads.count)
        for network in plan.networks {
            for member in network.members { networksByWorkload[member.index].append(network.name) }
        }
        yaml.key("version")
        yaml.value(Self.version)
        yaml.key("services")
        if policy.workloads.isEmpty {
            yaml.raw(" {}")
        } else {
            yaml.open()
            for workload in policy.workloads {
                yaml.key(workload.name)
                yaml.open()
                service(workload, networks: networksByWorkload[workload.id.index], into: &yaml)
                yaml.close()
            }
            yaml.close()
        }
        yaml.key("networks")
        if plan.networks.isEmpty {
            yaml.raw(" {}")
        } else {
            yaml.open()
            for network in plan.networks {
                yaml.key(network.name)
                yaml.write(self.network(network))
            }
            yaml.close()
        }
        let secrets = Set(policy.workloads.flatMap(\.secrets)).sorted()
        if !secrets.isEmpty {
            yaml.key("secrets")
            yaml.open()
            for secret in secrets {
                yaml.key(secret)
                yaml.open()
                yaml.key("external")
                yaml.raw(" true")
                yaml.close()
            }
            yaml.close()
        }
        yaml.out.append(UInt8(ascii: "\n"))
        return yaml.failed ? nil : String(decoding: yaml.out, as: UTF8.self)
    }

    /// `service(workload, networks:)`'s entries, the common ones written directly, the
    /// others (volumes, secrets, ports, deploy) through their values.
    func service(_ workload: Workload, networks: [String], into yaml: inout BlockYAML) {
        let runtime = workload.runtime
        if !isOverlay {
            yaml.key("image")
            yaml.value(escaped(workload.image.text))
        }
        if let user = runtime.user {
            yaml.key("user")
            yaml.value(String(user))
        }
        if let readOnly = runtime.readOnlyRoot {
            yaml.key("read_only")
            yaml.raw(readOnly ? " true" : " false")
        }
        if let capabilities = runtime.capabilities {
            if !capabilities.add.isEmpty {
                yaml.key("cap_add")
                for capability in capabilities.add { yaml.item(capability) }
            }
            if !capabilities.drop.isEmpty {
                yaml.key("cap_drop")
                for capability in capabilities.drop { yaml.item(capability) }
            }
        }
        if let paths = runtime.writablePaths, !paths.isEmpty {
            yaml.key("volumes")
            yaml.write(volumes(paths))
        }
        if !workload.secrets.isEmpty {
            yaml.key("secrets")
            yaml.write(secrets(workload))
        }
        yaml.key("networks")
        if networks.isEmpty { yaml.raw(" []") }
        for network in networks { yaml.item(network) }
        if let ports = plan.published[workload.id] {
            yaml.key("ports")
            yaml.write(.array(portEntries(ports, remapped: plan.ingressPorts[workload.id] ?? [:])))
        }
        if !workload.labels.isEmpty {
            yaml.key("labels")
            yaml.open()
            for label in workload.labels {
                yaml.key(escaped(label.key))
                yaml.value(escaped(label.value))
            }
            yaml.close()
        }
        yaml.key("deploy")
        yaml.write(deploy(workload))
    }
}

/// A block YAML document written as it goes, in `YAMLWriter`'s layout (two-space indentation,
/// sequences in a mapping at their key's column, a mapping in a sequence starting after its
/// `- `), its scalars by `YAMLWriter.appendBlockScalar`; `failed` once a scalar needs libyaml.
/// The first key starts the text (as `YAMLWriter.write(_:header:)` writes a document).
struct BlockYAML {
    var out: [UInt8] = []
    private(set) var failed = false
    /// The column of the keys of the mapping being written.
    private var column = 0
    /// Whether the next key follows a sequence's `- ` (or starts the document) on this line.
    private var inline = true

    private mutating func lineStart(_ column: Int) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: column))
    }

    private mutating func scalar(_ text: String, key: Bool = false) {
        if !YAMLWriter.appendBlockScalar(text, key: key, to: &out) { failed = true }
    }

    /// A key of the mapping being written, with its colon.
    mutating func key(_ key: String) {
        if inline { inline = false } else { lineStart(column) }
        scalar(key, key: true)
        out.append(UInt8(ascii: ":"))
    }

    /// A string value after its key.
    mutating func value(_ text: String) {
        out.append(UInt8(ascii: " "))
        scalar(text)
    }

    /// Text written as it is (a number, `true`, `[]` with its leading space).
    mutating func raw(_ text: String) { out += text.utf8 }

    /// A non-empty mapping as the value of the key just written; `close` ends it.
    mutating func open() { column += 2 }
    mutating func close() { column -= 2 }

    /// A string item of a non-empty sequence that is the value of the key just written.
    mutating func item(_ text: String) {
        lineStart(column)
        out.append(UInt8(ascii: "-"))
        out.append(UInt8(ascii: " "))
        scalar(text)
    }

    /// `value` after the key just written, as `YAMLWriter` writes it.
    mutating func write(_ value: StructuredValue) {
        switch value {
        case .object(let entries) where !entries.isEmpty:
            open()
            for entry in entries {
                key(entry.key)
                write(entry.value)
            }
            close()
        case .array(let items) where !items.isEmpty:
            for item in items {
                lineStart(column)
                out.append(UInt8(ascii: "-"))
                out.append(UInt8(ascii: " "))
                writeItem(item)
            }
        default:
            out.append(UInt8(ascii: " "))
            leaf(value)
        }
    }

    /// An item of a sequence, after its `- `.
    private mutating func writeItem(_ item: StructuredValue) {
        switch item {
        case .object(let entries) where !entries.isEmpty:
            column += 2
            inline = true
            for entry in entries {
                key(entry.key)
                write(entry.value)
            }
            column -= 2
        case .array(let items) where !items.isEmpty:
            column += 2
            for (position, inner) in items.enumerated() {
                if position > 0 { lineStart(column) }
                out.append(UInt8(ascii: "-"))
                out.append(UInt8(ascii: " "))
                writeItem(inner)
            }
            column -= 2
        default:
            leaf(item)
        }
    }

    private mutating func leaf(_ value: StructuredValue) {
        switch value {
        case .string(let text): scalar(text)
        case .int(let number): plain(String(number))
        case .number(let text): plain(text)
        case .bool(let flag): out += (flag ? "true" : "false").utf8
        case .null: out += "null".utf8
        case .array: out += "[]".utf8
        case .object: out += "{}".utf8
        }
    }

    /// A scalar libyaml writes plain whatever it reads as (numbers).
    private mutating func plain(_ text: String) {
        if !YAMLWriter.appendBlockScalar(text, plain: true, to: &out) { failed = true }
    }
}
