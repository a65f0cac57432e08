#!/usr/bin/env bash
# A real one-node swarm judges the Swarm target (issue 16). For every sample that compiles for
# swarm, the stack Palisade writes is deployed with `docker stack deploy` (so swarmkit's manager
# applies its own rules, such as refusing an ingress port two services publish), with each
# service's image replaced by a local busybox image that listens on every TCP port the workload
# listens on; then, from the first task of every service, the last task of every service
# (another replica of its own service where it has several) is probed on every listened TCP
# port at each of its overlay addresses (`nc -w 1 ADDR PORT` in the source task's container:
# the static busybox cannot resolve names), and the set of (source, destination, port) that
# connect must equal the Swarm reader's relation between workloads (`palisade compile
# --dump-read`). Replicas of a service share its networks, so one task stands for each.
#
# What the probe copy changes in each stack: `image` (the local image), `command` (the
# listeners), `user` (removed: the listeners run as the image's root, without the capabilities
# the stack drops), `deploy.resources.limits.pids` (removed: one listener process per port)
# and `deploy.resources.limits.cpus` above this machine's CPUs (lowered to them: the node
# rejects a task that asks for more CPUs than it has).
# Networks, published ports, secrets (created here with dummy content), replicas, read-only
# roots, tmpfs mounts, labels and the other limits stay as generated. UDP and SCTP ports are
# not probed: busybox's nc speaks TCP only, and a UDP "connection" has no handshake to observe;
# overlay networks carry every protocol alike, so the TCP probes judge the network relation.
#
# The daemon is private: `dockerd --iptables=false --bridge=none` with its own data root, exec
# root, pid file, config file and unix socket under a temporary directory, started inside a
# new network namespace (`unshare --net`) so that its bridges (docker_gwbridge), swarm ports
# and routes never touch the host's network. Without iptables, Docker's isolation of
# docker_gwbridge (enable_icc=false) is not enforced, so only overlay addresses (the tasks'
# network attachments, `ingress` included) are probed. The stacks, the swarm and the daemon are
# removed on every exit (trap).
#
# Needs root, docker.io (dockerd) and busybox-static: installs them with apt-get when missing
# and root, else prints "SKIPPED: ..." and exits 0; also "SKIPPED" when the daemon cannot
# start here. Exits 1 on any mismatch or refused deployment.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

skip() {
  echo "SKIPPED: $*"
  exit 0
}
static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

if [ ! -x /usr/sbin/dockerd ] || ! static_busybox; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "conformance-swarm-live: installing docker.io busybox-static"
    (apt-get install -y -qq docker.io busybox-static || (apt-get update -qq && apt-get install -y -qq docker.io busybox-static)) >/dev/null 2>&1 || true
  fi
fi
if [ ! -x /usr/sbin/dockerd ] || ! static_busybox; then skip "needs docker.io (dockerd) and busybox-static"; fi
[ "$(id -u)" = 0 ] || skip "needs root to start dockerd"
for tool in unshare ip python3; do command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"; done
# docker.io's own client, the daemon's version.
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker) || skip "needs the docker client of docker.io"

python=python3
if ! "$python" -c 'import yaml' 2>/dev/null; then
  python=.build/conformance-venv/bin/python
  if ! "$python" -c 'import yaml' 2>/dev/null; then
    python3 -m venv .build/conformance-venv && .build/conformance-venv/bin/pip install --disable-pip-version-check 'PyYAML==6.0.3' >/dev/null 2>&1 \
      || { echo "conformance-swarm-live: cannot install PyYAML"; exit 1; }
  fi
fi
swift build >/dev/null 2>&1 || { echo "conformance-swarm-live: swift build failed"; exit 1; }
bin="$(swift build --show-bin-path)/palisade"

work=$(mktemp -d /tmp/palisade-swarm-live.XXXXXX)
export DOCKER_HOST="unix://$work/docker.sock"
daemon_pid=""
netns_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$netns_pid" ]; then
    if "$docker" version >/dev/null 2>&1; then
      for stack in $("$docker" stack ls --format '{{.Name}}' 2>/dev/null); do "$docker" stack rm "$stack" >/dev/null 2>&1 || true; done
      "$docker" swarm leave --force >/dev/null 2>&1 || true
    fi
    [ -z "$daemon_pid" ] && [ -f "$work/dockerd.pid" ] && daemon_pid=$(cat "$work/dockerd.pid")
    if [ -n "$daemon_pid" ]; then
      kill -TERM "$daemon_pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
    kill -TERM "$netns_pid" 2>/dev/null || true
    wait "$netns_pid" 2>/dev/null || true
  fi
  # Whatever the daemon left mounted under its roots.
  awk -v root="$work" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  if [ -n "${PALISADE_LIVE_KEEP:-}" ] && [ -d "$work/run" ]; then rm -rf "$PALISADE_LIVE_KEEP" && cp -r "$work/run" "$PALISADE_LIVE_KEEP"; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The daemon, in a network namespace of its own.
