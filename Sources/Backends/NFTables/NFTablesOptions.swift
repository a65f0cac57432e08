import Diagnostics
import Foundation
import IR

/// The `nftables` target's options, typed.
public struct NFTablesOptions: BackendOptions {
    static let defaultPrefix = "palisade_"

    public static let specs = [
        OptionSpec(
            name: "addresses", summary: "the host addresses of each workload, {WORKLOAD: [CIDR, …]}; a workload left out gets empty sets, filled at run time",
            defaultValue: "{}", kind: .addressMap),
        OptionSpec(name: "table_prefix", summary: "each policy's table is `inet PREFIX + policy name`", defaultValue: defaultPrefix),
        OptionSpec(name: "log_denied", summary: "rate-limited log rules before every drop", defaultValue: "false", kind: .boolean),
    ]

    public var gaps: GapPolicy
    /// Where the spec gives the target's options (or the policy, when it gives none).
    public var origin: SourceRange
    /// The host addresses of each workload, by workload name, as the spec wrote them; each
    /// entry with its place, for the checks that need the policy.
    public var addresses: [String: AddressSet]
    /// Each workload's entries of `addresses` as given (host bits validated clear), in order,
    /// with their places: each is its own set element, so `nft delete element` removes the
    /// one host it names.
    public var addressEntries: [String: [AddressEntry]]
    /// Where each workload's entry of `addresses` is written.
    public var addressOrigins: [String: SourceRange]
    /// The tables are `inet` + this prefix + the policy's name.
    public var tablePrefix: String
    /// Log (rate-limited) what each drop rule and each chain's policy drops.
    public var logDenied: Bool

    public init(_ options: TargetOptions, reading reader: inout OptionReader) {
        gaps = options.gaps
        origin = options.origin
        tablePrefix =
            reader.string("table_prefix", default: Self.defaultPrefix) { prefix in
                guard (1...32).contains(prefix.count) else { return "1 to 32 characters" }
                return Self.isIdentifier(prefix) ? nil : "letters, digits, '_' and '-', starting with a letter"
            } ?? Self.defaultPrefix
        logDenied = reader.boolean("log_denied", default: false)
        addresses = [:]
        addressOrigins = [:]
        addressEntries = [:]
        guard let entry = options.option("addresses") else { return }
        var workloads: [OptionEntry] = []
        switch entry.value.value {
        case .map(let entries): workloads = entries
        case .string(let text) where text.contains("="):
            // The command line's form: `--set nftables.addresses='web=10.0.0.5,10.0.0.6;api=2001:db8::10'`.
            let range = entry.value.range
            var named: Set<String> = []
            for part in text.split(separator: ";") {
                let sides = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(sides[0]).trimmingCharacters(in: .whitespaces)
                // As the YAML map refuses a repeated key, the string refuses a repeated workload.
                guard named.insert(name).inserted else {
                    reader.report(
                        .error(
                            .invalidTargetOption, "option 'addresses' of target nftables names workload '\(name)' twice", at: range,
                            help: "give all of its addresses in one entry: \(name)=ADDRESS,ADDRESS"))
                    continue
                }
                let items = sides.count == 2 ? sides[1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } : []
                workloads.append(
                    OptionEntry(key: Located(name, at: range), value: Located(.list(items.map { Located(.string($0), at: range) }), at: range)))
            }
        default:
            reader.report(
                .error(
                    .invalidTargetOption, "option 'addresses' of target nftables is a map from workload names to lists of addresses",
                    at: entry.value.range,
                    help: "addresses: {web: [10.0.0.5, 10.0.0.6], api: [\"2001:db8::10\"]}, or on the command line "
                        + "--set nftables.addresses='web=10.0.0.5,10.0.0.6;api=2001:db8::10'"))
            return
        }
        for workload in workloads {
            let name = workload.key.value
            let items: [Located<OptionValue>]
            switch workload.value.value {
            case .list(let list): items = list
            case .string: items = [workload.value]
            default:
                reader.report(
                    .error(.invalidTargetOption, "addresses of workload '\(name)' are a list of addresses or CIDRs", at: workload.value.range))
                continue
            }
            var set = AddressSet()
            var entries: [AddressEntry] = []
            for item in items {
                guard case .string(let text) = item.value else {
                    reader.report(.error(.invalidTargetOption, "an address of workload '\(name)' is an IPv4 or IPv6 address or CIDR", at: item.range))
                    continue
                }
                switch CIDR.parse(text) {
                case .valid(let cidr):
                    // nft refuses overlapping elements of an interval set ("interval overlaps").
                    if !set.intersection(cidr.addressSet).isEmpty,
                        let other = entries.first(where: { !$0.cidr.addressSet.intersection(cidr.addressSet).isEmpty })
                    {
                        reader.report(
                            .error(
                                .invalidTargetOption, "'\(text)' overlaps \(Self.element(other.cidr)), also an address of workload '\(name)'",
                                at: item.range, help: "give each host or prefix once"))
                        continue
                    }
                    set = set.union(cidr.addressSet)
                    entries.append(AddressEntry(cidr: cidr, range: item.range))
                case .hostBitsSet(let network, let host):
                    reader.report(
                        .error(
                            .invalidTargetOption, "'\(text)' has host bits set", at: item.range,
                            help: "write the network \(network) or the host \(Self.element(host))"))
                case .invalid(let problem):
                    reader.report(.error(.invalidTargetOption, "'\(text)' is not an address or CIDR: \(problem)", at: item.range))
                }
            }
            addresses[name] = set
            addressEntries[name] = entries
            addressOrigins[name] = workload.key.range
        }
    }

    /// One entry of `addresses`: a host or prefix, and where it is written.
    public struct AddressEntry: Sendable, Hashable {
        public var cidr: CIDR
        public var range: SourceRange
    }

    /// The entries of a workload in one family, as given.
    func entries(_ workload: String, _ family: NFTFamily) -> [CIDR] {
        (addressEntries[workload] ?? []).map(\.cidr).filter { $0.isIPv4 == (family == .v4) }
    }

    /// The table of a policy.
    func table(_ policy: Policy) -> String { tablePrefix + NFTNames.sanitized(policy.name) }

    /// Letters, digits, `_` and `-`, starting with a letter: an nft identifier that needs no quotes.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// A prefix as nft writes a set element: a host without its length.
    static func element(_ cidr: CIDR) -> String {
        switch cidr {
        case .v4(let address, 32): formatIPv4(address)
        case .v6(let address, 128): formatIPv6(address)
        default: cidr.description
        }
    }
}

/// The names of a ruleset's objects, derived from spec names (DNS labels, which nft takes as
/// they are): `id_web`, `id_web_v6`, `net_corp`, `hosts`. Spec names hold no `_`, so no two
/// derived names meet.
enum NFTNames {
    static let hosts = "hosts"

    static func sanitized(_ name: String) -> String {
        // A name of letters, digits and '-' alone (most are) as it is, without walking its characters.
        let kept = { (byte: UInt8) in (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D }
        if name.utf8.allSatisfy(kept) { return name }
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" })
    }

    static func identity(_ workload: String, _ family: NFTFamily) -> String { suffixed("id_" + sanitized(workload), family) }
    static func network(_ network: String, _ family: NFTFamily) -> String { suffixed("net_" + sanitized(network), family) }
    static func hosts(_ family: NFTFamily) -> String { suffixed(hosts, family) }

    static func suffixed(_ name: String, _ family: NFTFamily) -> String { family == .v4 ? name : name + "_v6" }
}
