#!/usr/bin/env bash
# Azure conformance: every NSG and security rule of targets/azure/*/nsg.json deserializes into
# azure-mgmt-network's models (field names and enums), and the limits the models do not know
# hold: priorities 100-4096 unique per direction, at most 1,000 rules per NSG, 10 application
# security groups and 4,000 prefixes per rule side, 100 application security groups across one
# NSG's rules, names and descriptions within Azure's rules, at most 800 resources and 4 MB per
# template, dependsOn only within a template. A generated policy of 900 identities comes out as
# numbered templates (nsg.json, nsg-2.json, ...), which go through the same checks. A segment of
# 300 identities, more than one NSG's rules may name, comes out as several NSGs (nsg-POLICY-
# SEGMENT-K), each within the limits, every workload of the segment listed under exactly one of
# them in the templates' networkInterfaceSecurityGroups output; the addresses and the port
# entries of each NSG stay within 4,000 per side.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-azure-venv
if ! "$venv/bin/python" -c 'import azure.mgmt.network' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'azure-mgmt-network==33.1.0' >/dev/null 2>&1 \
    || { echo "conformance-azure: cannot install azure-mgmt-network"; exit 1; }
fi
split=$(mktemp -d)
trap 'rm -rf "$split"' EXIT
{
  printf 'version: 1\nname: split-check\nsegments:\n'
  for s in $(seq 0 9); do printf '  s%d: {}\n' "$s"; done
  printf 'workloads:\n'
  for i in $(seq 0 899); do printf '  w%d: {image: nginx:1.25, segment: s%d, ports: [tcp/80]}\n' "$i" $((i / 90)); done
  printf 'flows:\n'
  for i in $(seq 0 898); do [ $((i / 90)) -eq $(((i + 1) / 90)) ] && printf '  - {from: w%d, to: w%d, ports: [tcp/80]}\n' "$i" $((i + 1)); done
} >"$split/split-check.yaml"
{
  printf 'version: 1\nname: nsg-split\nnetworks:\n'
  for n in $(seq 0 19); do printf '  client-%d: [10.%d.0.0/16]\n' "$n" "$n"; done
  printf 'segments:\n  services: {}\nworkloads:\n'
  for i in $(seq 0 299); do printf '  svc-%d: {image: nginx:1.25, segment: services, ports: [tcp/%d]}\n' "$i" $((8000 + i % 50)); done
  printf 'flows:\n'
  for i in $(seq 0 299); do printf '  - {from: client-%d, to: svc-%d, ports: [tcp/%d]}\n' $((i % 20)) "$i" $((8000 + i % 50)); done
} >"$split/nsg-split.yaml"
.build/debug/palisade compile "$split/split-check.yaml" --target azure --out "$split/out" 2>/dev/null \
  || { echo "conformance-azure: the 900-identity spec does not compile"; exit 1; }
.build/debug/palisade compile "$split/nsg-split.yaml" --target azure --out "$split/out" 2>/dev/null \
  || { echo "conformance-azure: the 300-identity segment does not compile"; exit 1; }
