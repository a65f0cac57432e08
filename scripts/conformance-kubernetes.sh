#!/usr/bin/env bash
# Kubernetes conformance: every targets/kubernetes/*/manifests.yaml
#  - validates with kubernetes-validate in strict mode (no unknown fields) against Kubernetes
#    1.30 (the oldest release the target supports) and 1.37 (the newest kubernetes-validate
#    1.37.0 ships); a warning (a kind without a schema) fails;
#  - holds only kinds a plain cluster serves, its DNS egress going to kube-system's kube-dns
#    pods, and Pod Security Admission labels whose level admits every Deployment of the
#    namespace and is the strictest that does (scripts/kubernetes-check.py, written from the
#    Pod Security Standards independently of palisade);
#  - has its image admission policy's CEL compiled and evaluated by cel-python on compliant and
#    non-compliant pods built from the file (scripts/cel-check.py, shared with OpenShift);
#  - has its NetworkPolicies evaluated by network-config-analyzer, whose workload-to-workload
#    connectivity must equal what palisade's reader computes from the same file
#    (`palisade compile --dump-read`).
#  - compiles every sample and scripts/fixtures/admin-network-policy.yaml again with
#    admin_network_policy: true: nca's connectivity with the AdminNetworkPolicies applied by
#    scripts/anp-check.py equals the reader's; the AdminNetworkPolicies validate against the
#    network-policy-api CRD schema where scripts/anp-conformance.sh finds it (else SKIPPED).
#  - with `--set kubernetes.cni=cilium` (a block of its own): every sample compiles and reads
#    back; the CiliumNetworkPolicies pass scripts/kubernetes-check.py cilium (fields and types
#    from Cilium's policy API reference, every toFQDNs name a dns: destination of the spec, the
#    DNS proxy rule, sane toPorts: no schema of Cilium's CRD ships on PyPI); the rest of each
#    file passes kubernetes-validate strict (1.30, 1.37) and the kinds check, and
#    network-config-analyzer, which knows no CiliumNetworkPolicy, agrees with palisade's
#    workload-to-workload relation on it.
# Then `output: overlay` (a block of its own): every sample compiled with
# `--set kubernetes.output=overlay` (and the namespace_prefix its team's base runs under), whose
# component palisade's reader must read back with the relation of the complete manifests; each
# samples/apps/POLICY/kubernetes (the team's base with palisade's component) built by
# `kubectl kustomize` exactly as the team would; the built objects must pass kubernetes-validate
# strict (1.30 and 1.37), Pod Security Admission at their namespaces' levels for every Deployment,
# StatefulSet and DaemonSet (kubernetes-check.py --overlay), cel-python's evaluation of the
# admission policy on the team's patched pods, and network-config-analyzer's connectivity of the
# built objects must equal palisade's reader of the component. `--apply-to` on each team's base
# must write a tree kubectl kustomize builds, whose pods Pod Security Admission admits. Without
# kubectl this block prints "SKIPPED: needs kubectl" and the rest still runs.
# Prints "N passed, N failed"; exits non-zero on any failure. Without python3's venv module it
# prints "SKIPPED: ..." and exits 0, like the other conformance scripts.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.build/conformance-kubernetes-venv
ncavenv=.build/conformance-openshift-nca-venv
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
python3 -c 'import venv' 2>/dev/null || { echo "SKIPPED: needs python3 with venv"; exit 0; }
if ! "$venv/bin/python" -c 'import kubernetes_validate, yaml, celpy' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0' 'PyYAML==6.0.2' 'cel-python==0.5.0' >/dev/null 2>&1 \
    || { echo "conformance-kubernetes: cannot install kubernetes-validate"; exit 1; }
fi
# network-config-analyzer pins networkx and PyYAML: a venv of its own (shared with the OpenShift script).
if [ ! -x "$ncavenv/bin/nca" ]; then
  python3 -m venv "$ncavenv" && "$ncavenv/bin/pip" install --quiet --disable-pip-version-check 'network-config-analyzer==2.1.0' >/dev/null 2>&1 \
    || { echo "conformance-kubernetes: cannot install network-config-analyzer"; exit 1; }
