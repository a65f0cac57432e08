#!/usr/bin/env python3
"""Generate a large, valid, realistic Palisade spec (docs/language.md, version 1) for benchmarking.

Usage:
    python3 scripts/gen-bench-spec.py --workloads N --flows M [--seed S] [--out FILE]

Defaults: N=10000 workloads, M=40000 flows, seed 1, output on stdout.
The output depends only on (N, M, seed). Standard library only.

Shape of the spec
-----------------
* ``version: 1``, ``name: bench``.
* ``max(1, round(N/50))`` segments ``seg-0001``...; each workload sits in one of them.
* ~200 external networks: IPv4 CIDRs of varied prefix lengths from private and
  documentation ranges, bare addresses, quoted IPv6 ``"2001:db8:XXXX::/48"`` CIDRs,
  networks referencing other networks (acyclic), ``dns:`` networks, and ``blocked-NN``
  networks that are a /24 inside another network (targets of deny flows).
* 20 port sets, one service identity per 10 workloads (``sa-NNNN``), 20 users, 5 groups,
  6 roles over the neutral actions, grants on a few segments each, ~N/20 secrets.
* ``defaults.runtime`` with user, read_only_root, no_new_privileges,
  ``capabilities: {drop: [ALL]}``, ``seccomp: runtime-default`` and resources.
* Workloads ``wl-00001``... with 1-3 ports out of tcp/8080, tcp/9000, tcp/5432, udp/53,
  tcp/7000-7010 (sometimes written with an equivalent port-set name).
* M flows, in flow style: ~85% workload->workload, ~7% network/any->workload,
  ~5% workload (or segment)->network/dns/any, ~1% segment:X->workload, ~2% deny.
* ~50 expectations that hold, on every target for allows and on the targets in
  ``DENY_TARGETS`` for denies (``targets:`` on each deny expectation).

Invariants (checked by the author with an independent PyYAML-based checker)
---------------------------------------------------------------------------
* All names are DNS-1123 labels of at most 40 characters; workloads, segments and
  networks never share a name; no reserved name (any, all, tcp, udp, sctp, icmp) is
  defined.
* Every CIDR has its host bits clear; network references exist and are acyclic.
* An allow flow that names a workload directly as destination uses only explicit ports
  or ranges that the workload lists (port-set names included); bare protocols and
  ``all`` are used only where clipping is intended.
* No flow has an external reference on both sides; a network holding ``dns:`` entries
  (directly or through a referenced network) is never a source.
* Allow expectations are copied from allow flows between two directly named workloads
  whose (source, destination) pair is touched by no deny flow (for workload->workload),
  or whose destination is the target of no deny with an external source (for
  network->workload). Deny expectations name workload pairs with no allow flow at all in
  that direction (segments and lists expanded), workloads with no egress to any external
  destination, or sources/destinations fully covered by a deny flow.
"""

import argparse
import ipaddress
import sys
import time
import random

PORT_OPTS = ["tcp/8080", "tcp/9000", "tcp/5432", "udp/53", "tcp/7000-7010"]
# port-set names exactly equivalent to one workload port option
OPT_SET = {"tcp/8080": "http-alt", "tcp/9000": "app", "tcp/5432": "postgres",
           "udp/53": "dns-udp", "tcp/7000-7010": "cluster"}

PORT_SETS = [
    ("http-alt", ["tcp/8080"]),
    ("app", ["tcp/9000"]),
    ("postgres", ["tcp/5432"]),
    ("dns-udp", ["udp/53"]),
    ("cluster", ["tcp/7000-7010"]),
    ("cluster-low", ["tcp/7000-7004"]),
    ("app-all", ["http-alt", "app"]),
    ("dns", ["udp/53", "tcp/53"]),
    ("https", ["tcp/443"]),
    ("http", ["tcp/80"]),
    ("web", ["http", "https"]),
    ("metrics", ["tcp/9090"]),
    ("ssh", ["tcp/22"]),
    ("ldap", ["tcp/389", "tcp/636"]),
    ("smtp", ["tcp/25", "tcp/587"]),
    ("ntp", ["udp/123"]),
    ("kafka", ["tcp/9092-9094"]),
    ("redis", ["tcp/6379"]),
    ("mysql", ["tcp/3306"]),
    ("syslog", ["udp/514", "tcp/6514"]),
]

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
         "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
         "victor", "walter", "yvonne"]
