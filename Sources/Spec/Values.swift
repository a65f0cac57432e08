import Diagnostics
import IR
import YAML

extension Decoder {
    mutating func imageReference(_ node: YAMLNode) -> Located<ImageReference>? {
        guard let text = string(node, in: "image") else { return nil }
        switch parseImageReference(text.value) {
        case .success(let reference): return Located(reference, at: node.range)
        case .failure(let problem):
            report(
                .error(
                    .invalidImage, "'\(text.value)' is not a valid image reference: \(problem.reason)", at: node.range,
                    help: problem.help))
            return nil
        }
    }

    mutating func runtime(_ node: YAMLNode) -> RuntimeProfile {
        var profile = RuntimeProfile()
        guard let fields = fields(node, SpecSchema.runtime, in: "a runtime profile") else { return profile }
        for pair in fields.pairs {
            if let key = RuntimeKey(rawValue: pair.name) { profile.origins[key] = pair.key.range }
        }
        func flag(_ key: RuntimeKey) -> Bool? { fields[key.name].flatMap { boolean($0, in: key.name)?.value } }
        profile.user = fields["user"].flatMap { integer($0, in: "user", minimum: 0, maximum: 2_147_483_647)?.value }
        profile.runAsNonRoot = flag(.runAsNonRoot)
        profile.privileged = flag(.privileged)
        profile.readOnlyRoot = flag(.readOnlyRoot)
        profile.noNewPrivileges = flag(.noNewPrivileges)
        profile.hostNetwork = flag(.hostNetwork)
        profile.hostPID = flag(.hostPID)
        profile.hostIPC = flag(.hostIPC)
        if let node = fields["writable_paths"] {
            profile.writablePaths = (list(node, in: "writable_paths") ?? []).compactMap { item in
                guard let path = string(item, in: "a writable path") else { return nil }
                if let problem = absolutePathProblem(path.value) {
                    report(.error(.invalidRuntimeValue, "writable path '\(path.value)' \(problem)", at: item.range))
                    return nil
                }
                return path.value
            }
        }
        if let node = fields["capabilities"], let capabilities = self.fields(node, SpecSchema.capabilities, in: "capabilities") {
            profile.capabilities = Capabilities(
                add: capabilities["add"].map { capabilityList($0, allowAll: false) } ?? [],
                drop: capabilities["drop"].map { capabilityList($0, allowAll: true) } ?? [])
        }
        profile.seccomp = fields["seccomp"].flatMap { securityProfile($0, kind: "seccomp") }
        profile.apparmor = fields["apparmor"].flatMap { securityProfile($0, kind: "apparmor") }
        if let node = fields["resources"] { profile.resources = resources(node) }
        // A root user with run_as_non_root can never start.
        if profile.user == 0, profile.runAsNonRoot == true, let range = fields.keyRange("run_as_non_root") {
            report(.error(.invalidRuntimeValue, "run_as_non_root is true but user is 0: the workload could never start", at: range))
        }
        return profile
    }

    mutating func capabilityList(_ node: YAMLNode, allowAll: Bool) -> [String] {
        var result: [String] = []
        for item in list(node, in: "capabilities") ?? [] {
            guard let name = string(item, in: "a capability") else { continue }
            var value = name.value
            if value == "ALL" {
                if allowAll {
                    result.append(value)
                } else {
                    report(.error(.invalidCapability, "ALL can only be dropped, not added", at: item.range))
                }
                continue
            }
            if value.uppercased().hasPrefix("CAP_") {
                report(
                    .error(
                        .invalidCapability, "write capabilities without the CAP_ prefix", at: item.range,
                        help: "write '\(value.uppercased().dropFirst(4))'"))
                continue
            }
            guard linuxCapabilities.contains(value) else {
                let help =
                    linuxCapabilities.contains(value.uppercased()) ? "write '\(value.uppercased())'" : didYouMean(value.uppercased(), in: linuxCapabilities)
                report(.error(.invalidCapability, "unknown capability '\(value)'", at: item.range, help: help))
                continue
            }
            if result.contains(value) {
                report(.error(.duplicateEntry, "capability '\(value)' is listed twice", at: item.range))
            }
            value = value.uppercased()
            result.append(value)
        }
        return Array(Set(result)).sorted()
    }

