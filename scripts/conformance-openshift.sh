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
#    connectivity must equal what palisade's reader computes from the same file;
#  - has its ValidatingAdmissionPolicies (image_policy) validated against Kubernetes 1.30 (OpenShift
#    4.17, where admissionregistration.k8s.io/v1 has them) and 1.32, and their CEL compiled and
#    evaluated by cel-python on compliant and non-compliant pods built from the file
#    (scripts/cel-check.py, which prints its counts).
#  - compiles every sample and scripts/fixtures/admin-network-policy.yaml again with
#    admin_network_policy: true: nca's connectivity with the AdminNetworkPolicies applied by
#    scripts/anp-check.py equals the reader's; the AdminNetworkPolicies validate against the
#    network-policy-api CRD schema where scripts/anp-conformance.sh finds it (else SKIPPED).
# Then `output: overlay`: for every sample, the team's base under samples/apps/POLICY/openshift with
# palisade's component over it, built by `kubectl kustomize` exactly as the team would, must pass
# the same checks (schemas, SCC admission of every Deployment, StatefulSet and DaemonSet, and
# network-config-analyzer's connectivity equal to palisade's reader of the component). Without
# kubectl this part prints "SKIPPED: needs kubectl" and the rest still runs.
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
if ! "$venv/bin/python" -c 'import kubernetes_validate, jsonschema, yaml, celpy' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0' 'jsonschema==4.26.0' 'PyYAML==6.0.2' 'cel-python==0.5.0' >/dev/null 2>&1 \
    || { echo "conformance-openshift: cannot install kubernetes-validate"; exit 1; }
fi
# network-config-analyzer pins networkx and PyYAML: a venv of its own.
if [ ! -x "$ncavenv/bin/nca" ]; then
  python3 -m venv "$ncavenv" && "$ncavenv/bin/pip" install --quiet --disable-pip-version-check 'network-config-analyzer==2.1.0' >/dev/null 2>&1 \
    || { echo "conformance-openshift: cannot install network-config-analyzer"; exit 1; }
