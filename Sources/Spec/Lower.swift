import Diagnostics
import IR

/// The lower pass: builds the IR from the resolved definitions — segments, identities,
/// workloads with merged runtime profiles, flows with resolved sides, the intent — and the
/// check pass's semantic rules that need the whole picture (grants, image policy,
/// expectations).
struct LowerPass {
    var resolve: ResolvePass
    let files: [SpecFile]
    var diagnostics: [Diagnostic] = []

    /// A file with at least twice this many flows has them lowered in parts of at least this
    /// many at once on the cores; tests set it out of reach to compare with one pass.
    var flowsPerPart = FlowParts.minimumFlows

    private(set) var segmentIDs: [String: SegmentID] = [:]
    private(set) var workloadIDs: [String: WorkloadID] = [:]
    private var segmentsOut: [Segment] = []
    private var workloadsOut: [Workload] = []
    private var identitiesOut: [String: Identity] = [:]
    /// Identities and roles by name, indexed as the policy lists them (by name).
    private var identityIDs: [String: IdentityID] = [:]
    private var roleIDs: [String: RoleID] = [:]
    private var listens: [PortSet] = []
    /// Workloads whose listen ports had errors: allows naming them are not checked again.
    private var incompleteListens: Set<WorkloadID> = []
    /// Whether a flow had an error: then the intent lacks what it would have said, and an
    /// expectation failing on it is a follow-on, not reported.
    private var flowsIncomplete = false
    /// The did-you-mean help of each unknown name reported, by kind and name.
    private var suggestions: [String: String?] = [:]
    /// Every workload's name, sorted: a workload's ID is its index here.
    private var workloadNames: [String] = []
    /// Every workload's definition, in the order of `workloadNames`: looked up once, then read
    /// in place by index (each lookup in `resolve.workloads` copies the whole definition, and
    /// identities, workloads and images each went through them all).
    private var workloadDefinitions: [Definition<WorkloadSyntax>] = []
    /// The ports of each entry that names no port set, resolved once: flows and workloads
    /// repeat a few entries (`tcp/5432`, `tcp`, `all`).
    private var entryPorts: [PortEntry: ResolvedPorts] = [:]
    /// The union of each short list of entries, all resolved, as written.
    private var listPorts: [[PortEntry]: PortSet] = [:]
    /// The ports beyond single ports and ranges of each listen entry that resolved (what a
    /// workload cannot listen on), computed once per entry.
    private var unclippedPorts: [PortEntry: PortSet] = [:]
    /// What each workload, segment and network name is, for flows and expectations: one
    /// lookup per reference instead of one per kind.
    private var referents: [String: Referent] = [:]

    /// The workload, segment and network a name stands for (a name in two kinds is an error
    /// reported by resolve; lowering still goes on).
    private struct Referent {
        var workload: WorkloadID?
        var segment: SegmentID?
        var network = false
    }

    init(resolve: ResolvePass, files: [SpecFile]) {
        self.resolve = resolve
        self.files = files
        top = files.first
        flowsIncomplete = files.contains(where: \.flowsIncomplete)
        invalidDefinitions = Set(files.flatMap(\.invalidDefinitions))
    }

    /// The top-level file.
    let top: SpecFile?

    /// Names whose definitions had errors: they are known, their own errors say what is wrong.
    let invalidDefinitions: Set<String>

    /// An unknown name, unless its definition is only broken (then the reference follows from
    /// an error already reported).
    private mutating func reportUnknown(_ kind: String, _ name: String, at range: SourceRange, candidates: [String]) {
        guard !invalidDefinitions.contains(name) else { return }
        // One suggestion per distinct unknown name: a spec that misspells a name in many
        // flows does not search the candidates again for each.
        let key = "\(kind):\(name)"
        let help: String?
        if let cached = suggestions[key] {
            help = cached
        } else {
            help = didYouMean(name, in: candidates)
            suggestions[key] = .some(help)
        }
        diagnostics.append(.error(.unknownReference, "unknown \(kind) '\(name)'", at: range, help: help))
    }
    var policyName: String { resolve.policyName?.value ?? "policy" }