GROUPS = ["sre", "dev-team", "secops", "dba", "release-eng"]
ROLES = [
    ("viewer", ["view"]),
    ("log-reader", ["view", "logs"]),
    ("deployer", ["view", "deploy"]),
    ("oncall", ["view", "logs", "exec"]),
    ("secret-reader", ["view", "secrets"]),
    ("platform-admin", ["admin"]),
]
SECRET_KINDS = ["db-password", "api-key", "tls-cert", "token", "oauth-client"]

V4_BASES = [  # (base network, weight)
    ("10.0.0.0/8", 6), ("172.16.0.0/12", 2), ("192.168.0.0/16", 2),
    ("192.0.2.0/24", 1), ("198.51.100.0/24", 1), ("203.0.113.0/24", 1),
]


# OpenShift's default cluster networks: ipBlocks exclude them, so an allow expectation from a
# network that overlaps them does not hold on openshift.
CLUSTER_NETWORKS = [ipaddress.ip_network(c) for c in ("10.128.0.0/14", "172.30.0.0/16", "fd01::/48", "fd02::/112")]
# The targets a deny expectation speaks for: those that enforce a deny between two workloads, or
# between an address and a workload, exactly. Swarm and Mesos allow every member of a shared
# network, and the clouds' firewalls select by service identity, which workloads share here (and
# AWS security groups cannot deny); on them the generated denies are widened gaps, reported as
# such, not failed expectations.
DENY_TARGETS = ["openshift"]


def q(s):
    """Quote a scalar when plain style would be unsafe in a YAML flow collection."""
    if not s or any(c in s for c in ':,[]{}#&*!|>\'"%@` ') or s[0] in "-?":
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def flist(items):
    return "[" + ", ".join(q(str(i)) for i in items) + "]"


def ref_str(r):
    return flist(r) if isinstance(r, list) else q(r)


