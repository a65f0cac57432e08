#!/usr/bin/env bash
# Real packets judge the nftables target (issue 20). For every sample that compiles for
# nftables, and for a few small randomized specs (scripts/gen-bench-spec.py, fixed seeds):
#  - `nft -c -f` accepts every ruleset the target writes, as the spec stands (no addresses) and
#    with every workload's addresses given (target option `addresses`);
#  - the reader's relation between workloads (`palisade compile --dump-read`) equals the intent
#    (`--dump-ir`) less the narrowed gaps plus the widened ones (`palisade compare --format json`);
#  - one network namespace per workload host (a second host for a workload with replicas, to
#    probe between replicas), all on one bridge in a namespace of its own, each host holding an
#    IPv4 and an IPv6 address outside the spec's networks (inserted into a copy of the spec as
#    `targets.nftables.addresses`); each host loads its workload's ruleset with `nft -f` and
#    listens (one Python process per host) on every TCP and UDP port its workload listens on
#    (long ranges sampled) plus a seeded sample of other ports; then every host probes every
#    other workload's host on each of those ports and with an ICMP echo, over IPv4 and IPv6, all
#    at once (TCP connect, UDP echo, ping socket; one second, and twice more with three seconds
#    for a connection the reader allows that failed), and every connection must succeed exactly
#    when the reader's relation says so.
# SCTP is not probed. Prints a line per spec and `tried N, agreed N, disagreed N`.
#
# The host's own network is never touched: the bridge and every interface and address live in
# namespaces made here (named PREFIX-…, removed with every process in them on any exit).
# Needs root, nftables and iproute2: installs them with apt-get when missing and root, else
# prints "SKIPPED: ..." and exits 0 (also when network namespaces or nftables do not work
# here). Exits 1 on any disagreement, refused ruleset or reader difference.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

skip() {
  echo "SKIPPED: $*"
  exit 0
}

