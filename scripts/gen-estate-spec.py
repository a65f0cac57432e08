#!/usr/bin/env python3
"""Generate the estate-shaped specs of the large-estate benchmark (docs/benchmarks.md).

Usage:
    python3 scripts/gen-estate-spec.py SHAPE [--size N] [--seed S] [--out FILE]

Shapes (the output depends only on SHAPE, N and the seed; standard library only):

  services   N services (default 1,000) in one segment; each is reachable from 1-3 of
             200 client networks (1-4 IPv4 CIDRs each) on 1-3 TCP ports; N flows.
  segments   N workloads (default 1,000) in N/50 segments of 50; each is called on one
             port by three workloads of other segments and is reachable from one external
             network; 4N flows.
  all-ports  one workload listening on tcp/1-65535, udp/1-65535, sctp/1-65535 and icmp,
             called with `all` by a client (N is ignored): costs that grow with port numbers.
  denies     one workload with an allow on tcp/1-65535 from a client and N deny flows
             (default 1,000) with overlapping port ranges: costs that grow with overlaps.
             --deny-from workload (default): the client workload allows and denies;
             --deny-from network: an external network allows and the same network denies
             (the external rules' sweep over ports); --deny-from networks: each deny comes
             from one of N/4 networks whose addresses overlap (ports and addresses both).
             --deny-to segment: allows and denies reach a segment of 20 workloads instead.
  ports      one workload listening on N single TCP ports (default 32,768): costs that
             grow with the number of listened ports.
"""

import argparse
import random
import sys

HEADER = """version: 1
name: {name}
description: "{description}"
"""


def services(n, rng):
    out = [HEADER.format(name="estate-services", description=f"{n} services in one segment, 200 client networks")]
    out.append("networks:\n")
    for c in range(200):
        cidrs = []
        for _ in range(rng.randint(1, 4)):
            prefix = rng.choice([16, 20, 22, 24, 26, 28])
            a, b, d = rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)
            base = (10 << 24) | (a << 16) | (b << 8) | d
            base &= ~((1 << (32 - prefix)) - 1) & 0xFFFFFFFF
            cidrs.append(f"{base >> 24}.{(base >> 16) & 255}.{(base >> 8) & 255}.{base & 255}/{prefix}")
        out.append(f"  client-{c:03d}: [{', '.join(sorted(set(cidrs)))}]\n")
    out.append("\nsegments:\n  services: {}\n\nidentities:\n")
    for s in range(n):
        out.append(f"  svc-{s:05d}: {{kind: service}}\n")
    out.append("\nworkloads:\n")
    listens = []
    for s in range(n):
        ports = sorted(rng.sample(range(8000, 8100), rng.randint(1, 3)))
        listens.append(ports)
        plist = ", ".join(f"tcp/{p}" for p in ports)
        out.append(
            f'  svc-{s:05d}: {{segment: services, image: "registry.example.com/svc-{s:05d}:1.0.0", '
            f"identity: svc-{s:05d}, ports: [{plist}]}}\n")
    out.append("\nflows:\n")
    for s in range(n):
        clients = sorted(rng.sample(range(200), rng.randint(1, 3)))
        sources = ", ".join(f"client-{c:03d}" for c in clients)
        plist = ", ".join(f"tcp/{p}" for p in listens[s])
        out.append(f"  - {{from: [{sources}], to: svc-{s:05d}, ports: [{plist}]}}\n")
    return "".join(out)