class Gen:
    def __init__(self, n, m, seed):
        self.n, self.m = n, m
        self.r = random.Random(seed)
        self.out = []

    # ------------------------------------------------------------------ helpers
    def w(self, line=""):
        self.out.append(line)

    def wl(self, i):
        return "wl-%0*d" % (self.wd, i)

    def seg(self, s):
        return "seg-%0*d" % (self.sd, s)

    def rand_v4(self, min_prefix=None):
        r = self.r
        bases, weights = zip(*V4_BASES)
        base = ipaddress.ip_network(r.choices(bases, weights)[0])
        lo = max(base.prefixlen, min_prefix or 0)
        # varied prefix lengths: mostly /16-/28, some host addresses, rarely the whole base
        if r.random() < 0.03:
            p = lo
        else:
            p = r.choice([x for x in range(max(lo, 16), 29)] + [32, 32])
        addr = int(base.network_address) + r.randrange(base.num_addresses)
        net = ipaddress.ip_network((addr, p), strict=False)
        if p == 32 and r.random() < 0.6:
            return str(net.network_address)  # bare address
        return str(net)

    def rand_v6(self):
        r = self.r
        if r.random() < 0.8:
            return "2001:db8:%x::/48" % r.randrange(1, 0x10000)
        if r.random() < 0.5:
            return "2001:db8:%x:%x::/64" % (r.randrange(1, 0x10000), r.randrange(1, 0x10000))
        return "2001:db8:%x::%x" % (r.randrange(1, 0x10000), r.randrange(1, 0x10000))

    # ------------------------------------------------------------------ sections
    def build(self):
        r = self.r
        n, m = self.n, self.m
        self.wd = max(5, len(str(n)))
        self.ns = max(1, round(n / 50))
        self.sd = max(4, len(str(self.ns)))
        # workload -> segment (contiguous, near-equal blocks), 0-based segment index
        self.wseg = [0] * (n + 1)
        self.seg_members = [[] for _ in range(self.ns)]
        for i in range(1, n + 1):
            s = (i - 1) * self.ns // n
            self.wseg[i] = s
            self.seg_members[s].append(i)
        self.build_networks()
        self.build_workloads()
        self.build_flows()
        self.build_expect()

    def build_networks(self):
        r = self.r
        nets = []  # (name, entries)
        self.net_dns = {}       # name -> holds dns (recursively)
        self.net_v4 = {}        # name -> list of own v4 CIDR entries with prefix <= 22
        plain = []
        # 70 IPv4 networks, some with IPv6 entries too
        kinds = ["office", "partner", "vpn", "dc", "branch", "lab", "vendor"]
        for k in kinds:
            for j in range(1, 11):
                name = "%s-%02d" % (k, j)
                ents = [self.rand_v4() for _ in range(r.randint(1, 4))]
                if r.random() < 0.25:
                    ents.append(self.rand_v6())
                ents = list(dict.fromkeys(ents))
                nets.append((name, ents))
                plain.append(name)
        # 20 IPv6-only networks
        for j in range(1, 21):
            name = "cloud6-%02d" % j
            nets.append((name, list(dict.fromkeys(self.rand_v6() for _ in range(r.randint(1, 3))))))
            plain.append(name)
        # 30 host lists (bare addresses and /32s)
        for j in range(1, 31):
            name = "hosts-%02d" % j
            ents = []
            for _ in range(r.randint(1, 5)):
                a = self.rand_v4(min_prefix=32)
                ents.append(a)
            nets.append((name, list(dict.fromkeys(ents))))
            plain.append(name)
        for name, ents in nets:
            self.net_dns[name] = False
            self.net_v4[name] = [e for e in ents if ":" not in e and "/" in e
                                 and int(e.split("/")[1]) <= 22]
        # 25 dns networks (some mixed with CIDRs)
        dnsnets = []
        for j in range(1, 26):
            name = "saas-%02d" % j
            ents = ["dns:api-%d.example.com" % r.randrange(1, 1000)]
            if r.random() < 0.3:
                ents.append("dns:%s-%d.example.net" % (r.choice(["auth", "cdn", "pay", "mail"]),
                                                      r.randrange(1, 100)))
            if r.random() < 0.2:
                ents.append(self.rand_v4())
            nets.append((name, list(dict.fromkeys(ents))))
            self.net_dns[name] = True
            self.net_v4[name] = []
            dnsnets.append(name)
        # 30 composite networks referencing earlier networks (acyclic by construction)
        comp = []
        for j in range(1, 31):
            name = "corp-%02d" % j
            pool = plain + comp
            ents = r.sample(pool, r.randint(2, 4))
            if r.random() < 0.3:
                ents.append(self.rand_v4())
            if r.random() < 0.15:
                ents.append(r.choice(dnsnets))
            nets.append((name, ents))
            self.net_dns[name] = any(self.net_dns.get(e, False) for e in ents)
            self.net_v4[name] = []
            comp.append(name)
        # 25 blocked networks: a /24 inside a <= /22 entry of another network
        parents = [p for p in plain if self.net_v4[p]]
        self.blocked = {}  # blocked name -> parent network name
        for j in range(1, 26):
            name = "blocked-%02d" % j
            p = r.choice(parents)
            big = ipaddress.ip_network(r.choice(self.net_v4[p]))
            sub = ipaddress.ip_network((int(big.network_address)
                                        + r.randrange(big.num_addresses // 256) * 256, 24))
            nets.append((name, [str(sub)]))
            self.net_dns[name] = False
            self.net_v4[name] = []
            self.blocked[name] = p
        self.networks = nets
        self.src_nets = [nm for nm, _ in nets if not self.net_dns[nm] and nm not in self.blocked]
        self.parent_nets = sorted(set(self.blocked.values()))
        self.dst_nets = [nm for nm, _ in nets if nm not in self.blocked]
        self.dns_nets = dnsnets

    def build_workloads(self):
        r = self.r
        n = self.n
        self.nsecrets = max(1, round(n / 20))
        self.secret_names = []
        for i in range(1, self.nsecrets + 1):
            self.secret_names.append("%s-%04d" % (SECRET_KINDS[i % len(SECRET_KINDS)], i))
        self.nsa = (n + 9) // 10
        self.wports = [None] * (n + 1)  # list of PORT_OPTS entries
        self.wlines = [None] * (n + 1)
        for i in range(1, n + 1):
            k = r.choices([1, 2, 3], [5, 3, 2])[0]
            ports = sorted(r.sample(PORT_OPTS, k), key=PORT_OPTS.index)
            self.wports[i] = ports
            shown = [OPT_SET[p] if r.random() < 0.08 else p for p in ports]
            team = self.wseg[i] % 40 + 1
            tag = "%d.%d.%d" % (r.randint(1, 3), r.randint(0, 12), r.randint(0, 20))
            image = "registry.example.com/team-%02d/svc-%0*d:%s" % (team, self.wd, i, tag)
            if r.random() < 0.03:
                image += "@sha256:" + "%064x" % r.getrandbits(256)
            parts = ["segment: " + self.seg(self.wseg[i] + 1),
                     "image: " + q(image),
                     "identity: sa-%0*d" % (max(4, len(str(self.nsa))), (i - 1) // 10 + 1),
                     "replicas: %d" % r.choice([1, 1, 2, 2, 3]),
                     "ports: " + flist(shown)]
            if r.random() < 0.25:
                parts.append("secrets: " + flist(sorted(set(r.sample(self.secret_names,
                                                         min(len(self.secret_names), r.randint(1, 2)))))))
            x = r.random()
            if x < 0.05:
                parts.append("runtime: {writable_paths: [/tmp]}")
            elif x < 0.07:
                parts.append("runtime: {resources: {cpu: %s, memory: %s}}"
                             % (r.choice(["1", "2", "250m"]), r.choice(["512Mi", "1Gi"])))
            elif x < 0.08:
                parts.append("runtime: {user: 999, read_only_root: false, writable_paths: [/var/lib/data]}")
            if r.random() < 0.1:
                parts.append("labels: {app: svc-%0*d, tier: %s}"
                             % (self.wd, i, r.choice(["web", "api", "data", "batch"])))
            self.wlines[i] = "  %s: {%s}" % (self.wl(i), ", ".join(parts))

    # ------------------------------------------------------------------ ports
    def ports_to(self, i):
        """A port list for an allow flow whose destination is workload i (valid for it)."""
        r = self.r
        L = self.wports[i]
        x = r.random()
        if x < 0.55:
            return sorted(r.sample(L, r.randint(1, len(L))), key=PORT_OPTS.index)
        if x < 0.68:
            cands = [OPT_SET[p] for p in L]
            if "tcp/7000-7010" in L:
                cands.append("cluster-low")
            if "tcp/8080" in L and "tcp/9000" in L:
                cands.append("app-all")
            return [r.choice(cands)]
        if x < 0.76 and "tcp/7000-7010" in L:
            a = r.randint(7000, 7010)
            b = r.randint(a, 7010)
            return ["tcp/%d" % a if a == b else "tcp/%d-%d" % (a, b)]
        if x < 0.95:
            return ["tcp" if any(p.startswith("tcp") for p in L) else "udp"]
        return ["all"]

    def ports_common(self, dsts):
        """Ports valid for every workload in dsts (explicit common ones, else a bare proto)."""
        common = [p for p in PORT_OPTS if all(p in self.wports[d] for d in dsts)]
        if common and self.r.random() < 0.7:
            return sorted(self.r.sample(common, self.r.randint(1, len(common))), key=PORT_OPTS.index)
        return [self.r.choice(["tcp", "all"])]

    # ------------------------------------------------------------------ flows
    def pick_dst(self, src):
        r = self.r
        s = self.wseg[src]
        x = r.random()
        if x < 0.6:
            seg = s
        elif x < 0.9:
            seg = min(self.ns - 1, max(0, s + r.choice([-1, 1])))
        else:
            seg = r.randrange(self.ns)
        mem = self.seg_members[seg]
        d = r.choice(mem)
        if d == src and len(mem) > 1 and r.random() < 0.97:
            d = r.choice(mem)
        return d

    def build_flows(self):
        r = self.r
        n, m = self.n, self.m
        n_in = round(m * 0.07)
        n_out = round(m * 0.05)
        n_seg = round(m * 0.01)
        n_deny = round(m * 0.02)
        n_ww = max(0, m - n_in - n_out - n_seg - n_deny)
        flows = []  # (text, kind)
        self.allow_pairs = set()        # (src wl, dst wl) reached by some allow flow
        self.deny_pairs = set()         # (src wl, dst wl) touched by some deny flow
        self.ext_denied = set()         # wl that is the target of a deny with external source
        self.egress_wls = set()         # wl with an allow flow to an external destination
        self.ww_single = []             # (src, dst, ports) allow flows, both sides one named wl
        self.net_in = []                # (network or any, dst, ports)
        self.net_in_parent = []         # indices into net_in whose source is a blocked parent
        wref = self.wl

        def F(**kv):
            parts = []
            for k in ("action", "from", "to", "ports", "description"):
                if k in kv:
                    v = kv[k]
                    if k in ("from", "to"):
                        parts.append("%s: %s" % (k, ref_str(v)))
                    elif k == "ports":
                        parts.append("ports: " + flist(v))
                    elif k == "description":
                        parts.append('description: "%s"' % v)
                    else:
                        parts.append("%s: %s" % (k, v))
            return "  - {" + ", ".join(parts) + "}"

        # workload -> workload
        for _ in range(n_ww):
            src = r.randint(1, n)
            x = r.random()
            if x < 0.03 and n > 2:
                srcs = sorted(set([src] + [r.randint(1, n) for _ in range(r.randint(1, 2))]))
                dst = self.pick_dst(src)
                ports = self.ports_to(dst)
                flows.append(F(**{"from": [wref(s) for s in srcs], "to": wref(dst), "ports": ports}))
                for s in srcs:
                    self.allow_pairs.add((s, dst))
            elif x < 0.05 and n > 2:
                dsts = sorted(set(self.pick_dst(src) for _ in range(r.randint(2, 3))))
                ports = self.ports_common(dsts)
                flows.append(F(**{"from": wref(src), "to": [wref(d) for d in dsts], "ports": ports}))
                for d in dsts:
                    self.allow_pairs.add((src, d))
            else:
                dst = self.pick_dst(src)
                ports = self.ports_to(dst)
                fr, to = wref(src), wref(dst)
                if r.random() < 0.01:
                    fr, to = "workload:" + fr, "workload:" + to
                flows.append(F(**{"from": fr, "to": to, "ports": ports}))
                self.allow_pairs.add((src, dst))
                if src != dst:
                    self.ww_single.append((src, dst, ports))
        # network / any -> workload
        for _ in range(n_in):
            dst = r.randint(1, n)
            x = r.random()
            if x < 0.15:
                src = "any"
            elif x < 0.5:
                src = r.choice(self.parent_nets)
            else:
                src = r.choice(self.src_nets)
            ports = self.ports_to(dst)
            fr = src
            if src != "any" and r.random() < 0.03:
                fr = "network:" + src
            flows.append(F(**{"from": fr, "to": wref(dst), "ports": ports}))
            self.net_in.append((src, dst, ports))
            if src in self.parent_nets:
                self.net_in_parent.append(len(self.net_in) - 1)
        # workload (or segment) -> network / dns / any
        for _ in range(n_out):
            x = r.random()
            if x < 0.2:
                to = "any"
            elif x < 0.5:
                to = r.choice(self.dns_nets)
            else:
                to = r.choice(self.dst_nets)
            ports = r.choice([["tcp/443"], ["https"], ["tcp/443"], ["web"], ["tcp/80", "tcp/443"],
                              ["dns"], ["tcp/5432"], ["smtp"], ["ldap"], ["tcp/8443"], ["ntp"]])
            if r.random() < 0.1:
                s = r.randrange(self.ns)
                fr = "segment:" + self.seg(s + 1)
                self.egress_wls.update(self.seg_members[s])
            else:
                w = r.randint(1, n)
                fr = wref(w)
                self.egress_wls.add(w)
            flows.append(F(**{"from": fr, "to": to, "ports": ports}))
        # segment -> workload
        for _ in range(n_seg):
            dst = r.randint(1, n)
            s = min(self.ns - 1, max(0, self.wseg[dst] + r.choice([-1, 0, 0, 1])))
            ports = self.ports_to(dst)
            flows.append(F(**{"from": "segment:" + self.seg(s + 1), "to": wref(dst), "ports": ports}))
            for w in self.seg_members[s]:
                self.allow_pairs.add((w, dst))
        # deny flows
        self.deny_blocked = []   # (blocked net, dst) with ports [all]
        self.deny_any = []       # dst with deny any -> dst ports [all]
        for _ in range(n_deny):
            x = r.random()
            if x < 0.35 and self.net_in_parent:
                src, dst, _p = self.net_in[r.choice(self.net_in_parent)]
                b = r.choice([k for k, v in self.blocked.items() if v == src])
                ports = ["all"] if r.random() < 0.6 else self.ports_to(dst)
                desc = "block %s inside %s" % (b, src) if r.random() < 0.5 else None
                kv = {"action": "deny", "from": b, "to": wref(dst), "ports": ports}
                if desc:
                    kv["description"] = desc
                flows.append(F(**kv))
                self.ext_denied.add(dst)
                if ports == ["all"]:
                    self.deny_blocked.append((b, dst))
            elif x < 0.72 and self.ww_single:
                src, dst, _p = r.choice(self.ww_single)
                p = r.choice(self.wports[dst] + ["tcp"])
                flows.append(F(**{"action": "deny", "from": wref(src), "to": wref(dst), "ports": [p]}))
                self.deny_pairs.add((src, dst))
            elif x < 0.87:
                dst = r.randint(1, n)
                kv = {"action": "deny", "from": "any", "to": wref(dst), "ports": ["all"]}
                if r.random() < 0.5:
                    kv["description"] = "never expose %s" % wref(dst)
                flows.append(F(**kv))
                self.ext_denied.add(dst)
                self.deny_any.append(dst)
            elif x < 0.95:
                dst = r.randint(1, n)
                s = min(self.ns - 1, max(0, self.wseg[dst] + r.choice([-1, 0, 1])))
                p = r.choice(self.wports[dst] + ["tcp", "udp"])
                flows.append(F(**{"action": "deny", "from": "segment:" + self.seg(s + 1),
                                  "to": wref(dst), "ports": [p]}))
                for w in self.seg_members[s]:
                    self.deny_pairs.add((w, dst))
            else:
                src = r.randint(1, n)
                to = r.choice(list(self.blocked) + self.dns_nets)
                flows.append(F(**{"action": "deny", "from": wref(src), "to": to, "ports": ["all"]}))
        r.shuffle(flows)
        self.flows = flows

    # ------------------------------------------------------------------ expect
    def build_expect(self):
        r = self.r
        n = self.n
        exp = []
        wref = self.wl

        def E(kind, fr, to, ports):
            scope = ", targets: %s" % flist(DENY_TARGETS) if kind == "deny" else ""
            return "  - {%s: {from: %s, to: %s, ports: %s}%s}" % (kind, ref_str(fr), ref_str(to), flist(ports), scope)

        # allow: workload -> workload, pair untouched by any deny
        cands = [f for f in self.ww_single if (f[0], f[1]) not in self.deny_pairs]
        seen = set()
        for src, dst, ports in r.sample(cands, min(len(cands), 60)):
            if (src, dst) in seen:
                continue
            seen.add((src, dst))
            exp.append(E("allow", wref(src), wref(dst), ports))
            if len(seen) >= 30:
                break
        # allow: network -> workload where the destination has no external-source deny, from a
        # network clear of OpenShift's default cluster networks (ipBlocks leave those out)
        cands = [f for f in self.net_in if f[1] not in self.ext_denied and self.clear_of_cluster(f[0])]
        for src, dst, ports in r.sample(cands, min(len(cands), 5)):
            exp.append(E("allow", src, wref(dst), ports))
        # deny: reverse of an allowed pair, with no flow in that direction
        k = 0
        for src, dst, _p in r.sample(self.ww_single, min(len(self.ww_single), 200)):
            if (dst, src) not in self.allow_pairs:
                exp.append(E("deny", wref(dst), wref(src), ["all"]))
                k += 1
                if k >= 5:
                    break
        # deny: random pairs with no flow in that direction
        k = tries = 0
        while k < 5 and tries < 1000 and n > 1:
            tries += 1
            a, b = r.randint(1, n), r.randint(1, n)
            if a == b or (a, b) in self.allow_pairs:
                continue
            ports = ["all"] if r.random() < 0.5 else [r.choice(self.wports[b])]
            exp.append(E("deny", wref(a), wref(b), ports))
            k += 1
        # deny: a blocked /24 (or any) towards a workload with a matching deny [all]
        for b, dst in self.deny_blocked[:2]:
            exp.append(E("deny", b, wref(dst), ["all"]))
        for dst in self.deny_any[:2]:
            exp.append(E("deny", "any", wref(dst), ["all"]))
        # deny: a workload with no egress to any external destination
        k = tries = 0
        while k < 1 and tries < 1000:
            tries += 1
            a = r.randint(1, n)
            if a not in self.egress_wls:
                exp.append(E("deny", wref(a), "any", ["tcp/443"]))
                k += 1
        self.expect = exp

    def clear_of_cluster(self, name):
        """Whether a source network (its entries, referenced networks included) misses
        OpenShift's default cluster networks; `any` does not."""
        if name == "any":
            return False
        entries = dict(self.networks)
        todo, seen = [name], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for entry in entries.get(current, []):
                if entry in entries:
                    todo.append(entry)
                elif not entry.startswith("dns:"):
                    net = ipaddress.ip_network(entry, strict=False)
                    if any(net.version == c.version and net.overlaps(c) for c in CLUSTER_NETWORKS):
                        return False
        return True

    # ------------------------------------------------------------------ emit
    def emit(self):
        r = self.r
        w = self.w
        n = self.n
        w("# Generated by scripts/gen-bench-spec.py --workloads %d --flows %d" % (self.n, self.m))
        w("version: 1")
        w("name: bench")
        w('description: "Synthetic benchmark spec: %d workloads, %d flows"' % (self.n, self.m))
        w()
        w("networks:")
        for name, ents in self.networks:
            w("  %s: %s" % (name, flist(ents)))
        w()
        w("ports:")
        for name, ents in PORT_SETS:
            w("  %s: %s" % (name, flist(ents)))
        w()
        w("segments:")
        for s in range(self.ns):
            if s % 7 == 0:
                w("  %s: {description: \"Tenant %d\", labels: {team: team-%02d}}" % (self.seg(s + 1), s + 1, s % 40 + 1))
            else:
                w("  %s: {}" % self.seg(s + 1))
        w()
        w("identities:")
        sad = max(4, len(str(self.nsa)))
        for a in range(1, self.nsa + 1):
            w("  sa-%0*d: {kind: service}" % (sad, a))
        for u in USERS:
            w("  %s: {kind: user}" % u)
        for g in GROUPS:
            w("  %s: {kind: group}" % g)
        w()
        w("roles:")
        for name, acts in ROLES:
            w("  %s: %s" % (name, flist(acts)))
        w()
        w("grants:")
        segs = [self.seg(s + 1) for s in range(self.ns)]
        roles = [x[0] for x in ROLES]
        for u in USERS:
            role = r.choice(roles[:5])
            w("  - {identity: %s, role: %s, segments: %s}"
              % (u, role, flist(sorted(r.sample(segs, min(len(segs), r.randint(1, 4)))))))
        w("  - {identity: sre, role: oncall, segments: all}")
        w("  - {identity: dev-team, role: deployer, segments: %s}"
          % flist(sorted(r.sample(segs, min(len(segs), 3)))))
        w("  - {identity: secops, role: secret-reader, segments: %s}"
          % flist(sorted(r.sample(segs, min(len(segs), 2)))))
        w("  - {identity: dba, role: log-reader, segments: %s}"
          % flist(sorted(r.sample(segs, min(len(segs), 4)))))
        w("  - {identity: release-eng, role: platform-admin, segments: %s}"
          % flist(sorted(r.sample(segs, min(len(segs), 2)))))
        w("  - {identity: sa-%0*d, role: deployer, segments: [%s], allow_service: true}" % (sad, 1, segs[0]))
        w()
        w("secrets:")
        for i, s in enumerate(self.secret_names):
            if i % 10 == 0:
                w('  %s: {description: "secret %d"}' % (s, i + 1))
            else:
                w("  %s: {}" % s)
        w()
        w("defaults:")
        w("  runtime:")
        w("    user: 10001")
        w("    read_only_root: true")
        w("    no_new_privileges: true")
        w("    capabilities: {drop: [ALL]}")
        w("    seccomp: runtime-default")
        w("    resources: {cpu: 500m, memory: 256Mi, pids: 256}")
        w()
        w("workloads:")
        self.out.extend(self.wlines[1:])
        w()
        w("flows:" if self.flows else "flows: []")
        self.out.extend(self.flows)
        w()
        w("image_policy:")
        w("  require_digest: false")
        w("  allowed_registries: [registry.example.com]")
        w()
        # A mesh this connected would put every app on one network with the Docker
        # containerizer (one network per app); the Mesos containerizer takes several.
        w("targets:")
        w("  mesos: {containerizer: mesos}")
        w()
        w("expect:" if self.expect else "expect: []")
        self.out.extend(self.expect)
        return "\n".join(self.out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="Generate a large Palisade spec for benchmarking.")
    ap.add_argument("--workloads", type=int, default=10000, metavar="N")
    ap.add_argument("--flows", type=int, default=40000, metavar="M")
    ap.add_argument("--seed", type=int, default=1, metavar="S")
    ap.add_argument("--out", metavar="FILE", help="output file (default: stdout)")
    a = ap.parse_args()
    if a.workloads < 1:
        ap.error("--workloads must be at least 1")
    if a.flows < 0:
        ap.error("--flows must be non-negative")
    t0 = time.perf_counter()
    g = Gen(a.workloads, a.flows, a.seed)
    g.build()
    text = g.emit()
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote %s: %d bytes, %d workloads, %d flows, %d expectations in %.2fs"
              % (a.out, len(text.encode()), a.workloads, len(g.flows), len(g.expect),
                 time.perf_counter() - t0), file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