echo '{}' >"$work/daemon.json"
# Forwarding on, as on any Docker host: a probe of an address no network of the source task
# reaches then fails at once (no route) instead of waiting out its timeout.
unshare --net --fork -- sh -c 'ip link set lo up && echo 1 >/proc/sys/net/ipv4/ip_forward && exec "$@"' sh /usr/sbin/dockerd \
  --config-file "$work/daemon.json" --iptables=false --bridge=none \
  --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
  -H "unix://$work/docker.sock" >"$work/dockerd.log" 2>&1 &
netns_pid=$!
for _ in $(seq 1 60); do
  "$docker" version >/dev/null 2>&1 && break
  kill -0 "$netns_pid" 2>/dev/null || break
  sleep 0.5
done
if ! "$docker" version >/dev/null 2>&1; then
  reason=$({ grep -E 'level=(fatal|error)' "$work/dockerd.log" || tail -n 1 "$work/dockerd.log"; } | tail -n 1 | sed -E 's/.*msg="([^"]*)".*/\1/' || true)
  skip "dockerd does not start here: ${reason:-no API on its socket after 30 s}"
fi
daemon_pid=$(cat "$work/dockerd.pid" 2>/dev/null || true)
"$docker" swarm init --advertise-addr 127.0.0.1 >/dev/null || { echo "FAIL: docker swarm init"; exit 1; }
echo "conformance-swarm-live: dockerd $("$docker" version --format '{{.Server.Version}}') and a one-node swarm after $((SECONDS - started)) s"

# The local image: Debian's static busybox, no registry.
mkdir -p "$work/root/bin"
cp /bin/busybox "$work/root/bin/busybox"
for applet in sh nc true sleep; do ln -s busybox "$work/root/bin/$applet"; done
image=palisade-live-probe:1
tar -C "$work/root" -cf - . | "$docker" import - "$image" >/dev/null

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}

cat >"$work/live.py" <<'PY'
"""Helpers of conformance-swarm-live.sh: prepare a probe stack, write probe scripts, judge."""
import json, sys, yaml


def ports_of(texts):
    """TCP ports of a dumped port list ("tcp/80", "tcp/8000-8100", "tcp", "all")."""
    result = set()
    for text in texts:
        proto, _, rest = text.partition("/")
        if proto not in ("tcp", "all"):
            continue
        if not rest:
            result |= set(range(1, 65536))
        else:
            low, _, high = rest.partition("-")
            result |= set(range(int(low), int(high or low) + 1))
    return result


def prepare(stack_path, ir_path, image, out_path, plan_path, cpus):
    cpus = int(cpus)
    stack = yaml.safe_load(open(stack_path))
    ir = json.load(open(ir_path))
    listens = {w["name"]: sorted(ports_of(w["listens"])) for w in ir["workloads"]}
    for name, service in stack["services"].items():
        ports = listens.get(name, [])
        # busybox nc: -l twice or more keeps listening, and its listen backlog is the count of -l.
        listeners = " ".join(f"nc -{'l' * 64} -p {p} -e /bin/true &" for p in ports)
        service["image"] = image
        service["command"] = ["/bin/sh", "-c", f"{listeners} while true; do sleep 3600; done"]
        service.pop("user", None)
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        limits.pop("pids", None)
        if "cpus" in limits and float(limits["cpus"]) > cpus:
            limits["cpus"] = str(cpus)
    yaml.safe_dump(stack, open(out_path, "w"), sort_keys=False)
    json.dump({"listens": listens, "secrets": sorted(stack.get("secrets", {}))}, open(plan_path, "w"))


