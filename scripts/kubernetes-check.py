#!/usr/bin/env python3
"""Checks of targets/kubernetes/*/manifests.yaml that kubernetes-validate cannot make.

  kubernetes-check.py psa FILE...
      Pod Security Admission, evaluated here from the file alone and written from the Pod
      Security Standards page (kubernetes.io/docs/concepts/security/pod-security-standards),
      independently of palisade's Swift code: every Namespace carries
      pod-security.kubernetes.io/enforce and enforce-version v1.30; its level admits every
      Deployment of the namespace; and it is the strictest level that does (a baseline
      namespace holds a pod restricted refuses, a privileged one a pod baseline refuses).
  kubernetes-check.py kinds FILE...
      only kinds a plain Kubernetes 1.30 cluster serves (no SecurityContextConstraints,
      EgressFirewall or Route), and the DNS egress to kube-system's kube-dns pods.
  kubernetes-check.py cilium SPECDIR FILE...
      the CiliumNetworkPolicies of files compiled with `--set kubernetes.cni=cilium`, checked
      against the field names and types of Cilium's policy API reference (cilium.io/v2; no
      schema of the CRD ships on PyPI) independently of palisade's Swift code: each selects
      one Deployment of its namespace; each egress rule is toFQDNs or toEndpoints (never both)
      with toPorts; names are matchName or matchPattern of DNS characters, and every name is a
      dns: destination of the spec the file's header names (in SPECDIR, with its includes);
      ports are numbers 0-65535 as strings (0: every port), endPort a range above them, at
      most 40 per entry, protocol TCP, UDP, SCTP or ANY; and a policy with toFQDNs also sends
      lookups to kube-system's kube-dns pods on 53/UDP and 53/TCP through the DNS proxy
      (rules.dns matchPattern '*'), without which Cilium learns no name's addresses.
  kubernetes-check.py without-cilium FILE
      prints FILE's documents but its CiliumNetworkPolicies, for the tools that know no CRD
      (kubernetes-validate, network-config-analyzer).
  --overlay (psa and kinds): FILE is what kubectl kustomize built from a team's workloads and
      palisade's component: StatefulSets and DaemonSets are admitted as Deployments are, and the
      team's own kinds (ConfigMaps, …) are allowed.
Exit status 1 on any failure, with one line per problem.
"""
import os
import re
import sys

import yaml

LEVELS = ["privileged", "baseline", "restricted"]
BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
                         "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
