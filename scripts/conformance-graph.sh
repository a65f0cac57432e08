#!/usr/bin/env bash
# Graph conformance: Graphviz renders `palisade graph` of every sample, for the intent and for
# each target, without an error or warning; the SVG has one node per workload. Installs
# graphviz from Debian when `dot` is missing. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq graphviz) >/dev/null 2>&1 || { echo "conformance-graph: cannot install graphviz"; exit 1; }
fi
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for sample in samples/*.yaml; do
  for target in "" openshift swarm mesos aws gcp azure kubernetes nftables; do
    name=$(basename "$sample" .yaml)${target:+-$target}
    if ! .build/debug/palisade graph "$sample" ${target:+--target "$target"} >"$work/$name.dot" 2>"$work/$name.err"; then
      fail "$name: palisade graph: $(cat "$work/$name.err")"; continue
    fi
    if dot -Tsvg "$work/$name.dot" -o "$work/$name.svg" 2>"$work/$name.dot.err" && [ ! -s "$work/$name.dot.err" ]; then
      workloads=$(grep -c '^    w[0-9]* \[label=' "$work/$name.dot")
      nodes=$(grep -c 'class="node"' "$work/$name.svg")
      if [ "$nodes" -ge "$workloads" ] && [ "$workloads" -gt 0 ]; then pass; else fail "$name: $nodes SVG nodes for $workloads workloads"; fi
    else
      fail "$name: dot: $(cat "$work/$name.dot.err")"
    fi
  done
done
echo "conformance-graph: $passed passed, $failed failed"
[ "$failed" = 0 ]
