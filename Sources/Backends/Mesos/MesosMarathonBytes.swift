import IR
import YAML

extension MesosEmitter {
    /// `JSONWriter.write(marathon())`, byte for byte, written straight to bytes: no document
    /// of tens of thousands of apps built first and walked after (a large estate's
    /// `marathon.json` is tens of megabytes).
    func marathonText() -> String {
        let networkOf = networksByWorkload()
        let root = plan.root
        var json = JSONBytes()
        json.out.reserveCapacity(2048 * policy.workloads.count + 256)
        json.open("{")
        json.key("id")
        json.string(root)
        json.key("groups")
        json.open("[", empty: policy.segments.isEmpty)
        for segment in policy.segments {
            let path = "\(root == "/" ? "" : root)/\(segment.name)"
            json.element()
            json.open("{")
            json.key("id")
            json.string(path)
            json.key("apps")
            json.open("[", empty: segment.workloads.isEmpty)
            for id in segment.workloads {
                json.element()
                app(policy.workloads[id.index], path: path, networks: networkOf[id] ?? [], into: &json)
            }
            json.close("]", empty: segment.workloads.isEmpty)
            json.close("}")
        }
        json.close("]", empty: policy.segments.isEmpty)
        json.close("}")
        json.out.append(UInt8(ascii: "\n"))
        return String(decoding: json.out, as: UTF8.self)
    }

    /// `app(workload, path:, networks:)` as `JSONWriter` writes it, at the writer's depth.
    func app(_ workload: Workload, path: String, networks: [String], into json: inout JSONBytes) {
        let runtime = workload.runtime
        let resources = runtime.resources
        json.open("{")
        json.key("id")
        json.string("\(path)/\(workload.name)")
        json.key("instances")
        json.int(workload.replicas)
        json.key("cpus")
        json.raw(resources?.cpuMillis.map { decimalText($0, 1000) } ?? Self.defaultCPUs)
        json.key("mem")
        json.raw(resources?.memoryBytes.map { decimalText($0, 1 << 20) } ?? Self.defaultMemoryMiB)
        json.key("disk")
        json.int(0)
        json.key("user")
        json.string(policy.identity(workload.identity).name)
        json.key("container")
        json.open("{")
        json.key("type")
        json.string(options.containerizer == .docker ? "DOCKER" : "MESOS")
        json.key("docker")
        json.open("{")
        json.key("image")
        json.string(workload.image.text)
        if options.containerizer == .docker {
            json.key("privileged")
            json.raw(runtime.privileged == true ? "true" : "false")
            json.key("parameters")
            let parameters = parameters(runtime)
            json.open("[", empty: parameters.isEmpty)
            for (key, value) in parameters {
                json.element()
                json.open("{")
                json.key("key")
                json.string(key)
                json.key("value")
                json.string(value)
                json.close("}")
            }
            json.close("]", empty: parameters.isEmpty)
        }
        json.close("}")
        if let ports = plan.mapped[workload.id] {
            json.key("portMappings")
            let empty = ports.ranges.isEmpty
            json.open("[", empty: empty)
            for range in ports.ranges {
                for port in range.lower...range.upper {
                    json.element()
                    json.open("{")
                    json.key("containerPort")
                    json.int(port)
                    json.key("hostPort")
                    json.int(port)
                    json.key("protocol")
                    json.string(range.proto.description)
                    if networks.count > 1 {
                        json.key("networkNames")
                        json.open("[")
                        json.element()
                        json.string(networks[0])
                        json.close("]")
                    }
                    json.close("}")
                }
            }
            json.close("]", empty: empty)
        }
        json.close("}")
        json.key("networks")
        json.open("[", empty: networks.isEmpty)
        for network in networks {
            json.element()
            json.open("{")
            json.key("mode")
            json.string("container")
            json.key("name")
            json.string(network)
            json.close("}")
        }
        json.close("]", empty: networks.isEmpty)
        json.key("labels")
        json.open("{")
        json.key("palisade.policy")
        json.string(policy.name)
        json.key("palisade.segment")
        json.string(policy.segments[workload.segment.index].name)
        json.key("palisade.identity")
        json.string(policy.identity(workload.identity).name)
        for label in workload.labels {
            json.key(label.key)
            json.string(label.value)
        }
        json.close("}")
        json.close("}")
    }
}

/// JSON written as it goes, in `JSONWriter`'s layout (two-space indentation, `"key": value`,
/// `[]` and `{}` for empty collections): the caller says which collections are empty, opens
/// and closes them, and names each entry (`key`) or element (`element`) before its value.
struct JSONBytes {
    var out: [UInt8] = []
    /// The depth of the collection being written.
    private var depth = 0
    /// Whether the collection being written has no entry yet.
    private var first = true

    mutating func open(_ bracket: Character, empty: Bool = false) {
        out.append(UInt8(ascii: bracket.unicodeScalars.first!))
        if empty { return }
        depth += 1
        first = true
    }

    mutating func close(_ bracket: Character, empty: Bool = false) {
        if !empty {
            depth -= 1
            out.append(UInt8(ascii: "\n"))
            indent()
        }
        out.append(UInt8(ascii: bracket.unicodeScalars.first!))
        first = false
    }

    /// Starts an element of an array.
    mutating func element() {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\n"))
        indent()
        first = false
    }

    /// Starts an entry of an object: its key.
    mutating func key(_ key: String) {
        element()
        string(key)
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(ascii: " "))
    }

    private mutating func indent() {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    /// A string, quoted and escaped as `JSONWriter` does.
    mutating func string(_ text: String) {
        let plain =
            text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                for byte in bytes where byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return false }
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
                return true
            } ?? false
        if !plain { out.append(contentsOf: JSONWriter.compact(.string(text)).utf8) }
    }

    mutating func int(_ number: Int) { out.append(contentsOf: String(number).utf8) }

    /// A number or literal written as it is.
    mutating func raw(_ text: String) { out.append(contentsOf: text.utf8) }
}