KINDS = {"Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Deployment", "Service",
         "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def refusals(pod, level):
    """What of `pod` (a pod spec) the level refuses, in words."""
    if level == "privileged":
        return []
    found = []
    context = pod.get("securityContext") or {}
    containers = pod.get("containers", []) + pod.get("initContainers", [])
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            found.append(flag)
    volumes = {key for volume in pod.get("volumes", []) for key in volume if key != "name"}
    if "hostPath" in volumes:
        found.append("hostPath")
    for container in containers:
        own = container.get("securityContext") or {}
        if own.get("privileged"):
            found.append("privileged")
        added = set((own.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"capabilities {sorted(added - BASELINE_CAPABILITIES)}")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            found.append("hostPort")
        for field in ("seccompProfile", "appArmorProfile"):
            if (own.get(field) or context.get(field) or {}).get("type") == "Unconfined":
                found.append(f"{field} Unconfined")
        if level == "restricted":
            if own.get("allowPrivilegeEscalation") is not False:
                found.append("allowPrivilegeEscalation")
            if own.get("runAsNonRoot", context.get("runAsNonRoot")) is not True:
                found.append("runAsNonRoot")
            if own.get("runAsUser", context.get("runAsUser")) == 0:
                found.append("runAsUser 0")
            if (own.get("seccompProfile") or context.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
                found.append("seccompProfile")
            capabilities = own.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                found.append("drop ALL")
            if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
                found.append("adds beyond NET_BIND_SERVICE")
    if level == "restricted" and volumes - RESTRICTED_VOLUMES:
        found.append(f"volumes {sorted(volumes - RESTRICTED_VOLUMES)}")
    return found


OVERLAY_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
OVERLAY_KINDS = {"StatefulSet", "DaemonSet", "ConfigMap"}


def psa(paths, workloads=("Deployment",)):
    failures = 0
    checked = 0
    for path in paths:
        docs = documents(path)
        pods = {}
        for doc in docs:
            if doc["kind"] in workloads:
                pods.setdefault(doc["metadata"]["namespace"], []).append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
        for doc in docs:
            if doc["kind"] != "Namespace":
                continue
            name = doc["metadata"]["name"]
            labels = doc["metadata"].get("labels") or {}
            level = labels.get("pod-security.kubernetes.io/enforce")
            if level not in LEVELS or labels.get("pod-security.kubernetes.io/enforce-version") != "v1.30":
                print(f"FAIL: {path}: namespace {name}: enforce {level!r}, version {labels.get('pod-security.kubernetes.io/enforce-version')!r}")
                failures += 1
                continue
            for workload, pod in pods.get(name, []):
                checked += 1
                refused = refusals(pod, level)
                if refused:
                    print(f"FAIL: {path}: {name}/{workload} refused at {level}: {', '.join(refused)}")
                    failures += 1
            stricter = LEVELS[LEVELS.index(level) + 1:]
            if stricter and not any(refusals(pod, stricter[0]) for _, pod in pods.get(name, [])):
                print(f"FAIL: {path}: namespace {name} enforces {level} though every pod meets {stricter[0]}")
                failures += 1
    if not failures:
        print(f"kubernetes-check: {checked} {'workloads' if len(workloads) > 1 else 'Deployments'} admitted at their namespace's level, each level the strictest")
    return 1 if failures else 0


def kinds(paths, extra=frozenset()):
    failures = 0
    for path in paths:
        docs = documents(path)
        for doc in docs:
            if doc["kind"] not in KINDS | extra:
                print(f"FAIL: {path}: kind {doc['kind']}")
                failures += 1
        for doc in docs:
            if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "allow-dns":
                peer = doc["spec"]["egress"][0]["to"][0]
                if peer.get("namespaceSelector", {}).get("matchLabels") != {"kubernetes.io/metadata.name": "kube-system"} \
                        or peer.get("podSelector", {}).get("matchLabels") != {"k8s-app": "kube-dns"}:
                    print(f"FAIL: {path}: allow-dns in {doc['metadata']['namespace']} does not select kube-dns")
                    failures += 1
    return 1 if failures else 0


CILIUM_NAME = re.compile(r"^([-a-zA-Z0-9_]+[.]?)+$")
CILIUM_PATTERN = re.compile(r"^([-a-zA-Z0-9_*]+[.]?)+$")
CILIUM_PROTOCOLS = {"TCP", "UDP", "SCTP", "ANY"}
DNS_PEER = {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}


def spec_names(path, seen=None):
    """The dns: names a spec and the files it includes name, normalized."""
    seen = seen if seen is not None else set()
    if path in seen or not os.path.exists(path):
        return set()
    seen.add(path)
    with open(path) as handle:
        spec = yaml.safe_load(handle) or {}
    names = set()

    def walk(value):
        if isinstance(value, str) and value.startswith("dns:"):
            names.add(value[4:].lower().rstrip("."))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
    walk(spec.get("networks") or {})
    for included in spec.get("include") or []:
        names |= spec_names(os.path.join(os.path.dirname(path), included), seen)
    return names


def source_spec(path):
    with open(path) as handle:
        first = handle.readline()
    match = re.match(r"# Generated by palisade from (.+?) \(content hash", first)
    return match.group(1).split(", ")[0] if match else None


def cilium(spec_dir, paths):
    failures = []
    checked = {"policies": 0, "names": 0}
    for path in paths:
        source = source_spec(path)
        names = spec_names(os.path.join(spec_dir, source)) if source else set()
        docs = documents(path)
        namespaces = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "Namespace"}
        pods = [(doc["metadata"]["namespace"], doc["metadata"]["name"], doc["spec"]["template"]["metadata"].get("labels") or {})
                for doc in docs if doc["kind"] == "Deployment"]
        for doc in docs:
            if doc["kind"] != "CiliumNetworkPolicy":
                continue
            checked["policies"] += 1
            metadata = doc.get("metadata") or {}
            where = f"{path}: CiliumNetworkPolicy {metadata.get('namespace')}/{metadata.get('name')}"

            def fail(reason):
                failures.append(f"{where}: {reason}")
            if doc.get("apiVersion") != "cilium.io/v2":
                fail(f"apiVersion {doc.get('apiVersion')!r}")
            if metadata.get("namespace") not in namespaces:
                fail("namespace is none of the file's")
            if not isinstance(metadata.get("name"), str) or len(metadata["name"]) > 253:
                fail("name")
            spec = doc.get("spec") or {}
            if set(spec) != {"endpointSelector", "egress"}:
                fail(f"spec keys {sorted(spec)}")
            selector = (spec.get("endpointSelector") or {}).get("matchLabels")
            if not isinstance(selector, dict) or not all(isinstance(v, str) for v in selector.values()):
                fail("endpointSelector.matchLabels is not a map of strings")
                selector = {}
            selected = [name for namespace, name, labels in pods
                        if namespace == metadata.get("namespace") and all(labels.get(k) == v for k, v in selector.items())]
            if len(selected) != 1:
                fail(f"selects {selected}, not one Deployment")
            egress = spec.get("egress")
            if not isinstance(egress, list) or not egress:
                fail("egress is not a list of rules")
                continue
            fqdn = False
            proxied = False
            for index, rule in enumerate(egress, 1):
                if not isinstance(rule, dict) or not set(rule) <= {"toFQDNs", "toEndpoints", "toPorts"} \
                        or ("toFQDNs" in rule) == ("toEndpoints" in rule):
                    fail(f"egress rule {index}: {sorted(rule) if isinstance(rule, dict) else rule}")
                    continue
                for entry in rule.get("toFQDNs") or []:
                    if not isinstance(entry, dict) or len(entry) != 1 or not set(entry) <= {"matchName", "matchPattern"}:
                        fail(f"egress rule {index}: toFQDNs entry {entry}")
                        continue
                    fqdn = True
                    key, value = next(iter(entry.items()))
                    pattern = CILIUM_NAME if key == "matchName" else CILIUM_PATTERN
                    if not isinstance(value, str) or len(value) > 255 or not pattern.match(value):
                        fail(f"egress rule {index}: {key} {value!r}")
                    elif key == "matchPattern" or value.lower().rstrip(".") not in names:
                        fail(f"egress rule {index}: {key} {value} is no dns: destination of {source}")
                    else:
                        checked["names"] += 1
                covered = set()
                dns_rule = False
                for entry in rule.get("toPorts") or []:
                    if not isinstance(entry, dict) or not set(entry) <= {"ports", "rules"}:
                        fail(f"egress rule {index}: toPorts entry {entry}")
                        continue
                    ports = entry.get("ports")
                    if not isinstance(ports, list) or not 1 <= len(ports) <= 40:
                        fail(f"egress rule {index}: toPorts entry with {len(ports or [])} ports")
                        continue
                    for port in ports:
                        number = port.get("port")
                        if not isinstance(number, str) or not number.isdigit() or int(number) > 65535 \
                                or port.get("protocol", "ANY") not in CILIUM_PROTOCOLS or not set(port) <= {"port", "endPort", "protocol"}:
                            fail(f"egress rule {index}: port {port}")
                            continue
                        end = port.get("endPort")
                        if end is not None and (not isinstance(end, int) or int(number) == 0 or not int(number) < end <= 65535):
                            fail(f"egress rule {index}: endPort {end} after port {number}")
                        covered.add((int(number), port.get("protocol", "ANY")))
                    rules = entry.get("rules")
                    if rules is not None:
                        if set(rules) != {"dns"} or "toEndpoints" not in rule:
                            fail(f"egress rule {index}: rules {rules}")
                        elif {"matchPattern": "*"} in rules["dns"]:
                            dns_rule = True
                if "toEndpoints" in rule and rule["toEndpoints"] == [{"matchLabels": DNS_PEER}] and dns_rule \
                        and {(53, "UDP"), (53, "TCP")} <= covered:
                    proxied = True
            if fqdn and not proxied:
                fail("toFQDNs without the DNS proxy rule to kube-dns on 53/UDP and 53/TCP")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(f"kubernetes-check: {checked['policies']} CiliumNetworkPolicies, {checked['names']} names, each a dns: destination of its spec")
    return 1 if failures or not checked["policies"] else 0


def without_cilium(path):
    yaml.safe_dump_all([doc for doc in documents(path) if doc["kind"] != "CiliumNetworkPolicy"], sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    overlay = "--overlay" in arguments
    arguments = [argument for argument in arguments if argument != "--overlay"]
    if command == "psa":
        sys.exit(psa(arguments, OVERLAY_WORKLOADS if overlay else ("Deployment",)))
    if command == "kinds":
        sys.exit(kinds(arguments, OVERLAY_KINDS if overlay else frozenset()))
    if command == "cilium":
        sys.exit(cilium(arguments[0], arguments[1:]))
    if command == "without-cilium":
        sys.exit(without_cilium(arguments[0]))
    sys.exit(f"unknown command {command}")