    mutating func run(contentHash: String) -> Policy {
        resolve.resolveAllDefinitions()
        workloadNames = resolve.workloads.keys.sorted()
        workloadDefinitions = workloadNames.compactMap { resolve.workloads[$0] }
        lowerSegments()
        lowerIdentities()
        lowerWorkloads()
        let flows = lowerFlows()
        let intent = Relation.intent(of: flows, listens: listens)
        let expectations = lowerExpectations(intent: intent, flows: flows)
        let grants = lowerGrants()
        let imagePolicy = top?.imagePolicy
        if let imagePolicy { checkImages(imagePolicy) }
        checkLintSubjects()
        diagnostics += resolve.diagnostics
        var policy = Policy(
            name: policyName, description: top?.description, files: files.map(\.path), contentHash: contentHash,
            segments: segmentsOut,
            networks: resolve.networks.keys.sorted().compactMap { name in
                guard let members = resolve.network(name), let definition = resolve.networks[name] else { return nil }
                return Network(name: name, members: members, origin: definition.name.range)
            },
            portSets: resolve.portSets.keys.sorted().compactMap { name in
                guard let ports = resolve.portSet(name), let definition = resolve.portSets[name] else { return nil }
                return NamedPortSet(name: name, ports: ports.whole, origin: definition.name.range)
            },
            identities: identitiesOut.values.sorted { $0.name < $1.name },
            roles: resolve.roles.values.map { Role(name: $0.name.value, actions: $0.body, origin: $0.name.range) }.sorted { $0.name < $1.name },
            grants: grants,
            secrets: resolve.secrets.values.map { Secret(name: $0.name.value, description: $0.body.description, origin: $0.name.range) }.sorted {
                $0.name < $1.name
            },
            workloads: workloadsOut, flows: flows, intent: intent, imagePolicy: imagePolicy, expectations: expectations,
            targets: top?.targets.sorted { $0.target < $1.target } ?? [], lint: top?.lint ?? LintConfig())
        policy.origin = resolve.policyName?.range ?? top?.range ?? .wholeFile("spec")
        policy.strictFidelity = top?.fidelity?.value == "strict"
        return policy
    }

    // MARK: Segments, identities, workloads

    private mutating func lowerSegments() {
        if resolve.segmentsDeclared {
            for (index, (name, definition)) in resolve.segments.sorted(by: { $0.key < $1.key }).enumerated() {
                segmentIDs[name] = SegmentID(index)
                segmentsOut.append(
                    Segment(
                        name: name, description: definition.body.description, labels: definition.body.labels,
                        implied: false, workloads: [], origin: definition.name.range))
            }
        } else {
            segmentIDs[policyName] = SegmentID(0)
            segmentsOut.append(
                Segment(
                    name: policyName, description: top?.description, labels: [], implied: true, workloads: [],
                    origin: resolve.policyName?.range ?? top?.range ?? .wholeFile("spec")))
        }
    }

    private mutating func lowerIdentities() {
        for definition in resolve.identities.values {
            identitiesOut[definition.name.value] = Identity(
                name: definition.name.value, kind: definition.body.kind, description: definition.body.description,
                implied: false, origin: definition.name.range)
        }
        let definitions = workloadDefinitions
        for (name, index) in zip(workloadNames, definitions.indices) where definitions[index].body.identity == nil {
            let origin = definitions[index].name.range
            if let declared = identitiesOut[name] {
                if declared.kind != .service {
                    diagnostics.append(
                        .error(
                            .wrongReferenceKind,
                            "workload '\(name)' runs as the implied identity '\(name)', but '\(name)' is a \(declared.kind.rawValue) identity",
                            at: origin, notes: [.init("identity '\(name)' is defined here", at: declared.origin)],
                            help: "set 'identity:' to a service identity"))
                }
                continue
            }
            identitiesOut[name] = Identity(name: name, kind: .service, description: nil, implied: true, origin: origin)
        }
        for (index, name) in identitiesOut.keys.sorted().enumerated() { identityIDs[name] = IdentityID(index) }
        for (index, name) in resolve.roles.keys.sorted().enumerated() { roleIDs[name] = RoleID(index) }
    }