"$venv/bin/python" - targets/azure "$split/out/azure" <<'PY'
import json, pathlib, re, sys
from azure.mgmt.network import models
passed = failed = 0
def report(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")
def rest_fields(model):
    """The REST field names a generated model knows."""
    names = set()
    for attribute, value in vars(model).items():
        if type(value).__name__.endswith("RestField"):
            rest = getattr(value, "_rest_name_input", None)
            names.add(rest or re.sub(r"_(\w)", lambda m: m.group(1).upper(), attribute))
    return names
rule_fields = rest_fields(models.SecurityRulePropertiesFormat)
group_fields = rest_fields(models.NetworkSecurityGroupPropertiesFormat)
protocols = {p.value for p in models.SecurityRuleProtocol}
group_name = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")
rule_name = re.compile(r"^\w([\w.-]{0,78}\w)?$")
files = sorted(path for root in sys.argv[1:] for path in pathlib.Path(root).glob("*/nsg*.json"))
report(bool(files), "no templates under targets/azure")
report(any(path.name == "nsg-3.json" for path in files), "the 900-identity policy is not split into numbered templates")
interfaces = {}
parts = set()
for path in files:
    if path.parent.name == "nsg-split":
        template = json.loads(path.read_text())
        for nsg, workloads in template.get("outputs", {}).get("networkInterfaceSecurityGroups", {}).get("value", {}).items():
            for workload in workloads:
                interfaces.setdefault(workload, []).append(nsg)
        parts |= {r["name"] for r in template["resources"] if r["type"] == "Microsoft.Network/networkSecurityGroups" and "palisade-part" in r.get("tags", {})}
report(len(parts) > 1, "the 300-identity segment is not split into several NSGs")
report(sorted(interfaces) == sorted(f"svc-{i}" for i in range(300)) and all(len(v) == 1 and v[0] in parts for v in interfaces.values()),
       "the split segment's workloads are not each listed under exactly one of its NSGs")
for path in files:
    template = json.loads(path.read_text())
    report(template.get("contentVersion") == "1.0.0.0" and "resources" in template, f"{path}: not an ARM template")
    report(len(template["resources"]) <= 800 and len(path.read_bytes()) <= 4 << 20, f"{path}: beyond ARM's template limits")
    own = {f"[resourceId('{r['type']}', '{r['name']}')]" for r in template["resources"]}
    report(all(d in own for r in template["resources"] for d in r.get("dependsOn", [])), f"{path}: dependsOn outside the template")
    for resource in template["resources"]:
        problems = []
        if not group_name.match(resource["name"]):
            problems.append(f"name {resource['name']}")
        if resource["type"] == "Microsoft.Network/applicationSecurityGroups":
            models.ApplicationSecurityGroup({"location": "westeurope", "tags": resource.get("tags", {})})
        elif resource["type"] == "Microsoft.Network/networkSecurityGroups":
            rules = resource["properties"]["securityRules"]
            unknown = set(resource["properties"]) - group_fields
            if unknown:
                problems.append(f"unknown NSG properties {unknown}")
            group = models.NetworkSecurityGroup({"location": "westeurope", "properties": {"securityRules": rules}})
            parsed = [rule.properties for rule in group.properties.security_rules or []]
            if len(parsed) != len(rules):
                problems.append("rules lost in deserialization")
            if len(rules) > 1000:
                problems.append(f"{len(rules)} rules")
            named = {g["id"] for r in rules for side in ("source", "destination") for g in r["properties"].get(f"{side}ApplicationSecurityGroups", [])}
            if len(named) > 100:
                problems.append(f"{len(named)} application security groups across its rules")
            for key in ("sourceAddressPrefix", "destinationAddressPrefix", "destinationPortRange"):
                total = sum(len(r["properties"].get(key + "es" if key.endswith("Prefix") else key + "s", [])) + (key in r["properties"]) for r in rules)
                if total > 4000:
                    problems.append(f"{total} entries of {key} across its rules")
            for direction in ("Inbound", "Outbound"):
                priorities = [r["properties"]["priority"] for r in rules if r["properties"]["direction"] == direction]
                if len(priorities) != len(set(priorities)) or not all(100 <= p <= 4096 for p in priorities):
                    problems.append(f"{direction} priorities {priorities}")
            for rule, model in zip(rules, parsed):
                p = rule["properties"]
                if not rule_name.match(rule["name"]):
                    problems.append(f"rule name {rule['name']}")
                unknown = set(p) - rule_fields
                if unknown:
                    problems.append(f"{rule['name']}: unknown properties {unknown}")
                if model.access not in ("Allow", "Deny") or model.direction not in ("Inbound", "Outbound"):
                    problems.append(f"{rule['name']}: access/direction")
                if model.protocol not in protocols:
                    problems.append(f"{rule['name']}: protocol {model.protocol}")
                if len(p.get("description", "")) > 140:
                    problems.append(f"{rule['name']}: description over 140")
                for side in ("source", "destination"):
                    groups = p.get(f"{side}ApplicationSecurityGroups", [])
                    prefixes = p.get(f"{side}AddressPrefixes", [])
                    if len(groups) > 10 or len(prefixes) > 4000:
                        problems.append(f"{rule['name']}: {side} limits")
                    if groups and (prefixes or f"{side}AddressPrefix" in p):
                        problems.append(f"{rule['name']}: {side} mixes groups and prefixes")
                    if f"{side}AddressPrefix" in p and prefixes:
                        problems.append(f"{rule['name']}: {side} singular and plural")
        report(not problems, f"{path} {resource['name']}: {problems}")
print(f"conformance-azure: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
