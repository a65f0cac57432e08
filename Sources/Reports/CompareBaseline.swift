import Analysis
import IR

/// A `compare` baseline read as connections: a connection gap is held back where the baseline
/// holds every pair of it, whatever gaps those pairs were grouped into when it was written. A
/// target lists its connection gaps as products (`web, api -> db on tcp/5432`), and a product
/// changes shape when the spec grows (a third workload joins the list): matched line by line,
/// a baseline would let the pairs it accepted back in with every new neighbour. What a gap has
/// beyond the baseline is reported alone (`worker -> db on tcp/5432`), as products again.
///
/// A fingerprint (`CompareReport.fingerprint`) names every workload of a list, never the
/// abbreviated `300 workloads (a, b, c, …)` a report shows, so that a list is a list of names
/// here; a pair-wise fingerprint of an older baseline (`web -> db on tcp/5432`, `between
/// replicas of web on all`) is the product of one and one. Other gaps match their fingerprint
/// exactly. Work is linear in the baseline's names and in each gap's ends.
struct CompareBaseline {
    /// The sources the baseline accepts towards one destination, on exactly these ports, as
    /// one kind of gap of one target.
    private struct Key: Hashable {
        var prefix: String
        var ports: String
        var destination: String
    }

    private let exact: Set<String>
    private var sources: [Key: Set<String>] = [:]

    init(_ fingerprints: Set<String>) {
        exact = fingerprints
        for fingerprint in fingerprints {
            guard let product = Self.product(fingerprint) else { continue }
            for destination in product.destinations {
                sources[Key(prefix: product.prefix, ports: product.ports, destination: destination), default: []].formUnion(product.sources)
            }
        }
    }

    /// A fingerprint's product: `TARGET:KIND:` and the two lists of names and the ports of
    /// `A, B -> C on PORTS` or `between replicas of A on PORTS`; nil for any other fingerprint.
    private static func product(_ fingerprint: String) -> (prefix: String, sources: [String], destinations: [String], ports: String)? {
        guard let first = fingerprint.firstIndex(of: ":"), let second = fingerprint[fingerprint.index(after: first)...].firstIndex(of: ":") else {
            return nil
        }
        let split = fingerprint.index(after: second)
        let prefix = String(fingerprint[..<split])
        let line = fingerprint[split...]
        let replicas = "between replicas of "
        if line.hasPrefix(replicas) {
            guard let on = line.range(of: " on ") else { return nil }
            let name = String(line[line.index(line.startIndex, offsetBy: replicas.count)..<on.lowerBound])
            return (prefix, [name], [name], String(line[on.upperBound...]))
        }
        guard let arrow = line.range(of: " -> "), let on = line[arrow.upperBound...].range(of: " on ") else { return nil }
        return (prefix, names(line[..<arrow.lowerBound]), names(line[arrow.upperBound..<on.lowerBound]), String(line[on.upperBound...]))
    }

    private static func names(_ side: Substring) -> [String] { side.components(separatedBy: ", ") }

    /// The names an end of a connection stands for, as its fingerprint writes them.
    private static func names(_ endpoint: Endpoint) -> [String] {
        switch endpoint {
        case .workload(let name): [name]
        case .workloads(let names): names
        default: names(Substring(CompareReport.fingerprintText(endpoint)))
        }
    }

    /// What of `gap` the baseline does not hold: nothing, the gap itself, or (a connection
    /// between workloads the baseline holds in part) the rest as gaps of the same kind, reason
    /// and origin, one per set of destinations missing the same sources.
    func remaining(_ gap: Gap, target: TargetName) -> [Gap] {
        let fingerprint = CompareReport.fingerprint(target: target, gap: gap)
        if exact.contains(fingerprint) { return [] }
        guard Comparison.isConnection(gap), let connection = gap.connection, let product = Self.product(fingerprint) else { return [gap] }
        let sourceNames = Self.names(connection.source)
        var order: [[String]] = []
        var destinationsOf: [[String]: [String]] = [:]
        var coveredAny = false
        for destination in Self.names(connection.destination) {
            let accepted = sources[Key(prefix: product.prefix, ports: product.ports, destination: destination)] ?? []
            let missing = sourceNames.filter { !accepted.contains($0) }
            if missing.count < sourceNames.count { coveredAny = true }
            guard !missing.isEmpty else { continue }
            if destinationsOf[missing] == nil { order.append(missing) }
            destinationsOf[missing, default: []].append(destination)
        }
        if order.isEmpty { return [] }
        guard coveredAny, Self.isWorkloads(connection.source), Self.isWorkloads(connection.destination) else { return [gap] }
        return order.map { missing in
            var rest = gap
            rest.subject = .connection(
                Connection(.workloads(named: missing), .workloads(named: destinationsOf[missing] ?? []), ports: connection.ports))
            return rest
        }
    }

    private static func isWorkloads(_ endpoint: Endpoint) -> Bool {
        switch endpoint {
        case .workload, .workloads: true
        default: false
        }
    }
}