    private mutating func lowerWorkloads() {
        let names = workloadNames
        workloadIDs.reserveCapacity(names.count)
        for (index, name) in names.enumerated() { workloadIDs[name] = WorkloadID(index) }
        let defaults = top?.defaults ?? RuntimeProfile()
        workloadsOut.reserveCapacity(names.count)
        listens.reserveCapacity(names.count)
        // Each definition is read in place, by index, in a local array: the fields read are
        // copied, not the whole definition.
        let definitions = workloadDefinitions
        for (index, name) in names.enumerated() {
            let id = WorkloadID(index)
            let segment = workloadSegment(definitions[index].body.segment, misspelled: definitions[index].body.segmentMisspelled, of: definitions[index].name)
            let identity = workloadIdentity(definitions[index].body.identity, of: name)
            for secret in definitions[index].body.secrets where resolve.secrets[secret.value] == nil {
                reportUnknown("secret", secret.value, at: secret.range, candidates: Array(resolve.secrets.keys))
            }
            let errorsBefore = diagnostics.count + resolve.diagnostics.count
            let listen = listenPorts(definitions[index].body.ports)
            listens.append(listen)
            if !definitions[index].body.portsComplete || errorsBefore != diagnostics.count + resolve.diagnostics.count { incompleteListens.insert(id) }
            if let segment { segmentsOut[segment.index].workloads.append(id) }
            guard let segment, let image = definitions[index].body.image, let identity else { continue }
            workloadsOut.append(
                Workload(
                    id: id, name: name, segment: segment, image: image.value, identity: identity, replicas: definitions[index].body.replicas,
                    listens: listen, secrets: definitions[index].body.secrets.map(\.value).sorted(),
                    runtime: definitions[index].body.runtime.merged(over: defaults), labels: definitions[index].body.labels,
                    description: definitions[index].body.description, origin: definitions[index].name.range, imageOrigin: image.range))
        }
        if workloadsOut.count != names.count {
            // A workload could not be lowered: its errors are reported; keep indexes dense.
            workloadsOut = []
        }
    }

    /// The segment of the workload `workload`, whose `segment:` is `reference` (`misspelled`: a
    /// near miss of the key is already reported). It takes the fields it reads, not the whole
    /// definition, which would be copied to be passed.
    private mutating func workloadSegment(_ reference: Located<String>?, misspelled: Bool, of workload: Located<String>) -> SegmentID? {
        guard let reference else {
            if resolve.segmentsDeclared, !misspelled {
                diagnostics.append(
                    .error(
                        .missingSegment, "workload '\(workload.value)' has no segment", at: workload.range,
                        help: "add 'segment:' naming one of: \(resolve.segments.keys.sorted().joined(separator: ", "))"))
                return nil
            }
            return misspelled && resolve.segmentsDeclared ? nil : SegmentID(0)
        }
        var name = reference.value
        if name.hasPrefix("segment:") { name.removeFirst("segment:".count) }
        if let id = segmentIDs[name] { return id }
        if resolve.workloads[name] != nil || resolve.networks[name] != nil {
            diagnostics.append(
                .error(.wrongReferenceKind, "'\(name)' is a \(resolve.workloads[name] != nil ? "workload" : "network"), not a segment", at: reference.range))
        } else {
            reportUnknown("segment", name, at: reference.range, candidates: Array(segmentIDs.keys))
        }
        return nil
    }

    /// The identity the workload named `workload` runs as, its `identity:` being `reference`
    /// (nil: the implied identity of its own name).
    private mutating func workloadIdentity(_ reference: Located<String>?, of workload: String) -> IdentityID? {
        guard let reference else { return identityIDs[workload] }
        guard let identity = identitiesOut[reference.value] else {
            reportUnknown("identity", reference.value, at: reference.range, candidates: Array(identitiesOut.keys))
            return nil
        }
        if identity.kind != .service {
            diagnostics.append(
                .error(
                    .wrongReferenceKind, "workloads run as service identities; '\(identity.name)' is a \(identity.kind.rawValue) identity",
                    at: reference.range, notes: [.init("identity '\(identity.name)' is defined here", at: identity.origin)]))
        }
        return identityIDs[identity.name]
    }

    /// The ports of one entry; an entry naming no port set is resolved once.
    private mutating func ports(of entry: Located<PortEntry>) -> ResolvedPorts? {
        if case .name = entry.value { return resolve.port(entry) }
        if let known = entryPorts[entry.value] { return known }
        guard let resolved = resolve.port(entry) else { return nil }
        entryPorts[entry.value] = resolved
        return resolved
    }

