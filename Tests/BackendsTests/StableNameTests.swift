import Foundation
import IR
import Spec
import TestSupport
import Testing
import YAML

@testable import Backends

/// Names derive from the spec's names, never from a position in a list: a spec compiled, then
/// the same spec with one more flow, one more workload, one more external network (each alone,
/// then all three), compiled again. Every object of every target is listed by name from the
/// target's files; an object may be renamed (gone from the second output), or have another
/// body, only where its own meaning changed.
///
/// What an object is about (its subjects) is read from its name, and for an object about one
/// connection (a firewall rule, a security group, a shared network) from its body too: the
/// workload, identity and network names in them (`aviary-heron-in-from-kestrel` is about heron
/// and kestrel; `SgHeronOutToOspreyTcp8080` about heron and osprey; a rule once named
/// `SgHeronOut2` that sent to plover and now sends to osprey, about heron, plover and osprey).
/// An object may change only if every one of its subjects, before and after, is *affected*: a
/// name the addition brings or touches (the new flow's ends, the new workload, the new network
/// and the workload it reaches), or a workload whose traffic, as the target's files enforce it
/// (read back), differs. An object about nothing in particular (a namespace, a default deny)
/// may not change at all. Objects that gather many workloads (Mesos ACLs, an NSG's shell, an
/// EgressFirewall, the binding of a runtime profile's SCC) may change where one of those is
/// affected.
@Suite struct StableNameTests {
    enum Addition: String, CaseIterable {
        case flow, workload, network
    }

    /// The scenarios: each addition alone, then all of them.
    static let scenarios: [Set<Addition>] = Addition.allCases.map { [$0] } + [Set(Addition.allCases)]

    /// Four workloads in three segments, with flows between them, from a network, to a
    /// network and to a `dns:` name. Single-word names, none inside another word of the
    /// files, so that names can be found in the objects' names.
    static func spec(_ additions: Set<Addition>) -> String {
        var text = """
            version: 1
            name: aviary
            networks:
              corp: [10.0.0.0/8, "2001:db8:100::/48"]
              relay: [198.51.100.25]
              stripe: ["dns:api.stripe.com"]

            """
        if additions.contains(.network) { text += "  partners: [192.0.2.0/24]\n" }
        text += """
            segments:
              edge: {}
              app: {}
              data: {}
            workloads:

            """
        // First in the spec and first by name: it moves every other workload's position.
        if additions.contains(.workload) { text += "  auk: {segment: app, image: nginx:1.25, ports: [tcp/7000]}\n" }
        text += """
              kestrel: {segment: edge, image: nginx:1.25, ports: [tcp/443]}
              heron: {segment: app, image: nginx:1.25, ports: [tcp/8080]}
              osprey: {segment: app, image: nginx:1.25, ports: [tcp/8080]}
              plover: {segment: data, image: nginx:1.25, ports: [tcp/5432]}
            flows:
              - {from: corp, to: kestrel, ports: [tcp/443]}
              - {from: kestrel, to: [heron, osprey], ports: [tcp/8080]}
              - {from: [heron, osprey], to: plover, ports: [tcp/5432]}
              - {from: heron, to: stripe, ports: [tcp/443]}
              - {from: osprey, to: relay, ports: [tcp/587]}

            """
        // heron and osprey already share kestrel and plover as peers: a greedy clique cover
        // would regroup kestrel's and plover's networks too.
        if additions.contains(.flow) { text += "  - {from: heron, to: osprey, ports: [tcp/8080]}\n" }
        // The same port as corp's flow: corp's rules must stay as they are.
        if additions.contains(.network) { text += "  - {from: partners, to: kestrel, ports: [tcp/443]}\n" }
        return text
    }

    /// The names an addition brings or touches.
    static func touched(_ additions: Set<Addition>) -> Set<String> {
        var names = Set<String>()
        if additions.contains(.flow) { names.formUnion(["heron", "osprey"]) }
        if additions.contains(.workload) { names.insert("auk") }
        if additions.contains(.network) { names.formUnion(["partners", "kestrel"]) }
        return names
    }

    /// The options each target is compiled with: both gap policies, and for Mesos both
    /// containerizers.
    static func variants(_ target: TargetName) -> [TargetOptions] {
        var result: [TargetOptions] = []
        for gaps in [GapPolicy.widen, .narrow] {
            result.append(options(target, gaps))
            if target == .mesos { result.append(options(target, gaps, ["containerizer": .string("mesos")])) }
        }
        return result
    }

