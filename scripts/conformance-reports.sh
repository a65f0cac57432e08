#!/usr/bin/env bash
# Report commands on every sample, through the real binary: `compare` in its three formats
# (JSON parses, and counts every gap `compile` reports; markdown has the summary table, the
# matrix and a Mermaid picture), `diff` of a sample with itself (no change) and with a copy
# that widens a flow (an "opens" line located in the copy), `graph` in both formats, and
# `explain --target all`. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bin=.build/debug/palisade
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for sample in samples/*.yaml; do
  name=$(basename "$sample" .yaml)
  if "$bin" compare "$sample" --format json >"$work/$name.json" 2>/dev/null \
     && python3 - "$work/$name.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert [t["target"] for t in report["targets"]] == ["openshift", "swarm", "mesos", "aws", "gcp", "azure", "kubernetes", "nftables"]
for target in report["targets"]:
    if "error" in target:
        continue
    assert sum(target["summary"].values()) == len(target["gaps"]), target["target"]
    assert all(gap["location"] is None or ".yaml:" in gap["location"] for gap in target["gaps"])
assert len(report["controls"]) == 18
PY
  then pass; else fail "$name: compare --format json"; fi
  # A report over 64 KiB leaves its pictures out (and says so); one target's then carries them.
  if "$bin" compare "$sample" --format markdown >"$work/$name.md" 2>/dev/null \
     && grep -q '^| target | allowed beyond the intent' "$work/$name.md" && grep -q '^| control | openshift' "$work/$name.md" \
     && { grep -q '^```mermaid' "$work/$name.md" \
          || { grep -q '^> Shortened to fit a pull-request comment' "$work/$name.md" \
               && "$bin" compare "$sample" --target openshift --format markdown 2>/dev/null | grep -c '^```mermaid' >/dev/null; }; }
  then pass; else fail "$name: compare --format markdown"; fi
  if "$bin" compare "$sample" >"$work/$name.txt" 2>/dev/null && grep -q '^controls (ok:' "$work/$name.txt"; then pass; else fail "$name: compare"; fi
  if out=$("$bin" diff "$sample" "$sample" 2>&1) && grep -q 'no security-relevant change' <<<"$out"; then pass; else fail "$name: diff with itself: $out"; fi
  for format in dot mermaid; do
    if "$bin" graph "$sample" --format "$format" >/dev/null 2>&1; then pass; else fail "$name: graph --format $format"; fi
  done
done
# A changed copy: shop's web may now scrape the catalog's metrics.
mkdir -p "$work/changed" && cp -r samples/common "$work/changed/" 2>/dev/null
sed 's/^flows:$/flows:\n  - {name: web-scrapes, from: web, to: catalog, ports: [metrics]}/' samples/shop.yaml >"$work/changed/shop.yaml"
if out=$("$bin" diff samples/shop.yaml "$work/changed/shop.yaml" --format json 2>&1) \
   && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); o=[c for c in d["changes"] if c["kind"]=="opens"]; assert o and o[0]["text"]=="web -> catalog on tcp/9090" and "changed/shop.yaml" in o[0]["location"], d' "$out"; then pass; else fail "diff of a widened copy: $out"; fi
if out=$("$bin" explain samples/shop.yaml --from web --to catalog --port tcp/8080 --target all 2>&1) \
   && [ "$(grep -c '^on ' <<<"$out")" = 8 ] && grep -q '  by NetworkPolicy' <<<"$out"; then pass; else fail "explain --target all: $out"; fi
# Every JSON report against its published schema, with an independent validator
# (python-jsonschema, Draft 2020-12).
python3 -c 'import jsonschema' 2>/dev/null || pip install -q 'jsonschema>=4.18' >/dev/null 2>&1 || true
if python3 -c 'import jsonschema' 2>/dev/null; then
  for report in compare diff explain; do
    "$bin" schema --report "$report" >"$work/$report.schema.json"
  done
  "$bin" diff samples/minimal.yaml samples/shop.yaml --format json >"$work/diff.json" 2>/dev/null
  "$bin" explain samples/shop.yaml --from web --to catalog --target all --format json >"$work/explain.json" 2>/dev/null
  for document in "$work"/*.json; do
    case "$document" in
      *.schema.json) continue ;;
      */diff.json) report=diff ;;
      */explain.json) report=explain ;;
      *) report=compare ;;
    esac
    if python3 - "$work/$report.schema.json" "$document" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
PY
    then pass; else fail "$(basename "$document"): not valid under the $report schema"; fi
  done
else
  echo "SKIPPED: needs python3 jsonschema (pip install jsonschema) for the report schemas"
fi
echo "conformance-reports: $passed passed, $failed failed"
[ "$failed" = 0 ]
