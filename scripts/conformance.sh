#!/usr/bin/env bash
# Conformance checks on the built `palisade` (run by .ci/run after `swift test`):
#  - the README's first command works as written;
#  - every sample compiles with exit 0, and targets/ has no drift;
#  - every bad input exits 1 within a second with a located FILE:LINE:COL: error[CODE] diagnostic;
#  - an unreadable file and a bad command line exit 2;
#  - every sample validates against `palisade schema` (JSON Schema, checked by python-jsonschema).
# Prints a closing line "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

swift build >/dev/null 2>&1 || { echo "conformance: swift build failed"; exit 1; }
bin="$(swift build --show-bin-path)/palisade"
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# 1. The README's first command, exactly as the README writes it.
readme_command=$(grep -m1 -E '^swift run palisade compile ' README.md || true)
if [ -z "$readme_command" ]; then
  fail "README.md does not start with a 'swift run palisade compile' command"
else
  scratch=$(mktemp -d)
  if (cp -r samples "$scratch/" && cd "$scratch" && eval "${readme_command/swift run palisade/$bin}") >/dev/null 2>"$scratch/err"; then
    pass
  else
    fail "README command failed: $readme_command: $(cat "$scratch/err")"
  fi
  rm -rf "$scratch"
fi

# 2. Samples compile, and targets/ is what they compile to.
for sample in samples/*.yaml; do
  if "$bin" compile "$sample" --out "$(mktemp -d)" >/dev/null 2>&1; then pass; else fail "sample $sample did not compile"; fi
done
if "$bin" compile samples/*.yaml --out targets --check >/dev/null 2>&1; then pass; else fail "targets/ drifted: run swift run palisade compile samples/*.yaml --out targets"; fi

# 3. Bad inputs: exit 1, within a second, every expected FILE:LINE:COL: error[CODE] printed.
for bad in Tests/SpecTests/BadInputs/*.yaml; do
  out=$(mktemp -d)
  start=$(date +%s%N)
  "$bin" compile "$bad" --out "$out" >/dev/null 2>"$out.err"
  code=$?
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  expected=$(head -n1 "$bad" | sed -n 's/^# expect: //p')
  [ -z "$expected" ] && [ "$(basename "$bad")" = empty.yaml ] && expected="E008@1:1"
  ok=1
  [ "$code" = 1 ] || { fail "$bad exited $code, not 1"; ok=0; }
  [ "$elapsed_ms" -lt 1000 ] || { fail "$bad took ${elapsed_ms} ms"; ok=0; }
  [ -z "$(ls -A "$out")" ] || { fail "$bad wrote files"; ok=0; }
  IFS=',' read -ra items <<< "$expected"
  for item in "${items[@]}"; do
    item=$(echo "$item" | xargs)
    code_part=${item%@*}
    position=${item#*@}
    if [ "$position" = "1:1" ] && [ "$code_part" = E008 ]; then pattern="error\\[$code_part\\]"; else pattern="(^|[:/])$position: error\\[$code_part\\]"; fi
    grep -qE "$pattern" "$out.err" || { fail "$bad: no '$item' in: $(head -n1 "$out.err")"; ok=0; }
  done
  [ $ok = 1 ] && pass
  rm -rf "$out" "$out.err"
done

# 4. Exit code 2: an unreadable file, an unknown target, an unknown option.
"$bin" compile does-not-exist.yaml >/dev/null 2>&1; [ $? = 2 ] && pass || fail "unreadable file did not exit 2"
"$bin" compile samples/minimal.yaml --target nosuch >/dev/null 2>&1; [ $? = 2 ] && pass || fail "unknown target did not exit 2"
"$bin" compile samples/minimal.yaml --frobnicate >/dev/null 2>&1; [ $? = 2 ] && pass || fail "unknown option did not exit 2"
"$bin" --version >/dev/null 2>&1 && pass || fail "--version failed"
"$bin" explain samples/shop.yaml --from web --to checkout --port tcp/8080 | grep -c ': allowed' >/dev/null && pass || fail "explain web -> checkout is not allowed"

# 5. Samples against the JSON Schema that `palisade schema` prints.
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'jsonschema==4.26.0' 'PyYAML==6.0.3' >/dev/null 2>&1
fi
schema=$(mktemp)
"$bin" schema > "$schema"
if python3 - "$schema" samples/*.yaml Tests/SpecTests/Fixtures/every-key.yaml <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    for error in errors:
        print(f"FAIL: {path}: {'/'.join(map(str, error.path))}: {error.message}")
    bad += bool(errors)
# The schema must also refuse what the compiler refuses: every bad input of the compiler's own
# tests (Tests/SpecTests/BadInputs) is refused by a YAML loader or by the schema, except those
# only the compiler can judge, listed here by why; the list stays exact both ways.
import glob, os
compiler_only = {
    # references, names and kinds across the spec
    "collision.yaml", "dangling-reference.yaml", "duplicate-secret.yaml", "grant-to-service.yaml",
    "network-cycle.yaml", "unknown-port-set.yaml", "user-identity-for-workload.yaml", "wrong-kind.yaml",
    "port-not-listened.yaml", "dns-source.yaml", "external-both.yaml",
    # other files: include rules and definitions across files
    "duplicate-definition-across-files.yaml", "include-cycle-indirect.yaml", "include-cycle.yaml",
    "include-directory.yaml", "include-dot.yaml", "include-escape.yaml", "include-missing.yaml",
    "include-nul.yaml", "include-section-not-allowed.yaml", "include-trailing-slash.yaml",
    # the image policy against each image, expectations against the intent
    "digest-required.yaml", "registry-not-allowed.yaml", "expectation-fails.yaml",
    # address arithmetic (host bits set)
    "host-bits.yaml",
    # YAML itself: a repeated key (a JSON document cannot hold one) and YAML 1.1's `yes`, which
    # PyYAML reads as true where the spec's YAML 1.2 reads a string
    "duplicate-key.yaml", "yes-boolean.yaml",
}
bad_inputs = sorted(glob.glob("Tests/SpecTests/BadInputs/*.yaml"))
refused = 0
for path in bad_inputs:
    name = os.path.basename(path)
    try:
        document = yaml.safe_load(open(path, "rb"))
    except yaml.YAMLError:
        document, valid = None, False
    else:
        valid = validator.is_valid(document)
    if valid and name not in compiler_only:
        print(f"FAIL: schema accepts the bad input {path}")
        bad += 1
    elif not valid and name in compiler_only:
        print(f"FAIL: {path} is refused now: take it off the compiler-only list")
        bad += 1
    refused += not valid
print(f"schema: {len(sys.argv) - 2} specs valid; {refused} of {len(bad_inputs)} bad inputs refused, {len(compiler_only)} left to the compiler")
sys.exit(1 if bad else 0)
PY
then pass; else fail "samples do not validate against palisade schema"; fi
rm -f "$schema"

echo "conformance: $passed passed, $failed failed"
[ "$failed" = 0 ]