fi
files=(targets/kubernetes/*/manifests.yaml)
[ -e "${files[0]}" ] || { echo "conformance-kubernetes: no manifests under targets/kubernetes"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for file in "${files[@]}"; do
  for version in 1.30.0 1.37.0; do
    out=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$file" 2>&1)
    status=$?
    if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$out"; then pass; else fail "$file: kubernetes-validate $version: $out"; fi
  done
done

if "$venv/bin/python" scripts/kubernetes-check.py kinds "${files[@]}"; then pass; else fail "kinds or DNS egress"; fi
if "$venv/bin/python" scripts/kubernetes-check.py psa "${files[@]}"; then pass; else fail "Pod Security Admission labels"; fi
if "$venv/bin/python" scripts/cel-check.py check "${files[@]}"; then pass; else fail "cel-check: an admission policy admits or refuses a pod it must not"; fi

# Every sample compiles to kubernetes (the files as written to targets/ are what is checked).
if .build/debug/palisade compile samples/*.yaml --target kubernetes --out targets --check --dump-read >"$work/read.json" 2>"$work/compile.log"; then
  pass
  for file in "${files[@]}"; do
    policy=$(basename "$(dirname "$file")")
    "$ncavenv/bin/nca" --connectivity -r "$file" -o txt_no_fw_rules >"$work/$policy-nca.txt" 2>"$work/$policy-nca.err"
    status=$?
    if [ $status -ne 0 ]; then fail "$file: nca exited $status: $(cat "$work/$policy-nca.err")"; continue; fi
    if ! python3 scripts/nca-pairs.py <"$work/$policy-nca.txt" >"$work/$policy-nca.json"; then fail "$file: cannot read nca's output"; continue; fi
    if "$venv/bin/python" scripts/openshift-check.py compare "$work/$policy-nca.json" "$work/read.json" "$policy" "$file" kubernetes; then pass; else fail "$file: connectivity differs"; fi
  done
else
  fail "palisade compile --check: $(cat "$work/compile.log")"
fi
# admin_network_policy: the checks shared with OpenShift (scripts/anp-conformance.sh).
source scripts/anp-conformance.sh
anp_conformance kubernetes
# cni: cilium. kubernetes-validate and network-config-analyzer know no CiliumNetworkPolicy: they
# judge each file without them (the policies only add egress to dns: names, outside both).
cilium="$work/cilium"
if .build/debug/palisade compile samples/*.yaml --target kubernetes --set kubernetes.cni=cilium --out "$cilium" --dump-read \
  >"$work/cilium-read.json" 2>"$work/cilium-compile.log"; then
  pass
  ciliumfiles=("$cilium"/kubernetes/*/manifests.yaml)
  if "$venv/bin/python" scripts/kubernetes-check.py cilium samples "${ciliumfiles[@]}"; then pass; else fail "cilium: CiliumNetworkPolicy structure"; fi
  for file in "${ciliumfiles[@]}"; do
    policy=$(basename "$(dirname "$file")")
    plain="$work/cilium-$policy.yaml"
    "$venv/bin/python" scripts/kubernetes-check.py without-cilium "$file" >"$plain" || { fail "cilium: $file: cannot split"; continue; }
    for version in 1.30.0 1.37.0; do
      out=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$plain" 2>&1)
      status=$?
      if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$out"; then pass; else fail "cilium: $file: kubernetes-validate $version: $out"; fi
    done
    if "$venv/bin/python" scripts/kubernetes-check.py kinds "$plain"; then pass; else fail "cilium: $file: kinds or DNS egress"; fi
    "$ncavenv/bin/nca" --connectivity -r "$plain" -o txt_no_fw_rules >"$work/cilium-$policy-nca.txt" 2>"$work/cilium-$policy-nca.err"
    status=$?
    if [ $status -ne 0 ]; then fail "cilium: $file: nca exited $status: $(cat "$work/cilium-$policy-nca.err")"; continue; fi
    if ! python3 scripts/nca-pairs.py <"$work/cilium-$policy-nca.txt" >"$work/cilium-$policy-nca.json"; then fail "cilium: $file: cannot read nca's output"; continue; fi
    if "$venv/bin/python" scripts/openshift-check.py compare "$work/cilium-$policy-nca.json" "$work/cilium-read.json" "$policy" "$plain" kubernetes; then
      pass
    else
      fail "cilium: $file: connectivity differs"
    fi
  done
else
  fail "palisade compile --set kubernetes.cni=cilium: $(cat "$work/cilium-compile.log")"
