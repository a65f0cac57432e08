#!/usr/bin/env python3
"""Helpers of scripts/conformance-nftables.sh: real packets between network namespaces judge
the nftables target's rulesets against its reader.

  inject SPEC OUT ADDRESSES     the spec with targets.nftables.addresses set (PyYAML nodes:
                                styles, anchors and every other key kept as written)
  plan IR SEED PREFIX PLAN ADDR one host (network namespace) per workload, a second one for a
                                workload with replicas; addresses outside every network of the
                                spec where a free range exists
  fidelity IR READ COMPARE      the reader's relation between workloads equals the intent, less
                                the narrowed gaps, plus the widened ones (`palisade compare`)
  run PLAN IR READ RULESETS SEED
                                namespaces on one bridge, each workload's ruleset loaded in its
                                hosts, listeners on every probed port, TCP, UDP and ICMP echo
                                probes from every host in parallel; prints the counts as JSON and exits 1 on
                                any connection that disagrees with the reader's relation
  listen PORTS, probe           run inside a namespace (`ip netns exec`): the listeners of one
                                host; the probes of one source host (JSON on stdin and stdout)

Standard library only, except `inject` (PyYAML).
"""

import ipaddress
import json
import os
import random
import resource
import selectors
import socket
import subprocess
import sys
import time

PROTOCOLS = {"tcp": 0, "udp": 1, "sctp": 2, "icmp": 3}
NAMES = {value: key for key, value in PROTOCOLS.items()}


# Port sets as sorted, merged intervals over the key `protocol << 17 | port` (as in IR/Ports.swift).
def key(proto, port):
    return PROTOCOLS[proto] << 17 | (0 if proto == "icmp" else port)


def normalize(intervals):
    merged = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return [tuple(interval) for interval in merged]


def ports_of(texts):
    """A dumped port list ("tcp/80", "tcp/8000-8100", "udp", "icmp", "all") as intervals."""
    intervals = []
    for text in texts:
        if text == "all":
            intervals += [(key(proto, 1), key(proto, 65535)) for proto in ("tcp", "udp", "sctp")] + [(key("icmp", 0), key("icmp", 0))]
            continue
        proto, _, rest = text.partition("/")
        if proto == "icmp":
            intervals.append((key("icmp", 0), key("icmp", 0)))
        elif not rest:
            intervals.append((key(proto, 1), key(proto, 65535)))
        else:
            low, _, high = rest.partition("-")
            intervals.append((key(proto, int(low)), key(proto, int(high or low))))
    return normalize(intervals)


def union(a, b):
    return normalize(list(a) + list(b))


def subtract(a, b):
    result = []
    for low, high in a:
        for cut_low, cut_high in b:
            if cut_high < low or cut_low > high:
                continue
            if cut_low > low:
                result.append((low, cut_low - 1))
            low = cut_high + 1
            if low > high:
                break
        if low <= high:
            result.append((low, high))
    return normalize(result)


def contains(intervals, proto, port):
    value = key(proto, port)
    return any(low <= value <= high for low, high in intervals)


def describe(intervals):
    parts = []
    for low, high in intervals:
        proto = NAMES[low >> 17]
        low, high = low & 0xFFFF, high & 0xFFFF
        if proto == "icmp" or (low, high) == (1, 65535):
            parts.append(proto)
        else:
            parts.append(f"{proto}/{low}" if low == high else f"{proto}/{low}-{high}")
    return ", ".join(parts) or "none"


def relation_of(between):
    """`between_workloads` of a dumped relation: {(from, to): intervals}."""
    return {(entry["from"], entry["to"]): ports_of(entry["ports"]) for entry in between}


def load_json(path):
    with open(path) as file:
        return json.load(file)


def read_relation(path):
    entries = load_json(path)
    if len(entries) != 1:
        raise SystemExit(f"{path}: expected the read-back of one policy, found {len(entries)}")
    return relation_of(entries[0]["relation"]["between_workloads"])


