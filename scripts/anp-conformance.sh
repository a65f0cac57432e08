# Sourced by scripts/conformance-kubernetes.sh and scripts/conformance-openshift.sh: the
# admin_network_policy checks both targets share. They use the caller's $work, $venv, $ncavenv,
# pass and fail.

# Where the network-policy-api CRDs (AdminNetworkPolicy, BaselineAdminNetworkPolicy) are kept on
# this machine, for the schema check; nothing when they are nowhere. The repository never holds
# them and no PyPI package ships them, so they are looked for, in this order:
#   $PALISADE_ANP_CRD                                   a CRD file or a folder of them
#   ${PALISADE_SHARED:-../shared}/schemas/              beside the clone
#   ${XDG_CACHE_HOME:-~/.cache}/palisade/network-policy-api*/   a release's CRD YAML files,
#       e.g. adminnetworkpolicies.yaml and baselineadminnetworkpolicies.yaml of
#       kubernetes-sigs/network-policy-api v0.1.7 (config/crd/experimental)
anp_crd_location() {
  if [ -n "${PALISADE_ANP_CRD:-}" ]; then
    echo "$PALISADE_ANP_CRD"
    return
  fi
  local folder
  for folder in "${PALISADE_SHARED:-../shared}/schemas" "${XDG_CACHE_HOME:-$HOME/.cache}"/palisade/network-policy-api*; do
    if [ -d "$folder" ] && grep -qls 'kind: AdminNetworkPolicy' "$folder"/*.yaml 2>/dev/null; then
      echo "$folder"
      return
    fi
  done
}

# admin_network_policy (a separate block): every sample and scripts/fixtures/admin-network-policy.yaml
# compiled again with the option. network-config-analyzer 2.1.0 skips AdminNetworkPolicy and
# BaselineAdminNetworkPolicy (it has no parser for them), so its NetworkPolicy connectivity goes
# through scripts/anp-check.py apply, which applies the file's AdminNetworkPolicies (priority,
# rule order, Deny/Pass) independently of palisade, and must equal the reader's relation. Then the
# AdminNetworkPolicies are validated against the network-policy-api CRDs' openAPIV3Schema: no PyPI
# package ships those CRDs and the schema is never copied into the repository, so the check reads
# them where anp_crd_location finds them (above), and prints SKIPPED for that check alone when
# they are nowhere.
anp_conformance() {
  local anp_target=$1
  anp_out="$work/anp-$anp_target"
  if .build/debug/palisade compile samples/*.yaml scripts/fixtures/admin-network-policy.yaml --target "$anp_target" --out "$anp_out" \
    --set "$anp_target.admin_network_policy=true" --dump-read >"$work/anp-read.json" 2>"$work/anp-compile.log"; then
    pass
    anp_files=("$anp_out/$anp_target"/*/manifests.yaml)
    for file in "${anp_files[@]}"; do
      policy=$(basename "$(dirname "$file")")
      "$ncavenv/bin/nca" --connectivity -r "$file" -o txt_no_fw_rules >"$work/$policy-anp-nca.txt" 2>"$work/$policy-anp-nca.err"
      status=$?
      if [ $status -ne 0 ]; then fail "$file (admin_network_policy): nca exited $status: $(cat "$work/$policy-anp-nca.err")"; continue; fi
      if ! python3 scripts/nca-pairs.py <"$work/$policy-anp-nca.txt" >"$work/$policy-anp-nca.json"; then fail "$file (admin_network_policy): cannot read nca's output"; continue; fi
      if ! "$venv/bin/python" scripts/anp-check.py apply "$work/$policy-anp-nca.json" "$file" >"$work/$policy-anp-applied.json"; then
        fail "$file (admin_network_policy): anp-check apply"
        continue
      fi
      if "$venv/bin/python" scripts/openshift-check.py compare "$work/$policy-anp-applied.json" "$work/anp-read.json" "$policy" "$file" "$anp_target"; then
        pass
      else
        fail "$file (admin_network_policy): connectivity differs"
      fi
    done
    anp_crd=$(anp_crd_location)
    if [ -z "$anp_crd" ]; then
      echo "SKIPPED: needs the network-policy-api CRD schema (AdminNetworkPolicy, BaselineAdminNetworkPolicy, v1alpha1): set PALISADE_ANP_CRD or put the CRDs where scripts/anp-conformance.sh looks"
    elif "$venv/bin/python" scripts/anp-check.py schema "$anp_crd" "${anp_files[@]}"; then
      pass
    else
      fail "AdminNetworkPolicy schema ($anp_crd)"
    fi
  else
    fail "palisade compile with admin_network_policy: $(cat "$work/anp-compile.log")"
  fi
}
