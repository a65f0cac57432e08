import Diagnostics
import IR
import YAML

/// Writes an `AzurePlan` as ARM templates: `nsg.json`, or numbered templates when one would
/// break ARM's limits.
struct AzureEmitter {
    let plan: AzurePlan
    var policy: Policy { plan.policy }

    /// The first (often the only) template of a policy; the others are `nsg-N.json`.
    static let file = "nsg.json"

    /// ARM's limits on one template.
    static let resourcesPerTemplate = 800
    static let templateBytes = 4 << 20

    /// The outputs that say which NICs join a merged application security group and which take
    /// an NSG of a split segment (the subnet of a split segment takes none).
    static let membersOutput = "applicationSecurityGroupMembers"
    static let interfacesOutput = "networkInterfaceSecurityGroups"

    /// One resource of a template, its JSON, and what it adds to the template's outputs: for a
    /// merged application security group the identities whose NICs join it, for an NSG of a
    /// split segment the workloads whose NICs take it.
    struct Resource {
        var name: String
        /// Its JSON as it sits in a template's resources (indent 4), written once.
        var bytes: [UInt8]
        var members: (output: String, names: [String])? = nil
        /// A bound on its JSON, known without writing it; nil: its written size decides.
        var bound: Int? = nil
        /// Where in `bytes` its `dependsOn` entry sits (empty when it has none): an NSG is written
        /// once, with the entry, for the template that deploys its groups too.
        var dependencies: Range<Int> = 0..<0

        /// The same resource without its `dependsOn` entry, for a template that does not deploy
        /// the groups it names.
        var withoutDependencies: Resource {
            var resource = self
            guard !dependencies.isEmpty else { return resource }
            // The bytes around the entry copied once into a new array (cutting the entry out of
            // the shared bytes in place copied them, then moved what follows the entry).
            var bytes: [UInt8] = []
            bytes.reserveCapacity(self.bytes.count - dependencies.count)
            bytes.append(contentsOf: self.bytes[..<dependencies.lowerBound])
            bytes.append(contentsOf: self.bytes[dependencies.upperBound...])
            resource.bytes = bytes
            resource.dependencies = 0..<0
            return resource
        }

        /// A bound on what it adds to a template, output entry included.
        var size: Int { (bound ?? exactSize) + (members.map { $0.names.reduce(100) { $0 + $1.utf8.count + 16 } } ?? 0) }

        /// The size of its JSON written alone (indent 0, a final newline): each line after the
        /// first is indented 4 less than in `bytes`.
        var exactSize: Int {
            bytes.withUnsafeBufferPointer { bytes in bytes.count - 4 * bytes.reduce(0) { $0 &+ ($1 == UInt8(ascii: "\n") ? 1 : 0) } + 1 }
        }
    }

    /// `nsg.json`, or when one template would break ARM's limits (resources, size), numbered
    /// templates to deploy in order into the same resource group: the application security
    /// groups first, in parts 1 to G (`nsg.json`, `nsg-2.json`, …), then the NSGs, which name
    /// them by `resourceId`, in parts G + 1 on. Which part holds a resource depends on its name
    /// alone (`stableParts`), so one more resource moves no other unless G or the NSGs' parts
    /// double; an empty part leaves its number unused. A located error for an NSG or a template
    /// ARM cannot take.
    func files() throws -> [OutputFile] {
        let groups = plan.firewall.identities.map(asgResource) + plan.merged.map(mergedResource)
        // Each NSG written once: the single template takes it with its `dependsOn`, the numbered
        // ones without (the same bytes, that entry cut out).
        let written = plan.groups.map(nsgResource)
        // The resources' bytes sit in the single template as they are: when they alone are
        // beyond ARM's size, so is the template, which is then not written.
        if groups.count + plan.groups.count <= Self.resourcesPerTemplate,
            (groups + written).reduce(0, { $0 + $1.bytes.count }) <= Self.templateBytes
        {
            let single = template(groups + written)
            if single.byteCount <= Self.templateBytes { return [OutputFile(path: Self.file, text: single)] }
        }
        let nsgs = written.map(\.withoutDependencies)
        // Where a bound is over the budget, the JSON itself decides.
        let sizes = nsgs.map { resource in
            var exact = resource
            exact.bound = nil
            return resource.size > Self.templateBytes - 20_000 ? exact.size : resource.size
        }
        // One NSG is one resource: it cannot be split across templates.
        for (group, size) in zip(plan.groups, sizes) where size > Self.templateBytes - 20_000 {
            throw BackendError(
                .error(
                    .targetLimit,
                    "azure: network security group \(group.name) of segment '\(group.segment)' is \(size) bytes of JSON; an ARM template takes "
                        + "\(Self.templateBytes)",
                    at: policy.segments.first { $0.name == group.segment }?.origin ?? plan.options.origin,
                    help: "merge the segment's external ranges into fewer prefixes"))
        }
        var files: [OutputFile] = []
        let groupParts = parts(groups, sizes: groups.map(\.size))
        // The first template keeps its name even in the unlikely case that no group hashes to part 1.
        let first = groupParts.firstIndex { !$0.isEmpty } ?? 0
        for (index, part) in groupParts.enumerated() where !part.isEmpty {
            files.append(
                OutputFile(
                    path: index == first ? Self.file : "nsg-\(index + 1).json",
                    text: template(part.map { groups[$0] }, part: "application security groups, part \(index + 1)")))
        }
        for (index, part) in parts(nsgs, sizes: sizes).enumerated() where !part.isEmpty {
            let number = groupParts.count + index + 1
            files.append(
                OutputFile(
                    path: "nsg-\(number).json", text: template(part.map { nsgs[$0] }, part: "network security groups, part \(number)")))
        }
        for file in files where file.text.byteCount > Self.templateBytes {
            throw BackendError(
                .error(
                    .targetLimit, "azure: \(file.path) is \(file.text.byteCount) bytes; ARM takes \(Self.templateBytes) bytes per template",
                    at: plan.options.origin, help: "split the largest segment"))
        }
        return files
    }