# inject ----------------------------------------------------------------------------------


def inject(spec_path, out_path, addresses_path):
    import yaml

    addresses = load_json(addresses_path)
    with open(spec_path) as file:
        root = yaml.compose(file, Loader=yaml.SafeLoader)

    def scalar(text, style=None):
        return yaml.ScalarNode("tag:yaml.org,2002:str", text, style=style)

    def entry(mapping, name):
        for node_key, value in mapping.value:
            if isinstance(node_key, yaml.ScalarNode) and node_key.value == name:
                return value
        return None

    def put(mapping, name, value):
        for index, (node_key, _) in enumerate(mapping.value):
            if isinstance(node_key, yaml.ScalarNode) and node_key.value == name:
                mapping.value[index] = (node_key, value)
                return value
        mapping.value.append((scalar(name), value))
        return value

    def mapping():
        return yaml.MappingNode("tag:yaml.org,2002:map", [], flow_style=False)

    targets = entry(root, "targets")
    if not isinstance(targets, yaml.MappingNode):
        targets = put(root, "targets", mapping())
    options = entry(targets, "nftables")
    if not isinstance(options, yaml.MappingNode):
        options = put(targets, "nftables", mapping())
    table = yaml.MappingNode("tag:yaml.org,2002:map", [], flow_style=False)
    for workload, cidrs in sorted(addresses.items()):
        table.value.append((scalar(workload, '"'), yaml.SequenceNode("tag:yaml.org,2002:seq", [scalar(c, '"') for c in cidrs], flow_style=True)))
    put(options, "addresses", table)
    with open(out_path, "w") as file:
        yaml.serialize(root, file, Dumper=yaml.SafeDumper, width=1000)


# plan ------------------------------------------------------------------------------------

IPV4_CANDIDATES = ["198.18.0.0/24", "198.19.250.0/24", "100.127.254.0/24", "192.0.0.0/24", "169.254.250.0/24"]
IPV6_CANDIDATES = ["fd5a:15ad:e000:1::/64", "2001:db8:ffff:fffe::/64", "fdff:ffff:ffff:ffff::/64"]


def free_range(candidates, networks):
    for text in candidates:
        candidate = ipaddress.ip_network(text)
        if not any(candidate.version == network.version and candidate.overlaps(network) for network in networks):
            return candidate, True
    return ipaddress.ip_network(candidates[0]), False


def inside_range(ir, version, longest):
    """The first subnet of the widest network a flow names (of the IP version), so that workload
    hosts sit inside an address range the rules match; None when no flow names one."""
    widest = None
    for flow in ir["flows"]:
        for end in (flow["from"], flow["to"]):
            for text in end.get("external", {}).get("addresses", []):
                network = ipaddress.ip_network(text)
                if network.version == version and 0 < network.prefixlen <= longest and (widest is None or network.prefixlen < widest.prefixlen):
                    widest = network
    return next(widest.subnets(new_prefix=longest)) if widest else None


