#!/usr/bin/env bash
# The GitHub Action's run step (action.yml): turns the action's inputs (INPUT_* variables) into
# one palisade command, writes the report, and records the report's path and palisade's exit
# status as step outputs. It never fails by itself for a gate: the action's last step does,
# after the comment and the artifact. Runs outside GitHub too (GITHUB_OUTPUT unset: outputs on
# stdout), which is how scripts/conformance-ci.sh tests it.
set -uo pipefail
bin=${PALISADE:-palisade}
command=${INPUT_COMMAND:-lint}
read -r -a specs <<< "${INPUT_SPEC:-}"
out_dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/palisade-action
mkdir -p "$out_dir"
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; else echo "$1=$2"; fi; }
fail_usage() { echo "palisade action: $*" >&2; output exit-code 2; exit 0; }

[ ${#specs[@]} -gt 0 ] || fail_usage "the spec input is empty"
args=()
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
report=""
case "$command" in
  lint)
    format=${INPUT_FORMAT:-sarif}
    args+=(--format "$format")
    [ "$format" = sarif ] && args+=(--sarif-category "${INPUT_SARIF_CATEGORY:-palisade}")
    [ "$format" = sarif ] && [ -n "${HELP_URI_BASE:-}" ] && args+=(--help-uri-base "$HELP_URI_BASE")
    [ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
    report=${INPUT_OUTPUT:-$out_dir/palisade.$([ "$format" = junit ] && echo xml || echo "$format")}
    "$bin" lint "${specs[@]}" "${args[@]}" > "$report"
    code=$?
    ;;
  compile)
    [ -n "${INPUT_OUTPUT:-}" ] || fail_usage "compile needs the output input (the output directory)"
    [ -n "${INPUT_TARGETS:-}" ] && args+=(--target "$INPUT_TARGETS")
    [ "${INPUT_CHECK:-false}" = true ] && args+=(--check)
    "$bin" compile "${specs[@]}" --out "$INPUT_OUTPUT" "${args[@]}"
    code=$?
    ;;
  compare)
    [ ${#specs[@]} -eq 1 ] || fail_usage "compare takes one spec"
    format=${INPUT_FORMAT:-markdown}
    [ -n "${INPUT_TARGETS:-}" ] && args+=(--target "$INPUT_TARGETS")
    [ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
    report=${INPUT_OUTPUT:-$out_dir/palisade-compare.$([ "$format" = markdown ] && echo md || echo "$format")}
    "$bin" compare "${specs[0]}" --format "$format" "${args[@]}" > "$report"
    code=$?
    # The full report, for the artifact: a comment may be shortened to fit.
    [ "$format" = json ] || "$bin" compare "${specs[0]}" --format json "${args[@]}" > "$out_dir/palisade-compare.json" 2>/dev/null
    ;;
  diff)
    [ ${#specs[@]} -eq 1 ] || fail_usage "diff takes one spec (the new version; the old one is read at base-ref)"
    [ -n "${INPUT_BASE_REF:-}" ] || fail_usage "diff needs base-ref (or a pull_request event)"
    format=${INPUT_FORMAT:-markdown}
    old="$out_dir/old-$(basename "${specs[0]}")"
    git show "$INPUT_BASE_REF:./${specs[0]}" > "$old" 2>/dev/null || fail_usage "${specs[0]} does not exist at $INPUT_BASE_REF"
    report=${INPUT_OUTPUT:-$out_dir/palisade-diff.$([ "$format" = markdown ] && echo md || echo "$format")}
    "$bin" diff "$old" "${specs[0]}" --format "$format" "${args[@]}" > "$report"
    code=$?
    [ "$format" = json ] || "$bin" diff "$old" "${specs[0]}" --format json > "$out_dir/palisade-diff.json" 2>/dev/null
    ;;
  *)
    fail_usage "command must be compile, lint, compare or diff, not '$command'"
    ;;
esac
output report "$report"
output exit-code "$code"
exit 0
