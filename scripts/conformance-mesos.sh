#!/usr/bin/env bash
# Mesos conformance: every Marathon group Palisade writes must validate against Marathon's
# published Group and AppDefinition schemas (../shared/schemas, Draft 4: the group, and every
# app of every sub-group), with the rules the old schemas miss checked too (Marathon 1.10's
# network name pattern, one container network per Docker app, host ports only with a single
# network or `networkNames`); every acls.json must validate against the Mesos ACL schema
# (../shared/schemas/mesos-acls.json) and say `permissive: false`. Checked on:
#  - complete mode: targets/mesos/*/ (marathon.json, acls.json);
#  - --apply-to: every sample compiled with .build/debug/palisade onto its application fixture
#    (`--apply-to samples/apps/POLICY/marathon.json`), under both containerizers: the team's
#    group hardened, and the ACLs.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${PALISADE_SHARED:-../shared}
venv=.build/conformance-venv
[ -f "$shared/schemas/marathon-Group.json" ] || { echo "SKIPPED: needs the published Marathon and Mesos schemas under $shared/schemas (set PALISADE_SHARED to the folder holding schemas/)"; exit 0; }
if ! "$venv/bin/python" -c 'import jsonschema, referencing' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check 'jsonschema==4.26.0' >/dev/null 2>&1 \
    || { echo "conformance-mesos: cannot install jsonschema"; exit 1; }
fi
folders=(targets/mesos/*/)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
palisade=.build/debug/palisade
if [ ! -x "$palisade" ]; then
  echo "SKIPPED: the --apply-to outputs: needs $palisade (swift build)"
elif ! "$palisade" compile --help 2>&1 | grep -c -- '--apply-to' >/dev/null; then
  echo "SKIPPED: the --apply-to outputs: needs palisade compile --apply-to"
else
  for spec in samples/*.yaml; do
    policy=$(sed -n 's/^name: *\([A-Za-z0-9_.-]*\).*/\1/p' "$spec" | head -n 1)
    app=samples/apps/$policy/marathon.json
    if [ ! -f "$app" ]; then
      folders+=("$work/no-fixture-for-$policy")
    else
      for containerizer in docker mesos; do
        out=$work/$containerizer
        if "$palisade" compile "$spec" --target mesos --set "mesos.containerizer=$containerizer" --apply-to "$app" --out "$out" >"$work/log" 2>&1; then
          folders+=("$out/mesos/$policy/")
        else
          folders+=("$work/no-output-for-$policy")
          cat "$work/log"
        fi
      done
    fi
  done
fi
"$venv/bin/python" - "$shared/schemas" "${folders[@]}" <<'PY'
import json, pathlib, re, sys
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

schemas = pathlib.Path(sys.argv[1])
group_schema = json.loads((schemas / "marathon-Group.json").read_text())
app_schema = json.loads((schemas / "marathon-AppDefinition.json").read_text())
acl_schema = json.loads((schemas / "mesos-acls.json").read_text())
base = group_schema["id"].rsplit("/", 1)[0]
registry = Registry().with_resources([
    (group_schema["id"], Resource.from_contents(group_schema, default_specification=DRAFT4)),
    (base + "/AppDefinition.json", Resource.from_contents(app_schema, default_specification=DRAFT4)),
])
group_validator = jsonschema.Draft4Validator(group_schema, registry=registry)
app_validator = jsonschema.Draft4Validator(app_schema)
acl_validator = jsonschema.Draft202012Validator(acl_schema)
network_name = re.compile(r"^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$")
segment = re.compile(r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$")
passed = failed = 0

def report(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")

def apps(group):
    yield from group.get("apps", [])
    for child in group.get("groups", []):
        yield from apps(child)

def check_marathon(path):
    marathon = json.loads(path.read_text())
    group = "apps" in marathon or "groups" in marathon
    if group:
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in group_validator.iter_errors(marathon)]
        report(not errors, f"{path} against Group.json: {errors[:3]}")
    for app in apps(marathon) if group else [marathon]:
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in app_validator.iter_errors(app)]
        problems = []
        if not all(segment.match(s) for s in app["id"].strip("/").split("/")):
            problems.append("id is not a Marathon path")
        networks = app.get("networks", [])
        if not networks or not all(n.get("mode") == "container" and network_name.match(n.get("name", "")) and len(n["name"]) <= 63 for n in networks):
            problems.append("every app needs named container networks (Marathon 1.10 NetworkName)")
        if app["container"]["type"] == "DOCKER" and len(networks) > 1:
            problems.append("the Docker containerizer takes one container network")
        if app["container"]["type"] == "MESOS" and (app["container"]["docker"].get("parameters") or "privileged" in app["container"]["docker"]):
            problems.append("the Mesos containerizer takes no docker parameters")
        for mapping in app["container"].get("portMappings", []):
            if mapping.get("hostPort") and len(networks) > 1 and len(mapping.get("networkNames", [])) != 1:
                problems.append("a host port with several networks needs one networkNames entry")
        report(not errors and not problems, f"{path} app {app['id']}: {errors[:3]} {problems}")

policies = [pathlib.Path(p) for p in sys.argv[2:]]
report(bool(policies), "no compiled policies under targets/mesos")
for folder in policies:
    if not folder.is_dir():
        report(False, f"{folder.name}: a sample without its --apply-to output (samples/apps/POLICY/marathon.json)")
        continue
    # Complete mode writes marathon.json; --apply-to writes the team's files under their names.
    for path in sorted(p for p in folder.rglob("*.json") if p.name != "acls.json"):
        check_marathon(path)
    acls = json.loads((folder / "acls.json").read_text())
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in acl_validator.iter_errors(acls)]
    report(not errors and acls.get("permissive") is False, f"{folder}/acls.json against mesos-acls.json: {errors[:3]}")
print(f"conformance-mesos: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