def plan(ir_path, seed, prefix, plan_path, addresses_path, placement="outside"):
    """Hosts and addresses. `outside`: address ranges that no network of the spec overlaps (where
    one of the candidates is free); `inside`: inside the widest network that a flow names, an
    inventory that compile must refuse (E702)."""
    ir = load_json(ir_path)
    networks = []
    for members in ir["networks"].values():
        for text in members.get("addresses", []):
            network = ipaddress.ip_network(text)
            if network.prefixlen > 0:
                networks.append(network)
    v4, v4_free = free_range(IPV4_CANDIDATES, networks)
    v6, v6_free = free_range(IPV6_CANDIDATES, networks)
    if placement == "inside":
        v4 = inside_range(ir, 4, 24) or v4
        v6 = inside_range(ir, 6, 64) or v6
        v4_free = not any(v4.overlaps(n) for n in networks if n.version == 4)
        v6_free = not any(v6.overlaps(n) for n in networks if n.version == 6)
    hosts = []
    for workload in sorted(ir["workloads"], key=lambda w: w["name"]):
        for replica in range(2 if workload["replicas"] >= 2 else 1):
            index = len(hosts) + 1
            hosts.append(
                {
                    "ns": f"{prefix}{index}",
                    "index": index,
                    "workload": workload["name"],
                    "replica": replica,
                    "v4": str(v4[index]),
                    "v6": str(v6[index]),
                }
            )
    addresses = {}
    for host in hosts:
        addresses.setdefault(host["workload"], []).extend([f"{host['v4']}/32", f"{host['v6']}/128"])
    with open(plan_path, "w") as file:
        json.dump({"seed": int(seed), "prefix": prefix, "v4": str(v4), "v6": str(v6), "inside_networks": not (v4_free and v6_free), "hosts": hosts}, file)
    with open(addresses_path, "w") as file:
        json.dump(addresses, file)


# fidelity --------------------------------------------------------------------------------


def endpoint_workloads(endpoint):
    """The workloads a gap's end names: one (`workload`) or a list (`workloads`); none for the outside."""
    if "workload" in endpoint:
        return [endpoint["workload"]]
    return list(endpoint.get("workloads") or [])


def fidelity(ir_path, read_path, compare_path):
    """Exit 1 with the differences when read != intent - narrowed + widened (between workloads)."""
    intent = relation_of(load_json(ir_path)["intent"]["between_workloads"])
    read = read_relation(read_path)
    expected = dict(intent)
    report = load_json(compare_path)
    counts = {"widened": 0, "narrowed": 0}
    for target in report["targets"]:
        for gap in target["gaps"]:
            connection = gap.get("subject", {}).get("connection")
            if gap["kind"] not in counts or not connection:
                continue
            # A gap is a product: every source of its list with every destination of its list.
            sources, destinations = endpoint_workloads(connection["from"]), endpoint_workloads(connection["to"])
            if not sources or not destinations:
                continue
            counts[gap["kind"]] += 1
            ports = ports_of(connection["ports"])
            for pair in ((source, destination) for source in sources for destination in destinations):
                if gap["kind"] == "widened":
                    expected[pair] = union(expected.get(pair, []), ports)
                else:
                    expected[pair] = subtract(expected.get(pair, []), ports)
    differences = []
    for pair in sorted(set(expected) | set(read)):
        want, have = expected.get(pair, []), read.get(pair, [])
        if want != have:
            extra, missing = subtract(have, want), subtract(want, have)
            said = []
            if extra:
                said.append(f"allows {describe(extra)}, which neither the intent nor a widened gap allows")
            if missing:
                said.append(f"blocks {describe(missing)}, which the intent (or a widened gap) allows and no narrowed gap reports")
            differences.append(f"{pair[0]} -> {pair[1]}: the reader {'; '.join(said)}")
    print(json.dumps({"pairs": len(read), "widened": counts["widened"], "narrowed": counts["narrowed"], "differences": differences}))
    sys.exit(1 if differences else 0)


# run -------------------------------------------------------------------------------------

# Listened ranges longer than this are probed at both ends and at a few ports inside.
RANGE_SAMPLE = 6


