import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

@Suite struct NFTablesTests {
    static let samples = backendSamples
    let backend = NFTablesBackend()

    func policy(_ sample: String) throws -> Policy { try samplePolicy(sample) }

    /// Round trip, and exact but for `dns:` destinations (the only names a host firewall cannot match).
    func check(_ policy: Policy, _ gaps: GapPolicy, _ extra: [String: OptionValue] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (emission, _) = try checkRoundTrip(backend, policy, options(.nftables, gaps, extra), sourceLocation: sourceLocation)
        #expect(emission.widened.betweenWorkloads.isEmpty && emission.narrowed.betweenWorkloads.isEmpty, sourceLocation: sourceLocation)
        #expect(emission.widened.ingress.isEmpty && emission.narrowed.ingress.isEmpty, sourceLocation: sourceLocation)
        if gaps == .widen {
            #expect(emission.narrowed.isEmpty, sourceLocation: sourceLocation)
        } else {
            #expect(emission.widened.isEmpty, sourceLocation: sourceLocation)
        }
        for entry in (emission.widened.egress.values.flatMap(\.entries) + emission.narrowed.egress.values.flatMap(\.entries)) {
            #expect(!entry.peers.dns.isEmpty, "only dns: destinations differ: \(entry.peers.summary)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: samples)
    func samplesRoundTrip(sample: String) throws {
        let policy = try policy(sample)
        try check(policy, .widen)
        try check(policy, .narrow)
        try check(policy, .widen, ["log_denied": .boolean(true)])
    }

    @Test func randomizedSpecsRoundTrip() throws {
        try forRandomSpecs(seed: 43, count: 40) { policy, gaps in try check(policy, gaps) }
    }

    static let spec = """
        version: 1
        name: t
        networks:
          corp: [10.0.0.0/8, "2001:db8:100::/48"]
          blocked: [10.9.0.0/16]
        workloads:
          web: {image: nginx:1.25, ports: [tcp/80, tcp/443, tcp/8000-8080]}
          api: {image: nginx:1.25, ports: [tcp/9000, icmp]}
          db: {image: nginx:1.25, ports: [tcp/5432]}
        flows:
          - {from: corp, to: web, ports: [tcp/80, tcp/8000-8080]}
          - {from: web, to: api, ports: [tcp/9000, icmp]}
          - {from: [web, api], to: db, ports: [tcp/5432]}
          - {action: deny, from: blocked, to: web, ports: [all]}
          - {action: deny, from: web, to: db, ports: [all]}
        """

    func files(_ extra: [String: OptionValue] = [:], spec: String = spec) throws -> (Policy, [String: String]) {
        let policy = try #require(compileSpec(spec).policy)
        let emission = try backend.emit(policy, options: options(.nftables, .widen, extra))
        return (policy, Dictionary(uniqueKeysWithValues: emission.files.map { ($0.path, $0.contents) }))
    }

    @Test func setNamesKeepLettersDigitsAndDashesOnly() {
        #expect(NFTNames.sanitized("web-2") == "web-2")
        #expect(NFTNames.sanitized("web_2.api") == "web_2_api")
        #expect(NFTNames.sanitized("café") == "caf_")
        #expect(NFTNames.identity("a.b", .v6) == "id_a_b_v6")
    }

    @Test func quotedStringsHoldNoQuoteOrLineBreak() {
        #expect(NFTablesEmitter.quoted("web -> api on tcp/443") == "\"web -> api on tcp/443\"")
        #expect(NFTablesEmitter.quoted("say \"hi\"\nthen\r\nbye") == "\"say 'hi' then bye\"")
        #expect(NFTablesEmitter.quoted("café\u{2028}x") == "\"café x\"")
        #expect(NFTablesEmitter.quoted("tab\u{0B}form\u{0C}") == "\"tab form \"")
    }

    @Test func rulesMatchSetsAndPortSetsWithDropsAheadOfAccepts() throws {
        let (_, files) = try files()
        #expect(files.keys.sorted() == ["api.nft", "db.nft", "web.nft"])
        let web = try #require(files["web.nft"])
        #expect(web.contains("table inet palisade_t {}\ndelete table inet palisade_t\ntable inet palisade_t {\n"))
        #expect(web.contains("ip saddr @net_corp tcp dport { 80, 8000-8080 } accept comment \"flow #1\""))
        #expect(web.contains("\tset net_corp_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n"))
        let lines = web.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let drop = try #require(lines.firstIndex(of: "ip saddr @net_blocked drop comment \"flow #4\""))
        let accept = try #require(lines.firstIndex { $0.hasPrefix("ip saddr @net_corp") })
        let hosts = try #require(lines.firstIndex(of: "ip saddr @hosts drop comment \"other workload hosts\""))
        #expect(hosts < drop && drop < accept)
        // Between workloads: the peer's identity set, and the deny as a drop ahead of the accept.
        let out = try #require(lines.firstIndex(of: "ip daddr @id_db drop comment \"flow #5\""))
        let toDB = try #require(lines.firstIndex(of: "ip daddr @id_db tcp dport 5432 accept comment \"flow #3\""))
        #expect(out < toDB)
        #expect(web.contains("ip6 daddr @id_api_v6 meta l4proto ipv6-icmp accept"))
        #expect(web.contains("ip daddr @id_api meta l4proto icmp accept"))
        // Every chain drops by default and lets loopback, replies and neighbour discovery through.
        #expect(web.components(separatedBy: "policy drop;").count == 3)
        #expect(web.contains("ct state established,related accept"))
        #expect(web.contains("icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query"))
    }

    /// MLD must not be dropped (RFC 4890 §4.4.1): both chains let queries, reports and dones
    /// through with neighbour discovery, the reader reads that rule, and the gap says so.
    @Test func bothChainsLetNeighbourAndMulticastListenerDiscoveryThrough() throws {
        let (policy, files) = try files()
        let web = try #require(files["web.nft"])
        let rule =
            "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
            + "mld-listener-query, mld-listener-report, mld2-listener-report, mld-listener-done } accept"
        #expect(web.components(separatedBy: "\t\t" + rule + "\n").count == 3)
        let edited = files.map { OutputFile(path: $0.key, contents: $0.value) }
        #expect(throws: Never.self) { try backend.read(edited, policy: policy) }
        // The rule without MLD is not what Palisade writes.
        let old = files.map {
            OutputFile(
                path: $0.key,
                contents: $0.value.replacingOccurrences(of: ", mld-listener-query, mld-listener-report, mld2-listener-report, mld-listener-done", with: ""))
        }
        #expect(throws: ReadFailure.self) { try backend.read(old, policy: policy) }
        let emission = try backend.emit(policy, options: options(.nftables, .widen, [:]))
        #expect(emission.gaps.contains { $0.kind == .platformRequired && $0.reason.contains("multicast listener discovery (MLD") })
    }

    @Test func knownAddressesFillTheSetsAndTheRestStayEmpty() throws {
        let (_, files) = try files(["addresses": .map([entry("web", .list([value("192.0.2.10"), value("2001:db8::10"), value("192.0.2.11")]))])])
        let api = try #require(files["api.nft"])
        #expect(
            api.contains(
                "\tset id_web {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment \"hosts of workload web\"\n\t\telements = { 192.0.2.10, 192.0.2.11 }\n"))
        #expect(api.contains("elements = { 2001:db8::10 }"))
        #expect(api.contains("\tset id_db {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment \"hosts of workload db\"\n\t}"))
        #expect(
            api.contains(
                "\tset hosts {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\tcomment \"every workload host of policy t\"\n"
                    + "\t\telements = { 192.0.2.10, 192.0.2.11 }"
            ))
    }

