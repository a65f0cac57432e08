#!/usr/bin/env bash
# Benchmark: generate specs of growing size (the largest 10,000 workloads and 40,000 flows),
# compile each with the release build, and print wall time, peak memory and per-pass timings.
# Usage: scripts/bench.sh [RUNS]   (default 3 runs per size; the best is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release >/dev/null 2>&1
bin="$(swift build -c release --show-bin-path)/palisade"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-22s %10s %10s %8s  %s\n' "spec" "bytes" "best wall" "max RSS" "passes (best run)"
for scale in 1 2 4 8; do
  workloads=$((1250 * scale))
  flows=$((5000 * scale))
  spec="$work/bench-$workloads.yaml"
  python3 scripts/gen-bench-spec.py --workloads "$workloads" --flows "$flows" --seed 1 --out "$spec" 2>/dev/null
  best=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$bin" compile "$spec" --out "$work/out" --time-passes 2>"$work/err" >/dev/null
    read -r wall rss < "$work/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
      best=$wall
      best_rss=$rss
      passes=$(grep '^time:' "$work/err" | sed 's/^time: //; s/ seconds//' | awk '{printf "%s%.2f ", $1, $2}')
    fi
  done
  printf '%-22s %10s %9ss %6sMB  %s\n' "${workloads}w/${flows}f" "$(stat -c %s "$spec")" "$best" "$((best_rss / 1024))" "$passes"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
