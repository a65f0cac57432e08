#!/usr/bin/env bash
# Atomic output trees, tested by killing the real binary: a compile of 26 policies (260 files)
# over the previous version of its tree is SIGKILLed at a random moment, 50 times (set
# PALISADE_KILLS for more or fewer). After each kill the next palisade run on OUT (a --check,
# which recovers first) must leave OUT exactly as the old tree or exactly as the new one: never
# a mix, never a leftover temporary, and the team's own files beside the generated ones untouched.
# The trees include each target's .palisade-manifest, and the new one removes files: one policy
# shrinks from three AWS templates to one, so two files its manifest lists go (a kill must not
# leave them half-removed), and five policies do not change, so their files are linked into the
# staged tree rather than written (a kill while they are linked, or after the commit while the
# links are moved, must not lose them). A kill after the commit point must end in the new tree. Prints the
# figures, then "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
kills=${PALISADE_KILLS:-50}
RANDOM=${PALISADE_KILL_SEED:-20261129}
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# PALISADE_BIN: another binary to try (an older one fails here).
bin=${PALISADE_BIN:-.build/debug/palisade}
if [ ! -x "$bin" ]; then swift build 2>&1 | tail -n 1; fi
[ -x "$bin" ] || { echo "conformance-atomic: no $bin"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/old-specs" "$work/new-specs"
# Twenty small policies in two versions: same names, other seeds, so (nearly) every file changes.
# Without their expectations (the last section), which some targets cannot meet: this is about
# writing, not about gates.
spec() { python3 scripts/gen-bench-spec.py --workloads 2 --flows 2 --seed "$2" | sed -e "s/^name: bench\$/name: $1/" -e '/^expect:/,$d'; }
for i in $(seq 1 20); do
  name=$(printf 'p%02d' "$i")
  spec "$name" "$i" > "$work/old-specs/$name.yaml"
  spec "$name" "$((100 + i))" > "$work/new-specs/$name.yaml"
done
# And one that shrinks: 201 workloads need three CloudFormation templates (more than 200
# outputs), 2 workloads one.
chain() {
  printf 'version: 1\nname: chain\nworkloads:\n'
  for w in $(seq 1 "$1"); do printf '  w%d: {image: nginx:1.25, ports: [tcp/80]}\n' "$w"; done
  printf 'flows:\n  - {from: w1, to: w2, ports: [tcp/80]}\n'
}
chain 201 > "$work/old-specs/chain.yaml"
chain 2 > "$work/new-specs/chain.yaml"
# And five that do not change: a compile keeps their files (the same inodes), writing none.
for i in $(seq 1 5); do
  name=$(printf 'u%02d' "$i")
  spec "$name" "$((200 + i))" > "$work/old-specs/$name.yaml"
  cp "$work/old-specs/$name.yaml" "$work/new-specs/$name.yaml"
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The two trees, each with a team's own files beside the generated ones.
mkdir -p "$work/old/aws"
echo "ours" > "$work/old/README.md"
echo "ours too" > "$work/old/aws/README.md"
"$bin" compile "$work"/old-specs/*.yaml --out "$work/old" > /dev/null 2>&1 || { echo "conformance-atomic: the old specs do not compile"; exit 1; }
cp -a "$work/old" "$work/new"
unchanged_before=$(cd "$work/new" && find . -path './*/u0*/*' -type f -printf '%i %p\n' | sort)
start=$(now_ms)
"$bin" compile "$work"/new-specs/*.yaml --out "$work/new" > /dev/null 2>&1 || { echo "conformance-atomic: the new specs do not compile"; exit 1; }
total=$(($(now_ms) - start))
start=$(now_ms)
"$bin" compile "$work"/new-specs/*.yaml --out "$work/new" --check > /dev/null 2>&1
check=$(($(now_ms) - start))
files=$(cd "$work/new" && find . -type f | wc -l)
manifests=$(cd "$work/new" && find . -type f -name .palisade-manifest | wc -l)
changed=0
while IFS= read -r path; do
  cmp -s "$work/old/$path" "$work/new/$path" || changed=$((changed + 1))
done < <(cd "$work/new" && find . -type f ! -name README.md ! -name .palisade-manifest ! -path './*/u0*/*')
# (Two policies of two workloads may agree on a file or two; a mix shows in the others.)
if [ "$files" -eq 270 ] && [ "$manifests" -eq 8 ] && [ "$changed" -ge 195 ]; then pass; else
  fail "expected 260 generated files, but for the 50 of the unchanged policies nearly all changed, 8 manifests and 2 of the team's: $files files, $manifests manifests, $changed changed"
fi
unchanged_after=$(cd "$work/new" && find . -path './*/u0*/*' -type f -printf '%i %p\n' | sort)
if [ "$(echo "$unchanged_before" | wc -l)" -eq 50 ] && [ "$unchanged_before" = "$unchanged_after" ]; then pass; else
  fail "the 50 files of the unchanged policies should keep their inodes: $(diff <(echo "$unchanged_before") <(echo "$unchanged_after") | head -4 | tr '\n' ' ')"
fi
if [ -f "$work/old/aws/chain/security-groups-3.json" ] && [ ! -e "$work/new/aws/chain/security-groups-2.json" ] \
  && [ ! -e "$work/new/aws/chain/security-groups-3.json" ] && grep -qx 'chain/security-groups-3.json' "$work/old/aws/.palisade-manifest" \
  && ! grep -q 'chain/security-groups-[23].json' "$work/new/aws/.palisade-manifest"; then pass; else
  fail "the new compile should remove aws/chain/security-groups-2.json and -3.json, listed in the old manifest"
fi
echo "conformance-atomic: a compile takes ${total} ms, a --check ${check} ms; killing $kills compiles between $((check * 9 / 10)) and $((total * 21 / 20)) ms"

# Kill moments: uniform over the end of the run, where the files are staged, committed and moved
# (the front end and the backends before it write nothing).
low=$((check * 9 / 10))
high=$((total * 21 / 20))
[ "$high" -gt "$low" ] || high=$((low + 100))
old_count=0
new_count=0
mixed_count=0
staged=0
committed=0
finished=0
for trial in $(seq 1 "$kills"); do
  out="$work/out"
  rm -rf "$out"
  cp -a "$work/old" "$out"
  delay=$((low + (RANDOM * 32768 + RANDOM) % (high - low)))
  "$bin" compile "$work"/new-specs/*.yaml --out "$out" > /dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
  moment="before writing"
  was_committed=0
  if diff -r "$out" "$work/new" > /dev/null 2>&1; then
    moment="after the end"
    finished=$((finished + 1))
  elif [ -e "$out/.palisade-committed" ]; then
    moment="after the commit"
    was_committed=1
    committed=$((committed + 1))
  elif [ -e "$out/.palisade-staging" ]; then
    moment="while staging"
    staged=$((staged + 1))
  fi
  # The next run on OUT, whatever it compiles (here a --check of another, small spec), first
  # finishes or undoes the killed one.
  "$bin" compile samples/minimal.yaml --target aws --out "$out" --check > /dev/null 2>&1
  if diff -r "$out" "$work/old" > /dev/null 2>&1; then
    old_count=$((old_count + 1))
    if [ "$was_committed" -eq 1 ]; then fail "kill $trial after ${delay} ms ($moment): recovered to the old tree"; else pass; fi
  elif diff -r "$out" "$work/new" > /dev/null 2>&1; then
    new_count=$((new_count + 1))
    pass
  else
    mixed_count=$((mixed_count + 1))
    fail "kill $trial after ${delay} ms ($moment): neither the old tree nor the new one"
    diff -rq "$out" "$work/new" | head -n 5
  fi
done
before=$((kills - staged - committed - finished))
echo "conformance-atomic: $kills kills ($before before writing, $staged while staging, $committed after the commit, $finished after the end): $old_count old, $new_count new, $mixed_count mixed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