    /// The union of the ports of `entries`, `sets` being each one's: a short list met again
    /// is not unioned again.
    private mutating func union(_ sets: [PortSet], of entries: ArraySlice<Located<PortEntry>>) -> PortSet {
        guard sets.count > 1, sets.count == entries.count, entries.count <= 8 else { return portUnion(sets) }
        let key = entries.map(\.value)
        if let known = listPorts[key] { return known }
        let result = portUnion(sets)
        listPorts[key] = result
        return result
    }

    /// What a workload listens on: single ports or ranges of tcp/udp/sctp, or icmp.
    private mutating func listenPorts(_ entries: [Located<PortEntry>]) -> PortSet {
        // Gathered and normalized once: a workload listening on thousands of single ports
        // costs a sort, not a union per port.
        var result: [PortSet] = []
        for entry in entries {
            // A port or range of a protocol with ports is listened on as written.
            if case .range(let range) = entry.value, range.proto.hasPorts {
                result.append(PortSet(range))
                continue
            }
            guard let resolved = ports(of: entry) else { continue }
            let unclipped: PortSet
            if let known = unclippedPorts[entry.value] {
                unclipped = known
            } else {
                unclipped = resolved.whole.subtracting(resolved.explicit).subtracting(.whole(.icmp))
                unclippedPorts[entry.value] = unclipped
            }
            if !unclipped.isEmpty {
                diagnostics.append(
                    .error(
                        .invalidListenPort, "a workload listens on single ports or ranges; '\(entry.value.text)' covers \(unclipped)",
                        at: entry.range, help: "list the ports it listens on, like tcp/8080 or tcp/8000-8100"))
                continue
            }
            result.append(resolved.whole)
        }
        return union(result, of: entries[...])
    }

    // MARK: Flows and expectations

    /// Indexes every workload, segment and network name once they are all known.
    private mutating func indexReferents() {
        referents.reserveCapacity(workloadIDs.count + segmentIDs.count + resolve.networks.count)
        for (name, id) in workloadIDs { referents[name, default: Referent()].workload = id }
        for (name, id) in segmentIDs { referents[name, default: Referent()].segment = id }
        for name in resolve.networks.keys { referents[name, default: Referent()].network = true }
    }

    private func referent(_ name: String) -> Referent { referents[name] ?? Referent() }

    /// One side of a flow or expectation, and whether it names external peers (`any`, a
    /// network).
    private mutating func endpoints(_ references: ArraySlice<Located<ReferenceSyntax>>, source: Bool) -> (Endpoints, direct: [WorkloadID], external: Bool) {
        // Most sides name one workload: that workload alone, named directly, with no external
        // peers (what the loop below gives it, without growing arrays or a union of none).
        if references.count == 1 {
            switch references[references.startIndex].value {
            case .workload(let name), .bare(let name):
                if let id = referent(name).workload {
                    let workloads = [id]
                    return (Endpoints(workloads: workloads, external: .empty), workloads, false)
                }
            default: break
            }
        }
        var workloads: [WorkloadID] = []
        // The workloads named directly: nil while no segment added workloads, when they are
        // `workloads` itself (most sides name one workload: one array, not two).
        var direct: [WorkloadID]?
        var external = false
        // Unioned once at the end: a flow from many networks costs a sort, not a union each.
        var externals: [ExternalSet] = []
        for reference in references {
            switch reference.value {
            case .any:
                external = true
                externals.append(source ? ExternalSet(addresses: .all) : .any)
            case .workload(let name):
                guard let id = referent(name).workload else {
                    report(kind: "workload", name, reference)
                    continue
                }
                workloads.append(id)
                direct?.append(id)
            case .segment(let name):
                guard let id = referent(name).segment else {
                    report(kind: "segment", name, reference)
                    continue
                }
                if direct == nil { direct = workloads }
                workloads += segmentsOut[id.index].workloads
            case .network(let name):
                external = true
                guard referent(name).network else {
                    report(kind: "network", name, reference)
                    continue
                }
                if let members = resolve.network(name) { externals.append(checkedSource(members, name, reference, source)) }
            case .bare(let name):
                let known = referent(name)
                if known.workload == nil, known.segment == nil, known.network { external = true }
                if let id = known.workload {
                    workloads.append(id)
                    direct?.append(id)
                } else if resolve.segmentsDeclared, let id = known.segment {
                    if direct == nil { direct = workloads }
                    workloads += segmentsOut[id.index].workloads
                } else if known.network {
                    if let members = resolve.network(name) { externals.append(checkedSource(members, name, reference, source)) }
                } else {
                    let candidates = Array(workloadIDs.keys) + Array(resolve.networks.keys) + (resolve.segmentsDeclared ? Array(segmentIDs.keys) : [])
                    var help = didYouMean(name, in: candidates)
                    if help == nil, !resolve.segmentsDeclared, segmentIDs[name] != nil {
                        help = "the implied segment is referred to as 'segment:\(name)'"
                    }
                    diagnostics.append(.error(.unknownReference, "'\(name)' is not a workload, segment or network", at: reference.range, help: help))
                }
            }
        }
        return (Endpoints(workloads: workloads, external: ExternalSet(unionOf: externals)), direct ?? workloads, external)
    }

