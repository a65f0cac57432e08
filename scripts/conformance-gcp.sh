#!/usr/bin/env bash
# GCP conformance: every rule of targets/gcp/*/firewall-rules.json validates against the
# Firewall schema of the compute v1 discovery document that google-api-python-client ships
# (turned into a JSON Schema: types, enums, patterns, no unknown fields), plus the documented
# cross-field rules: exactly one of allowed/denied, priority 0-65535, ports only for tcp, udp and
# sctp, service accounts not mixed with tags, no source service accounts on EGRESS, IPv4 and IPv6
# ranges not mixed in one rule, at most 10 service accounts, 256 ranges and 256 ports per rule
# (targets/gcp/README.md, Limits), names unique and RFC 1035. A spec that needs every kind of
# split (a network of 300 ranges, a workload on 300 ports, 300 internal ranges) is compiled with
# .build/debug/palisade, its rules checked the same way, and evaluated by VPC firewall semantics
# (the first rule by priority that matches decides; a deny before an allow at equal priority):
# what the spec allows is allowed, the addresses and ports beside it are not.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-gcp-venv
if ! "$venv/bin/python" -c 'import googleapiclient, jsonschema' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'google-api-python-client==2.202.0' 'jsonschema==4.26.0' >/dev/null 2>&1 \
    || { echo "conformance-gcp: cannot install google-api-python-client"; exit 1; }
fi
split=$(mktemp -d)
trap 'rm -rf "$split"' EXIT
cidrs() { for i in $(seq 0 299); do printf '10.%d.%d.0/24' $((i * 2 / 256)) $((i * 2 % 256)); [ "$i" -lt 299 ] && printf ', '; done; }
{
  printf 'version: 1\nname: split-check\nnetworks:\n  many: [%s]\n' "$(cidrs)"
  printf 'workloads:\n  api: {image: nginx:1.25, ports: ['
  for i in $(seq 0 299); do printf 'tcp/%d, ' $((1000 + 2 * i)); done
  printf 'udp/53]}\n'
  for i in $(seq 1 12); do printf '  client%d: {image: nginx:1.25}\n' "$i"; done
  printf 'flows:\n  - {from: many, to: api, ports: [tcp/1000]}\n  - {from: [%s], to: api, ports: [all]}\n' \
    "$(for i in $(seq 1 12); do printf 'client%d' "$i"; [ "$i" -lt 12 ] && printf ', '; done)"
  printf 'targets:\n  gcp: {internal_ranges: "%s"}\n' "$(cidrs | tr -d ' ')"
} >"$split/split-check.yaml"
if ! .build/debug/palisade compile "$split/split-check.yaml" --target gcp --out "$split/out" >"$split/log" 2>&1; then
  echo "FAIL: the split spec does not compile: $(cat "$split/log")"
  echo "conformance-gcp: 0 passed, 1 failed"
  exit 1
fi
"$venv/bin/python" - targets/gcp "$split/out/gcp/split-check/firewall-rules.json" <<'PY'
import ipaddress, json, pathlib, re, sys
import googleapiclient, jsonschema
document = json.loads((pathlib.Path(googleapiclient.__file__).parent / "discovery_cache/documents/compute.v1.json").read_text())
schemas = document["schemas"]

def convert(node):
    """A discovery-document schema as a JSON Schema (output-only fields stay allowed)."""
    if "$ref" in node:
        return convert(schemas[node["$ref"]])
    result = {}
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        result["type"] = "object"
        result["properties"] = {name: convert(child) for name, child in node.get("properties", {}).items()}
        result["additionalProperties"] = convert(node["additionalProperties"]) if "additionalProperties" in node else False
    elif kind == "array":
        result["type"] = "array"
        result["items"] = convert(node.get("items", {}))
    elif kind == "integer":
        result["type"] = ["integer", "string"] if node.get("format") == "int64" else "integer"
    elif kind in ("string", "boolean", "number"):
        result["type"] = kind
        if "enum" in node:
            result["enum"] = node["enum"]
    return result