    /// Hosts stay elements of their own, as given, never merged into a prefix: `nft delete
    /// element … { 192.0.2.5 }` must find the element it names.
    @Test func eachInventoryEntryIsItsOwnSetElement() throws {
        let web = ["192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7"]
        let (policy, files) = try files([
            "addresses": .map([entry("web", .list(web.map(value))), entry("api", .list([value("192.0.2.8"), value("198.51.100.0/28")]))])
        ])
        let db = try #require(files["db.nft"])
        #expect(db.contains("comment \"hosts of workload web\"\n\t\telements = { 192.0.2.4, 192.0.2.5, 192.0.2.6, 192.0.2.7 }\n"))
        #expect(db.contains("comment \"hosts of workload api\"\n\t\telements = { 192.0.2.8, 198.51.100.0/28 }\n"))
        #expect(
            db.contains(
                "comment \"every workload host of policy t\"\n\t\telements = { 192.0.2.8, 198.51.100.0/28, 192.0.2.4, 192.0.2.5, 192.0.2.6, 192.0.2.7 }\n"))
        let read = try backend.read(files.map { OutputFile(path: $0.key, contents: $0.value) }, policy: policy)
        // The inventory changes the elements, not what the reader reads.
        let (_, plain) = try self.files()
        #expect(read.relation == (try backend.read(plain.map { OutputFile(path: $0.key, contents: $0.value) }, policy: policy)).relation)
        // Overlapping entries of one workload would not load ("interval overlaps").
        let overlapping = options(.nftables, .widen, ["addresses": .map([entry("web", .list([value("192.0.2.0/24"), value("192.0.2.5")]))])])
        #expect(backend.validate(overlapping).map(\.message) == ["'192.0.2.5' overlaps 192.0.2.0/24, also an address of workload 'web'"])
    }

    @Test func theCommandLineGivesAddressesAsOneString() throws {
        let (_, files) = try files(["addresses": .string("web=192.0.2.10, 2001:db8::10;db=192.0.2.20")])
        let api = try #require(files["api.nft"])
        #expect(api.contains("comment \"hosts of workload web\"\n\t\telements = { 192.0.2.10 }"))
        #expect(api.contains("comment \"hosts of workload web\"\n\t\telements = { 2001:db8::10 }"))
        #expect(api.contains("comment \"hosts of workload db\"\n\t\telements = { 192.0.2.20 }"))
    }

    /// As the YAML map refuses a repeated key (E007), the string form refuses a repeated workload.
    @Test func theCommandLineRefusesAWorkloadNamedTwice() throws {
        let twice = options(.nftables, .widen, ["addresses": .string("web=10.0.0.5;api=10.0.0.9;web=10.0.0.6")])
        let diagnostics = backend.validate(twice)
        #expect(diagnostics.map(\.message) == ["option 'addresses' of target nftables names workload 'web' twice"])
        #expect(diagnostics.allSatisfy { $0.code == .invalidTargetOption && $0.range != nil })
    }

    /// An inventory entry inside a network or address the flows name would be dropped by the
    /// `@hosts` drop ahead of the external rules; a length-0 entry is every address.
    @Test func inventoryEntriesOverlappingExternalPeersAreRefused() throws {
        let spec =
            Self.spec.replacingOccurrences(of: "  blocked: [10.9.0.0/16]", with: "  blocked: [10.9.0.0/16]\n  partners: [192.0.2.0/28]")
            + "\n  - {from: any, to: db, ports: [tcp/5432]}\n  - {from: partners, to: db, ports: [tcp/5432]}"
            + "\ntargets:\n  nftables:\n    addresses:\n      web: [0.0.0.0/0]\n      api: [10.1.0.0/16, 198.51.100.1]\n      db: [192.0.2.9]\n"
        let policy = try #require(compileSpec(spec).policy)
        let diagnostics = backend.validate(policy)
        // 0.0.0.0/0 also holds api's hosts.
        #expect(diagnostics.contains { $0.message == "addresses: 10.1.0.0/16 is a host of both 'api' and 'web'" })
        #expect(diagnostics.count == 4, "\(diagnostics.map(\.message))")
        #expect(diagnostics.contains { $0.message.hasPrefix("addresses: '10.1.0.0/16' of workload 'api' overlaps an external peer of flow #1 (network corp)") })
        #expect(diagnostics.contains { $0.message == "addresses: '0.0.0.0/0' of workload 'web' is every address" })
        #expect(
            diagnostics.contains { $0.message.hasPrefix("addresses: '192.0.2.9' of workload 'db' overlaps an external peer of flow #7 (network partners)") })
        #expect(diagnostics.allSatisfy { $0.code == .invalidTargetOption })
        // Each at its entry: web's on line 22, api's on 23, db's on 24.
        #expect(diagnostics.compactMap { $0.range?.start.line }.sorted() == [22, 22, 23, 24], "\(diagnostics.map { $0.range?.start.line })")
        // `any` holds every host and is no conflict; 198.51.100.1 is in no peer.
        #expect(!diagnostics.contains { $0.message.contains("198.51.100.1") })
    }

    @Test func theAddressesOptionIsChecked() throws {
        let bad = options(
            .nftables, .widen,
            ["addresses": .map([entry("web", .list([value("192.0.2.300"), value("10.0.0.1/8"), .init(.integer(3), at: .wholeFile("spec.yaml"))]))])])
        let messages = backend.validate(bad).map(\.message)
        #expect(messages.count == 3)
        #expect(messages.contains { $0.contains("'10.0.0.1/8' has host bits set") })
        #expect(backend.validate(options(.nftables, .widen, ["addresses": .string("web")])).count == 1)
        #expect(backend.validate(options(.nftables, .widen, ["table_prefix": .string("9x")])).count == 1)

        let spec = Self.spec + "\ntargets:\n  nftables:\n    addresses: {webb: [192.0.2.1], api: [192.0.2.0/30], db: [192.0.2.2]}\n"
        let policy = try #require(compileSpec(spec).policy)
        let diagnostics = backend.validate(policy)
        #expect(diagnostics.count == 2)
        #expect(diagnostics.first { $0.message.contains("'webb' is not a workload") }?.help == "did you mean 'web'?")
        #expect(diagnostics.contains { $0.message == "addresses: 192.0.2.2 is a host of both 'api' and 'db'" })
        #expect(diagnostics.allSatisfy { $0.range?.start.line == 18 }, "\(diagnostics.map { $0.range?.start.line })")
    }

    @Test func theTablePrefixAndLogRulesShapeTheFile() throws {
        let (policy, files) = try files(["table_prefix": .string("fw_"), "log_denied": .boolean(true)])
        let web = try #require(files["web.nft"])
        #expect(web.contains("table inet fw_t {\n"))
        #expect(web.contains("ip saddr @net_blocked limit rate 10/minute burst 5 packets log prefix \"palisade t web input drop: \" level info\n"))
        #expect(web.contains("\t\tlimit rate 10/minute burst 5 packets log prefix \"palisade t web output drop: \" level info\n\t}"))
        // Log rules decide nothing.
        let plain = try backend.read(try backend.emit(policy, options: options(.nftables, .widen)).files, policy: policy)
        let logged = try backend.read(files.map { OutputFile(path: $0.key, contents: $0.value) }, policy: policy)
        #expect(plain.relation == logged.relation)
    }

    /// Under narrow, a deny of names drops every address only where an accept of every address
    /// (which reaches names) is open; otherwise no accept reaches the names and the deny needs
    /// no rule, so it cuts nothing else off.
    @Test func aDenyOfNamesUnderNarrowDropsOnlyWhatAnAcceptOfEveryAddressOpens() throws {
        func emit(_ extraFlow: String) throws -> (Emission, String) {
            let spec = """
                version: 1
                name: t
                networks:
                  partners: [198.51.100.0/24]
                  evil: ["dns:evil.example.com"]
                workloads:
                  web: {image: nginx:1.25, ports: [tcp/80]}
                flows:
                  - {from: web, to: partners, ports: [tcp/443]}
                  - {action: deny, from: web, to: evil, ports: [tcp/443, tcp/8443]}

                """ + extraFlow
            let policy = try #require(compileSpec(spec).policy)
            let emission = try backend.emit(policy, options: options(.nftables, .narrow, [:]))
            return (emission, try #require(emission.files.first { $0.path == "web.nft" }).contents)
        }
        let (exact, web) = try emit("")
        #expect(!web.contains("dport 443 drop") && !web.contains("dport { 443, 8443 } drop"), "\(web)")
        #expect(exact.widened.isEmpty && exact.narrowed.isEmpty, "\(exact.narrowed.egress)")
        let (_, open) = try emit("  - {from: web, to: any, ports: [tcp/443]}\n")
        #expect(open.contains("\t\ttcp dport 443 drop comment \"flow #2\"\n"), "\(open)")
    }

    @Test func dnsDestinationsAreGapsAndControlsAreUnenforced() throws {
        let policy = try policy("shop.yaml")
        let widen = try backend.emit(policy, options: options(.nftables, .widen))
        #expect(widen.gaps.contains { $0.kind == .widened && $0.reason.contains("a dns: destination opens every address") })
        #expect(widen.gaps.contains { $0.kind == .platformRequired && $0.reason.contains("neighbour discovery") })
        #expect(widen.gaps.contains { $0.kind == .unenforced && $0.capability == .secrets })
        let narrow = try backend.emit(policy, options: options(.nftables, .narrow))
        #expect(narrow.gaps.contains { $0.kind == .narrowed && $0.reason.contains("dns: destinations are dropped") })
    }

    @Test func theReaderAppliesRuleOrderAndChainPolicy() throws {
        let (policy, files) = try files()
        let web = try #require(policy.workload(named: "web")).id
        let api = try #require(policy.workload(named: "api")).id
        func read(_ edit: (String) -> String) throws -> Relation {
            let edited = files.map { OutputFile(path: $0.key, contents: $0.key == "api.nft" ? edit($0.value) : $0.value) }
            return try backend.read(edited, policy: policy).relation
        }
        #expect(try read { $0 }.ports(from: web, to: api) == PortSet([PortRange(.tcp, 9000, 9000), PortRange(.icmp, 1, 65535)]))
        // A drop ahead of the accept wins; `return` leaves it to the policy.
        let dropped = try read {
            $0.replacingOccurrences(
                of: "\t\tip saddr @id_web tcp dport 9000", with: "\t\tip saddr @id_web tcp dport 9000 drop\n\t\tip saddr @id_web tcp dport 9000")
        }
        #expect(dropped.ports(from: web, to: api) == PortSet(PortRange(.icmp, 1, 65535)))
        let returned = try read { $0.replacingOccurrences(of: "ip saddr @id_web tcp dport 9000 accept", with: "ip saddr @id_web tcp dport 9000 return") }
        #expect(returned.ports(from: web, to: api) == PortSet(PortRange(.icmp, 1, 65535)))
        // A policy accept on the input chain lets every workload in on every port the sender lets out.
        let open = try read {
            $0.replacingOccurrences(of: "type filter hook input priority filter; policy drop;", with: "type filter hook input priority filter; policy accept;")
        }
        #expect(open.ports(from: web, to: api) == PortSet([PortRange(.tcp, 9000, 9000), PortRange(.icmp, 1, 65535)]))
        #expect(open.ingress[api] == ExternalRules(entries: [.init(ports: .all, peers: ExternalSet(addresses: .all))]))
    }

    @Test func theParserRefusesWhatPalisadeDoesNotWriteWithItsPlace() throws {
        let (policy, files) = try files()
        func failure(_ edit: (String) -> String) -> String? {
            let edited = files.map { OutputFile(path: $0.key, contents: $0.key == "api.nft" ? edit($0.value) : $0.value) }
            do {
                _ = try backend.read(edited, policy: policy)
                return nil
            } catch let failure as ReadFailure {
                return failure.description
            } catch {
                return "\(error)"
            }
        }
        let lines = try #require(files["api.nft"]).split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.contains("ip saddr @id_web tcp dport 9000") }) + 1
        #expect(
            failure { $0.replacingOccurrences(of: "ip saddr @id_web tcp dport 9000", with: "ip saddr @id_web tcp sport 9000") }
                == "api.nft: does not load: api.nft:\(line):24: unexpected 'sport', expected 'dport' (Palisade reads back only the rules it writes)")
        #expect(
            failure { $0.replacingOccurrences(of: "@id_web tcp", with: "@id_nowhere tcp") }?.contains("api.nft:\(line):12: set 'id_nowhere' is not declared")
                == true)
        #expect(failure { $0.replacingOccurrences(of: "tcp dport 9000", with: "tcp dport 99999") }?.contains("'99999' is not a port") == true)
        #expect(failure { $0 + "table inet x {}\n" }?.contains("unexpected 'table'") == true)
        #expect(failure { $0.replacingOccurrences(of: "chain output", with: "chain forward") }?.contains("only the chains input and output") == true)
        #expect(failure { String($0.dropLast(3)) }?.contains("ends before the table does") == true)
        #expect(failure { $0.replacingOccurrences(of: "id_web {", with: "id_ghost {") }?.contains("is not declared") == true)
    }

    /// Bad input never traps: cut, doubled, swapped and garbled lines either read or fail
    /// with a `ReadFailure`.
    @Test func mutatedFilesReadOrFailNeverTrap() throws {
        let policy = try policy("shop.yaml")
        let files = try backend.emit(policy, options: options(.nftables, .widen, ["log_denied": .boolean(true)])).files
        var rng = SeededGenerator(seed: 20)
        let garbage = ["{", "}", ",", ";", "\"", "@", "-", "/", "ip", "ip6", "saddr", "daddr", "dport", "tcp", "meta", "l4proto", "0", "65536", "::", "#"]
        for round in 0..<300 {
            var edited = files
            let index = Int(rng.next() % UInt64(files.count))
            var lines = edited[index].contents.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let at = Int(rng.next() % UInt64(lines.count))
            switch rng.next() % 4 {
            case 0: lines.remove(at: at)
            case 1: lines.insert(lines[at], at: at)
            case 2: lines.swapAt(at, Int(rng.next() % UInt64(lines.count)))
            default:
                var words = lines[at].split(separator: " ").map(String.init)
                let word = garbage[Int(rng.next() % UInt64(garbage.count))]
                words.insert(word, at: words.isEmpty ? 0 : Int(rng.next() % UInt64(words.count + 1)))
                lines[at] = words.joined(separator: " ")
            }
            edited[index].contents = lines.joined(separator: "\n")
            do {
                _ = try backend.read(edited, policy: policy)
            } catch let failure as ReadFailure {
                #expect(failure.file == edited[index].path, "round \(round)")
            }
        }
    }

    @Test func explainNamesTheDecidingRules() throws {
        let (policy, files) = try files()
        let web = try #require(policy.workload(named: "web")).id
        let db = try #require(policy.workload(named: "db")).id
        let lines = try backend.rules(
            files.map { OutputFile(path: $0.key, contents: $0.value) }, policy: policy, from: Endpoints(workloads: [web]), to: Endpoints(workloads: [db]),
            ports: PortSet(PortRange(.tcp, 5432, 5432)))
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.hasPrefix("web.nft chain output, line ") == true)
        #expect(lines.first?.hasSuffix(": ip daddr @id_db drop comment \"flow #5\" — drops web -> db on tcp/5432") == true)
    }

    /// `nft -c` (a dry run: parsed and checked by the kernel's netlink API, nothing loaded)
    /// accepts every file of every sample; skipped where nft is not installed or not permitted.
    @Test(arguments: samples)
    func nftAcceptsEveryFile(sample: String) throws {
        let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nft, getuid() == 0 else {
            print("NFTablesTests: nft is not installed or this is not root; `nft -c` not run")
            return
        }
        let policy = try policy(sample)
        let addresses: OptionValue = .map(
            policy.workloads.enumerated().map { index, workload in
                entry(workload.name, .list([value("192.0.2.\(index + 1)"), value("2001:db8::\(index + 1)")]))
            })
        for extra in [[:], ["log_denied": OptionValue.boolean(true), "addresses": addresses]] {
            let emission = try backend.emit(policy, options: options(.nftables, .widen, extra))
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("palisade-nft-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for file in emission.files {
                let path = folder.appendingPathComponent(file.path)
                try file.contents.write(to: path, atomically: true, encoding: .utf8)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: nft)
                process.arguments = ["-c", "-f", path.path]
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = Pipe()
                try process.run()
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if message.contains("Operation not permitted") { return }
                #expect(process.terminationStatus == 0, "\(sample) \(file.path): \(message)")
            }
        }
    }
}

private func value(_ text: String) -> Located<OptionValue> { Located(.string(text), at: .wholeFile("spec.yaml")) }

private func entry(_ key: String, _ value: OptionValue) -> OptionEntry {
    OptionEntry(key: Located(key, at: .wholeFile("spec.yaml")), value: Located(value, at: .wholeFile("spec.yaml")))
}