    @Test(arguments: TargetName.allCases)
    func addingToASpecChangesNoOtherObjectsNameOrBody(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let before = try #require(compileSpec(Self.spec([])).policy)
        for options in Self.variants(target) {
            let old = try backend.emit(before, options: options).files
            let oldObjects = try Self.objects(target, old, policy: before)
            #expect(oldObjects.count >= 4, "\(target): too few objects listed to prove anything")
            let oldTraffic = Self.traffic(try backend.read(old, policy: before), policy: before)
            for additions in Self.scenarios {
                let after = try #require(compileSpec(Self.spec(additions)).policy)
                let new = try backend.emit(after, options: options).files
                let newObjects = try Self.objects(target, new, policy: after)
                let newTraffic = Self.traffic(try backend.read(new, policy: after), policy: after)
                var affected = Self.touched(additions)
                for (name, traffic) in oldTraffic where newTraffic[name] != traffic { affected.insert(name) }
                let what =
                    "\(target) (\(options.gaps)\(options.option("containerizer").map { ", \($0.value.value)" } ?? "")) + \(additions.map(\.rawValue).sorted())"
                for (key, object) in oldObjects.sorted(by: { $0.key < $1.key }) {
                    let now = newObjects[key]
                    guard now?.body != object.body else { continue }
                    let mayChange: Bool
                    if let scope = object.scope {
                        mayChange = !scope.union(now?.scope ?? []).isDisjoint(with: affected)
                    } else {
                        let subjects = object.subjects.union(now?.subjects ?? [])
                        mayChange = !subjects.isEmpty && subjects.isSubset(of: affected)
                    }
                    #expect(
                        mayChange,
                        Comment(
                            rawValue: "\(what): \(key) \(now == nil ? "is gone" : "changed") though only \(affected.sorted()) changed\n"
                                + "  before: \(object.body)\n  after:  \(now?.body ?? "-")")
                    )
                }
                // A new workload always shows (the other additions may not, where the target
                // cannot express them: Swarm publishes a port to every address already).
                if additions.contains(.workload) {
                    #expect(newObjects.keys.contains { oldObjects[$0] == nil }, "\(what): no new object")
                }
            }
        }
    }

    // MARK: Traffic as the files enforce it

    /// Per workload name, what the read-back files let it send and receive, in words.
    static func traffic(_ read: ReadBack, policy: Policy) -> [String: [String]] {
        let name = { (id: WorkloadID) in policy.workloads[id.index].name }
        var lines: [String: [String]] = [:]
        for (pair, ports) in read.relation.betweenWorkloads {
            lines[name(pair.source), default: []].append("to \(name(pair.destination)): \(ports)")
            lines[name(pair.destination), default: []].append("from \(name(pair.source)): \(ports)")
        }
        for (id, rules) in read.relation.ingress {
            lines[name(id), default: []] += rules.entries.map { "in \($0.ports) from \($0.peers.summary)" }
        }
        for (id, rules) in read.relation.egress {
            lines[name(id), default: []] += rules.entries.map { "out \($0.ports) to \($0.peers.summary)" }
        }
        for workload in policy.workloads where lines[workload.name] == nil { lines[workload.name] = [] }
        return lines.mapValues { $0.sorted() }
    }

    // MARK: Objects by name

    /// An object of a target's files: its body (canonical text), the names it is about, and
    /// for objects that gather many workloads, the names any of which may change it.
    struct Object {
        var body: String
        var subjects: Set<String>
        var scope: Set<String>? = nil
    }

    /// Every object of a target's files, by a key made of its kind and name.
    static func objects(_ target: TargetName, _ files: [OutputFile], policy: Policy) throws -> [String: Object] {
        let names = Set(policy.workloads.map(\.name) + policy.identities.map(\.name) + policy.networks.map(\.name))
        var result: [String: Object] = [:]
        /// `rule`: an object about one connection (a firewall rule, a security group, a shared
        /// network), whose body names what it is about as much as its name does.
        func add(_ key: String, _ node: YAMLNode, rule: Bool = false, scope: Set<String>? = nil) {
            #expect(result[key] == nil, "\(target): two objects named \(key)")
            let body = canonical(node)
            let subjects = Set(words(key) + (rule ? words(body) : [])).intersection(names)
            result[key] = Object(body: body, subjects: subjects, scope: scope)
        }
        /// Aggregates: the names their body mentions.
        func mentioned(_ node: YAMLNode) -> Set<String> { Set(words(canonical(node))).intersection(names) }
        let documents = try (target == .nftables ? [] : files).map { file in
            try #require(YAMLLoader.loadStream(text: file.contents, file: file.path, limits: .generatedFiles).documents.first, "\(file.path) is empty")
        }
        switch target {
        case .openshift, .kubernetes:
            let file = try #require(files.first)
            for document in YAMLLoader.loadStream(text: file.contents, file: file.path, limits: .generatedFiles).documents {
                let kind = document["kind"]?.scalar ?? "?"
                let namespace = document["metadata"]?["namespace"]?.scalar ?? ""
                let key = "\(kind)/\(namespace)/\(document["metadata"]?["name"]?.scalar ?? "?")"
                // The namespace's EgressFirewall gathers the egress of every workload there.
                // The binding of one runtime profile's SCC gathers the service accounts of every
                // workload with that profile.
                let name = document["metadata"]?["name"]?.scalar ?? ""
                let scope =
                    kind == "EgressFirewall"
                    ? Set(policy.workloads.filter { policy.segments[$0.segment.index].name == namespace }.map(\.name))
                    : kind == "RoleBinding" && name.hasPrefix("palisade.scc.") ? mentioned(document) : nil
                add(key, document, scope: scope)
            }
        case .swarm:
            let root = try #require(documents.first)
            for section in ["services", "networks", "secrets"] {
                for pair in pairs(root[section]) { add("\(section)/\(pair.name)", pair.value, rule: section == "networks") }
            }
        case .mesos:
            for (file, root) in zip(files, documents) {
                if file.path == "acls.json" {
                    // One list of rules per action, naming the task users of every workload.
                    for pair in pairs(root) where pair.name != "permissive" { add("acls/\(pair.name)", pair.value, scope: mentioned(pair.value)) }
                    continue
                }
                func apps(_ group: YAMLNode) {
                    for app in items(group["apps"]) { add("app\(app["id"]?.scalar ?? "?")", app) }
                    for child in items(group["groups"]) { apps(child) }
                }
                apps(root)
            }
        case .aws:
            for root in documents {
                for pair in pairs(root["Resources"]) { add("resource/\(pair.name)", pair.value, rule: true) }
                for pair in pairs(root["Outputs"]) { add("output/\(pair.name)", pair.value, rule: true) }
            }
        case .gcp:
            for rule in items(documents.first) { add("rule/\(rule["name"]?.scalar ?? "?")", rule, rule: true) }
        case .nftables:
            // Each workload's sets, and its chains (which only that workload's traffic changes).
            for file in files {
                var parser = try NFTablesParser(path: file.path, text: file.contents)
                let ruleset = try parser.ruleset()
                let workload = String(file.path.dropLast(4))
                for set in ruleset.sets {
                    let key = "set/\(workload)/\(set.name)"
                    #expect(result[key] == nil, "\(target): two objects named \(key)")
                    let body = "\(set.family.setType) \(NFTablesEmitter.elementTexts(set.elements))"
                    result[key] = Object(body: body, subjects: Set(words(key)).intersection(names))
                }
                for chain in [ruleset.input, ruleset.output] {
                    let key = "chain/\(workload)/\(chain.hook.rawValue)"
                    let body = chain.rules.map { NFTablesEmitter.text($0, hook: chain.hook) }.joined(separator: "; ")
                    result[key] = Object(body: body, subjects: [workload], scope: [workload])
                }
            }
        case .azure:
            for root in documents {
                for resource in items(root["resources"]) {
                    let name = resource["name"]?.scalar ?? "?"
                    guard resource["type"]?.scalar == "Microsoft.Network/networkSecurityGroups" else {
                        add("resource/\(name)", resource, rule: true)
                        continue
                    }
                    // The NSG without its rules, which depends on the groups they name; then each rule.
                    var shell = resource
                    if case .mapping(let fields) = resource.content {
                        shell.content = .mapping(fields.filter { $0.name != "properties" })
                    }
                    add("resource/\(name)", shell, scope: mentioned(shell))
                    for rule in items(resource["properties"]?["securityRules"]) { add("rule/\(name)/\(rule["name"]?.scalar ?? "?")", rule, rule: true) }
                }
            }
        }
        return result
    }

    /// A node as one line of text, mappings in their order.
    static func canonical(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let text, _): "\"\(text)\""
        case .sequence(let items): "[" + items.map(canonical).joined(separator: ", ") + "]"
        case .mapping(let pairs): "{" + pairs.map { "\($0.name): \(canonical($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// The lower-case words of a text: split at every character other than a letter or digit,
    /// and where a capital follows a small letter or digit (`SgHeronInFrom`: sg, heron, in, from).
    static func words(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var previous: Character?
        for character in text {
            guard character.isASCII, character.isLetter || character.isNumber else {
                if !current.isEmpty { result.append(current.lowercased()) }
                current = ""
                previous = nil
                continue
            }
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber, !current.isEmpty {
                result.append(current.lowercased())
                current = ""
            }
            current.append(character)
            previous = character
        }
        if !current.isEmpty { result.append(current.lowercased()) }
        return result
    }

    static func pairs(_ node: YAMLNode?) -> [YAMLPair] {
        guard let node, case .mapping(let pairs) = node.content else { return [] }
        return pairs
    }

    static func items(_ node: YAMLNode?) -> [YAMLNode] {
        guard let node, case .sequence(let items) = node.content else { return [] }
        return items
    }
}

