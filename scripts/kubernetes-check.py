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
  --overlay (either command): FILE is what kubectl kustomize built from a team's workloads and
      palisade's component: StatefulSets and DaemonSets are admitted as Deployments are, and the
      team's own kinds (ConfigMaps, …) are allowed.
Exit status 1 on any failure, with one line per problem.
"""
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


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    overlay = "--overlay" in arguments
    arguments = [argument for argument in arguments if argument != "--overlay"]
    if command == "psa":
        sys.exit(psa(arguments, OVERLAY_WORKLOADS if overlay else ("Deployment",)))
    if command == "kinds":
        sys.exit(kinds(arguments, OVERLAY_KINDS if overlay else frozenset()))
    sys.exit(f"unknown command {command}")