fi
# ValidatingAdmissionPolicies are admissionregistration.k8s.io/v1 from Kubernetes 1.30 (OpenShift 4.17) on.
validate_admission() {
  grep -q 'kind:' "$2" || return 0
  local version result status
  for version in 1.30.0 1.32.0; do
    result=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$2" 2>&1)
    status=$?
    if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$result"; then pass; else fail "$1 (admission policies): kubernetes-validate $version: $result"; fi
  done
}
files=(targets/openshift/*/manifests.yaml)
[ -e "${files[0]}" ] || { echo "conformance-openshift: no manifests under targets/openshift"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for file in "${files[@]}"; do
  policy=$(basename "$(dirname "$file")")
  "$venv/bin/python" scripts/openshift-check.py split "$file" "$work/$policy-all.yaml" || { fail "$file: cannot split"; continue; }
  "$venv/bin/python" scripts/cel-check.py split "$work/$policy-all.yaml" "$work/$policy-core.yaml" "$work/$policy-admission.yaml" || { fail "$file: cannot split"; continue; }
  for version in 1.25.0 1.32.0; do
    out=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$work/$policy-core.yaml" 2>&1)
    status=$?
    if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$out"; then pass; else fail "$file: kubernetes-validate $version: $out"; fi
  done
  validate_admission "$file" "$work/$policy-admission.yaml"
done
if "$venv/bin/python" scripts/cel-check.py check "${files[@]}"; then pass; else fail "cel-check: an admission policy admits or refuses a pod it must not"; fi

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
# Overlay: copies of the samples asking for output: overlay, compiled to $work/overlay/out, so that
# samples/apps/POLICY/openshift/kustomization.yaml finds its component at ../../../../out/openshift/POLICY.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "SKIPPED: needs kubectl (kubectl kustomize) for the overlay checks"
else
  overlay=$work/overlay
  mkdir -p "$overlay"
  cp -r samples "$overlay/"
  python3 scripts/openshift-check.py overlay-specs "$overlay"/samples/*.yaml
  if .build/debug/palisade compile "$overlay"/samples/*.yaml --target openshift --out "$overlay/out" --dump-read >"$work/overlay-read.json" 2>"$work/overlay-compile.log"; then
    built=()
    for app in samples/apps/*/openshift; do
      policy=$(basename "$(dirname "$app")")
      out="$work/$policy-overlay.yaml"
      if ! kubectl kustomize "$overlay/$app" >"$out" 2>"$work/$policy-kustomize.err"; then fail "$app: kubectl kustomize: $(cat "$work/$policy-kustomize.err")"; continue; fi
      pass
      built+=("$out")
      "$venv/bin/python" scripts/openshift-check.py split "$out" "$work/$policy-overlay-all.yaml" || { fail "$out: cannot split"; continue; }
      "$venv/bin/python" scripts/cel-check.py split "$work/$policy-overlay-all.yaml" "$work/$policy-overlay-core.yaml" "$work/$policy-overlay-admission.yaml" \
        || { fail "$out: cannot split"; continue; }
      validate_admission "$app (overlay)" "$work/$policy-overlay-admission.yaml"
      for version in 1.25.0 1.32.0; do
        result=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$work/$policy-overlay-core.yaml" 2>&1)
        status=$?
        if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$result"; then pass; else fail "$app (overlay): kubernetes-validate $version: $result"; fi
      done
      "$ncavenv/bin/nca" --connectivity -r "$out" -o txt_no_fw_rules >"$work/$policy-overlay-nca.txt" 2>"$work/$policy-overlay-nca.err"
      status=$?
      if [ $status -ne 0 ]; then fail "$app (overlay): nca exited $status: $(cat "$work/$policy-overlay-nca.err")"; continue; fi
      if ! python3 scripts/nca-pairs.py <"$work/$policy-overlay-nca.txt" >"$work/$policy-overlay-nca.json"; then fail "$app (overlay): cannot read nca's output"; continue; fi
      if "$venv/bin/python" scripts/openshift-check.py compare "$work/$policy-overlay-nca.json" "$work/overlay-read.json" "$policy" "$out"; then pass; else fail "$app (overlay): connectivity differs"; fi
    done
    if [ ${#built[@]} -gt 0 ]; then
      if "$venv/bin/python" scripts/openshift-check.py scc --overlay "${built[@]}"; then pass; else fail "overlay SCC admission: a workload not admitted by exactly the SCC of its profile"; fi
      if "$venv/bin/python" scripts/openshift-check.py crds "$shared/schemas" "${built[@]}"; then pass; else fail "overlay: SCC, EgressFirewall or Route documents"; fi
      if "$venv/bin/python" scripts/cel-check.py check "${built[@]}"; then pass; else fail "overlay cel-check: an admission policy admits or refuses a team's pod it must not"; fi
    fi
  else
    fail "palisade compile (overlay) --check: $(cat "$work/overlay-compile.log")"
  fi
  # --apply-to: each sample's team folder, whole (a kustomization over base/) and base/ alone,
  # hardened into a tree that kubectl kustomize builds from where it is written.
  for app in samples/apps/*/openshift; do
    policy=$(basename "$(dirname "$app")")
    # The sample spec that defines the policy (statuspage is in no-segments.yaml).
    spec=samples/$policy.yaml
    [ -f "$spec" ] || spec=$(grep -lx "name: $policy" samples/*.yaml | head -1)
    [ -n "$spec" ] || { fail "$app: no sample spec defines policy $policy"; continue; }
    for folder in "$app" "$app/base"; do
      applied="$work/applied/$policy-$(basename "$folder")"
      rm -rf "$applied"
      if ! .build/debug/palisade compile "$spec" --target openshift --apply-to "$folder" --out "$applied" >"$work/apply.log" 2>&1; then
        fail "$folder: palisade compile --apply-to: $(cat "$work/apply.log")"
        continue
      fi
      if kubectl kustomize "$applied/openshift/$policy" >"$applied.yaml" 2>"$work/apply-kustomize.err"; then pass; else fail "$folder (--apply-to): kubectl kustomize: $(cat "$work/apply-kustomize.err")"; fi
    done
  done
fi
# admin_network_policy: the checks shared with Kubernetes (scripts/anp-conformance.sh).
source scripts/anp-conformance.sh
anp_conformance openshift
echo "conformance-openshift: $passed passed, $failed failed"
[ "$failed" = 0 ]