def probe_ports(ir, read, seed):
    """Per workload: the TCP and UDP ports probed on its hosts (and listened on there): the ports
    it listens on (long ranges sampled), plus a seeded sample of others: ports the reader's
    relation or the spec's flows name for other workloads, and random high ports."""
    rng = random.Random(seed)
    mentioned = {"tcp": set(), "udp": set()}

    def add_mentioned(texts):
        for low, high in ports_of(texts):
            proto = NAMES[low >> 17]
            if proto in mentioned:
                span = range(low & 0xFFFF, (high & 0xFFFF) + 1)
                mentioned[proto].update(span if len(span) <= RANGE_SAMPLE else (span[0], span[-1]))

    for flow in ir["flows"]:
        add_mentioned(flow["ports"])
    for intervals in read.values():
        add_mentioned([describe([interval]) for interval in intervals])
    result = {}
    for workload in sorted(ir["workloads"], key=lambda w: w["name"]):
        ports = {"tcp": set(), "udp": set()}
        for low, high in ports_of(workload["listens"]):
            proto = NAMES[low >> 17]
            if proto not in ports:
                continue
            span = range(low & 0xFFFF, (high & 0xFFFF) + 1)
            if len(span) <= RANGE_SAMPLE:
                ports[proto].update(span)
            else:
                ports[proto].update([span[0], span[-1]] + rng.sample(span[1:-1], RANGE_SAMPLE - 2))
        for proto, extra in (("tcp", 3), ("udp", 1)):
            others = sorted(mentioned[proto] - ports[proto])
            ports[proto].update(rng.sample(others, min(extra, len(others))))
            while True:
                port = rng.randrange(20000, 30000)
                if port not in ports[proto]:
                    ports[proto].add(port)
                    break
        result[workload["name"]] = {proto: sorted(values) for proto, values in ports.items()}
    return result


def command(args, **kwargs):
    return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