def probes(stack, plan_path, services_path, tasks_path, out_dir):
    """One shell script per source service, run in its first task; prints the source name."""
    plan = json.load(open(plan_path))
    names = {s["ID"]: s["Spec"]["Name"][len(stack) + 1:] for s in json.load(open(services_path))}
    tasks = [t for t in json.load(open(tasks_path)) if t["Status"]["State"] == "running"]
    targets = []
    sources = {}
    destinations = {}
    # Sources: the first task of each service; destinations: the last, so that a service's
    # probe of itself goes from one replica to another where it has several.
    for task in sorted(tasks, key=lambda t: t["Slot"]):
        service = names[task["ServiceID"]]
        sources.setdefault(service, task["Status"]["ContainerStatus"]["ContainerID"])
        destinations[service] = task
    for service, task in sorted(destinations.items()):
        for attachment in task.get("NetworksAttachments", []):
            for address in attachment.get("Addresses", []):
                for port in plan["listens"].get(service, []):
                    targets.append((service, task["ID"], address.split("/")[0], port))
    for service, container in sorted(sources.items()):
        lines = []
        for index, (dst, task, address, port) in enumerate(targets):
            lines.append(f"(nc -w 1 {address} {port} </dev/null >/dev/null 2>&1 && echo 'ok {dst} {task} {port} {address}' || echo 'no {dst} {task} {port} {address}') &")
            if index % 64 == 63:
                lines.append("wait")
        lines.append("wait")
        with open(f"{out_dir}/{service}.sh", "w") as script:
            script.write("\n".join(lines) + "\n")
        print(service, container)