    private mutating func checkedSource(_ members: ExternalSet, _ name: String, _ reference: Located<ReferenceSyntax>, _ source: Bool) -> ExternalSet {
        guard source else { return members }
        if !members.dns.isEmpty {
            diagnostics.append(
                .error(
                    .dnsSource, "network '\(name)' holds dns: names and cannot be a source", at: reference.range,
                    help: "dns: names are resolved for outgoing connections only"))
        }
        return ExternalSet(addresses: members.addresses)
    }

    private mutating func report(kind: String, _ name: String, _ reference: Located<ReferenceSyntax>) {
        if workloadIDs[name] != nil || segmentIDs[name] != nil || resolve.networks[name] != nil {
            let actual = workloadIDs[name] != nil ? "workload" : segmentIDs[name] != nil ? "segment" : "network"
            diagnostics.append(
                .error(
                    .wrongReferenceKind, "'\(name)' is a \(actual), not a \(kind)", at: reference.range,
                    help: "write '\(actual == "workload" ? "workload:" : actual == "segment" ? "segment:" : "network:")\(name)'"))
            return
        }
        let candidates: [String] =
            switch kind {
            case "workload": Array(workloadIDs.keys)
            case "segment": Array(segmentIDs.keys)
            default: Array(resolve.networks.keys)
            }
        reportUnknown(kind, name, at: reference.range, candidates: candidates)
    }

    /// Resolves the two sides and the ports of a flow or expectation, checking the rules
    /// that hold for both: no external peers on both sides, explicit ports listened on.
    private mutating func connection(
        from: ArraySlice<Located<ReferenceSyntax>>, to: ArraySlice<Located<ReferenceSyntax>>, ports entries: ArraySlice<Located<PortEntry>>,
        allow: Bool, at range: SourceRange, what: String
    ) -> (Endpoints, Endpoints, PortSet)? {
        let (sources, _, externalFrom) = endpoints(from, source: true)
        let (destinations, direct, externalTo) = endpoints(to, source: false)
        if externalFrom, externalTo {
            diagnostics.append(
                .error(
                    .externalOnBothSides, "\(what) has external addresses on both sides", at: range,
                    help: "traffic between two external networks is outside what Palisade secures"))
            return nil
        }
        // Most flows name one port entry: its ports are the union as they are, with no array
        // allocated to gather them (`union` of one set is that set, of none the empty set).
        var portSets: [PortSet] = []
        var onlyPorts = PortSet()
        if entries.count > 1 { portSets.reserveCapacity(entries.count) }
        for entry in entries {
            guard let resolved = ports(of: entry) else { continue }
            if entries.count == 1 { onlyPorts = resolved.whole } else { portSets.append(resolved.whole) }
            guard allow else { continue }
            // Nearly every workload listens on what it is sent: a subset test, with no set built.
            for workload in direct where !incompleteListens.contains(workload) && !resolved.explicit.isSubset(of: listens[workload.index]) {
                let missing = resolved.explicit.subtracting(listens[workload.index])
                let name = workloadName(workload)
                let listening = listens[workload.index]
                diagnostics.append(
                    .error(
                        .portNotListened, "workload '\(name)' does not listen on \(missing)", at: entry.range,
                        notes: [.init("workload '\(name)' is defined here", at: resolve.workloads[name]?.name.range)],
                        help: listening.isEmpty ? "'\(name)' lists no ports, so it accepts no connections" : "'\(name)' listens on \(listening)"))
            }
        }
        return (sources, destinations, entries.count == 1 ? onlyPorts : union(portSets, of: entries))
    }

