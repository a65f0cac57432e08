import Testing

@testable import IR

@Suite struct AddressTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("198.51.100.7", "198.51.100.7/32"), ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:db8::/32", "2001:db8::/32"), ("2001:DB8::1", "2001:db8::1/128"), ("::/0", "::/0"),
        ("::ffff:192.0.2.1", "::ffff:c000:201/128"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"),
        ("fe80::", "fe80::/128"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"),
    ])
    func parsesAndFormats(input: String, canonical: String) {
        guard case .valid(let cidr) = CIDR.parse(input) else {
            Issue.record("\(input) did not parse")
            return
        }
        #expect(cidr.description == canonical)
    }

    @Test(arguments: [
        "10.0.0", "256.0.0.1", "010.0.0.1", "10.0.0.0/33", "10.0.0.0/08", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::g", "10.0.0.0/", "", ":::",
    ])
    func refusesMalformed(input: String) {
        if case .invalid = CIDR.parse(input) { return }
        Issue.record("\(input) parsed")
    }

    @Test func hostBitsSetSuggestsNetworkAndHost() {
        guard case .hostBitsSet(let network, let host) = CIDR.parse("10.1.2.3/8") else {
            Issue.record("host bits not detected")
            return
        }
        #expect(network.description == "10.0.0.0/8")
        #expect(host.description == "10.1.2.3/32")
        guard case .hostBitsSet(let v6, _) = CIDR.parse("2001:db8::1/32") else {
            Issue.record("IPv6 host bits not detected")
            return
        }
        #expect(v6.description == "2001:db8::/32")
    }

    @Test func cidrDecompositionCoversExactlyTheSet() {
        var rng = SplitMix(seed: 3)
        for _ in 0..<300 {
            let a = UInt32.random(in: 0...UInt32.max, using: &rng)
            let b = a &+ UInt32.random(in: 0...100_000, using: &rng)
            let set = AddressSet(v4: IntervalSet(lower: min(a, b), upper: max(a, b)))
            let rebuilt = set.cidrs.reduce(AddressSet()) { $0.union($1.addressSet) }
            #expect(rebuilt == set)
            // Blocks are disjoint: their sizes add up.
            let total = set.cidrs.reduce(0.0) { total, cidr in
                guard case .v4(_, let prefix) = cidr else { return total }
                return total + Double(UInt64(1) << (32 - prefix))
            }
            #expect(total == set.v4.magnitude)
        }
        #expect(AddressSet.all.cidrs.map(\.description) == ["0.0.0.0/0", "::/0"])
    }

    @Test func v4AndV6StayApart() {
        guard case .valid(let v4) = CIDR.parse("0.0.0.0/0"), case .valid(let v6) = CIDR.parse("::/0") else { return }
        let both = v4.addressSet.union(v6.addressSet)
        #expect(both == .all)
        #expect(v4.addressSet.subtracting(v6.addressSet) == v4.addressSet)
    }

    @Test func dnsNamesCompareCaseInsensitivelyWithoutFinalDot() {
        let names = DNSNames(["API.Example.com."])
        #expect(names.contains("api.example.com"))
        #expect(DNSNames.all.subtracting(DNSNames(["a.example.com"])).contains("b.example.com"))
        #expect(!DNSNames.all.subtracting(DNSNames(["a.example.com"])).contains("a.example.com"))
    }

    @Test func dnsNameAlgebraAgreesWithBruteForce() {
        // Universe of four names; a cofinite set is modelled as its members within it.
        let universe = ["a.x.io", "b.x.io", "c.x.io", "d.x.io"]
        var rng = SplitMix(seed: 5)
        func random() -> DNSNames {
            let members = Set(universe.filter { _ in Bool.random(using: &rng) })
            return DNSNames(members, allExcept: Bool.random(using: &rng))
        }
        func model(_ names: DNSNames) -> Set<String> { Set(universe.filter(names.contains)) }
        for _ in 0..<500 {
            let a = random()
            let b = random()
            #expect(model(a.union(b)) == model(a).union(model(b)))
            #expect(model(a.intersection(b)) == model(a).intersection(model(b)))
            #expect(model(a.subtracting(b)) == model(a).subtracting(model(b)))
        }
    }

    /// The one-pass reading of well-formed IPv4 agrees with the general one on every text:
    /// edge cases (leading zeros, 255 and 256, prefix 32 and 33, empty parts, a trailing slash,
    /// four-digit parts, host bits, IPv6 with an IPv4 tail) and random texts of digits, dots,
    /// slashes and colons.
    @Test func ipv4FastPathAgreesWithTheGeneralParse() {
        let edges = [
            "0.0.0.0", "0.0.0.0/0", "255.255.255.255/32", "256.0.0.0", "10.0.0.0/33", "10.0.0.0/032", "10.0.0.0/", "10.0.0.0/00",
            "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5", "1..3.4", ".1.2.3", "1.2.3.4.", "1000.2.3.4", "1.2.3.4/8", "10.1.2.3/16",
            "::ffff:1.2.3.4", "1.2.3.4/1/2", " 1.2.3.4", "1.2.3.4 ", "１.2.3.4", "", "/", "10.0.0.0/0", "192.168.1.1/24", "9.9.9.9/9",
        ]
        for text in edges { #expect(CIDR.parse(text) == CIDR.parseAnyForm(text), "\(text)") }
        var rng = SplitMix(seed: 23)
        let alphabet = Array("0123456789./:a")
        let digitsAndDots = Array("0123456789.")
        for _ in 0..<20000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...19, using: &rng) {
                // Mostly digits and dots, so that many texts are IPv4 or nearly.
                let characters = Int.random(in: 0..<4, using: &rng) == 0 ? alphabet : digitsAndDots
                text.append(characters.randomElement(using: &rng)!)
            }
            #expect(CIDR.parse(text) == CIDR.parseAnyForm(text), "\(text)")
        }
        for _ in 0..<5000 {
            let value = UInt32.random(in: 0...UInt32.max, using: &rng)
            let prefix = Int.random(in: 0...32, using: &rng)
            let text = "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
            #expect(CIDR.parse("\(text)/\(prefix)") == CIDR.parseAnyForm("\(text)/\(prefix)"))
            #expect(formatIPv4(value) == text)
            #expect(CIDR.v4(value, prefix: prefix).description == "\(text)/\(prefix)")
        }
    }
}