    mutating func securityProfile(_ node: YAMLNode, kind: String) -> SecurityProfile? {
        guard let text = string(node, in: kind) else { return nil }
        switch text.value {
        case "runtime-default": return .runtimeDefault
        case "unconfined": return .unconfined
        default:
            let name = text.value.hasPrefix("localhost/") ? String(text.value.dropFirst("localhost/".count)) : ""
            guard !name.isEmpty, !name.contains(".."), name.allSatisfy({ !$0.isWhitespace && $0.isASCII }) else {
                report(
                    .error(
                        .invalidRuntimeValue, "'\(text.value)' is not a \(kind) profile", at: node.range,
                        help: didYouMean(text.value, in: ["runtime-default", "unconfined"]) ?? "profiles are runtime-default, unconfined or localhost/NAME"))
                return nil
            }
            return .localhost(name)
        }
    }

    mutating func resources(_ node: YAMLNode) -> Resources? {
        guard let fields = fields(node, SpecSchema.resources, in: "resources") else { return nil }
        var resources = Resources()
        if let node = fields["cpu"], let text = node.scalar {
            if let millis = Quantity.millicores(text), millis > 0 {
                resources.cpuMillis = millis
            } else {
                report(
                    .error(
                        .invalidRuntimeValue, "'\(text)' is not a cpu quantity", at: node.range,
                        help: "write millicores like 500m, or cores like 2 or 0.5"))
            }
        } else if let node = fields["cpu"] {
            wrongType(node, expected: "a cpu quantity", in: "cpu")
        }
        if let node = fields["memory"], let text = node.scalar {
            if let bytes = Quantity.bytes(text), bytes > 0 {
                resources.memoryBytes = bytes
                resources.memoryText = text
            } else {
                report(
                    .error(
                        .invalidRuntimeValue, "'\(text)' is not a memory quantity", at: node.range,
                        help: "write 256Mi, 1Gi, 512M or a number of bytes"))
            }
        } else if let node = fields["memory"] {
            wrongType(node, expected: "a memory quantity", in: "memory")
        }
        resources.pids = fields["pids"].flatMap { integer($0, in: "pids", minimum: 1, maximum: 4_194_304)?.value }
        return resources
    }
}

/// Why a writable path is not a clean absolute path, or nil.
func absolutePathProblem(_ path: String) -> String? {
    guard path.hasPrefix("/") else { return "is not absolute" }
    guard path != "/" else { return "would make the whole root writable" }
    let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    guard !components.contains(where: { $0 == ".." || $0 == "." }) else { return "has '.' or '..' in it" }
    guard !components.dropLast().contains(where: \.isEmpty) else { return "has an empty component" }
    guard path.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0 != ":" && $0 != "," }) else {
        return "has a control character, ':' or ','"
    }
    return nil
}

/// Linux capability names without `CAP_` (capabilities(7), up to Linux 6.x).
let linuxCapabilities: [String] = [
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
    "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
    "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT",
    "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
]

struct ImageProblem: Error {
    var reason: String
    var help: String?
}

/// Parses an image reference the way Docker's reference grammar does:
/// `[domain[:port]/]path[:tag][@sha256:<64 hex>]`. Works on the UTF-8 bytes in place: specs
/// name thousands of images, and a valid reference costs no array and no split.
func parseImageReference(_ text: String) -> Result<ImageReference, ImageProblem> {
    var contiguous = text
    return contiguous.withUTF8 { parseImageReference(text, bytes: $0) }
}