    private func workloadName(_ id: WorkloadID) -> String {
        workloadNames[id.index]
    }

    private mutating func lowerFlows() -> [Flow] {
        indexReferents()
        let errorsBefore = diagnostics.count + resolve.diagnostics.count
        defer { flowsIncomplete = flowsIncomplete || diagnostics.count + resolve.diagnostics.count > errorsBefore }
        guard files.contains(where: { FlowParts.ranges($0.flows.count, minimum: flowsPerPart).count > 1 }) else {
            var flows: [Flow] = []
            for file in files.indices { lowerFlows(of: file, files[file].flows.indices, numberedFrom: flows.count) { flows.append($0) } }
            return flows
        }
        // The flows of every file in parts, file after file.
        var parts: [(file: Int, flows: Range<Int>)] = []
        for (file, syntax) in files.enumerated() where !syntax.flows.isEmpty {
            for range in FlowParts.ranges(syntax.flows.count, minimum: flowsPerPart) { parts.append((file, range)) }
        }
        // Each part lowered at once on the cores with a copy of this pass, then put together
        // as one pass in order would have: the flows numbered on, the diagnostics of each in
        // turn (the report sorts them by place), what each part memoized let go. Each part
        // writes its flows straight into the result, from the place its first flow would have
        // if none failed, and the parts are then moved together: no flow is copied (a copy
        // retains each of its fields, and the parts' arrays released them again).
        nonisolated(unsafe) let start = self
        let pieces = parts
        // Where each part's flows start if none fails, and (last) how many flows there are at most.
        let places = pieces.reduce(into: [0]) { places, piece in places.append(places[places.count - 1] + piece.flows.count) }
        var lowered: [(diagnostics: [Diagnostic], resolve: [Diagnostic])] = []
        let flows = [Flow](unsafeUninitializedCapacity: places[pieces.count]) { buffer, initialized in
            nonisolated(unsafe) let base = buffer.baseAddress
            let results = Concurrently.map(count: pieces.count) { index -> (count: Int, diagnostics: [Diagnostic], resolve: [Diagnostic]) in
                nonisolated(unsafe) var pass = start
                pass.diagnostics = []
                let resolveBefore = pass.resolve.diagnostics.count
                var written = 0
                pass.lowerFlows(of: pieces[index].file, pieces[index].flows, numberedFrom: 0) { flow in
                    (base! + places[index] + written).initialize(to: flow)
                    written += 1
                }
                return (written, pass.diagnostics, Array(pass.resolve.diagnostics[resolveBefore...]))
            }
            // Each part's flows moved down to follow the part before (the regions may overlap)
            // and numbered on in place.
            for (index, part) in results.enumerated() {
                let first = base! + initialized
                if places[index] != initialized { first.moveInitialize(from: base! + places[index], count: part.count) }
                for offset in 0..<part.count { first[offset].index += initialized }
                initialized += part.count
            }
            lowered = results.map { ($0.diagnostics, $0.resolve) }
        }
        for part in lowered {
            diagnostics += part.diagnostics
            resolve.diagnostics += part.resolve
        }
        return flows
    }

    /// The flows of `files[file]` at `range` that lower without error, numbered from `first`,
    /// each handed to `take` in order.
    private mutating func lowerFlows(of file: Int, _ range: Range<Int>, numberedFrom first: Int, into take: (consuming Flow) -> Void) {
        var count = 0
        let file = files[file]
        // Each flow's fields are read in place: a copy of the whole syntax retains all of them.
        for index in range {
            guard
                let (sources, destinations, ports) = connection(
                    from: file.flowReferences[file.flows[index].from], to: file.flowReferences[file.flows[index].to],
                    ports: file.flowPorts[file.flows[index].ports],
                    allow: file.flows[index].action == .allow, at: file.flows[index].range, what: "flow")
            else { continue }
            take(
                Flow(
                    index: first + count, name: file.flows[index].name, description: file.flows[index].description,
                    action: file.flows[index].action, sources: sources, destinations: destinations, ports: ports, origin: file.flows[index].range))
            count += 1
        }
    }

