#!/usr/bin/env bash
# The sources are formatted as .swift-format says (swift-format ships with the toolchain) and
# no line is longer than 160 columns. Prints "N passed, N failed"; exits 1 on a failure.
# To fix: swift format format -i -r Sources Tests Package.swift
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
if ! swift format --version >/dev/null 2>&1; then
  echo "SKIPPED: needs swift-format (it ships with Swift 6 toolchains)"
  exit 0
fi
if out=$(swift format lint --strict --recursive Sources Tests Package.swift 2>&1) && [ -z "$out" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: swift format lint (run: swift format format -i -r Sources Tests Package.swift)"
  echo "$out" | head -n 20
fi
long=$(find Sources Tests -name '*.swift' -print0 | xargs -0 awk 'length > 160 { print FILENAME ":" FNR ": " length " columns" }')
if [ -z "$long" ]; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  echo "FAIL: lines over 160 columns:"
  echo "$long" | head -n 20
fi
echo "check-format: $passed passed, $failed failed"
[ "$failed" = 0 ]
