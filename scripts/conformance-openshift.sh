#!/usr/bin/env bash
# OpenShift conformance: every targets/openshift/*/manifests.yaml
#  - validates with kubernetes-validate (strict: no unknown fields) for the core kinds, against
#    Kubernetes 1.25 (OpenShift 4.12) and 1.32 (OpenShift 4.19); a kind without a schema fails;
#  - validates its SecurityContextConstraints and EgressFirewalls against the schemas in
#    ${PALISADE_SHARED:-../shared}/schemas (jsonschema), and its Routes against the fields
#    route.openshift.io/v1 requires (scripts/openshift-check.py);
#  - has one SCC per distinct runtime profile, each Deployment's pod admitted by exactly the SCC
#    of its profile (openshift-check.py scc: admission by priority over what its service account
#    may use);
#  - has its NetworkPolicies evaluated by network-config-analyzer, whose workload-to-workload
#    connectivity must equal what palisade's reader computes from the same file.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${PALISADE_SHARED:-../shared}
venv=.build/conformance-openshift-venv
ncavenv=.build/conformance-openshift-nca-venv
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
[ -f "$shared/schemas/securitycontextconstraints-security-v1.json" ] || { echo "SKIPPED: needs the published OpenShift schemas under $shared/schemas (set PALISADE_SHARED to the folder holding schemas/)"; exit 0; }
if ! "$venv/bin/python" -c 'import kubernetes_validate, jsonschema, yaml' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0' 'jsonschema==4.26.0' 'PyYAML==6.0.2' >/dev/null 2>&1 \
    || { echo "conformance-openshift: cannot install kubernetes-validate"; exit 1; }
fi
# network-config-analyzer pins networkx and PyYAML: a venv of its own.
if [ ! -x "$ncavenv/bin/nca" ]; then
  python3 -m venv "$ncavenv" && "$ncavenv/bin/pip" install --quiet --disable-pip-version-check 'network-config-analyzer==2.1.0' >/dev/null 2>&1 \
    || { echo "conformance-openshift: cannot install network-config-analyzer"; exit 1; }
fi
files=(targets/openshift/*/manifests.yaml)
[ -e "${files[0]}" ] || { echo "conformance-openshift: no manifests under targets/openshift"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for file in "${files[@]}"; do
  policy=$(basename "$(dirname "$file")")
  "$venv/bin/python" scripts/openshift-check.py split "$file" "$work/$policy-core.yaml" || { fail "$file: cannot split"; continue; }
  for version in 1.25.0 1.32.0; do
    out=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$work/$policy-core.yaml" 2>&1)
    status=$?
    if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$out"; then pass; else fail "$file: kubernetes-validate $version: $out"; fi
  done
done

if "$venv/bin/python" scripts/openshift-check.py scc "${files[@]}"; then pass; else fail "SCC admission: a Deployment not admitted by exactly the SCC of its profile"; fi
if "$venv/bin/python" scripts/openshift-check.py crds "$shared/schemas" "${files[@]}"; then pass; else fail "SCC, EgressFirewall or Route documents"; fi

# What palisade's reader says each file allows, from the files as written to targets/.
if .build/debug/palisade compile samples/*.yaml --target openshift --out targets --check --dump-read >"$work/read.json" 2>"$work/compile.log"; then
  for file in "${files[@]}"; do
    policy=$(basename "$(dirname "$file")")
    "$ncavenv/bin/nca" --connectivity -r "$file" -o txt_no_fw_rules >"$work/$policy-nca.txt" 2>"$work/$policy-nca.err"
    status=$?
    if [ $status -ne 0 ]; then fail "$file: nca exited $status: $(cat "$work/$policy-nca.err")"; continue; fi
    if ! python3 scripts/nca-pairs.py <"$work/$policy-nca.txt" >"$work/$policy-nca.json"; then fail "$file: cannot read nca's output"; continue; fi
    if "$venv/bin/python" scripts/openshift-check.py compare "$work/$policy-nca.json" "$work/read.json" "$policy" "$file"; then pass; else fail "$file: connectivity differs"; fi
  done
else
  fail "palisade compile --check: $(cat "$work/compile.log")"
fi
echo "conformance-openshift: $passed passed, $failed failed"
[ "$failed" = 0 ]