    /// The flows that make an expectation fail, as notes at each: for a failed `deny` the
    /// allows that let the witness through, for a failed `allow` the denies that cut it (or,
    /// without any, the allows that come closest: none reach it).
    private func deciding(_ witness: Witness, flows: [Flow], expected: Expectation.Kind) -> [Diagnostic.Note] {
        func covers(_ side: Endpoints, _ peer: Witness.Peer?) -> Bool {
            switch peer {
            case .workload(let id)?: side.workloads.contains(id)
            case .external(let set)?: !side.external.intersection(set).isEmpty
            case nil: false
            }
        }
        let touching = flows.filter { flow in
            covers(flow.sources, witness.source) && covers(flow.destinations, witness.destination) && flow.ports.overlaps(witness.ports)
        }
        let cause: FlowAction = expected == .deny ? .allow : .deny
        return touching.filter { $0.action == cause }.prefix(5).map { flow in
            .init("\(cause == .allow ? "allowed" : "denied") by \(flow.label)", at: flow.origin)
        }
    }

    private mutating func lowerExpectations(intent: Relation, flows: [Flow]) -> [Expectation] {
        var result: [Expectation] = []
        let names = workloadNames
        for syntax in top?.expect ?? [] {
            let errorsBefore = diagnostics.count + resolve.diagnostics.count
            guard
                let (sources, destinations, ports) = connection(
                    from: syntax.from[...], to: syntax.to[...], ports: syntax.ports[...], allow: syntax.kind == .allow,
                    at: syntax.range, what: "expectation")
            else { continue }
            // Clip to what destination workloads listen on, as for a flow.
            var expectation = Expectation(kind: syntax.kind, sources: sources, destinations: destinations, ports: ports, origin: syntax.range)
            expectation.targets = syntax.targets
            result.append(expectation)
            guard errorsBefore == diagnostics.count + resolve.diagnostics.count, !workloadsOut.isEmpty, !flowsIncomplete else { continue }
            if let witness = expectation.witness(on: intent, listens: listens) {
                let verdict = syntax.kind == .allow ? "is not allowed" : "is allowed"
                diagnostics.append(
                    .error(
                        .expectationFailed, "expectation does not hold: \(witness.description(names: names)) \(verdict)", at: syntax.range,
                        notes: deciding(witness, flows: flows, expected: syntax.kind)))
            }
        }
        return result
    }

    private mutating func lowerGrants() -> [Grant] {
        var result: [Grant] = []
        for syntax in files.flatMap(\.grants) {
            var valid = true
            if let identity = identitiesOut[syntax.identity.value] {
                if identity.kind == .service, !syntax.allowService {
                    valid = false
                    diagnostics.append(
                        .error(
                            .grantToService, "role '\(syntax.role.value)' is granted to service identity '\(identity.name)'",
                            at: syntax.identity.range, help: "roles are for users and groups; set 'allow_service: true' on the grant if this is intended"))
                }
            } else {
                valid = false
                reportUnknown("identity", syntax.identity.value, at: syntax.identity.range, candidates: Array(identitiesOut.keys))
            }
            if resolve.roles[syntax.role.value] == nil {
                valid = false
                reportUnknown("role", syntax.role.value, at: syntax.role.range, candidates: Array(resolve.roles.keys))
            }
            var segments: [SegmentID] = []
            if let names = syntax.segments {
                for name in names {
                    let bare = name.value.hasPrefix("segment:") ? String(name.value.dropFirst("segment:".count)) : name.value
                    guard let id = segmentIDs[bare] else {
                        valid = false
                        reportUnknown("segment", bare, at: name.range, candidates: Array(segmentIDs.keys))
                        continue
                    }
                    if segments.contains(id) {
                        diagnostics.append(.error(.duplicateEntry, "segment '\(bare)' is listed twice", at: name.range))
                    }
                    segments.append(id)
                }
            } else {
                segments = segmentsOut.indices.map(SegmentID.init)
            }
            guard valid, let identity = identityIDs[syntax.identity.value], let role = roleIDs[syntax.role.value] else { continue }
            result.append(
                Grant(
                    identity: identity, role: role, segments: Array(Set(segments)).sorted(),
                    allSegments: syntax.segments == nil, allowService: syntax.allowService, origin: syntax.range))
        }
        return result
    }

