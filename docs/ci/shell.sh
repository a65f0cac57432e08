#!/bin/sh
# A plain shell pipeline (any CI system): lint, check the generated configuration, and report
# what a change opens. SPECS and BASE (the git revision to compare against) come from the job.
set -eu
SPECS=${SPECS:-specs/shop.palisade.yaml}
BASE=${BASE:-origin/main}

# 1. Lint: the report for the CI system, a non-zero exit on an error-level finding.
palisade lint $SPECS --format junit > palisade-lint.xml

# 2. The committed outputs match the specs (prints a diff when they do not).
palisade compile $SPECS --out deploy --check

# 3. What the change does, failing on anything it opens or relaxes.
for spec in $SPECS; do
  git show "$BASE:$spec" > /tmp/old.yaml 2>/dev/null || continue   # a new spec: nothing to compare
  palisade diff /tmp/old.yaml "$spec" --format markdown --fail-on opens,relaxes > "palisade-diff-$(basename "$spec" .yaml).md"
done

# 4. Fidelity: fail only on gaps not accepted in the baseline.
palisade compare specs/shop.palisade.yaml --baseline specs/fidelity-baseline.json --fail-on widened,narrowed,expectation
