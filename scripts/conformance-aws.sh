#!/usr/bin/env bash
# AWS conformance: every targets/aws/*/security-groups.json passes cfn-lint (CloudFormation's
# own resource schemas and security group checks; any error, warning or informational finding
# fails), no security group holds more than 60 rules per direction and address family (the
# default VPC quota, which cfn-lint does not know), and every template applies to a local moto
# server (127.0.0.1 only) and reads back (scripts/moto-apply.py); so do a policy split into
# numbered templates and one whose identity spreads its rules over several groups.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-aws-venv
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
if [ ! -x "$venv/bin/cfn-lint" ] || [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint==1.58.0' 'moto[server]==5.2.5' 'boto3' >/dev/null 2>&1 \
    || { echo "conformance-aws: cannot install cfn-lint and moto"; exit 1; }
fi
# A policy beyond one template's limits (300 identities in a chain: 898 resources) comes out
# as numbered templates; they go through the same checks.
split=$(mktemp -d)
trap 'rm -rf "$split"' EXIT
{
  printf 'version: 1\nname: split-check\nworkloads:\n'
  for i in $(seq 0 299); do printf '  w%d: {image: nginx:1.25, ports: [tcp/80]}\n' "$i"; done
  printf 'flows:\n'
  for i in $(seq 0 298); do printf '  - {from: w%d, to: w%d, ports: [tcp/80]}\n' "$i" $((i + 1)); done
} >"$split/split-check.yaml"
if .build/debug/palisade compile "$split/split-check.yaml" --target aws --out "$split/out" 2>/dev/null \
   && [ -e "$split/out/aws/split-check/security-groups-2.json" ]; then pass; else fail "the 300-identity spec does not come out as numbered templates"; fi
# Rules beyond one group's quota: the segment-wide flow of the large-estate issue would need 67
# inbound rules on api; they name the segment's group instead, which every workload of the
# segment takes (SgSegmentEdge). 70 clients of one database on two ports, with one more group per
# interface than the database's rules need, spread over SgDb and SgDb2.
{
  printf 'version: 1\nname: groups-check\nsegments: {edge: {}}\nworkloads:\n'
  printf '  api: {segment: edge, image: nginx:1.25, ports: [tcp/22, udp/5683, tcp/80, tcp/9090, tcp/8443, tcp/443, tcp/8080]}\n'
  for i in $(seq 1 10); do printf '  w%d: {segment: edge, image: nginx:1.25}\n' "$i"; done
  printf 'flows:\n  - {from: segment:edge, to: api, ports: [tcp/22, udp/5683, tcp/80, tcp/9090, tcp/8443, tcp/443]}\n'
  printf '  - {from: w1, to: api, ports: [tcp/8080]}\n  - {from: any, to: api, ports: [tcp/443]}\n'
} >"$split/groups-check.yaml"
if .build/debug/palisade compile "$split/groups-check.yaml" --target aws --out "$split/out" 2>/dev/null \
   && grep -q '"SgSegmentEdge"' "$split/out/aws/groups-check/security-groups.json"; then pass; else fail "the groups-check spec has no segment group"; fi
{
  printf 'version: 1\nname: parts-check\nworkloads:\n  db: {image: postgres:16, ports: [tcp/5432, tcp/5434]}\n'
  for i in $(seq 0 69); do printf '  c%d: {image: nginx:1.25}\n' "$i"; done
  printf 'flows:\n'
  for i in $(seq 0 69); do printf '  - {from: c%d, to: db, ports: [tcp/5432, tcp/5434]}\n' "$i"; done
} >"$split/parts-check.yaml"
if .build/debug/palisade compile "$split/parts-check.yaml" --target aws --out "$split/out" 2>/dev/null \
   && grep -q '"SgDb2"' "$split/out/aws/parts-check/security-groups.json"; then pass; else fail "the parts-check spec does not spread db's rules over SgDb and SgDb2"; fi
files=(targets/aws/*/security-groups*.json "$split"/out/aws/split-check/security-groups*.json "$split"/out/aws/groups-check/security-groups*.json
  "$split"/out/aws/parts-check/security-groups*.json)
[ -e "${files[0]}" ] || { echo "conformance-aws: no templates under targets/aws"; exit 1; }
for file in "${files[@]}"; do
  if out=$("$venv/bin/cfn-lint" -t "$file" 2>&1); then pass; else fail "$file: cfn-lint: $out"; fi
  if python3 - "$file" <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
resources = template["Resources"]
counts = {}
for name, resource in resources.items():
    if resource["Type"] == "AWS::EC2::SecurityGroup":
        for direction in ("SecurityGroupIngress", "SecurityGroupEgress"):
            for rule in resource["Properties"].get(direction, []):
                family = "ipv6" if "CidrIpv6" in rule else "ipv4"
                counts[(name, direction, family)] = counts.get((name, direction, family), 0) + 1
    elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        reference = resource["Properties"]["GroupId"]
        owner = reference["Fn::GetAtt"][0] if "Fn::GetAtt" in reference else reference["Fn::ImportValue"]
        direction = "SecurityGroupIngress" if resource["Type"].endswith("Ingress") else "SecurityGroupEgress"
        counts[(owner, direction, "ipv4")] = counts.get((owner, direction, "ipv4"), 0) + 1
over = {key: count for key, count in counts.items() if count > 60}
for key, count in over.items():
    print(f"  {key}: {count} rules")
assert len(resources) <= 500, f"{len(resources)} resources"
assert len(template.get("Outputs", {})) <= 200, "more than 200 outputs"
sys.exit(1 if over else 0)
PY
  then pass; else fail "$file: quota"; fi
done
port=$((20000 + RANDOM % 20000))
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$split"' EXIT
for _ in $(seq 50); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.2
done
if "$venv/bin/python" scripts/moto-apply.py "http://127.0.0.1:$port" targets/aws/*/ "$split/out/aws/split-check" "$split/out/aws/groups-check" "$split/out/aws/parts-check"; then pass; else fail "templates do not apply to moto as written"; fi
kill $moto 2>/dev/null
echo "conformance-aws: $passed passed, $failed failed"
[ "$failed" = 0 ]