extension StableNameTests {
    /// Names of 40 characters (the spec's longest): every generated name stays within its
    /// platform's limit and alphabet.
    static let long = """
        version: 1
        name: a-policy-name-of-forty-characters-abcdef
        networks:
          a-network-name-of-forty-characters-abcde: [192.0.2.0/24]
        identities:
          identity-of-twenty-six-a1: {kind: service}
          identity-of-twenty-six-b2: {kind: service}
        workloads:
          a-workload-name-of-forty-characters-ab01: {image: nginx:1.25, identity: identity-of-twenty-six-a1, ports: [tcp/80]}
          a-workload-name-of-forty-characters-ab02: {image: nginx:1.25, identity: identity-of-twenty-six-b2, ports: [tcp/80]}
        flows:
          - {from: a-workload-name-of-forty-characters-ab01, to: a-workload-name-of-forty-characters-ab02, ports: [tcp/80]}
          - {from: a-network-name-of-forty-characters-abcde, to: a-workload-name-of-forty-characters-ab01, ports: [tcp/80]}
          - {from: a-workload-name-of-forty-characters-ab02, to: a-network-name-of-forty-characters-abcde, ports: [tcp/443]}

        """

    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    @Test(arguments: TargetName.allCases)
    func longNamesStayWithinThePlatformsLimits(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let policy = try #require(compileSpec(Self.long).policy)
        for options in Self.variants(target) {
            let files = try backend.emit(policy, options: options).files
            _ = try backend.read(files, policy: policy)
            let keys = try Self.objects(target, files, policy: policy).keys.sorted()
            let name = { (key: String) in String(key.split(separator: "/").last ?? "") }
            switch target {
            case .gcp:
                for key in keys { #expect(Self.matches(name(key), "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"), "\(key)") }
            case .aws:
                for key in keys { #expect(Self.matches(name(key), "^[A-Za-z0-9]{1,255}$"), "\(key)") }
            case .azure:
                for key in keys { #expect(Self.matches(name(key), "^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$"), "\(key)") }
            case .swarm:
                for key in keys where key.hasPrefix("networks/") {
                    let full = "\(policy.name)_\(name(key))"
                    #expect(full.count <= SwarmBackend.nameLimit && Self.matches(name(key), "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"), "\(full)")
                }
            case .mesos:
                let marathon = try #require(files.first { $0.path == "marathon.json" })
                let root = try #require(YAMLLoader.load(text: marathon.contents, file: marathon.path, limits: .generatedFiles).root)
                func networks(_ group: YAMLNode) -> [String] {
                    Self.items(group["apps"]).flatMap { Self.items($0["networks"]).compactMap { $0["name"]?.scalar } }
                        + Self.items(group["groups"]).flatMap(networks)
                }
                let names = networks(root)
                #expect(!names.isEmpty)
                for network in names { #expect(Self.matches(network, "^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"), "\(network)") }
            case .openshift, .kubernetes:
                for key in keys { #expect(name(key).count <= 253, "\(key)") }
            case .nftables:
                for key in keys { #expect(Self.matches(name(key), "^[A-Za-z][A-Za-z0-9_-]{0,255}$"), "\(key)") }
            }
        }
    }

    /// Names that meet are told apart by a hash of what each stands for, not by their order:
    /// `a-1b` and `a1b` both make `SgA1b`; `web` receiving from `api-in-from-db` and
    /// `web-in-from-api` receiving from `db` both make `t-web-in-from-api-in-from-db`. Listing the
    /// workloads and flows the other way round gives the same names.
    @Test(arguments: TargetName.allCases)
    func namesThatMeetGetHashesWhateverTheOrder(target: TargetName) throws {
        let workloads = [
            "a-1b: {image: nginx:1.25, ports: [tcp/80]}", "a1b: {image: nginx:1.25, ports: [tcp/80]}",
            "web: {image: nginx:1.25, ports: [tcp/80]}", "api-in-from-db: {image: nginx:1.25}",
            "web-in-from-api: {image: nginx:1.25, ports: [tcp/80]}", "db: {image: nginx:1.25}",
        ]
        let flows = [
            "{from: a-1b, to: a1b, ports: [tcp/80]}", "{from: a1b, to: a-1b, ports: [tcp/80]}",
            "{from: api-in-from-db, to: web, ports: [tcp/80]}", "{from: db, to: web-in-from-api, ports: [tcp/80]}",
        ]
        func spec(_ workloads: [String], _ flows: [String]) -> String {
            "version: 1\nname: t\nworkloads:\n" + workloads.map { "  \($0)\n" }.joined() + "flows:\n" + flows.map { "  - \($0)\n" }.joined()
        }
        let backend = try #require(BackendRegistry.backend(for: target))
        let forward = try #require(compileSpec(spec(workloads, flows)).policy)
        let backward = try #require(compileSpec(spec(workloads.reversed(), flows.reversed())).policy)
        for options in Self.variants(target) {
            let first = try Self.objects(target, try backend.emit(forward, options: options).files, policy: forward)
            let second = try Self.objects(target, try backend.emit(backward, options: options).files, policy: backward)
            #expect(first.keys.sorted() == second.keys.sorted())
            if target == .aws {
                #expect(!first.keys.contains("resource/SgA1b") && first.keys.filter { $0.hasPrefix("resource/SgA1b") }.count >= 2)
            }
            if target == .gcp {
                #expect(!first.keys.contains("rule/t-web-in-from-api-in-from-db"))
                #expect(first.keys.filter { $0.hasPrefix("rule/t-web-in-from-api-in-from-db-") }.count == 2)
            }
        }
    }
}

/// `StableName.unique` builds the key of an item only where its name meets another's, and gives
/// the same names as when every key is given.
@Suite struct UniqueNameKeyTests {
    @Test func keysAreBuiltOnlyForNamesThatMeet() {
        let items: [(name: String, key: String)] = [("db", "1"), ("web", "2"), ("db", "3"), ("cache", "4"), (String(repeating: "x", count: 90), "5")]
        var asked: [Int] = []
        let names = StableName.unique(names: items.map(\.name), limit: 20) { index in
            asked.append(index)
            return items[index].key
        }
        #expect(asked.sorted() == [0, 2])
        #expect(names == Self.everyKeyGiven(items, limit: 20))
        #expect(names[0] != names[2] && names[0].hasPrefix("db-") && names[1] == "web" && names[4].count == 20)
    }

    /// The rule as it reads with every key given: a fitted name no other item has stays; names
    /// that meet each get a hash of their key.
    static func everyKeyGiven(_ items: [(name: String, key: String)], limit: Int) -> [String] {
        let fitted = items.map { StableName.fitted($0.name, limit: limit) }
        return zip(items, fitted).map { item, name in
            guard fitted.count(where: { $0 == name }) > 1 else { return name }
            let suffix = "-" + StableName.shortHash(item.key)
            return StableName.fitted(item.name, limit: limit - suffix.count) + suffix
        }
    }

    @Test func namesAreThoseOfEveryKeyGivenOnRandomItems() {
        var random = SeededGenerator(seed: 15)
        for _ in 0..<300 {
            let items = (0..<Int.random(in: 1...12, using: &random)).map { index in
                let name = ["db", "web", "api", String(repeating: "long-name-", count: 4), "x"].randomElement(using: &random)!
                return (name: name + (Bool.random(using: &random) ? "" : "-\(Int.random(in: 0..<3, using: &random))"), key: "k\(index)")
            }
            let limit = Int.random(in: 12...30, using: &random)
            #expect(StableName.unique(names: items.map(\.name), limit: limit) { items[$0].key } == Self.everyKeyGiven(items, limit: limit))
            #expect(StableName.unique(items, limit: limit) == Self.everyKeyGiven(items, limit: limit))
        }
    }
}
