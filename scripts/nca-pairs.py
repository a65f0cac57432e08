#!/usr/bin/env python3
"""Normalize network-config-analyzer (nca 2.1.0) connectivity output, for scripts/conformance-openshift.sh.

Reads the stdout of

    nca --connectivity -r <FILE-or-DIR> -o txt_no_fw_rules

from stdin and prints a sorted JSON list of workload-to-workload pairs:

    [{"from": "web", "to": "api", "ports": ["tcp/8080"]}, ...]

Rules (all observed on nca 2.1.0):
  * A pair line looks like  "<src> => <dst> : <connections>".  Workload endpoints
    are "<ns>/<name>[<Kind>]" (Kind = Deployment, StatefulSet, DaemonSet, Pod, ...).
    IP-block endpoints ("0.0.0.0-9.255.255.255", "203.0.113.0-203.0.113.255") are
    ignored, as are nca's synthetic "...-livesim" pods (added when a k8s Ingress /
    Istio gateway is present) unless --keep-livesim is given.
  * nca may print the SAME pair on several lines, one per connection "cube"
    (e.g. one line for SCTP 3868 and another for TCP 5432,9000-9010).  Lines are
    unioned per pair.
  * "All connections" = every IP protocol 0-255 on every port.  It is written out
    as ["tcp/1-65535", "udp/1-65535", "sctp/1-65535", "icmp"].  "icmp" stands for
    "all non-port protocols" (ICMP and the rest of 0-255): k8s NetworkPolicy can
    only allow those through a rule without `ports`, which always yields "All
    connections".  If some strict subset of the non-port protocols ever appears,
    "icmp" is printed iff ICMP (1) is in it and each other one as "ip/<number>",
    with a warning on stderr.
  * "All but {...}" (complement form nca may choose) is handled by complementing.
  * Ports are merged into maximal ranges: "tcp/8080", "tcp/9000-9010", a full
    protocol is "tcp/1-65535".  Order inside "ports": tcp, udp, sctp, icmp, ip/N;
    ascending ports within a protocol.  The list of pairs is sorted by (from, to).
  * Self pairs: nca never prints a workload-to-itself line in deployments mode,
    even with replicas > 1.  This parser likewise drops any pair whose source and
    destination are the same qualified workload (<ns>/<name>[<Kind>]), so compare
    against a computation that also excludes self pairs.
  * Names: by default "from"/"to" are the bare workload name (Deployment name).
    If two different qualified workloads share a bare name the script exits 3
    (use --qualified to get "<ns>/<name>" instead, or --with-kind for
    "<ns>/<name>[<Kind>]").

Exit codes: 0 ok; 2 unparseable input; 3 bare-name collision;
            4 nca reported that the query was not executed.
"""
import argparse
import json
import re
import sys

PORT_PROTOS = {6: 'tcp', 17: 'udp', 132: 'sctp'}
PROTO_ORDER = ['tcp', 'udp', 'sctp']
NON_PORT_PROTOS = frozenset(set(range(0, 256)) - set(PORT_PROTOS))
FULL_PORTS = [(1, 65535)]

# nca's ProtocolNameResolver names, only those that matter + reverse lookup fallback.
PROTO_NAME_TO_NUM = {'TCP': 6, 'UDP': 17, 'SCTP': 132, 'ICMP': 1, 'ICMPv6': 58}

LINE_RE = re.compile(r'^(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.+)$')
WORKLOAD_RE = re.compile(r'^(?P<ns>[^/\s\[\]]+)/(?P<name>[^/\s\[\]]+)\[(?P<kind>[A-Za-z]+)\]$')
IP_RE = re.compile(r'^[0-9A-Fa-f:.]+(?:-[0-9A-Fa-f:.]+)?(?:/\d+)?$')
SKIP_PREFIXES = ('global:', 'Total run time:', 'Info:', 'TCP Connections:', 'non-TCP Connections:')
CUBE_KEY_RE = re.compile(r'(?:^|,)([a-z_]+):')


class ParseError(Exception):
    pass


