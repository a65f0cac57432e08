#!/usr/bin/env python3
"""Checks of targets/openshift/*/manifests.yaml that kubernetes-validate cannot make.

  openshift-check.py split FILE CORE_OUT
      writes the documents of the kinds kubernetes-validate has schemas for (everything but
      SecurityContextConstraints, EgressFirewall and Route) to CORE_OUT.
  openshift-check.py crds SHARED_SCHEMAS FILE...
      validates every SecurityContextConstraints and EgressFirewall against the schemas in
      SHARED_SCHEMAS (jsonschema), and every Route against the fields route.openshift.io/v1
      requires (no schema ships offline).
  openshift-check.py compare NCA_PAIRS_JSON READ_JSON POLICY MANIFESTS [TARGET]
      compares network-config-analyzer's workload pairs with palisade's reader for POLICY on
      TARGET (openshift, or kubernetes for scripts/conformance-kubernetes.sh).
      Left out: self pairs (nca never reports them) and Deployments scaled to 0 replicas (nca
      models their pods as absent; palisade's relation is about the workload whenever it runs).
  openshift-check.py scc [--overlay] FILE...
      SCC admission, evaluated here from the file alone: every SCC's content differs from every
      other's (one per runtime profile); every SCC is used; and each Deployment's pod is
      admitted by exactly the SCC made for its profile: among the SCCs its service account may
      `use` (Roles and RoleBindings in its namespace) plus restricted-v2 (priority 0), that SCC
      admits the pod, matches what the pod asks for, and has a higher priority than every other
      that admits the pod (so OpenShift's ordering by priority picks it, whatever the
      restrictiveness and name tie-breaks). Deployments, StatefulSets and DaemonSets alike. With
      --overlay (a team's workloads built with palisade's component), an SCC made for a profile
      admits restricted-v2's volume types, the team's own volumes among them.
  openshift-check.py overlay-specs SPEC...
      rewrites copies of the sample specs in place to ask for `output: overlay` on openshift
      (the target's option line gets `output: overlay`, or one is added under `targets:`).
Exit status 1 on any failure, with one line per problem.
"""
import ipaddress
import json
import re
import sys

import yaml