class Estate:
    """The namespaces of one spec: made in `up`, removed in `down` (also after a failure)."""

    def __init__(self, prefix, hosts):
        self.bridge = f"{prefix}br"
        self.hosts = hosts
        self.made = []
        self.processes = []

    def up(self):
        command(["ip", "netns", "add", self.bridge])
        self.made.append(self.bridge)
        command(["ip", "-n", self.bridge, "link", "add", "br0", "type", "bridge"])
        command(["ip", "-n", self.bridge, "link", "set", "br0", "up"])
        for host in self.hosts:
            ns, port = host["ns"], f"v{host['index']}"
            command(["ip", "netns", "add", ns])
            self.made.append(ns)
            command(["ip", "-n", ns, "link", "set", "lo", "up"])
            # Ping sockets for root, for the ICMP probes.
            command(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 0"])
            command(["ip", "-n", self.bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
            command(["ip", "-n", self.bridge, "link", "set", port, "master", "br0", "up"])
            command(["ip", "-n", ns, "addr", "add", f"{host['v4']}/24", "dev", "eth0"])
            command(["ip", "-n", ns, "addr", "add", f"{host['v6']}/64", "dev", "eth0", "nodad"])
            command(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def start(self, ns, args):
        process = subprocess.Popen(["ip", "netns", "exec", ns] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        return process

    def down(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.made = []


def run(plan_path, ir_path, read_path, rulesets, seed):
    spec_plan = load_json(plan_path)
    ir = load_json(ir_path)
    read = read_relation(read_path)
    ports = probe_ports(ir, read, int(seed))
    hosts = spec_plan["hosts"]
    here = os.path.abspath(__file__)
    failures = []
    estate = Estate(spec_plan["prefix"], hosts)
    started = time.monotonic()
    try:
        estate.up()
        for host in hosts:
            # The target's file name: the workload's name, any character but a letter, a digit
            # or '-' as '_'.
            stem = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "_" for c in host["workload"])
            path = os.path.join(rulesets, f"{stem}.nft")
            if not os.path.exists(path):
                failures.append(f"{host['workload']}: no ruleset {path}")
                continue
            loaded = subprocess.run(["ip", "netns", "exec", host["ns"], "nft", "-f", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if loaded.returncode != 0:
                failures.append(f"{host['workload']}: nft -f {path} failed: {loaded.stdout.strip()[:400]}")
        if failures:
            return report(failures, 0, 0, {})
        listeners = []
        for host in hosts:
            listener = estate.start(host["ns"], [sys.executable, here, "listen", json.dumps(ports[host["workload"]])])
            listeners.append((host, listener))
        for host, listener in listeners:
            line = listener.stdout.readline().strip()
            if line != "ready":
                failures.append(f"{host['ns']} ({host['workload']}): the listeners did not start: {line or listener.stderr.read().strip()[:400]}")
        if failures:
            return report(failures, 0, 0, {})
        setup = time.monotonic() - started

        # Probes: from the first host of each workload to the first host of every other
        # workload, and to the second host of its own (between replicas), on every probed port,
        # over IPv4 and IPv6.
        first = {h["workload"]: h for h in hosts if h["replica"] == 0}
        second = {h["workload"]: h for h in hosts if h["replica"] == 1}
        probes = {}
        for source in first.values():
            batch = []
            for workload, destination in sorted(first.items()):
                if workload == source["workload"]:
                    destination = second.get(workload)
                    if destination is None:
                        continue
                allowed = read.get((source["workload"], workload), [])
                for proto in ("tcp", "udp", "icmp"):
                    for port in ports[workload][proto] if proto != "icmp" else [0]:
                        for family in ("v4", "v6"):
                            batch.append(
                                {
                                    "id": len(batch),
                                    "proto": proto,
                                    "family": family,
                                    "address": destination[family],
                                    "port": port,
                                    "to": workload,
                                    "host": destination["ns"],
                                    "expected": contains(allowed, proto, port),
                                }
                            )
            probes[source["ns"]] = (source, batch)

        def probe_all(batches, timeout):
            running = {}
            for ns, (source, batch) in batches.items():
                if not batch:
                    continue
                prober = estate.start(ns, [sys.executable, here, "probe"])
                prober.stdin.write(json.dumps({"timeout": timeout, "probes": batch}))
                prober.stdin.close()
                running[ns] = prober
            outcomes = {}
            for ns, prober in running.items():
                output = prober.stdout.read()
                prober.wait()
                try:
                    outcomes[ns] = json.loads(output)
                except ValueError:
                    failures.append(f"{ns}: the prober failed: {prober.stderr.read().strip()[:400]}")
                    outcomes[ns] = {}
            return outcomes

        outcomes = probe_all(probes, 1.0)
        # A connection the reader allows that failed is tried again, alone and with a longer
        # timeout (on a loaded machine a SYN or a datagram can be late), twice at most.
        for _ in range(2):
            again = {}
            for ns, (source, batch) in probes.items():
                retry = [p for p in batch if p["expected"] and not outcomes.get(ns, {}).get(str(p["id"]), False)]
                if retry:
                    again[ns] = (source, retry)
            if not again:
                break
            for ns, results in probe_all(again, 3.0).items():
                for probe_id, ok in results.items():
                    if ok:
                        outcomes[ns][probe_id] = True
        tried = agreed = connected = 0
        by_proto = {}
        for ns, (source, batch) in probes.items():
            for probe in batch:
                ok = outcomes.get(ns, {}).get(str(probe["id"]), False)
                tried += 1
                connected += ok
                counts = by_proto.setdefault(probe["proto"], {"tried": 0, "connected": 0})
                counts["tried"] += 1
                counts["connected"] += ok
                if ok == probe["expected"]:
                    agreed += 1
                else:
                    failures.append(
                        f"{source['workload']} -> {probe['to']} {probe['proto']}/{probe['port']} over IP{probe['family']} "
                        f"({probe['address']}): {'connects' if ok else 'does not connect'}, the reader says it "
                        f"{'may' if probe['expected'] else 'may not'}"
                    )
        return report(failures, tried, agreed, by_proto, connected=connected, hosts=len(hosts), setup=setup, elapsed=time.monotonic() - started)
    finally:
        estate.down()


def report(failures, tried, agreed, by_proto, **extra):
    print(json.dumps(dict(tried=tried, agreed=agreed, disagreed=tried - agreed, by_proto=by_proto, failures=failures, **extra)))
    return 1 if failures else 0


# Inside a namespace ----------------------------------------------------------------------


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def listen(ports_json):
    """Listen on every port of {"tcp": [...], "udp": [...]} over IPv4 and IPv6; accept TCP
    connections and close them, echo UDP datagrams. Prints "ready" once every socket is bound."""
    raise_file_limit()
    ports = json.loads(ports_json)
    selector = selectors.DefaultSelector()
    for proto, kind in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
        for port in ports.get(proto, []):
            for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
                sock = socket.socket(family, kind)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((address, port))
                if kind == socket.SOCK_STREAM:
                    sock.listen(512)
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ, kind)
    print("ready", flush=True)
    while True:
        for event, _ in selector.select():
            sock = event.fileobj
            try:
                if event.data == socket.SOCK_STREAM:
                    connection, _ = sock.accept()
                    connection.close()
                else:
                    data, peer = sock.recvfrom(2048)
                    sock.sendto(data, peer)
            except OSError:
                pass


def probe():
    """Try every probe of the JSON on stdin at once: a TCP connect, or a UDP datagram answered
    by the listener's echo, each within the timeout. Prints {id: connected}."""
    raise_file_limit()
    request = json.load(sys.stdin)
    timeout = request["timeout"]
    pending = list(request["probes"])
    results = {}
    selector = selectors.DefaultSelector()
    open_now = {}
    window = 256

    def finish(sock, ok):
        probe_id = open_now.pop(sock)[0]
        results[str(probe_id)] = ok
        selector.unregister(sock)
        sock.close()

    while pending or open_now:
        while pending and len(open_now) < window:
            entry = pending.pop()
            family = socket.AF_INET if entry["family"] == "v4" else socket.AF_INET6
            kind = socket.SOCK_STREAM if entry["proto"] == "tcp" else socket.SOCK_DGRAM
            try:
                if entry["proto"] == "icmp":
                    # An echo request on a ping socket (the kernel sets its identifier and
                    # checksum, and hands this socket the matching reply only).
                    sock = socket.socket(family, kind, socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6)
                else:
                    sock = socket.socket(family, kind)
            except OSError:
                results[str(entry["id"])] = False
                continue
            sock.setblocking(False)
            target = (entry["address"], entry["port"])
            try:
                if entry["proto"] == "icmp":
                    sock.connect(target)
                    sock.send(bytes([8 if family == socket.AF_INET else 128, 0, 0, 0, 0, 0, 0, 1]) + b"palisade")
                    selector.register(sock, selectors.EVENT_READ)
                elif kind == socket.SOCK_STREAM:
                    code = sock.connect_ex(target)
                    if code not in (0, 115):  # EINPROGRESS
                        raise OSError(code, os.strerror(code))
                    selector.register(sock, selectors.EVENT_WRITE)
                else:
                    sock.connect(target)
                    sock.send(b"palisade")
                    selector.register(sock, selectors.EVENT_READ)
            except OSError:
                results[str(entry["id"])] = False
                sock.close()
                continue
            open_now[sock] = (entry["id"], kind, time.monotonic() + timeout)
        now = time.monotonic()
        deadline = min(item[2] for item in open_now.values()) if open_now else now
        for event, mask in selector.select(max(0.0, deadline - now)):
            sock = event.fileobj
            _, kind, _ = open_now[sock]
            if kind == socket.SOCK_STREAM:
                finish(sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
            else:
                try:
                    finish(sock, bool(sock.recv(2048)))
                except OSError:
                    finish(sock, False)
        now = time.monotonic()
        for sock in [s for s, item in open_now.items() if item[2] <= now]:
            finish(sock, False)
    print(json.dumps(results))


if __name__ == "__main__":
    name, *arguments = sys.argv[1:]
    commands = {"inject": inject, "plan": plan, "fidelity": fidelity, "run": run, "listen": listen, "probe": probe}
    status = commands[name](*arguments)
    sys.exit(status or 0)