def _proto_num(name):
    name = name.strip()
    if name in PROTO_NAME_TO_NUM:
        return PROTO_NAME_TO_NUM[name]
    if name.isdigit():
        return int(name)
    try:  # fall back on nca's own table if available
        from nca.CoreDS.ProtocolNameResolver import ProtocolNameResolver
        return ProtocolNameResolver.get_protocol_number(name)
    except Exception:
        raise ParseError(f'unknown protocol name {name!r}')


# ---- interval helpers -------------------------------------------------------
def _norm(intervals):
    out = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minus(intervals, holes):
    res = []
    for a, b in _norm(intervals):
        segs = [(a, b)]
        for ha, hb in _norm(holes):
            nxt = []
            for sa, sb in segs:
                if hb < sa or ha > sb:
                    nxt.append((sa, sb))
                    continue
                if sa < ha:
                    nxt.append((sa, ha - 1))
                if hb < sb:
                    nxt.append((hb + 1, sb))
            segs = nxt
        res.extend(segs)
    return _norm(res)


class ConnSet:
    """Allowed connections: port intervals for tcp/udp/sctp + set of non-port protocols."""

    def __init__(self):
        self.ports = {p: [] for p in PROTO_ORDER}
        self.others = set()

    @classmethod
    def all(cls):
        c = cls()
        c.ports = {p: list(FULL_PORTS) for p in PROTO_ORDER}
        c.others = set(NON_PORT_PROTOS)
        return c

    def union(self, other):
        for p in PROTO_ORDER:
            self.ports[p] = _norm(self.ports[p] + other.ports[p])
        self.others |= other.others
        return self

    def minus(self, other):
        res = ConnSet()
        for p in PROTO_ORDER:
            res.ports[p] = _minus(self.ports[p], other.ports[p])
        res.others = self.others - other.others
        return res

    def to_list(self):
        out = []
        for p in PROTO_ORDER:
            for a, b in _norm(self.ports[p]):
                out.append(f'{p}/{a}' if a == b else f'{p}/{a}-{b}')
        if self.others == NON_PORT_PROTOS:
            out.append('icmp')
        elif self.others:
            print(f'warning: partial set of non-port protocols {sorted(self.others)}', file=sys.stderr)
            if 1 in self.others:
                out.append('icmp')
            out.extend(f'ip/{n}' for n in sorted(self.others - {1}))
        return out


# ---- connection-string parsing ----------------------------------------------
def _split_cubes(text):
    text = text.strip()
    if not (text.startswith('{') and text.endswith('}')):
        raise ParseError(f'expected "{{...}}" cube list, got {text!r}')
    cubes, depth, start = [], 0, None
    for i, ch in enumerate(text):
        if ch == '{':
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == '}':
            depth -= 1
            if depth == 0:
                cubes.append(text[start:i])
        elif depth == 0 and ch != ',':
            raise ParseError(f'garbage between cubes in {text!r}')
    return cubes


def _parse_protocols(val):
    val = val.strip()
    if val == '*':
        return set(range(0, 256))
    if val.startswith('all but '):
        return set(range(0, 256)) - {_proto_num(n) for n in val[len('all but '):].split(',')}
    return {_proto_num(n) for n in val.split(',')}


def _parse_ports(val):
    ivs = []
    for tok in val.split(','):
        tok = tok.strip()
        m = re.fullmatch(r'(\d+)(?:-(\d+))?', tok)
        if not m:
            raise ParseError(f'bad port token {tok!r}')
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        ivs.append((a, b))
    return _norm(ivs)


