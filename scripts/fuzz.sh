#!/usr/bin/env bash
# Fuzzing: builds the fuzz targets of Fuzz/ with libFuzzer and AddressSanitizer, seeds them from
# the samples, the generated files under targets/ and the bad-input corpus, and runs them.
#
#   scripts/fuzz.sh [TARGET…] [SECONDS]   run each TARGET (default: every one) for SECONDS
#                                         (default 60) and keep what it learns in Fuzz/.build/corpus
#   scripts/fuzz.sh --ci                  every target briefly (FUZZ_CI_SECONDS, default 5 each),
#                                         built in debug (-Onone, assertions on): a build of a
#                                         minute on two cores, not the release build's minutes
#   scripts/fuzz.sh --list                the targets
#   scripts/fuzz.sh --build-only          build the targets, run nothing (.ci/run builds them with
#                                         --ci in the background while other steps run)
#   scripts/fuzz.sh --replay TARGET FILE… run one target on the given inputs, once each
#
# Targets: yaml spec pipeline openshift swarm mesos aws gcp azure kubernetes nftables
# (docs/fuzzing.md says what each reads). A crash, a sanitizer report, an input slower than FUZZ_TIMEOUT seconds (default 10) or
# one using more than FUZZ_RSS_MB (default 2048) fails the target; the input is kept under
# Fuzz/.build/artifacts/TARGET/ and the log under Fuzz/.build/logs/. Extra libFuzzer flags go in
# FUZZ_ARGS. Prints "N passed, N failed"; exits 1 when a target failed or the build did, and 0
# with "SKIPPED: needs …" when the Swift toolchain has no libFuzzer.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz=Fuzz
work=$fuzz/.build
all_targets=(yaml spec pipeline openshift swarm mesos aws gcp azure kubernetes nftables)

module() {
  case $1 in
    yaml) echo FuzzYAML ;; spec) echo FuzzSpec ;; pipeline) echo FuzzPipeline ;;
    openshift) echo FuzzOpenShift ;; swarm) echo FuzzSwarm ;; mesos) echo FuzzMesos ;;
    aws) echo FuzzAWS ;; gcp) echo FuzzGCP ;; azure) echo FuzzAzure ;;
    kubernetes) echo FuzzKubernetes ;; nftables) echo FuzzNFTables ;;
    *) return 1 ;;
  esac
}

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