def segments(n, rng):
    seg_count = max(2, n // 50)
    out = [HEADER.format(name="estate-segments", description=f"{n} workloads in {seg_count} segments")]
    out.append("networks:\n")
    nets = 50
    for c in range(nets):
        out.append(f"  ext-{c:02d}: [172.{16 + c // 16}.{(c % 16) * 16}.0/20]\n")
    out.append("\nsegments:\n")
    for g in range(seg_count):
        out.append(f"  seg-{g:03d}: {{}}\n")
    out.append("\nworkloads:\n")
    seg_of = []
    port_of = []
    for w in range(n):
        g = w % seg_count
        seg_of.append(g)
        port = 8000 + rng.randint(0, 20)
        port_of.append(port)
        out.append(
            f'  wl-{w:05d}: {{segment: seg-{g:03d}, image: "registry.example.com/wl-{w:05d}:1.0.0", '
            f"ports: [tcp/{port}]}}\n")
    out.append("\nflows:\n")
    for w in range(n):
        callers = set()
        while len(callers) < 3:
            c = rng.randrange(n)
            if seg_of[c] != seg_of[w]:
                callers.add(c)
        for c in sorted(callers):
            out.append(f"  - {{from: wl-{c:05d}, to: wl-{w:05d}, ports: [tcp/{port_of[w]}]}}\n")
        out.append(f"  - {{from: ext-{rng.randrange(nets):02d}, to: wl-{w:05d}, ports: [tcp/{port_of[w]}]}}\n")
    return "".join(out)


def all_ports(_n, _rng):
    return HEADER.format(name="estate-all-ports", description="One workload listening on every port") + """
segments:
  app: {}

workloads:
  client: {segment: app, image: "registry.example.com/client:1.0.0"}
  server: {segment: app, image: "registry.example.com/server:1.0.0", ports: [tcp/1-65535, udp/1-65535, sctp/1-65535, icmp]}

flows:
  - {from: client, to: server, ports: [all]}
"""


def denies(n, rng, deny_from="workload", deny_to="workload"):
    description = f"{n} overlapping deny flows on one workload"
    if (deny_from, deny_to) != ("workload", "workload"):
        description = f"{n} overlapping deny flows from {deny_from} to {deny_to}"
    out = [HEADER.format(name="estate-denies", description=description)]
    if deny_from != "workload":
        out.append("\nnetworks:\n  clients: [10.0.0.0/8]\n")
        if deny_from == "networks":
            for i in range(max(1, n // 4)):
                prefix = rng.choice([12, 14, 16, 18, 20, 24])
                base = (10 << 24) | rng.randrange(0, 1 << 24)
                base &= ~((1 << (32 - prefix)) - 1) & 0xFFFFFFFF
                out.append(f"  deny-{i:05d}: [{base >> 24}.{(base >> 16) & 255}.{(base >> 8) & 255}.{base & 255}/{prefix}]\n")
    out.append("\nsegments:\n  app: {}\n")
    if deny_to == "segment":
        out.append("  backend: {}\n")
    out.append("\nworkloads:\n  client: {segment: app, image: \"registry.example.com/client:1.0.0\"}\n")
    if deny_to == "segment":
        for i in range(20):
            out.append(f'  server-{i:02d}: {{segment: backend, image: "registry.example.com/server:1.0.0", ports: [tcp/1-65535]}}\n')
        target = "segment:backend"
    else:
        out.append('  server: {segment: app, image: "registry.example.com/server:1.0.0", ports: [tcp/1-65535]}\n')
        target = "server"
    source = "client" if deny_from == "workload" else "clients"
    out.append(f"\nflows:\n  - {{from: {source}, to: {target}, ports: [tcp/1-65535]}}\n")
    for _ in range(n):
        low = rng.randint(1, 60000)
        high = min(65535, low + rng.randint(0, 5000))
        peer = source if deny_from != "networks" else f"deny-{rng.randrange(max(1, n // 4)):05d}"
        out.append(f"  - {{from: {peer}, to: {target}, ports: [tcp/{low}-{high}], action: deny}}\n")
    return "".join(out)


def ports(n, _rng):
    n = min(n, 65535)
    plist = ", ".join(f"tcp/{2 * p + 1}" for p in range(n)) if n <= 32768 else ", ".join(f"tcp/{p + 1}" for p in range(n))
    return HEADER.format(name="estate-ports", description=f"One workload listening on {n} single ports") + f"""
segments:
  app: {{}}

workloads:
  client: {{segment: app, image: "registry.example.com/client:1.0.0"}}
  server: {{segment: app, image: "registry.example.com/server:1.0.0", ports: [{plist}]}}

flows:
  - {{from: client, to: server, ports: [tcp]}}
"""


SHAPES = {"services": (services, 1000), "segments": (segments, 1000), "all-ports": (all_ports, 1),
          "denies": (denies, 1000), "ports": (ports, 32768)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shape", choices=sorted(SHAPES))
    parser.add_argument("--size", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out")
    parser.add_argument("--deny-from", choices=["workload", "network", "networks"], default="workload",
                        help="denies only: where the allow and the denies come from")
    parser.add_argument("--deny-to", choices=["workload", "segment"], default="workload",
                        help="denies only: a workload or a segment of 20 workloads")
    args = parser.parse_args()
    generate, default = SHAPES[args.shape]
    if args.shape == "denies":
        text = denies(args.size or default, random.Random(args.seed), args.deny_from, args.deny_to)
    else:
        text = generate(args.size or default, random.Random(args.seed))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
