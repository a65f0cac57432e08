#!/usr/bin/env bash
# AWS conformance: every targets/aws/*/security-groups.json passes cfn-lint (CloudFormation's
# own resource schemas and security group checks; any error, warning or informational finding
# fails), no security group holds more than 60 rules per direction and address family (the
# default VPC quota, which cfn-lint does not know), and every template applies to a local moto
# server (127.0.0.1 only) and reads back (scripts/moto-apply.py).
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
files=(targets/aws/*/security-groups.json)
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
        owner = resource["Properties"]["GroupId"]["Fn::GetAtt"][0]
        direction = "SecurityGroupIngress" if resource["Type"].endswith("Ingress") else "SecurityGroupEgress"
        counts[(owner, direction, "ipv4")] = counts.get((owner, direction, "ipv4"), 0) + 1
over = {key: count for key, count in counts.items() if count > 60}
for key, count in over.items():
    print(f"  {key}: {count} rules")
assert len(resources) <= 500, f"{len(resources)} resources"
sys.exit(1 if over else 0)
PY
  then pass; else fail "$file: quota"; fi
done
port=$((20000 + RANDOM % 20000))
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null' EXIT
for _ in $(seq 50); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.2
done
if "$venv/bin/python" scripts/moto-apply.py "http://127.0.0.1:$port" "${files[@]}"; then pass; else fail "templates do not apply to moto as written"; fi
kill $moto 2>/dev/null
echo "conformance-aws: $passed passed, $failed failed"
[ "$failed" = 0 ]