def judge(read_path, plan_path, results_dir, retry, sources):
    """Connections that succeed (any address of a task) against the reader's relation."""
    relation = json.load(open(read_path))[0]["relation"]
    plan = json.load(open(plan_path))
    allowed = {(e["from"], e["to"]): ports_of(e["ports"]) for e in relation["between_workloads"]}
    mismatches, count, connected = [], 0, 0
    for source in sources:
        seen, tried = {}, {}
        for line in open(f"{results_dir}/{source}.out"):
            verdict, dst, task, port, address = line.split()
            key = (dst, task, int(port))
            seen[key] = seen.get(key, False) or verdict == "ok"
            tried.setdefault(key, []).append(f"{address} {verdict}")
        for (dst, task, port), ok in sorted(seen.items()):
            count += 1
            connected += ok
            expected = port in allowed.get((source, dst), set())
            if retry and expected and not ok:
                # Confirm a failure the reader does not expect (on a loaded machine a SYN can be
                # dropped, or wait past one second): two more tries, one address at a time.
                with open(f"{results_dir}/{source}.retry.sh", "a") as script:
                    for attempt in tried[(dst, task, port)]:
                        address = attempt.split()[0]
                        script.write(f"for try in 1 2; do nc -w 2 {address} {port} </dev/null >/dev/null 2>&1 && break; done"
                                     f" && echo 'ok {dst} {task} {port} {address}' || echo 'no {dst} {task} {port} {address}'\n")
                continue
            if ok != expected:
                mismatches.append(f"{source} -> {dst} (task {task[:12]}) tcp/{port}: {'connects' if ok else 'does not connect'}, "
                                  f"the reader says it {'may' if expected else 'may not'} ({', '.join(tried[(dst, task, port)])})")
        probed = {dst for dst, _, _ in seen}
        for dst, ports in plan["listens"].items():
            if ports and dst not in probed:
                mismatches.append(f"{source} -> {dst}: no task of {dst} was probed")
    print(json.dumps({"probes": count, "connected": connected, "mismatches": mismatches}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"prepare": prepare, "probes": probes, "judge": lambda r, p, d, retry, *s: judge(r, p, d, retry == "retry", s)}[command](*args)
PY

# The manager's own rule, first: it must refuse a second service on an ingress port.
cat >"$work/conflict.yaml" <<EOF
version: "3.9"
services:
  one: {image: $image, command: ["/bin/sleep", "3600"], ports: [{target: 80, published: 9999, protocol: tcp, mode: ingress}]}
  two: {image: $image, command: ["/bin/sleep", "3600"], ports: [{target: 80, published: 9999, protocol: tcp, mode: ingress}]}
EOF
if out=$("$docker" stack deploy --resolve-image never -c "$work/conflict.yaml" conflict 2>&1); then
  fail "the swarm accepted two services on ingress port 9999: it does not apply the rule this check relies on"
elif grep -q "already in use" <<<"$out"; then
  pass
else
  fail "the conflict stack failed for another reason: $out"
fi
"$docker" stack rm conflict >/dev/null 2>&1 || true

# A removed stack's services free their published ports for the next stack; its networks,
# named after the stack, go in the background (and with the swarm at the end).
wait_removed() {
  for _ in $(seq 1 120); do
    [ -z "$("$docker" service ls -q --filter "label=com.docker.stack.namespace=$1")" ] && return 0
    sleep 0.5
  done
  return 1
}
wait_removed conflict || true

total_probes=0
for spec in samples/*.yaml; do
  sample=$(basename "$spec" .yaml)
  stack_started=$SECONDS
  out="$work/out/$sample"
  if ! "$bin" compile "$spec" --target swarm --out "$out" >/dev/null 2>"$work/err"; then
    echo "conformance-swarm-live: $spec does not compile for swarm; not deployed"
    continue
  fi
  stack_file=$(ls "$out"/swarm/*/stack.yaml)
  stack=$(basename "$(dirname "$stack_file")")
  dir="$work/run/$stack"
  mkdir -p "$dir"
  if ! "$bin" compile "$spec" --target swarm --out "$dir/again" --dump-ir >"$dir/ir.json" 2>/dev/null \
    || ! "$bin" compile "$spec" --target swarm --out "$dir/again" --dump-read >"$dir/read.json" 2>/dev/null \
    || ! "$python" "$work/live.py" prepare "$stack_file" "$dir/ir.json" "$image" "$dir/probe.yaml" "$dir/plan.json" "$(nproc)"; then
    fail "$stack: cannot dump the IR or the read-back, or prepare the probe stack"
    continue
  fi
  for secret in $("$python" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["secrets"]))' "$dir/plan.json"); do
    "$docker" secret inspect "$secret" >/dev/null 2>&1 || printf 'not a secret' | "$docker" secret create "$secret" - >/dev/null
  done
  if ! deployed=$("$docker" stack deploy --resolve-image never -c "$dir/probe.yaml" "$stack" 2>&1); then
    fail "$stack: docker stack deploy refused the stack: $(grep -i -E 'error|failed|in use' <<<"$deployed" | head -n 3)"
    "$docker" stack rm "$stack" >/dev/null 2>&1 || true
    wait_removed "$stack" || true
    continue
  fi
  pass
  converged=false
  for _ in $(seq 1 180); do
    states=$("$docker" service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Replicas}}')
    if [ -n "$states" ] && ! awk -F'[/ ]' '$1 != $2 { bad = 1 } END { exit !bad }' <<<"$states"; then
      converged=true
      break
    fi
    sleep 0.5
  done
  if ! $converged; then
    fail "$stack: not every task runs after 90 s: $("$docker" stack ps "$stack" --no-trunc --format '{{.Name}} {{.CurrentState}} {{.Error}}' | grep -v Running | head -n 5)"
  else
    "$docker" service inspect $("$docker" service ls -q --filter "label=com.docker.stack.namespace=$stack") >"$dir/services.json"
    "$docker" inspect $("$docker" stack ps -q --filter desired-state=running "$stack") >"$dir/tasks.json"
    mkdir -p "$dir/probes"
    sources=()
    containers=()
    probers=()
    while read -r source container; do
      sources+=("$source")
      containers+=("$container")
      "$docker" exec -i "$container" /bin/sh -s <"$dir/probes/$source.sh" >"$dir/probes/$source.out" 2>/dev/null &
      probers+=($!)
    done < <("$python" "$work/live.py" probes "$stack" "$dir/plan.json" "$dir/services.json" "$dir/tasks.json" "$dir/probes")
    for prober in "${probers[@]}"; do wait "$prober" || true; done
    "$python" "$work/live.py" judge "$dir/read.json" "$dir/plan.json" "$dir/probes" retry "${sources[@]}" >/dev/null
    probers=()
    for index in "${!sources[@]}"; do
      source=${sources[$index]}
      [ -f "$dir/probes/$source.retry.sh" ] || continue
      "$docker" exec -i "${containers[$index]}" /bin/sh -s <"$dir/probes/$source.retry.sh" >>"$dir/probes/$source.out" 2>/dev/null &
      probers+=($!)
    done
    for prober in "${probers[@]}"; do wait "$prober" || true; done
    verdict=$("$python" "$work/live.py" judge "$dir/read.json" "$dir/plan.json" "$dir/probes" final "${sources[@]}")
    probes=$("$python" -c 'import json,sys; v=json.loads(sys.argv[1]); print(v["probes"], v["connected"]); [print(m) for m in v["mismatches"]]' "$verdict")
    read -r count connected <<<"$(head -n 1 <<<"$probes")"
    total_probes=$((total_probes + count))
    mismatches=$(tail -n +2 <<<"$probes")
    if [ -z "$mismatches" ] && [ "$count" -gt 0 ]; then
      pass
      echo "conformance-swarm-live: $stack: ${#sources[@]} services, $count task-port probes, $connected connect, as the reader says ($((SECONDS - stack_started)) s)"
    else
      fail "$stack: probed connectivity differs from the reader's relation ($count probes):"
      sed 's/^/    /' <<<"${mismatches:-no probe ran}" | head -n 20
    fi
  fi
  "$docker" stack rm "$stack" >/dev/null 2>&1 || true
  wait_removed "$stack" || fail "$stack: not removed after 60 s"
done

echo "conformance-swarm-live: $passed passed, $failed failed, $total_probes probes, $((SECONDS - started)) s"
[ "$failed" = 0 ]