CRD_KINDS = {"SecurityContextConstraints", "EgressFirewall", "Route"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def split(path, out):
    core = [doc for doc in documents(path) if doc["kind"] not in CRD_KINDS]
    with open(out, "w") as handle:
        yaml.safe_dump_all(core, handle, sort_keys=False)
    return 0


def route_problems(doc):
    problems = []
    spec = doc.get("spec", {})
    name = doc["metadata"]["name"]
    if doc.get("apiVersion") != "route.openshift.io/v1":
        problems.append(f"Route {name}: apiVersion")
    to = spec.get("to", {})
    if to.get("kind") != "Service" or not to.get("name"):
        problems.append(f"Route {name}: spec.to must name a Service")
    if not isinstance(spec.get("port", {}).get("targetPort"), (str, int)):
        problems.append(f"Route {name}: spec.port.targetPort")
    termination = spec.get("tls", {}).get("termination")
    if termination not in (None, "edge", "passthrough", "reencrypt"):
        problems.append(f"Route {name}: tls.termination {termination}")
    for key, value in doc["metadata"].get("annotations", {}).items():
        if key.endswith(("/ip_whitelist", "/ip_allowlist")):
            if value != value.strip() or "  " in value:
                problems.append(f"Route {name}: {key} must be single-space separated")
            for entry in value.split(" "):
                try:
                    ipaddress.ip_network(entry, strict=True)
                except ValueError:
                    problems.append(f"Route {name}: {key} entry {entry!r} is not an address or CIDR")
    return problems


def crds(schemas, paths):
    import jsonschema
    validators = {}
    for kind, file in (("SecurityContextConstraints", "securitycontextconstraints-security-v1.json"),
                       ("EgressFirewall", "egressfirewall-k8s-v1.json")):
        with open(f"{schemas}/{file}") as handle:
            schema = json.load(handle)
        validators[kind] = jsonschema.validators.validator_for(schema)(schema)
    failures = 0
    checked = {"SecurityContextConstraints": 0, "EgressFirewall": 0, "Route": 0}
    for path in paths:
        egress_firewalls = {}
        for doc in documents(path):
            kind = doc["kind"]
            if kind not in CRD_KINDS:
                continue
            checked[kind] += 1
            if kind == "Route":
                problems = route_problems(doc)
            else:
                problems = [f"{kind} {doc['metadata']['name']}: {error.message} at {list(error.absolute_path)}"
                            for error in validators[kind].iter_errors(doc)]
            if kind == "EgressFirewall":
                namespace = doc["metadata"]["namespace"]
                egress_firewalls[namespace] = egress_firewalls.get(namespace, 0) + 1
                if doc["metadata"]["name"] != "default":
                    problems.append(f"EgressFirewall in {namespace} must be named default")
                if len(doc["spec"]["egress"]) > 8000:
                    problems.append(f"EgressFirewall in {namespace}: more than 8000 rules")
            for problem in problems:
                print(f"FAIL: {path}: {problem}")
                failures += 1
        for namespace, count in egress_firewalls.items():
            if count > 1:
                print(f"FAIL: {path}: {count} EgressFirewalls in {namespace}")
                failures += 1
    print("openshift-check: " + ", ".join(f"{count} {kind}" for kind, count in checked.items()) + " checked")
    return 1 if failures else 0


def normalized(ports):
    """palisade writes a whole protocol as `tcp`, nca's parser as `tcp/1-65535`."""
    return [f"{port}/1-65535" if port in ("tcp", "udp", "sctp") else port for port in ports]


def compare(nca_path, read_path, policy, manifests, target="openshift"):
    idle = {doc["metadata"]["name"] for doc in documents(manifests)
            if doc["kind"] in WORKLOAD_KINDS and doc["spec"].get("replicas", 1) == 0}
    with open(nca_path) as handle:
        nca = {(pair["from"], pair["to"]): pair["ports"] for pair in json.load(handle)}
    with open(read_path) as handle:
        entries = [entry for entry in json.load(handle) if entry["policy"] == policy and entry["target"] == target]
    if len(entries) != 1:
        print(f"FAIL: no read-back relation for {policy}")
        return 1
    ours = {(pair["from"], pair["to"]): normalized(pair["ports"]) for pair in entries[0]["relation"]["between_workloads"]
            if pair["from"] != pair["to"] and not idle & {pair["from"], pair["to"]}}
    failures = 0
    for key in sorted(set(nca) | set(ours)):
        if nca.get(key) != ours.get(key):
            print(f"FAIL: {policy}: {key[0]} -> {key[1]}: network-config-analyzer {nca.get(key)}, palisade {ours.get(key)}")
            failures += 1
    if not failures:
        skipped = f" ({', '.join(sorted(idle))} at 0 replicas left out)" if idle else ""
        print(f"openshift-check: {policy}: {len(ours)} workload pairs agree with network-config-analyzer{skipped}")
    return 1 if failures else 0


RESTRICTED_V2 = {
    "metadata": {"name": "restricted-v2"}, "priority": None, "allowPrivilegedContainer": False,
    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": False, "requiredDropCapabilities": ["ALL"],
    "allowedCapabilities": ["NET_BIND_SERVICE"], "allowHostNetwork": False, "allowHostPID": False, "allowHostIPC": False,
    "allowHostPorts": False, "runAsUser": {"type": "MustRunAsRange"}, "seccompProfiles": ["runtime/default"],
    "volumes": ["configMap", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"],
}

SECCOMP = {"RuntimeDefault": "runtime/default", "Unconfined": "unconfined"}


def pod_requests(doc):
    """What a Deployment's pod asks of SCC admission."""
    pod = doc["spec"]["template"]["spec"]
    container = pod["containers"][0]
    context = container.get("securityContext") or {}
    pod_context = pod.get("securityContext") or {}
    seccomp = context.get("seccompProfile") or pod_context.get("seccompProfile")
    if seccomp:
        seccomp = SECCOMP.get(seccomp["type"]) or "localhost/" + seccomp.get("localhostProfile", "")
    volumes = set()
    for volume in pod.get("volumes") or []:
        volumes |= {key for key in volume if key != "name"}
    return {
        "privileged": context.get("privileged") is True,
        "escalation": context.get("allowPrivilegeEscalation"),
        "readonly": context.get("readOnlyRootFilesystem"),
        "add": (context.get("capabilities") or {}).get("add") or [],
        "drop": (context.get("capabilities") or {}).get("drop"),
        "user": context.get("runAsUser", pod_context.get("runAsUser")),
        "nonroot": context.get("runAsNonRoot", pod_context.get("runAsNonRoot")),
        "seccomp": seccomp,
        "host": (pod.get("hostNetwork", False), pod.get("hostPID", False), pod.get("hostIPC", False)),
        "hostports": pod.get("hostNetwork", False) and bool(container.get("ports")),
        "volumes": volumes,
    }


def admits(scc, pod):
    """Whether the SCC lets the pod run (the checks of OpenShift's providers that palisade's
    objects exercise)."""
    if pod["privileged"] and not scc["allowPrivilegedContainer"]:
        return False
    allowed = (scc["allowHostNetwork"], scc["allowHostPID"], scc["allowHostIPC"])
    if any(asked and not ok for asked, ok in zip(pod["host"], allowed)) or pod["hostports"] and not scc["allowHostPorts"]:
        return False
    allowed_caps = scc.get("allowedCapabilities") or []
    if "*" not in allowed_caps and not set(pod["add"]) <= set(allowed_caps):
        return False
    if any(cap in pod["add"] for cap in scc.get("requiredDropCapabilities") or [] if cap != "ALL"):
        return False
    strategy = scc["runAsUser"]["type"]
    if strategy == "MustRunAs" and pod["user"] not in (None, scc["runAsUser"]["uid"]):
        return False
    if strategy == "MustRunAsNonRoot" and (pod["user"] == 0 or pod["nonroot"] is False):
        return False
    if strategy == "MustRunAsRange" and pod["user"] is not None:
        return False
    if scc["readOnlyRootFilesystem"] and pod["readonly"] is False:
        return False
    if not scc["allowPrivilegeEscalation"] and pod["escalation"] is True:
        return False
    profiles = scc.get("seccompProfiles") or []
    if "*" not in profiles and pod["seccomp"] is not None:
        names = {"docker/default" if p == "runtime/default" else p for p in profiles} | set(profiles)
        if pod["seccomp"] not in names:
            return False
    volumes = scc.get("volumes") or []
    if "*" not in volumes and not pod["volumes"] <= set(volumes):
        return False
    return True


def made_for(scc, pod, overlay=False):
    """Whether the SCC is the one made for what the pod asks: it allows exactly that."""
    strategy = scc["runAsUser"]
    if pod["user"] is not None:
        user = strategy == {"type": "MustRunAs", "uid": pod["user"]}
    elif pod["nonroot"] is not None:
        user = strategy["type"] == ("MustRunAsNonRoot" if pod["nonroot"] else "RunAsAny")
    else:
        user = strategy["type"] == "MustRunAsRange"
    if pod["drop"] is None and not pod["add"]:
        caps = scc["allowedCapabilities"] == ["NET_BIND_SERVICE"] and scc["requiredDropCapabilities"] == ["ALL"]
    else:
        caps = scc["allowedCapabilities"] == pod["add"] and scc["requiredDropCapabilities"] == (pod["drop"] or [])
    return (user and caps and scc["allowPrivilegedContainer"] == pod["privileged"]
            and scc["allowPrivilegeEscalation"] == (pod["privileged"] or pod["escalation"] is True)
            and (scc["allowHostNetwork"], scc["allowHostPID"], scc["allowHostIPC"]) == pod["host"]
            and scc["readOnlyRootFilesystem"] == (pod["readonly"] is True)
            and scc["seccompProfiles"] == [pod["seccomp"] or "runtime/default"]
            and (set(scc["volumes"]) == set(RESTRICTED_V2["volumes"]) >= pod["volumes"] if overlay
                 else set(scc["volumes"]) == (pod["volumes"] or {"none"})))


def scc_check(paths, overlay=False):
    failures = 0
    for path in paths:
        docs = documents(path)
        sccs = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == "SecurityContextConstraints"}
        contents = {}
        for name, doc in sccs.items():
            content = json.dumps({key: value for key, value in doc.items() if key not in ("metadata", "priority")}, sort_keys=True)
            if content in contents:
                print(f"FAIL: {path}: SCCs {contents[content]} and {name} have the same content")
                failures += 1
            contents[content] = name
        roles = {(doc["metadata"]["namespace"], doc["metadata"]["name"]): doc for doc in docs if doc["kind"] == "Role"}
        usable = {}
        for doc in docs:
            if doc["kind"] != "RoleBinding":
                continue
            namespace = doc["metadata"]["namespace"]
            role = roles.get((namespace, doc["roleRef"]["name"]), {"rules": []})
            names = [name for rule in role["rules"] if "use" in rule["verbs"] and "securitycontextconstraints" in rule["resources"]
                     for name in rule.get("resourceNames", []) if name in sccs]
            for subject in doc["subjects"]:
                if subject["kind"] == "ServiceAccount" and subject.get("namespace", namespace) == namespace:
                    usable.setdefault((namespace, subject["name"]), set()).update(names)
        used = set()
        deployments = 0
        for doc in docs:
            if doc["kind"] not in WORKLOAD_KINDS:
                continue
            deployments += 1
            name, namespace = doc["metadata"]["name"], doc["metadata"]["namespace"]
            account = doc["spec"]["template"]["spec"].get("serviceAccountName", "default")
            pod = pod_requests(doc)
            candidates = [RESTRICTED_V2] + [sccs[scc] for scc in sorted(usable.get((namespace, account), ()))]
            admitting = [scc for scc in candidates if admits(scc, pod)]
            own = [scc for scc in admitting if made_for(scc, pod, overlay) and scc is not RESTRICTED_V2]
            if len(own) != 1:
                print(f"FAIL: {path}: {doc['kind']} {namespace}/{name}: {len(own)} SCCs made for its profile admit it")
                failures += 1
                continue
            used.add(own[0]["metadata"]["name"])
            top = own[0].get("priority") or 0
            rivals = [scc["metadata"]["name"] for scc in admitting if scc is not own[0] and (scc.get("priority") or 0) >= top]
            if rivals:
                print(f"FAIL: {path}: {doc['kind']} {namespace}/{name}: {', '.join(rivals)} would admit it before or with {own[0]['metadata']['name']}")
                failures += 1
        for name in sorted(set(sccs) - used):
            print(f"FAIL: {path}: SCC {name} admits no Deployment")
            failures += 1
        if not failures:
            print(f"openshift-check: {path}: {deployments} workloads each admitted by the one SCC of its profile ({len(sccs)} SCCs)")
    return 1 if failures else 0


def overlay_specs(paths):
    for path in paths:
        with open(path) as handle:
            lines = handle.read().split("\n")
        done = False
        for index, line in enumerate(lines):
            match = re.match(r"^(\s+)openshift: \{(.*)\}(.*)$", line)
            if match:
                lines[index] = f"{match.group(1)}openshift: {{{match.group(2)}, output: overlay}}{match.group(3)}"
                done = True
                break
        if not done:
            for index, line in enumerate(lines):
                if re.match(r"^targets:\s*(#.*)?$", line):
                    lines.insert(index + 1, "  openshift: {output: overlay}")
                    done = True
                    break
        if not done:
            lines += ["targets:", "  openshift: {output: overlay}", ""]
        with open(path, "w") as handle:
            handle.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "split":
        sys.exit(split(*arguments))
    if command == "crds":
        sys.exit(crds(arguments[0], arguments[1:]))
    if command == "compare":
        sys.exit(compare(*arguments))
    if command == "scc":
        overlay = arguments[:1] == ["--overlay"]
        sys.exit(scc_check(arguments[1:] if overlay else arguments, overlay))
    if command == "overlay-specs":
        sys.exit(overlay_specs(arguments))
    sys.exit(f"unknown command {command}")