    /// Resources split among templates by name, at most `resourcesPerTemplate` in one and
    /// short of ARM's size; each part's resources in name order.
    func parts(_ resources: [Resource], sizes: [Int]) -> [[Int]] {
        let budget = Self.templateBytes - 20_000
        return stableParts(keys: resources.map(\.name)) { part in
            part.count <= Self.resourcesPerTemplate && part.reduce(0) { $0 + sizes[$1] } <= budget
        }.map { part in part.sorted { resources[$0].name < resources[$1].name } }
    }

    /// A template of these resources, with the outputs they add: their written bytes joined,
    /// the template's own entries written around them.
    func template(_ resources: [Resource], part: String? = nil) -> ChunkedText {
        // The resources that add to each output, in resource order; outputs without any left out.
        let outputs = [Self.membersOutput, Self.interfacesOutput].compactMap { output in
            let holders = resources.indices.filter { resources[$0].members?.output == output }
            return holders.isEmpty ? nil : (output, holders)
        }
        let generator = "palisade from \(policy.sourceNames.joined(separator: ", ")) (content hash \(policy.contentHash)); do not edit"
        var out: [UInt8] = []
        out.reserveCapacity(resources.reduce(4096) { $0 + $1.bytes.count + 8 })
        JSONWriter.ObjectWriter.write(at: 0, onto: &out) { template in
            template.string("$schema", "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#")
            template.string("contentVersion", "1.0.0.0")
            template.object("metadata") { $0.string("generator", part.map { "\(generator) (\($0))" } ?? generator) }
            template.object("parameters") { parameters in
                parameters.object("location") { location in
                    location.string("type", "string")
                    location.string("defaultValue", plan.options.location)
                }
            }
            template.array("resources", count: resources.count) { index, out in out.append(contentsOf: resources[index].bytes) }
            guard !outputs.isEmpty else { return }
            template.object("outputs") { entries in
                for (output, holders) in outputs {
                    entries.object(named: output) { entry in
                        entry.string("type", "object")
                        entry.object("value") { value in
                            for holder in holders { value.strings(named: resources[holder].name, resources[holder].members?.names ?? []) }
                        }
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
        return ChunkedText(bytes: out)
    }

    /// How a rule names an application security group.
    static func asgID(_ name: String) -> String { "[resourceId('Microsoft.Network/applicationSecurityGroups', '\(name)')]" }

    /// The entries an application security group's resource starts with, up to its tags.
    func groupHead(_ name: String, to resource: inout JSONWriter.ObjectWriter) {
        resource.string("type", "Microsoft.Network/applicationSecurityGroups")
        resource.string("apiVersion", "2024-05-01")
        resource.string("name", name)
        resource.string("location", "[parameters('location')]")
    }

    func asgResource(_ identity: FirewallPlan.Identity) -> Resource {
        let name = AzurePlan.asg(identity, policy: policy)
        var bytes: [UInt8] = []
        JSONWriter.ObjectWriter.write(at: 4, onto: &bytes) { resource in
            groupHead(name, to: &resource)
            resource.object("tags") { tags in
                tags.string("palisade-policy", policy.name)
                tags.string("palisade-identity", identity.name)
            }
            resource.object("properties") { _ in }
        }
        return Resource(name: name, bytes: bytes, bound: 600 + 6 * (name.utf8.count + policy.name.utf8.count + identity.name.utf8.count))
    }

    /// A merged application security group: the identities whose NICs join it are listed in
    /// the template's `applicationSecurityGroupMembers` output.
    func mergedResource(_ group: AzurePlan.MergedGroup) -> Resource {
        var bytes: [UInt8] = []
        JSONWriter.ObjectWriter.write(at: 4, onto: &bytes) { resource in
            groupHead(group.name, to: &resource)
            resource.object("tags") { tags in
                tags.string("palisade-policy", policy.name)
                tags.string("palisade-merged", "true")
            }
            resource.object("properties") { _ in }
        }
        return Resource(
            name: group.name, bytes: bytes, members: (Self.membersOutput, group.identities.map { plan.firewall.identities[$0].name }),
            bound: 600 + 6 * (group.name.utf8.count + policy.name.utf8.count))
    }

    /// An NSG, as a template that deploys the application security groups its rules name has
    /// it: depending on them (on those alone: its body changes with its own rules only), the
    /// `dependsOn` entry's place kept in `dependencies` (see `withoutDependencies`). An NSG of
    /// a split segment says its part, and its workloads are listed in the template's
    /// `networkInterfaceSecurityGroups` output.
    func nsgResource(_ group: AzurePlan.NSG) -> Resource {
        let named = group.namedGroups.sorted()
        var dependencies = 0..<0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024 + 600 * group.rules.count)
        JSONWriter.ObjectWriter.write(at: 4, onto: &bytes) { resource in
            resource.string("type", "Microsoft.Network/networkSecurityGroups")
            resource.string("apiVersion", "2024-05-01")
            resource.string("name", group.name)
            resource.string("location", "[parameters('location')]")
            resource.object("tags") { tags in
                tags.string("palisade-policy", policy.name)
                tags.string("palisade-segment", group.segment)
                if let part = group.part { tags.string("palisade-part", "\(part.number) of \(part.of)") }
            }
            if !named.isEmpty {
                let start = resource.bytes.count
                resource.strings("dependsOn", named.map(Self.asgID))
                dependencies = start..<resource.bytes.count
            }
            resource.object("properties") { properties in
                properties.array("securityRules", count: group.rules.count) { index, out in Self.appendRule(group.rules[index], to: &out) }
            }
        }
        // Every character at most 6 bytes of JSON (an escape); each rule within its bound.
        let names = group.name.utf8.count + policy.name.utf8.count + group.segment.utf8.count
        return Resource(
            name: group.name, bytes: bytes, members: group.part == nil ? nil : (Self.interfacesOutput, group.workloads),
            bound: 1200 + 6 * names + group.rules.reduce(0) { $0 + AzurePlan.bytes($1) }, dependencies: dependencies)
    }

    /// A security rule as an item of an NSG's `securityRules` (indent 10): its fixed parts
    /// appended from `RulePieces`, its names, description, priority, ports and prefixes written
    /// between them.
    static func appendRule(_ rule: AzurePlan.Rule, to out: inout [UInt8]) {
        out.append(contentsOf: RulePieces.name)
        JSONWriter.appendQuoted(rule.name, to: &out)
        // ARM takes 140 characters of description; a text of no more bytes has no more characters.
        if RulePieces.describedBy.count + rule.description.utf8.count <= 140 {
            out.append(contentsOf: RulePieces.described)
            JSONWriter.appendEscaped(rule.description, to: &out)
            out.append(contentsOf: RulePieces.quotedPriority)
        } else {
            out.append(contentsOf: RulePieces.description)
            JSONWriter.appendQuoted(String("palisade: \(rule.description)".prefix(140)), to: &out)
            out.append(contentsOf: RulePieces.priority)
        }
        JSONWriter.appendInt(rule.priority, to: &out)
        out.append(contentsOf: RulePieces.kinds[RulePieces.kind(rule)])
        if rule.ports.count == 1 {
            out.append(contentsOf: RulePieces.port)
            JSONWriter.appendQuoted(rule.ports[0], to: &out)
        } else {
            out.append(contentsOf: RulePieces.ports)
            JSONWriter.appendStrings(rule.ports, at: 14, to: &out)
        }
        appendSide(RulePieces.source, rule.sourceGroups, rule.sourcePrefixes, to: &out)
        appendSide(RulePieces.destination, rule.destinationGroups, rule.destinationPrefixes, to: &out)
        out.append(contentsOf: RulePieces.end)
    }

    /// One side of a rule: its application security groups (each `{"id": asgID}`), its one
    /// address prefix, or its prefixes.
    private static func appendSide(_ keys: RulePieces.Side, _ groups: [String], _ prefixes: [String], to out: inout [UInt8]) {
        if !groups.isEmpty {
            out.append(contentsOf: keys.groups)
            for (index, group) in groups.enumerated() {
                if index > 0 { out.append(contentsOf: RulePieces.betweenGroups) }
                JSONWriter.appendEscaped(group, to: &out)
            }
            out.append(contentsOf: RulePieces.groupsEnd)
        } else if prefixes.count == 1 {
            out.append(contentsOf: keys.prefix)
            JSONWriter.appendQuoted(prefixes[0], to: &out)
        } else {
            out.append(contentsOf: keys.prefixes)
            JSONWriter.appendStrings(prefixes, at: 14, to: &out)
        }
    }

    /// The fixed parts of a security rule as `appendRule` writes it at indent 10 (its properties
    /// at 12, their lists at 14), each run of them between two values one byte array,
    /// rendered once.
    enum RulePieces {
        typealias Piece = JSONWriter.Piece
        static let name = Piece.key("name", first: true, in: 10)
        static let description = Piece.key("properties", in: 10) + Piece.key("description", first: true, in: 12)
        /// What every description starts with.
        static let describedBy = Array("palisade: ".utf8)
        /// `description` up to a description's own text; the end of its string and `priority`.
        static let described = description + [UInt8(ascii: "\"")] + describedBy
        static let quotedPriority = [UInt8(ascii: "\"")] + priority
        static let priority = Piece.key("priority", in: 12)
        /// Direction, access, protocol and the source port range, by `kind`.
        static let kinds: [[UInt8]] = {
            var kinds: [[UInt8]] = []
            for direction in [AzurePlan.Rule.Direction.inbound, .outbound] {
                for access in [AzurePlan.Rule.Access.allow, .deny] {
                    for proto in [AzurePlan.Rule.NSGProtocol.tcp, .udp, .icmp, .any] {
                        var piece: [UInt8] = Piece.key("direction", in: 12)
                        piece += Piece.string(direction.rawValue)
                        piece += Piece.key("access", in: 12)
                        piece += Piece.string(access.rawValue)
                        piece += Piece.key("protocol", in: 12)
                        piece += Piece.string(proto.rawValue)
                        piece += Piece.key("sourcePortRange", in: 12)
                        piece += Piece.string("*")
                        kinds.append(piece)
                    }
                }
            }
            return kinds
        }()

        /// A rule's place in `kinds`.
        static func kind(_ rule: AzurePlan.Rule) -> Int {
            let proto: Int
            switch rule.proto {
            case .tcp: proto = 0
            case .udp: proto = 1
            case .icmp: proto = 2
            case .any: proto = 3
            }
            return (rule.direction == .inbound ? 0 : 8) + (rule.access == .allow ? 0 : 4) + proto
        }

        static let port = Piece.key("destinationPortRange", in: 12)
        static let ports = Piece.key("destinationPortRanges", in: 12)

        /// The keys of one side of a rule (its groups' key up to its first group's name).
        struct Side {
            var groups: [UInt8]
            var prefix: [UInt8]
            var prefixes: [UInt8]

            init(_ side: String) {
                groups = Piece.key("\(side)ApplicationSecurityGroups", in: 12) + Piece.item(first: true, in: 14) + RulePieces.groupStart
                prefix = Piece.key("\(side)AddressPrefix", in: 12)
                prefixes = Piece.key("\(side)AddressPrefixes", in: 12)
            }
        }

        static let source = Side("source")
        static let destination = Side("destination")
        /// A group's item up to its name; what comes between two names (the end of one item, the
        /// start of the next); what ends the last item and the list.
        static let groupStart = Piece.key("id", first: true, in: 16) + Array("\"[resourceId('Microsoft.Network/applicationSecurityGroups', '".utf8)
        static let groupEnd = Array("')]\"".utf8) + Piece.close("}", at: 16)
        static let betweenGroups = groupEnd + Piece.item(in: 14) + groupStart
        static let groupsEnd = groupEnd + Piece.close("]", at: 14)
        static let end = Piece.close("}", at: 12) + Piece.close("}", at: 10)
    }
}