private func parseImageReference(_ text: String, bytes: UnsafeBufferPointer<UInt8>) -> Result<ImageReference, ImageProblem> {
    guard !bytes.isEmpty else { return .failure(ImageProblem(reason: "it is empty")) }
    guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
        return .failure(ImageProblem(reason: "it has spaces, control or non-ASCII characters"))
    }
    guard bytes.count <= 255 + 72 else { return .failure(ImageProblem(reason: "it is too long")) }
    var nameEnd = bytes.count
    var digest: String?
    if let at = bytes.firstIndex(of: UInt8(ascii: "@")) {
        let value = bytes[(at + 1)...]
        nameEnd = at
        guard value.starts(with: "sha256:".utf8) else {
            return .failure(ImageProblem(reason: "the digest must be sha256:<64 hex digits>"))
        }
        let hex = value.dropFirst(7)
        guard hex.count == 64, hex.allSatisfy(isLowerHex) else {
            return .failure(ImageProblem(reason: "a sha256 digest is 64 lower-case hex digits, not \(hex.count) characters"))
        }
        digest = String(decoding: value, as: UTF8.self)
    }
    var tag: String?
    let lastSlash = bytes[..<nameEnd].lastIndex(of: UInt8(ascii: "/")) ?? -1
    if let colon = bytes[..<nameEnd].lastIndex(of: UInt8(ascii: ":")), colon > lastSlash {
        let value = bytes[(colon + 1)..<nameEnd]
        guard isTag(value) else {
            return .failure(ImageProblem(reason: "tag '\(String(decoding: value, as: UTF8.self))' is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"))
        }
        tag = String(decoding: value, as: UTF8.self)
        nameEnd = colon
    }
    guard nameEnd <= 255 else { return .failure(ImageProblem(reason: "the name is longer than 255 characters")) }
    // The path's components start here: after the registry when the first component names one.
    var pathStart = 0
    var registry = "docker.io"
    if let firstSlash = bytes[..<nameEnd].firstIndex(of: UInt8(ascii: "/")) {
        let first = bytes[..<firstSlash]
        if first.contains(UInt8(ascii: ".")) || first.contains(UInt8(ascii: ":")) || first.elementsEqual("localhost".utf8)
            || first.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
        {
            let host = String(decoding: first, as: UTF8.self)
            let valid: Bool
            if first.contains(UInt8(ascii: ":")) {
                let hostPort = host.split(separator: ":", omittingEmptySubsequences: false)
                valid =
                    hostPort.count <= 2 && (isDNSName(String(hostPort[0]), requireDot: false) || parseIPv4(String(hostPort[0])) != nil)
                    && (hostPort.count == 1 || (!hostPort[1].isEmpty && hostPort[1].allSatisfy { $0.isASCII && $0.isNumber }))
            } else {
                // No port: the host is the whole first component (most references), no split needed.
                valid = isDNSName(host, requireDot: false) || parseIPv4(host) != nil
            }
            guard valid else { return .failure(ImageProblem(reason: "registry '\(host)' is not host[:port]")) }
            registry = host
            pathStart = firstSlash + 1
        }
    }
    // Each '/'-separated component of the path, empty ones included, is checked in place.
    var components = 0
    var componentStart = pathStart
    for index in pathStart...nameEnd where index == nameEnd || bytes[index] == UInt8(ascii: "/") {
        components += 1
        let component = bytes[componentStart..<index]
        componentStart = index + 1
        guard !isPathComponent(component) else { continue }
        let text = String(decoding: component, as: UTF8.self)
        let lowered = text.lowercased()
        return .failure(
            ImageProblem(
                reason: text.isEmpty
                    ? "it has an empty path component" : "path component '\(text)' is not lower-case letters and digits separated by '.', '_', '__' or '-'",
                help: isPathComponent(Array(lowered.utf8)[...]) ? "image paths are lower case: write '\(lowered)'" : nil))
    }
    // The components joined by '/' are the bytes they came from.
    var path = String(decoding: bytes[pathStart..<nameEnd], as: UTF8.self)
    if registry == "docker.io", components == 1 { path = "library/" + path }
    return .success(ImageReference(text: text, registry: registry, path: path, tag: tag, digest: digest))
}

private func isLowerHex(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
}

private func isWordByte(_ byte: UInt8) -> Bool {
    isLowerAlnum(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
}

private func isTag<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
    guard let first = bytes.first, bytes.count <= 128, isWordByte(first) else { return false }
    return bytes.allSatisfy { isWordByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
func isPathComponent<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.Index == Int {
    guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
    var index = bytes.startIndex
    while index < bytes.endIndex {
        if isLowerAlnum(bytes[index]) {
            index += 1
            continue
        }
        var end = index
        while end < bytes.endIndex, !isLowerAlnum(bytes[end]) { end += 1 }
        let separator = bytes[index..<end]
        let dashes = separator.allSatisfy { $0 == UInt8(ascii: "-") }
        guard dashes || separator.elementsEqual(".".utf8) || separator.elementsEqual("_".utf8) || separator.elementsEqual("__".utf8) else {
            return false
        }
        index = end
    }
    return true
}

func isPathComponent(_ text: String) -> Bool { isPathComponent(Array(text.utf8)[...]) }

private func isLowerAlnum(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
}
