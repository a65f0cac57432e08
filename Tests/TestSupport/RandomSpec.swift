/// Random small specs for property tests of backends: workloads in a few segments listening
/// on a few ports, networks of IPv4 and IPv6 ranges and `dns:` names, allow and deny flows
/// between workloads, segments, networks and `any`. Every spec it writes compiles.
public enum RandomSpec {
    public static func generate<G: RandomNumberGenerator>(_ rng: inout G) -> String {
        let segments = ["front", "back", "data"]
        let workloadCount = Int.random(in: 2...7, using: &rng)
        let portChoices = ["tcp/80", "tcp/443", "tcp/8000-8010", "udp/53", "tcp/5432", "icmp"]
        var listens: [[String]] = []
        var text = "version: 1\nname: random\nsegments: {front: {}, back: {}, data: {}}\n"
        text += "networks:\n"
        text += "  corp: [10.0.0.0/8, \"2001:db8::/32\"]\n"
        text += "  guests: [10.9.0.0/16]\n"
        text += "  partner: [198.51.100.0/24]\n"
        text += "  saas: [\"dns:api.example.com\", 203.0.113.0/24]\n"
        text += "workloads:\n"
        for index in 0..<workloadCount {
            let ports = Array(portChoices.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)))
            listens.append(ports)
            let segment = segments.randomElement(using: &rng)!
            text += "  w\(index): {segment: \(segment), image: nginx:1.25, ports: [\(ports.joined(separator: ", "))]}\n"
        }
        text += "flows:\n"
        let sources = ["corp", "guests", "partner", "any", "segment:front", "segment:back"]
        let destinations = ["saas", "any", "partner", "segment:data"]
        for _ in 0..<Int.random(in: 1...10, using: &rng) {
            let deny = Int.random(in: 0..<5, using: &rng) == 0
            let to = Int.random(in: 0..<workloadCount, using: &rng)
            // Ports a direct destination listens on (explicit ports must be listened), or a bare protocol.
            let listened = listens[to].filter { $0 != "icmp" }
            let ports =
                deny || listened.isEmpty || Bool.random(using: &rng)
                ? [["tcp", "udp", "all", "icmp"].randomElement(using: &rng)!] : [listened.randomElement(using: &rng)!]
            let action = deny ? "action: deny, " : ""
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                text += "  - {\(action)from: \(sources.randomElement(using: &rng)!), to: w\(to), ports: [\(ports.joined(separator: ", "))]}\n"
            case 1:
                let from = Int.random(in: 0..<workloadCount, using: &rng)
                text +=
                    "  - {\(action)from: w\(from), to: \(destinations.randomElement(using: &rng)!), ports: "
                    + "[\(["tcp/443", "udp/53", "all", "tcp"].randomElement(using: &rng)!)]}\n"
            default:
                let from = Int.random(in: 0..<workloadCount, using: &rng)
                text += "  - {\(action)from: w\(from), to: w\(to), ports: [\(ports.joined(separator: ", "))]}\n"
            }
        }
        return text
    }
}