firewall = convert(schemas["Firewall"])
validator = jsonschema.Draft7Validator(firewall)
name_pattern = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
passed = failed = 0
def report(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")

files = sorted(pathlib.Path(sys.argv[1]).glob("*/firewall-rules.json"))
report(bool(files), "no rules under targets/gcp")
files.append(pathlib.Path(sys.argv[2]))
for path in files:
    rules = json.loads(path.read_text())
    names = [rule["name"] for rule in rules]
    report(len(names) == len(set(names)), f"{path}: duplicate names")
    for rule in rules:
        problems = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(rule)]
        if ("allowed" in rule) == ("denied" in rule):
            problems.append("exactly one of allowed and denied")
        if not 0 <= rule.get("priority", 1000) <= 65535:
            problems.append("priority outside 0-65535")
        for entry in rule.get("allowed", []) + rule.get("denied", []):
            if entry.get("ports") and entry["IPProtocol"] not in ("tcp", "udp", "sctp"):
                problems.append(f"ports on {entry['IPProtocol']}")
        if rule.get("targetServiceAccounts") and (rule.get("targetTags") or rule.get("sourceTags")):
            problems.append("service accounts mixed with tags")
        if rule.get("direction") == "EGRESS" and (rule.get("sourceServiceAccounts") or rule.get("sourceTags") or rule.get("sourceRanges")):
            problems.append("EGRESS rules take destinations only")
        for field in ("sourceRanges", "destinationRanges"):
            versions = {ipaddress.ip_network(r).version for r in rule.get(field, [])}
            if len(versions) > 1:
                problems.append(f"{field} mixes IPv4 and IPv6")
            if len(rule.get(field, [])) > 256:
                problems.append(f"{field} holds more than 256 ranges")
        if sum(len(entry.get("ports", [])) for entry in rule.get("allowed", []) + rule.get("denied", [])) > 256:
            problems.append("more than 256 ports")
        for field in ("sourceServiceAccounts", "targetServiceAccounts"):
            if len(rule.get(field, [])) > 10:
                problems.append(f"{field} holds more than 10 accounts")
        if not name_pattern.match(rule["name"]):
            problems.append("name is not RFC 1035")
        report(not problems, f"{path} {rule['name']}: {problems}")

# VPC firewall semantics on the split case: for a packet, the rules of its direction whose
# target, source and protocol/port match, sorted by priority (deny first at equal priority);
# the first decides; ingress is denied and egress allowed when none matches.
rules = json.loads(pathlib.Path(sys.argv[2]).read_text())
def account(name):
    return f"pal-{name}@split-check.iam.gserviceaccount.com"
def ports_match(entries, proto, port):
    for entry in entries:
        if entry["IPProtocol"] in (proto, "all") and (not entry.get("ports") or any(
                int(text.split("-")[0]) <= port <= int(text.split("-")[-1]) for text in entry["ports"])):
            return True
    return False
def decide(direction, target, proto, port, address=None, source=None):
    candidates = []
    for rule in rules:
        if rule.get("direction", "INGRESS") != direction or target not in rule.get("targetServiceAccounts", []):
            continue
        ranges = rule.get("sourceRanges" if direction == "INGRESS" else "destinationRanges", [])
        by_address = address is not None and any(ipaddress.ip_address(address) in ipaddress.ip_network(r) for r in ranges)
        by_account = source is not None and source in rule.get("sourceServiceAccounts", [])
        if not (by_address or by_account):
            continue
        allow = "allowed" in rule
        if ports_match(rule.get("allowed", []) + rule.get("denied", []), proto, port):
            candidates.append((rule.get("priority", 1000), 1 if allow else 0, allow))
    if not candidates:
        return direction == "EGRESS"
    return min(candidates)[2]
many = [ipaddress.ip_network(f"10.{i * 2 // 256}.{i * 2 % 256}.0/24") for i in range(300)]
api, client = account("api"), account("client7")
report(all(decide("INGRESS", api, "tcp", 1000, address=str(n[5])) for n in many), "split: an address of 'many' does not reach api on tcp/1000")
report(not decide("INGRESS", api, "tcp", 1000, address="10.0.1.5"), "split: an address beside 'many' reaches api")
report(not decide("INGRESS", api, "tcp", 1002, address=str(many[0][5])), "split: 'many' reaches api on a port beside tcp/1000")
report(all(decide("INGRESS", api, "tcp", 1000 + 2 * i, source=client) for i in range(300)) and decide("INGRESS", api, "udp", 53, source=client),
       "split: client7 does not reach api on each of its 301 ports")
report(not decide("INGRESS", api, "tcp", 1001, source=client), "split: client7 reaches api on a port api does not listen on")
report(all(decide("EGRESS", client, "tcp", 1000 + 2 * i, address=str(n[9])) for i in range(300) for n in many[::37]),
       "split: client7 cannot send to the internal ranges on api's ports")
report(not decide("EGRESS", client, "tcp", 1000, address="192.0.2.1") and not decide("EGRESS", client, "tcp", 1001, address=str(many[0][9])),
       "split: client7 sends beside the internal ranges or api's ports")
report(len(rules) > 30, f"split: {len(rules)} rules, expected the splits")
print(f"conformance-gcp: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