def _parse_cube(body):
    keys = list(CUBE_KEY_RE.finditer(body))
    if not keys or keys[0].start() != 0:
        raise ParseError(f'bad cube {{{body}}}')
    fields = {}
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(body)
        fields[m.group(1)] = body[m.end():end]
    unknown = set(fields) - {'protocols', 'dst_ports'}
    if unknown:
        raise ParseError(f'cube has dimensions this parser does not normalize: {sorted(unknown)} in {{{body}}}')
    protos = _parse_protocols(fields['protocols']) if 'protocols' in fields else set(range(0, 256))
    ports = _parse_ports(fields['dst_ports']) if 'dst_ports' in fields else list(FULL_PORTS)
    cs = ConnSet()
    for n in protos:
        if n in PORT_PROTOS:
            cs.ports[PORT_PROTOS[n]] = list(ports)
        else:
            if ports != FULL_PORTS:
                raise ParseError(f'port restriction on non-port protocol {n} in {{{body}}}')
            cs.others.add(n)
    return cs


def parse_conn(text):
    text = text.strip()
    if text == 'All connections':
        return ConnSet.all()
    if text == 'No connections':
        return ConnSet()
    if text.startswith('All but '):
        return ConnSet.all().minus(parse_conn(text[len('All but '):]))
    res = ConnSet()
    for body in _split_cubes(text):
        res.union(_parse_cube(body))
    return res


# ---- main -------------------------------------------------------------------
def parse_stream(lines, keep_livesim=False):
    """Return {(src_workload_tuple, dst_workload_tuple): ConnSet}; tuple = (ns, name, kind)."""
    pairs = {}
    not_executed = False
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip('\n')
        if not line.strip() or line.startswith(SKIP_PREFIXES):
            continue
        if line.startswith('Warning:'):
            print(f'nca: {line}', file=sys.stderr)
            if 'was not executed' in line:
                not_executed = True
            continue
        m = LINE_RE.match(line)
        if not m:
            raise ParseError(f'line {lineno}: unrecognized: {line!r}')
        eps = []
        for ep in (m.group('src'), m.group('dst')):
            w = WORKLOAD_RE.match(ep)
            if w:
                eps.append((w.group('ns'), w.group('name'), w.group('kind')))
            elif IP_RE.match(ep):
                eps.append(None)
            else:
                raise ParseError(f'line {lineno}: endpoint {ep!r} is neither "<ns>/<name>[<Kind>]" nor an IP '
                                 f'range (was nca run with --output_endpoints pods?)')
        if None in eps:
            continue  # ip-block line
        src, dst = eps
        if not keep_livesim and (src[1].endswith('-livesim') or dst[1].endswith('-livesim')):
            continue
        if src == dst:
            continue  # self pair (nca does not emit these in deployments mode)
        conn = parse_conn(m.group('conn'))
        pairs.setdefault((src, dst), ConnSet()).union(conn)
    return pairs, not_executed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--qualified', action='store_true', help='names as <ns>/<name>')
    g.add_argument('--with-kind', action='store_true', help='names as <ns>/<name>[<Kind>]')
    ap.add_argument('--keep-livesim', action='store_true', help="keep nca's synthetic *-livesim pods")
    ap.add_argument('--compact', action='store_true', help='one-line JSON')
    args = ap.parse_args(argv)

    try:
        pairs, not_executed = parse_stream(sys.stdin, args.keep_livesim)
    except ParseError as e:
        print(f'nca_pairs: parse error: {e}', file=sys.stderr)
        return 2
    if not_executed:
        print('nca_pairs: nca says the query was not executed (did you pass the manifests with -r?)',
              file=sys.stderr)
        return 4

    def name(w):
        if args.with_kind:
            return f'{w[0]}/{w[1]}[{w[2]}]'
        if args.qualified:
            return f'{w[0]}/{w[1]}'
        return w[1]

    seen = {}
    for w in {w for pair in pairs for w in pair}:
        n = name(w)
        if n in seen and seen[n] != w:
            print(f'nca_pairs: name {n!r} is ambiguous ({seen[n]} vs {w}); use --qualified', file=sys.stderr)
            return 3
        seen[n] = w

    out = [{'from': name(s), 'to': name(d), 'ports': c.to_list()} for (s, d), c in pairs.items()]
    out = [o for o in out if o['ports']]
    out.sort(key=lambda o: (o['from'], o['to']))
    print(json.dumps(out) if args.compact else json.dumps(out, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
