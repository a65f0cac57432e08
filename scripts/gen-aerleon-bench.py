#!/usr/bin/env python3
"""Generate one workload as both a Palisade spec and an equivalent Aerleon policy set.

Usage:
    python3 scripts/gen-aerleon-bench.py [--size N] [--seed S] --spec FILE --aerleon DIR

The description is the shape of spec A of the large-estate benchmark (docs/benchmarks.md):
N services (default 1,000) in one segment, each reachable from 1-3 of 200 client networks
(1-4 IPv4 CIDRs each) on 1-3 TCP ports, one flow per service. It is drawn with the same
random calls, in the same order, as `gen-estate-spec.py services`, so with the same N and
seed the spec written here is that spec byte for byte (scripts/bench.sh checks it).

Both renderings come from the one description built by `describe`:

  --spec FILE   the Palisade spec (the services are workloads; the platform places them).
  --aerleon DIR Aerleon's definitions and policies under DIR/def and DIR/policies/pol, one
                term per service, for the four Aerleon generators nearest Palisade's targets:
                  k8s.pol    k8s NetworkPolicy, INGRESS (Aerleon's k8s generator selects no
                             pods: a term gives the source networks and ports only);
                  gce.pol    GCE firewall, INGRESS, one target tag per service;
                  hosts.pol  nftables (inet input) and iptables (INPUT), with each service's
                             address as destination.
                Aerleon needs an address for each service where Palisade needs none: service
                i gets 100.64.0.0/10 + i (a /32), outside the client networks' 10.0.0.0/8.

Standard library only; the output depends only on N and the seed.
"""

import argparse
import os
import random


def describe(n, seed):
    """The workload: client networks, and per service its ports and client networks."""
    rng = random.Random(seed)
    clients = []
    for _ in range(200):
        cidrs = []
        for _ in range(rng.randint(1, 4)):
            prefix = rng.choice([16, 20, 22, 24, 26, 28])
            a, b, d = rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)
            base = (10 << 24) | (a << 16) | (b << 8) | d
            base &= ~((1 << (32 - prefix)) - 1) & 0xFFFFFFFF
            cidrs.append(f"{base >> 24}.{(base >> 16) & 255}.{(base >> 8) & 255}.{base & 255}/{prefix}")
        clients.append(sorted(set(cidrs)))
    ports = [sorted(rng.sample(range(8000, 8100), rng.randint(1, 3))) for _ in range(n)]
    sources = [sorted(rng.sample(range(200), rng.randint(1, 3))) for _ in range(n)]
    return {"clients": clients, "services": [{"ports": p, "clients": c} for p, c in zip(ports, sources)]}


def palisade_spec(d):
    n = len(d["services"])
    out = ["version: 1\nname: estate-services\n", f'description: "{n} services in one segment, 200 client networks"\n', "networks:\n"]
    for c, cidrs in enumerate(d["clients"]):
        out.append(f"  client-{c:03d}: [{', '.join(cidrs)}]\n")
    out.append("\nsegments:\n  services: {}\n\nidentities:\n")
    for s in range(n):
        out.append(f"  svc-{s:05d}: {{kind: service}}\n")
    out.append("\nworkloads:\n")
    for s, svc in enumerate(d["services"]):
        plist = ", ".join(f"tcp/{p}" for p in svc["ports"])
        out.append(
            f'  svc-{s:05d}: {{segment: services, image: "registry.example.com/svc-{s:05d}:1.0.0", '
            f"identity: svc-{s:05d}, ports: [{plist}]}}\n")
    out.append("\nflows:\n")
    for s, svc in enumerate(d["services"]):
        sources = ", ".join(f"client-{c:03d}" for c in svc["clients"])
        plist = ", ".join(f"tcp/{p}" for p in svc["ports"])
        out.append(f"  - {{from: [{sources}], to: svc-{s:05d}, ports: [{plist}]}}\n")
    return "".join(out)


def service_address(s):
    base = (100 << 24) | (64 << 16)
    ip = base + s
    return f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}/32"


def aerleon_files(d):
    """{relative path: text} of the definitions and policies."""
    networks = []
    for c, cidrs in enumerate(d["clients"]):
        networks.append(f"CLIENT_{c:03d} = " + "\n             ".join(cidrs) + "\n")
    services = []
    for s, svc in enumerate(d["services"]):
        networks.append(f"SVC_{s:05d} = {service_address(s)}\n")
        services.append(f"SVC_{s:05d}_PORTS = " + "\n                  ".join(f"{p}/tcp" for p in svc["ports"]) + "\n")

    def terms(kind):
        out = []
        for s, svc in enumerate(d["services"]):
            lines = [f"term svc-{s:05d} {{", "  source-address:: " + " ".join(f"CLIENT_{c:03d}" for c in svc["clients"])]
            if kind == "gce":
                lines.append(f"  destination-tag:: svc-{s:05d}")
            elif kind == "hosts":
                lines.append(f"  destination-address:: SVC_{s:05d}")
            lines += [f"  destination-port:: SVC_{s:05d}_PORTS", "  protocol:: tcp", "  action:: accept", "}", ""]
            out.append("\n".join(lines))
        return "\n".join(out)

    headers = {
        "k8s": "header {\n  target:: k8s INGRESS\n}\n\n",
        "gce": "header {\n  target:: gce default INGRESS\n}\n\n",
        "hosts": "header {\n  target:: nftables inet input\n  target:: iptables INPUT DROP inet\n}\n\n",
    }
    files = {
        "def/NETWORK.net": "\n".join(networks),
        "def/SERVICES.svc": "\n".join(services),
    }
    for kind, header in headers.items():
        files[f"policies/pol/{kind}.pol"] = header + terms(kind)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spec", required=True, help="the Palisade spec to write")
    parser.add_argument("--aerleon", required=True, help="the folder for Aerleon's def/ and policies/")
    args = parser.parse_args()
    d = describe(args.size, args.seed)
    with open(args.spec, "w") as f:
        f.write(palisade_spec(d))
    for path, text in aerleon_files(d).items():
        full = os.path.join(args.aerleon, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