ci=false
build_only=false
replay=false
seconds=60
targets=()
replay_files=()
while [ $# -gt 0 ]; do
  case $1 in
    --ci) ci=true ;;
    --list) printf '%s\n' "${all_targets[@]}"; exit 0 ;;
    --build-only) build_only=true ;;
    --replay) replay=true ;;
    -h|--help) usage; exit 0 ;;
    *)
      if $replay && [ ${#targets[@]} -eq 1 ]; then replay_files+=("$1")
      elif [[ $1 =~ ^[0-9]+$ ]]; then seconds=$1
      elif module "$1" >/dev/null; then targets+=("$1")
      else echo "fuzz: unknown target '$1' (try --list)" >&2; exit 2
      fi ;;
  esac
  shift
done
if $replay && { [ ${#targets[@]} -ne 1 ] || [ ${#replay_files[@]} -eq 0 ]; }; then
  echo "fuzz: --replay takes one target and the inputs to run" >&2; exit 2
fi
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
# Under --ci the targets share the time CI gave nine of them at 7 s each (63 s): 5 s each for eleven.
if $ci; then seconds=${FUZZ_CI_SECONDS:-5}; fi
timeout_seconds=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}

# Does this toolchain link Swift with libFuzzer and AddressSanitizer at all?
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
cat > "$probe/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func probe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 { 0 }
EOF
if ! command -v swiftc >/dev/null 2>&1 \
  || ! swiftc -parse-as-library -sanitize=fuzzer,address "$probe/probe.swift" -o "$probe/probe" >"$probe/log" 2>&1; then
  echo "fuzz: this Swift toolchain cannot build libFuzzer targets:"
  sed -n '1,5p' "$probe/log"
  echo "SKIPPED: needs a Swift toolchain with libFuzzer (swiftc -sanitize=fuzzer,address), such as swift.org's for Linux"
  exit 0
fi

# SwiftPM names a path dependency after its folder; a checkout in a folder called `fuzz` would
# clash with this package's own name, so the main package is reached through a link named palisade.
mkdir -p "$work"
ln -sfn ../.. "$work/palisade"
export PALISADE_PACKAGE=.build/palisade
export PALISADE_ROOT=$root

# The long runs fuzz the release build, the code users run, at its speed; the brief run CI makes
# fuzzes the debug build: it builds in a fraction of the time, on both cores, checks the
# assertions too, and runs the seeds and fewer mutations in its seconds.
config=release
if $ci; then config=debug; fi
echo "fuzz: building the fuzz targets ($config, -sanitize=fuzzer,address)"
build_started=$SECONDS
if ! swift build -c "$config" -Xswiftc -sanitize=fuzzer,address --package-path "$fuzz" >"$work/build.log" 2>&1; then
  grep -E 'error:' "$work/build.log" | head -n 20
  echo "fuzz: the build failed (log: $work/build.log)"
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi
echo "fuzz: built in $((SECONDS - build_started))s"
bin=$(swift build -c "$config" -Xswiftc -sanitize=fuzzer,address --package-path "$fuzz" --show-bin-path)
if $build_only; then exit 0; fi

# Sanitizer settings: fail on the first report; leaks count, as in any libFuzzer run, but for
# Swift's once-initialised globals (Fuzz/lsan.supp says why).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/$fuzz/lsan.supp:print_suppressions=0}
export SWIFT_BACKTRACE=enable=no

if $replay; then
  exec "$bin/$(module "${targets[0]}")" -runs=1 "${replay_files[@]}"
fi

# Seeds, laid out afresh on every run from the repository's own files.
add_seed() { # TARGET NAME FILE…: one seed made of the files, joined as a file bundle when several
  local dir=$work/seeds/$1 name=$2
  shift 2
  mkdir -p "$dir"
  cat "$@" >"$dir/$name"
}
bundle() { # MAIN [PATH=FILE…]: MAIN's bytes, then each FILE under a `#file: PATH` line
  local main=$1
  shift
  cat "$main"
  local entry
  for entry in "$@"; do
    printf '\n#file: %s\n' "${entry%%=*}"
    cat "${entry#*=}"
  done
}
make_seeds() {
  rm -rf "$work/seeds"
  local file name
  local common=()
  for file in samples/common/*.yaml; do common+=("common/$(basename "$file")=$file"); done
  local includes=()
  for file in Tests/SpecTests/BadInputs/includes/*.yaml; do includes+=("includes/$(basename "$file")=$file"); done
  for file in samples/*.yaml samples/common/*.yaml Tests/SpecTests/Fixtures/*.yaml Tests/SpecTests/BadInputs/*.yaml; do
    name=$(echo "$file" | tr '/' '_')
    add_seed yaml "$name" "$file"
  done
  for file in samples/*.yaml Tests/SpecTests/Fixtures/*.yaml; do
    name=$(echo "$file" | tr '/' '_')
    bundle "$file" "${common[@]}" >"$work/seed.tmp"
    add_seed spec "$name" "$work/seed.tmp"
    add_seed pipeline "$name" "$work/seed.tmp"
  done
  for file in Tests/SpecTests/BadInputs/*.yaml; do
    name=$(echo "$file" | tr '/' '_')
    # Under its own name, so that the includes naming it (a file that includes itself) find it.
    { printf '#file: %s\n' "$(basename "$file")"; bundle "$file" "${includes[@]}"; } >"$work/seed.tmp"
    add_seed spec "$name" "$work/seed.tmp"
  done
  local dir
  for dir in targets/*/*/; do
    local target policy
    target=$(basename "$(dirname "$dir")")
    policy=$(basename "$dir")
    case $target in
      openshift) add_seed openshift "$policy" "$dir/manifests.yaml"; add_seed yaml "openshift-$policy" "$dir/manifests.yaml" ;;
      swarm) add_seed swarm "$policy" "$dir/stack.yaml"; add_seed yaml "swarm-$policy" "$dir/stack.yaml" ;;
      mesos)
        bundle "$dir/marathon.json" "acls.json=$dir/acls.json" >"$work/seed.tmp"
        add_seed mesos "$policy" "$work/seed.tmp"
        add_seed mesos "$policy-acls" <(printf '#file: acls.json\n'; cat "$dir/acls.json") ;;
      aws) for file in "$dir"/security-groups*.json; do add_seed aws "$policy-$(basename "$file")" "$file"; done ;;
      gcp) add_seed gcp "$policy" "$dir/firewall-rules.json" ;;
      azure) for file in "$dir"/nsg*.json; do add_seed azure "$policy-$(basename "$file")" "$file"; done ;;
      kubernetes) add_seed kubernetes "$policy" "$dir/manifests.yaml"; add_seed yaml "kubernetes-$policy" "$dir/manifests.yaml" ;;
      nftables)
        # One ruleset per workload, each under its own name.
        for file in "$dir"*.nft; do
          add_seed nftables "$policy-$(basename "$file")" <(printf '#file: %s\n' "$(basename "$file")"; cat "$file")
        done ;;
    esac
  done
  # Inputs that once crashed a target stay seeds for good.
  for dir in "$fuzz"/Regressions/*/; do
    [ -d "$dir" ] || continue
    target=$(basename "$dir")
    for file in "$dir"*; do [ -f "$file" ] && add_seed "$target" "regression-$(basename "$file")" "$file"; done
  done
  rm -f "$work/seed.tmp"
}
make_seeds

passed=0
failed=0
failures=()
mkdir -p "$work/logs"
for target in "${targets[@]}"; do
  corpus=$work/corpus/$target
  artifacts=$work/artifacts/$target
  log=$work/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$work/seeds/$target"
  dict=()
  case $target in yaml|openshift|swarm|kubernetes) kind=yaml ;; spec|pipeline) kind=spec ;; nftables) kind=nft ;; *) kind=json ;; esac
  mkdir -p "$work/dictionaries"
  if python3 "$fuzz/make-dictionary.py" "$kind" "$work/seeds/$target" >"$work/dictionaries/$target.dict" 2>/dev/null; then
    dict=(-dict="$work/dictionaries/$target.dict")
  fi
  started=$SECONDS
  # shellcheck disable=SC2086
  "$bin/$(module "$target")" "$corpus" "$work/seeds/$target" "${dict[@]}" \
    -max_total_time="$seconds" -timeout="$timeout_seconds" -rss_limit_mb="$rss_mb" -max_len=131072 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
  status=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n1)
  if [ $status -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz: $target passed: ${runs:-?} inputs in $((SECONDS - started))s, corpus $(ls "$corpus" | wc -l) + $(ls "$work/seeds/$target" | wc -l) seeds"
  else
    failed=$((failed + 1))
    failures+=("$target")
    echo "FAIL: fuzz $target (exit $status after $((SECONDS - started))s; log: $log)"
    grep -E 'SUMMARY:|Fatal error|fuzz property failed|ERROR: libFuzzer|ERROR: AddressSanitizer|LeakSanitizer|Test unit written' "$log" | head -n 8 | sed 's/^/  /'
  fi
done
echo "$passed passed, $failed failed"
if [ $failed -gt 0 ]; then
  echo "fuzz: replay an input with: scripts/fuzz.sh --replay TARGET FILE (failed: ${failures[*]})"
  exit 1
fi
