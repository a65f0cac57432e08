#!/usr/bin/env bash
# Terraform conformance: every targets/{aws,gcp,azure}/*/main.tf.json (the `format: terraform`
# form of each sample, kept beside the native files) goes through checkov (PyPI, pinned, run
# offline). checkov's own Terraform JSON parser must give back every resource of each file
# (counted), the scan must report no parsing error, and no check may fail but those
# targets/{aws,gcp,azure}/README.md list with the reason ("Checked by real tools"):
#   CKV2_AWS_5              a security group attached to nothing: Palisade writes the groups, the
#                           deployer attaches them (output security_groups_by_identity);
#   CKV_AWS_277, _382       "port -1": on an ICMP rule that is every ICMP type, which the spec's
#                           `icmp` asks for; or a rule open to every address that the spec asks for;
#   CKV_AWS_24/25/260, CKV_GCP_2/3/77/106, CKV_AZURE_9/10/160  ingress from every address on
#                           ssh, rdp, http…, where the spec itself allows `from: any`.
# Then every argument of every resource is checked against the provider schemas that the CDK for
# Terraform provider packages carry (scripts/terraform-schema-check.py: names, types, required
# arguments, nested blocks), read from the pinned wheels at run time; a file with a misspelled
# argument must fail that check.
# Each of those must fire only on a resource that shows its reason (an ICMP rule, or 0.0.0.0/0,
# ::/0, * or Internet); any other failed check fails. Prints the counts and "N passed, N failed"
# (or "SKIPPED: needs …" when checkov cannot be installed); exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-terraform-venv
if [ ! -x "$venv/bin/checkov" ]; then
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'checkov==3.3.30' >/dev/null 2>&1; }; then
    echo "SKIPPED: needs checkov 3.3.30 from PyPI (pip install into $venv failed)"
    exit 0
  fi
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=0
for file in targets/aws/*/main.tf.json targets/gcp/*/main.tf.json targets/azure/*/main.tf.json; do
  [ -e "$file" ] || continue
  # One folder per file: checkov names resources by key, which differ between files.
  folder="$work/$(echo "$file" | tr '/' '_')"
  mkdir -p "$folder" && cp "$file" "$folder/main.tf.json"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "conformance-terraform: no main.tf.json under targets/{aws,gcp,azure}"; exit 1; }
# Offline: no download of the platform's guidelines or external checks.
export BC_SKIP_MAPPING=TRUE CHECKOV_NO_OUTPUT_FETCH=1
"$venv/bin/checkov" -d "$work" --framework terraform_json -o json --compact --skip-download >"$work/report.json" 2>"$work/stderr.txt"
"$venv/bin/python" - "$work" <<'PY'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
text = (work / "report.json").read_text()
try:
    report = json.loads(text)
except ValueError:
    print("FAIL: checkov wrote no JSON report:", (work / "stderr.txt").read_text()[-2000:])
    sys.exit(1)
reports = report if isinstance(report, list) else [report]
# Checks that may fire, each with the condition under which the intent asks for it.
open_ingress = {"CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CKV_GCP_2", "CKV_GCP_3", "CKV_GCP_77", "CKV_GCP_106",
                "CKV_AZURE_9", "CKV_AZURE_10", "CKV_AZURE_160"}
unattached = {"CKV2_AWS_5"}
# Port -1 on an ICMP rule is every ICMP type, which the spec's `icmp` means.
every_icmp_type = {"CKV_AWS_277", "CKV_AWS_382"}
passed = failed = 0
def report_result(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")
checked = {}
fired = {}
errors = 0
for part in reports:
    summary = part.get("summary", {})
    errors += summary.get("parsing_errors", 0)
    results = part.get("results", {})
    for kind in ("passed_checks", "failed_checks"):
        for check in results.get(kind, []):
            folder = pathlib.Path(check["file_abs_path"]).parent.name
            key = check["resource"].split(".")[-1]
            checked.setdefault(folder, set()).add(key)
            if kind == "failed_checks":
                fired.setdefault(check["check_id"], []).append((folder, key))
report_result(errors == 0, f"checkov could not parse {errors} file(s)")
total = 0
from pathlib import Path
from checkov.terraform_json.parser import parse
for folder in sorted(p for p in work.iterdir() if p.is_dir()):
    document = json.loads((folder / "main.tf.json").read_text())
    keys = {f"{kind}.{key}" for kind, resources in document.get("resource", {}).items() for key in resources}
    total += len(keys)
    # checkov's own parser must give back every resource of the file.
    definition, _ = parse(Path(folder / "main.tf.json"))
    parsed = {f"{kind}.{key}" for block in (definition or {}).get("resource", []) for kind, named in block.items() for key in named}
    report_result(parsed == keys, f"{folder.name}: checkov parses {len(parsed)} of its {len(keys)} resources")
    resources = {key: body for group in document.get("resource", {}).values() for key, body in group.items()}
    def opens_to_all(key):
        body = json.dumps(resources.get(key, {}))
        return any(token in body for token in ('"0.0.0.0/0"', '"::/0"', '"*"', '"Internet"'))
    for check, where in fired.items():
        here = [key for f, key in where if f == folder.name]
        if not here:
            continue
        if check in unattached:
            report_result(True, "")
        elif check in every_icmp_type:
            wrong = [key for key in here if not opens_to_all(key) and resources.get(key, {}).get("ip_protocol") not in ("icmp", "icmpv6")]
            report_result(not wrong, f"{folder.name}: {check} fires on {wrong[:3]}, neither ICMP nor open to every address")
        elif check in open_ingress:
            wrong = [key for key in here if not opens_to_all(key)]
            report_result(not wrong, f"{folder.name}: {check} fires on {wrong[:3]}, which open nothing to every address")
        else:
            report_result(False, f"{folder.name}: {check} fires on {here[:3]}: not a check the intent asks for")
summary = ", ".join(f"{check} ×{len(where)}" for check, where in sorted(fired.items()))
files = len([p for p in work.iterdir() if p.is_dir()])
print(f"conformance-terraform: checkov parsed {total} resources in {files} files; failed checks: {summary or 'none'}")
print(f"conformance-terraform: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
status=$?
wheels=.build/terraform-provider-wheels
if ! ls "$wheels"/cdktf_cdktf_provider_google-16.12.1-*.whl >/dev/null 2>&1 \
   || ! ls "$wheels"/cdktf_cdktf_provider_aws-21.22.1-*.whl >/dev/null 2>&1 \
   || ! ls "$wheels"/cdktf_cdktf_provider_azurerm-14.23.1-*.whl >/dev/null 2>&1; then
  mkdir -p "$wheels"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$wheels" \
    'cdktf-cdktf-provider-aws==21.22.1' 'cdktf-cdktf-provider-google==16.12.1' 'cdktf-cdktf-provider-azurerm==14.23.1' >/dev/null 2>&1 \
    || { echo "SKIPPED: needs cdktf-cdktf-provider-{aws,google,azurerm} from PyPI for the schema check"; exit $status; }
fi
python3 scripts/terraform-schema-check.py "$wheels" targets/aws/*/main.tf.json targets/gcp/*/main.tf.json targets/azure/*/main.tf.json || status=1
# The check must be able to fail: a misspelled argument.
sed 's/"ip_protocol"/"ip_protocl"/' targets/aws/minimal/main.tf.json >"$work/misspelled.tf.json"
if python3 scripts/terraform-schema-check.py "$wheels" "$work/misspelled.tf.json" >/dev/null; then
  echo "FAIL: the schema check passes a file with a misspelled argument"
  status=1
fi
exit $status
