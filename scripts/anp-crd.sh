#!/usr/bin/env bash
# Prints where the network-policy-api CRDs (AdminNetworkPolicy, BaselineAdminNetworkPolicy) are
# kept on this machine, for the conformance scripts' schema check; prints nothing when they are
# nowhere. The repository never holds them and no PyPI package ships them, so they are looked
# for, in this order:
#   $PALISADE_ANP_CRD                                   a CRD file or a folder of them
#   ${PALISADE_SHARED:-../shared}/schemas/              beside the clone
#   ${XDG_CACHE_HOME:-~/.cache}/palisade/network-policy-api*/   a release's CRD YAML files,
#       e.g. adminnetworkpolicies.yaml and baselineadminnetworkpolicies.yaml of
#       kubernetes-sigs/network-policy-api v0.1.7 (config/crd/experimental)
set -uo pipefail
if [ -n "${PALISADE_ANP_CRD:-}" ]; then
  echo "$PALISADE_ANP_CRD"
  exit 0
fi
for folder in "${PALISADE_SHARED:-../shared}/schemas" "${XDG_CACHE_HOME:-$HOME/.cache}"/palisade/network-policy-api*; do
  if [ -d "$folder" ] && grep -qls 'kind: AdminNetworkPolicy' "$folder"/*.yaml 2>/dev/null; then
    echo "$folder"
    exit 0
  fi
done
