#!/usr/bin/env bash
# GCP conformance: every rule of targets/gcp/*/firewall-rules.json validates against the
# Firewall schema of the compute v1 discovery document that google-api-python-client ships
# (turned into a JSON Schema: types, enums, patterns, no unknown fields), plus the documented
# cross-field rules: exactly one of allowed/denied, priority 0-65535, ports only for tcp, udp and
# sctp, service accounts not mixed with tags, no source service accounts on EGRESS, IPv4 and IPv6
# ranges not mixed in one rule, at most 10 service accounts and 5,000 ranges, names unique and
# RFC 1035. Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-gcp-venv
if ! "$venv/bin/python" -c 'import googleapiclient, jsonschema' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'google-api-python-client==2.202.0' 'jsonschema==4.26.0' >/dev/null 2>&1 \
    || { echo "conformance-gcp: cannot install google-api-python-client"; exit 1; }
fi
"$venv/bin/python" - targets/gcp <<'PY'
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
            if len(rule.get(field, [])) > 5000:
                problems.append(f"{field} holds more than 5,000 ranges")
        for field in ("sourceServiceAccounts", "targetServiceAccounts"):
            if len(rule.get(field, [])) > 10:
                problems.append(f"{field} holds more than 10 accounts")
        if not name_pattern.match(rule["name"]):
            problems.append("name is not RFC 1035")
        report(not problems, f"{path} {rule['name']}: {problems}")
print(f"conformance-gcp: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
