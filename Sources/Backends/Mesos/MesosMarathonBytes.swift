import IR
import YAML

extension MesosEmitter {
    /// `JSONWriter.write(marathon())`, byte for byte, written straight into one buffer: no
    /// document of tens of thousands of apps built first and walked after (a large estate's
    /// `marathon.json` is tens of megabytes). The groups, their apps and each app's objects
    /// stream through `JSONWriter.appendObject(keys:…)` and `appendArray(count:…)`; only the
    /// small, rare values (docker parameters, port mappings) are written from their trees.
    func marathonText() -> ChunkedText {
        // Each network's element of an app's `networks`, written once and copied into every
        // app that joins it; each workload's networks by position in the plan (name order).
        let networkEntries = Self.networkEntries(plan.networks.map(\.name))
        var networkOf = [[Int]](repeating: [], count: policy.workloads.count)
        for (position, network) in plan.networks.enumerated() {
            for member in network.members { networkOf[member.index].append(position) }
        }
        let root = plan.root
        var out: [UInt8] = []
        out.reserveCapacity(2048 * policy.workloads.count + 256)
        JSONWriter.appendObject(keys: ["id", "groups"], at: 0, to: &out) { key, out in
            guard key == 1 else { return JSONWriter.appendQuoted(root, to: &out) }
            JSONWriter.appendArray(count: policy.segments.count, at: 2, to: &out) { index, out in
                let segment = policy.segments[index]
                let path = "\(root == "/" ? "" : root)/\(segment.name)"
                JSONWriter.appendObject(keys: ["id", "apps"], at: 4, to: &out) { key, out in
                    guard key == 1 else { return JSONWriter.appendQuoted(path, to: &out) }
                    JSONWriter.appendArray(count: segment.workloads.count, at: 6, to: &out) { index, out in
                        let id = segment.workloads[index]
                        appendApp(policy.workloads[id.index], path: path, networks: networkOf[id.index], entries: networkEntries, to: &out)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
        return ChunkedText(bytes: out)
    }

    /// An app's keys, in `app(workload, path:, networks:)`'s order; `appendApp` writes the
    /// value of each by its position here.
    static let appKeys = ["id", "instances", "cpus", "mem", "disk", "user", "container", "networks", "labels"]
    /// A container's keys, without and with `portMappings`.
    static let containerKeys = (plain: ["type", "docker"], mapped: ["type", "docker", "portMappings"])
    /// The docker object's keys with the Mesos containerizer and with the Docker one.
    static let dockerKeys = (mesos: ["image"], docker: ["image", "privileged", "parameters"])
    /// Palisade's own label keys, ahead of the workload's (`labels(workload)`).
    static let ownLabelKeys = ["palisade.policy", "palisade.segment", "palisade.identity"]
    /// The keys of an element of an app's `networks`.
    static let networkKeys = ["mode", "name"]

    /// `app(workload, path:, networks:)` as `JSONWriter` writes it in `marathonText` (an
    /// element of a group's apps, at indentation 8), appended to `out`. `networks`: the
    /// positions in the plan of the networks it joins; `entries`: each network's element of
    /// `networks`, written.
    func appendApp(_ workload: Workload, path: String, networks: [Int], entries: [[UInt8]], to out: inout [UInt8]) {
        let runtime = workload.runtime
        let resources = runtime.resources
        let user = policy.identity(workload.identity).name
        JSONWriter.appendObject(keys: Self.appKeys, at: 8, to: &out) { key, out in
            switch key {
            case 0: JSONWriter.appendQuoted("\(path)/\(workload.name)", to: &out)
            case 1: JSONWriter.append(.int(workload.replicas), at: 10, to: &out)
            case 2: JSONWriter.append(.number(resources?.cpuMillis.map { decimalText($0, 1000) } ?? Self.defaultCPUs), at: 10, to: &out)
            case 3: JSONWriter.append(.number(resources?.memoryBytes.map { decimalText($0, 1 << 20) } ?? Self.defaultMemoryMiB), at: 10, to: &out)
            case 4: JSONWriter.append(.int(0), at: 10, to: &out)
            case 5: JSONWriter.appendQuoted(user, to: &out)
            case 6: appendContainer(workload, networks: networks, to: &out)
            case 7: JSONWriter.appendArray(count: networks.count, at: 10, to: &out) { index, out in out += entries[networks[index]] }
            default:
                let labels = workload.labels
                let own = [policy.name, policy.segments[workload.segment.index].name, user]
                JSONWriter.appendObject(keys: Self.ownLabelKeys + labels.map(\.key), at: 10, to: &out) { index, out in
                    JSONWriter.appendQuoted(index < own.count ? own[index] : labels[index - own.count].value, to: &out)
                }
            }
        }
    }

    /// For each network name, its element of an app's `networks` as `JSONWriter` writes it
    /// (at indentation 12): the element of an empty name written once by `JSONWriter`, and
    /// each name's quoted in place of its `""` (a JSON string's quoting does not depend on where
    /// it stands), rather than the whole object laid out again per network.
    static func networkEntries(_ names: [String]) -> [[UInt8]] {
        var template: [UInt8] = []
        JSONWriter.appendObject(keys: networkKeys, at: 12, to: &template) { key, out in
            JSONWriter.appendQuoted(key == 0 ? "container" : "", to: &out)
        }
        // The empty name's `""`: the last two quotes of the template.
        var quotes = template.count - 2
        while quotes > 0, template[quotes] != UInt8(ascii: "\"") || template[quotes + 1] != UInt8(ascii: "\"") { quotes -= 1 }
        let (head, tail) = (template[..<quotes], template[(quotes + 2)...])
        return names.map { name in
            var entry: [UInt8] = []
            entry.reserveCapacity(template.count + name.utf8.count + 8)
            entry += head
            JSONWriter.appendQuoted(name, to: &entry)
            entry += tail
            return entry
        }
    }

    /// An app's `container` as `app` builds it, at indentation 10 (`networks`: the positions
    /// in the plan of the networks it joins).
    func appendContainer(_ workload: Workload, networks: [Int], to out: inout [UInt8]) {
        let docker = options.containerizer == .docker
        let mapped = plan.mapped[workload.id]
        JSONWriter.appendObject(keys: mapped == nil ? Self.containerKeys.plain : Self.containerKeys.mapped, at: 10, to: &out) { key, out in
            switch key {
            case 0: JSONWriter.appendQuoted(docker ? "DOCKER" : "MESOS", to: &out)
            case 1:
                JSONWriter.appendObject(keys: docker ? Self.dockerKeys.docker : Self.dockerKeys.mesos, at: 12, to: &out) { key, out in
                    switch key {
                    case 0: JSONWriter.appendQuoted(workload.image.text, to: &out)
                    case 1: JSONWriter.append(.bool(workload.runtime.privileged == true), at: 14, to: &out)
                    default: JSONWriter.append(parametersValue(workload.runtime), at: 14, to: &out)
                    }
                }
            default:
                let names = networks.map { plan.networks[$0].name }
                JSONWriter.append(.array(portMappings(mapped ?? PortSet(), networks: names)), at: 12, to: &out)
            }
        }
    }
}