    // MARK: Checks

    private mutating func checkImages(_ policy: ImagePolicy) {
        // `ImageReference.matches(registryPattern:)`, with each pattern split and lowered once
        // and each registry lowered once: thousands of workloads share a few registries.
        let patterns = policy.allowedRegistries.map { pattern -> (host: String, prefix: String?, folder: String) in
            let parts = pattern.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let prefix = parts.count == 2 ? String(parts[1]) : nil
            return (String(parts[0]).lowercased(), prefix, (prefix ?? "") + "/")
        }
        var loweredRegistries: [String: String] = [:]
        func allowed(_ image: ImageReference) -> Bool {
            let registry: String
            if let known = loweredRegistries[image.registry] {
                registry = known
            } else {
                registry = image.registry.lowercased()
                loweredRegistries[image.registry] = registry
            }
            return patterns.contains { pattern in
                guard pattern.host == registry else { return false }
                guard let prefix = pattern.prefix else { return true }
                return image.path == prefix || image.path.hasPrefix(pattern.folder)
            }
        }
        let definitions = workloadDefinitions
        for (name, index) in zip(workloadNames, definitions.indices) {
            guard let image = definitions[index].body.image else { continue }
            if policy.requireDigest, image.value.digest == nil {
                diagnostics.append(
                    .error(
                        .imageDigestRequired, "image of workload '\(name)' is not pinned by digest", at: image.range,
                        notes: [.init("image_policy.require_digest is set here", at: policy.origin)],
                        help: "append @sha256:<digest> to the image"))
            }
            if !policy.allowedRegistries.isEmpty, !allowed(image.value) {
                diagnostics.append(
                    .error(
                        .imageRegistryNotAllowed,
                        "image '\(image.value.text)' of workload '\(name)' comes from '\(image.value.registry)/\(image.value.path)', outside the "
                            + "allowed registries",
                        at: image.range, notes: [.init("allowed: \(policy.allowedRegistries.joined(separator: ", "))", at: policy.origin)]))
            }
        }
    }

    /// `lint.ignore` subjects are references: `KIND:NAME` or a bare workload, segment or network.
    private mutating func checkLintSubjects() {
        guard let lint = top?.lint else { return }
        for ignore in lint.ignore {
            let parts = ignore.subject.split(separator: ":", maxSplits: 1).map(String.init)
            let known: Bool
            if parts.count == 2 {
                let name = parts[1]
                switch parts[0] {
                case "workload": known = workloadIDs[name] != nil
                case "segment": known = segmentIDs[name] != nil
                case "network": known = resolve.networks[name] != nil
                case "identity": known = identitiesOut[name] != nil
                case "role": known = resolve.roles[name] != nil
                case "secret": known = resolve.secrets[name] != nil
                case "ports": known = resolve.portSets[name] != nil
                case "flow": known = files.flatMap(\.flows).contains { $0.name == name }
                default: known = false
                }
            } else {
                known = workloadIDs[ignore.subject] != nil || segmentIDs[ignore.subject] != nil || resolve.networks[ignore.subject] != nil
            }
            if !known {
                diagnostics.append(
                    .error(
                        .unknownReference, "lint ignore subject '\(ignore.subject)' names nothing in the spec", at: ignore.origin,
                        help:
                            "subjects are workload:NAME, segment:NAME, network:NAME, identity:NAME, role:NAME, secret:NAME, ports:NAME, flow:NAME or "
                            + "a bare workload, segment or network name"
                    ))
            }
        }
    }
}

extension PortEntry {
    /// The entry as written.
    var text: String {
        switch self {
        case .range(let range): range.description
        case .wholeProtocol(let proto): proto.description
        case .all: "all"
        case .name(let name): name
        }
    }
}