if [ "$(id -u)" != 0 ]; then skip "needs root (network namespaces, nft)"; fi
if [ ! -x /usr/sbin/nft ] || [ ! -x /usr/sbin/ip ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "conformance-nftables: installing nftables iproute2"
    (apt-get install -y -qq nftables iproute2 || (apt-get update -qq && apt-get install -y -qq nftables iproute2)) >/dev/null 2>&1 || true
  fi
fi
[ -x /usr/sbin/nft ] && [ -x /usr/sbin/ip ] || skip "needs nftables (nft) and iproute2 (ip)"
command -v python3 >/dev/null 2>&1 || skip "needs python3"
nft=/usr/sbin/nft
ip=/usr/sbin/ip

prefix="pnft$$-"
work=$(mktemp -d /tmp/palisade-nft-live.XXXXXX)

# Every namespace named PREFIX…, with whatever still runs in it (the listeners and probers
# started here), then the scratch directory.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for ns in $("$ip" netns list 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do
    for pid in $("$ip" netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    "$ip" netns del "$ns" 2>/dev/null || true
  done
  if [ -n "${PALISADE_LIVE_KEEP:-}" ]; then rm -rf "$PALISADE_LIVE_KEEP" && cp -r "$work" "$PALISADE_LIVE_KEEP"; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A namespace to check rulesets in (nft -c asks the kernel), which also shows that namespaces
# and nf_tables work here.
check_ns="${prefix}check"
"$ip" netns add "$check_ns" 2>"$work/err" || skip "cannot create a network namespace here: $(head -n 1 "$work/err")"
"$ip" netns exec "$check_ns" "$nft" list ruleset >/dev/null 2>"$work/err" || skip "nftables does not work in a network namespace here: $(head -n 1 "$work/err")"

python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  python=.build/conformance-venv/bin/python
  if ! "$python" -c 'import yaml' 2>/dev/null; then
    python3 -m venv .build/conformance-venv && .build/conformance-venv/bin/pip install --disable-pip-version-check 'PyYAML==6.0.3' >/dev/null 2>&1 \
      || { echo "conformance-nftables: cannot install PyYAML"; exit 1; }
  fi
fi
helper="$PWD/scripts/nftables-live.py"
swift build >/dev/null 2>&1 || { echo "conformance-nftables: swift build failed"; exit 1; }
bin="$(swift build --show-bin-path)/palisade"
targets=$("$bin" targets)
grep -qw nftables <<<"${targets%%$'\n'*}" || { echo "FAIL: palisade targets lists no nftables target"; exit 1; }

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
total_tried=0
total_agreed=0
total_disagreed=0
total_files=0

# The copies with addresses go beside a copy of the samples (for their includes).
mkdir -p "$work/specs" "$work/random"
cp -r samples/. "$work/specs/"
random_specs=()
for seed in 11 12 14; do
  if "$python" scripts/gen-bench-spec.py --workloads 7 --flows 16 --seed "$seed" --out "$work/random/random-$seed.yaml" >/dev/null 2>"$work/err"; then
    random_specs+=("$work/random/random-$seed.yaml")
  else
    fail "scripts/gen-bench-spec.py --seed $seed: $(tail -n 1 "$work/err")"
  fi
done

# nft -c -f on every ruleset under a folder (there must be one), counted in total_files.
check_files() {
  local folder=$1 what=$2 count=0
  for file in "$folder"/*.nft; do
    [ -e "$file" ] || continue
    count=$((count + 1))
    if ! "$ip" netns exec "$check_ns" "$nft" -c -f "$file" >"$work/err" 2>&1; then
      fail "nft -c -f refuses $file ($what): $(head -n 3 "$work/err" | tr '\n' ' ')"
      return 1
    fi
  done
  total_files=$((total_files + count))
  [ "$count" -gt 0 ] || { fail "no ruleset under $folder ($what)"; return 1; }
}

index=0
for spec in samples/*.yaml "${random_specs[@]}"; do
  index=$((index + 1))
  name=$(basename "$spec" .yaml)
  spec_started=$SECONDS
  dir="$work/run/$name"
  mkdir -p "$dir"
  # As the spec stands: compiles (a sample that does not is skipped, as in the other live checks).
  if ! "$bin" compile "$spec" --target nftables --out "$dir/plain" --dump-ir >"$dir/ir.json" 2>"$dir/err"; then
    if [[ "$spec" == samples/* ]]; then
      echo "conformance-nftables: $spec does not compile for nftables; not probed: $(grep -m 1 'error' "$dir/err" || true)"
    else
      fail "$name (gen-bench-spec.py) does not compile for nftables: $(grep -m 1 'error' "$dir/err" || head -n 1 "$dir/err")"
    fi
    continue
  fi
  policy=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$dir/ir.json")
  check_files "$dir/plain/nftables/$policy" "without addresses" || continue
  pass

  # With every workload's addresses: the copy of the spec, its rulesets, the reader's relation.
  # The hosts sit outside every network of their spec. For random-12 and random-14, hosts
  # inside the widest network a flow names come first: compile must refuse them (E702: every
  # chain drops workload hosts ahead of its external rules, so that network's hosts there would
  # be dropped while the intent allows them).
  live_spec="$work/specs/$name.yaml"
  case "$name" in
    random-12 | random-14)
      if "$python" "$helper" plan "$dir/ir.json" "$index" "$prefix$index-" "$dir/plan-inside.json" "$dir/addresses-inside.json" inside 2>"$dir/err" \
        && "$python" "$helper" inject "$spec" "$live_spec.inside" "$dir/addresses-inside.json" 2>>"$dir/err"; then
        if "$bin" compile "$live_spec.inside" --target nftables --out "$dir/inside" >/dev/null 2>"$dir/err"; then
          if grep -q '"inside_networks": true' "$dir/plan-inside.json"; then
            fail "$name: hosts inside a network a flow names compile; E702 expected"
          fi
        elif grep -q 'overlaps an external peer' "$dir/err"; then
          pass
        else
          fail "$name: hosts inside a network: not the E702 expected: $(grep -m 1 'error' "$dir/err" || head -n 1 "$dir/err")"
        fi
      else
        fail "$name: cannot plan the hosts inside a network: $(tail -n 1 "$dir/err")"
      fi
      ;;
  esac
  if ! "$python" "$helper" plan "$dir/ir.json" "$index" "$prefix$index-" "$dir/plan.json" "$dir/addresses.json" outside 2>"$dir/err" \
    || ! "$python" "$helper" inject "$spec" "$live_spec.tmp" "$dir/addresses.json" 2>>"$dir/err"; then
    fail "$name: cannot plan the hosts or write the spec with addresses: $(tail -n 1 "$dir/err")"
    continue
  fi
  mv "$live_spec.tmp" "$live_spec"
  if ! "$bin" compile "$live_spec" --target nftables --out "$dir/live" --dump-read >"$dir/read.json" 2>"$dir/err"; then
    fail "$name with the addresses option does not compile, or its rulesets do not read back: $(grep -m 3 -E 'error' "$dir/err" | tr '\n' ' ')"
    continue
  fi
  check_files "$dir/live/nftables/$policy" "with addresses" || continue
  pass
  # Membership as the README shows it: each inventory host is its own element, so deleting
  # one host from its identity set and from `hosts` and adding it back works (a host merged
  # into a prefix would fail with "element does not exist", then "interval overlaps").
  membership_ok=1
  members=0
  first=$(ls "$dir/live/nftables/$policy"/*.nft | head -n 1)
  table=$(sed -n 's/^table inet \([^ ]*\) {}$/\1/p' "$first" | head -n 1)
  if "$ip" netns exec "$check_ns" "$nft" -f "$first" 2>"$work/err"; then
    while read -r set address; do
      for verb in delete add; do
        if ! "$ip" netns exec "$check_ns" "$nft" "$verb" element inet "$table" "$set" "{ $address }" 2>"$work/err"; then
          fail "$name: nft $verb element inet $table $set { $address }: $(head -n 1 "$work/err")"
          membership_ok=0
          break 2
        fi
      done
      members=$((members + 1))
    done < <("$python" - "$dir/addresses.json" "$first" <<'PY'
import json, re, sys
addresses = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
declared = set(re.findall(r"^\tset (\S+) \{", text, re.M))
for workload, cidrs in sorted(addresses.items()):
    ident = "id_" + re.sub(r"[^A-Za-z0-9-]", "_", workload)
    for cidr in cidrs:
        host, length = cidr.split("/")
        suffix = "_v6" if ":" in host else ""
        for name in (ident + suffix, "hosts" + suffix):
            if name in declared:
                print(name, host if length in ("32", "128") else cidr)
PY
    )
    "$ip" netns exec "$check_ns" "$nft" delete table inet "$table" 2>/dev/null || true
    if [ "$membership_ok" = 1 ] && [ "$members" = 0 ]; then
      fail "$name: no inventory element of $first to delete and add back"
      membership_ok=0
    fi
  else
    fail "$name: nft -f $first: $(head -n 1 "$work/err")"
    membership_ok=0
  fi
  [ "$membership_ok" = 1 ] && pass
  "$bin" compare "$live_spec" --target nftables --format json --fail-on none >"$dir/compare.json" 2>"$dir/err" \
    || { fail "$name: palisade compare failed: $(head -n 1 "$dir/err")"; continue; }
  if fidelity=$("$python" "$helper" fidelity "$dir/ir.json" "$dir/read.json" "$dir/compare.json"); then
    pass
  else
    fail "$name: the reader's relation differs from the intent with its gaps:"
    "$python" -c 'import json,sys; [print("    " + d) for d in json.loads(sys.argv[1])["differences"][:20]]' "$fidelity" || true
  fi
  [[ "$fidelity" == "{"* ]] || fidelity='{"pairs": "?", "widened": "?", "narrowed": "?"}'

  # Real packets.
  status=0
  verdict=$("$python" "$helper" run "$dir/plan.json" "$dir/ir.json" "$dir/read.json" "$dir/live/nftables/$policy" "$index") || status=$?
  summary=$("$python" - "$verdict" "$dir/plan.json" "$fidelity" <<'PY'
import json, sys
v = json.loads(sys.argv[1])
f = json.loads(sys.argv[3])
per = ", ".join(f"{p} {c['tried']} ({c['connected']} connect)" for p, c in sorted(v["by_proto"].items()))
plan = json.load(open(sys.argv[2]))
where = "inside" if plan["inside_networks"] else "outside"
print(v["tried"], v["agreed"], v["disagreed"],
      f"{v.get('hosts', 0)} hosts in {plan['v4']} and {plan['v6']} ({where} the spec's networks); "
      f"tried {v['tried']}, agreed {v['agreed']}, disagreed {v['disagreed']}: {per}; "
      f"the reader's {f['pairs']} workload pairs = the intent with {f['widened']} widened, {f['narrowed']} narrowed")
for failure in v["failures"][:20]:
    print("    " + failure)
if len(v["failures"]) > 20:
    print(f"    … and {len(v['failures']) - 20} more")
PY
  ) || { fail "$name: the probe run printed no verdict: $verdict"; continue; }
  read -r tried agreed disagreed line <<<"$(head -n 1 <<<"$summary")"
  total_tried=$((total_tried + tried))
  total_agreed=$((total_agreed + agreed))
  total_disagreed=$((total_disagreed + disagreed))
  if [ "$status" = 0 ] && [ "$tried" -gt 0 ]; then
    pass
    echo "conformance-nftables: $name: $line ($((SECONDS - spec_started)) s)"
  else
    fail "$name: $line:"
    tail -n +2 <<<"$summary"
  fi
done

echo "conformance-nftables: $total_files rulesets checked by nft -c; tried $total_tried, agreed $total_agreed, disagreed $total_disagreed"
echo "conformance-nftables: $passed passed, $failed failed, $((SECONDS - started)) s"
[ "$failed" = 0 ]
