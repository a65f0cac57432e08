import IR
import YAML

extension MesosEmitter {
    /// `JSONWriter.write(marathon())`, byte for byte, written straight into one buffer: no
    /// document of tens of thousands of apps built first and walked after (a large estate's
    /// `marathon.json` is tens of megabytes). The groups, their apps and each app's objects
    /// stream through `JSONWriter.appendObject(keys:…)` and `appendArray(count:…)`; only the
    /// small, rare values (docker parameters, port mappings) are written from their trees.
    func marathonText() -> String {
        let networkOf = networksByWorkload()
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
                        appendApp(policy.workloads[id.index], path: path, networks: networkOf[id] ?? [], to: &out)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
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

    /// `app(workload, path:, networks:)` as `JSONWriter` writes it in `marathonText` (an
    /// element of a group's apps, at indentation 8), appended to `out`.
    func appendApp(_ workload: Workload, path: String, networks: [String], to out: inout [UInt8]) {
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
            case 7:
                JSONWriter.appendArray(count: networks.count, at: 10, to: &out) { index, out in
                    JSONWriter.appendObject(keys: ["mode", "name"], at: 12, to: &out) { key, out in
                        JSONWriter.appendQuoted(key == 0 ? "container" : networks[index], to: &out)
                    }
                }
            default:
                let labels = workload.labels
                let own = [policy.name, policy.segments[workload.segment.index].name, user]
                JSONWriter.appendObject(keys: Self.ownLabelKeys + labels.map(\.key), at: 10, to: &out) { index, out in
                    JSONWriter.appendQuoted(index < own.count ? own[index] : labels[index - own.count].value, to: &out)
                }
            }
        }
    }

    /// An app's `container` as `app` builds it, at indentation 10.
    func appendContainer(_ workload: Workload, networks: [String], to out: inout [UInt8]) {
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
            default: JSONWriter.append(.array(portMappings(mapped ?? PortSet(), networks: networks)), at: 12, to: &out)
            }
        }
    }
}