fi
# Overlay: the component over each sample team's base, built by kubectl kustomize. The samples are
# compiled to $work/overlay/out so that samples/apps/POLICY/kubernetes/kustomization.yaml (copied to
# $work/overlay) finds its component at ../../../../out/kubernetes/POLICY.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "SKIPPED: needs kubectl (kubectl kustomize) for the overlay checks"
else
  overlay=$work/overlay
  mkdir -p "$overlay"
  cp -r samples "$overlay/"
  # The teams' bases run in the namespaces of each spec's openshift namespace_prefix (shop-app):
  # each spec is compiled with that prefix for kubernetes too.
  # The `--set` for a spec's prefix (none without one).
  prefix() {
    local found
    found=$(sed -n 's/^ *openshift: {.*namespace_prefix: *\([a-z0-9-]*\).*/\1/p' "$1" | head -1)
    [ -z "$found" ] || echo "--set kubernetes.namespace_prefix=$found"
  }
  compiled=1
  : >"$work/overlay-compile.log"
  for spec in samples/*.yaml; do
    if ! .build/debug/palisade compile "$spec" --target kubernetes --set kubernetes.output=overlay $(prefix "$spec") \
      --out "$overlay/out" --dump-read >"$work/overlay-read-$(basename "$spec" .yaml).json" 2>>"$work/overlay-compile.log"; then
      compiled=0
    fi
  done
  if [ $compiled = 1 ] && python3 -c 'import json, sys; json.dump([e for p in sys.argv[1:] for e in json.load(open(p))], sys.stdout)' \
    "$work"/overlay-read-*.json >"$work/overlay-read.json"; then
    pass
    # The component reads back as the complete manifests: the same relation for every policy.
    if python3 - "$work/overlay-read.json" "$work/read.json" <<'PY'; then pass; else fail "overlay: the component's read-back relation differs from the manifests'"; fi
import json, sys
def relations(path):
    with open(path) as handle:
        return {entry["policy"]: entry["relation"] for entry in json.load(handle) if entry["target"] == "kubernetes"}
layered, whole = relations(sys.argv[1]), relations(sys.argv[2])
bad = sorted(name for name in whole if layered.get(name) != whole[name])
if bad or not whole:
    print(f"FAIL: read-back relation of the component differs for {bad or 'every policy (none read)'}")
    sys.exit(1)
print(f"conformance-kubernetes: {len(whole)} components read back with their manifests' relation")
PY
    built=()
    for app in samples/apps/*/kubernetes; do
      policy=$(basename "$(dirname "$app")")
      out="$work/$policy-overlay.yaml"
      if ! kubectl kustomize "$overlay/$app" >"$out" 2>"$work/$policy-kustomize.err"; then fail "$app: kubectl kustomize: $(cat "$work/$policy-kustomize.err")"; continue; fi
      pass
      built+=("$out")
      for version in 1.30.0 1.37.0; do
        result=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$out" 2>&1)
        status=$?
        if [ $status -eq 0 ] && ! grep -qiE 'warn|error|invalid' <<<"$result"; then pass; else fail "$app (overlay): kubernetes-validate $version: $result"; fi
      done
      "$ncavenv/bin/nca" --connectivity -r "$out" -o txt_no_fw_rules >"$work/$policy-overlay-nca.txt" 2>"$work/$policy-overlay-nca.err"
      status=$?
      if [ $status -ne 0 ]; then fail "$app (overlay): nca exited $status: $(cat "$work/$policy-overlay-nca.err")"; continue; fi
      if ! python3 scripts/nca-pairs.py <"$work/$policy-overlay-nca.txt" >"$work/$policy-overlay-nca.json"; then fail "$app (overlay): cannot read nca's output"; continue; fi
      if "$venv/bin/python" scripts/openshift-check.py compare "$work/$policy-overlay-nca.json" "$work/overlay-read.json" "$policy" "$out" kubernetes; then pass; else fail "$app (overlay): connectivity differs"; fi
    done
    if [ ${#built[@]} -gt 0 ]; then
      if "$venv/bin/python" scripts/kubernetes-check.py kinds --overlay "${built[@]}"; then pass; else fail "overlay: kinds or DNS egress"; fi
      if "$venv/bin/python" scripts/kubernetes-check.py psa --overlay "${built[@]}"; then pass; else fail "overlay: Pod Security Admission refuses a team's patched pod"; fi
      if "$venv/bin/python" scripts/cel-check.py check "${built[@]}"; then pass; else fail "overlay cel-check: an admission policy admits or refuses a team's pod it must not"; fi
    fi
  else
    fail "palisade compile (overlay): $(cat "$work/overlay-compile.log")"
  fi
  # --apply-to: each sample's team base, hardened into a tree that kubectl kustomize builds.
  for app in samples/apps/*/kubernetes; do
    policy=$(basename "$(dirname "$app")")
    spec=samples/$policy.yaml
    [ -f "$spec" ] || spec=$(grep -lx "name: $policy" samples/*.yaml | head -1)
    [ -n "$spec" ] || { fail "$app: no sample spec defines policy $policy"; continue; }
    applied="$work/applied/$policy"
    if ! .build/debug/palisade compile "$spec" --target kubernetes $(prefix "$spec") \
      --apply-to "samples/apps/$policy/openshift/base" --out "$applied" >"$work/apply.log" 2>&1; then
      fail "$app: palisade compile --apply-to: $(cat "$work/apply.log")"
      continue
    fi
    if kubectl kustomize "$applied/kubernetes/$policy" >"$applied.yaml" 2>"$work/apply-kustomize.err"; then pass; else fail "$app (--apply-to): kubectl kustomize: $(cat "$work/apply-kustomize.err")"; fi
    if "$venv/bin/python" scripts/kubernetes-check.py psa --overlay "$applied.yaml"; then pass; else fail "$app (--apply-to): Pod Security Admission refuses a hardened pod"; fi
  done
fi
echo "conformance-kubernetes: $passed passed, $failed failed"
[ "$failed" = 0 ]
