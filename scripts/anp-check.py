#!/usr/bin/env python3
"""AdminNetworkPolicy checks for scripts/conformance-kubernetes.sh and conformance-openshift.sh,
written from the network-policy-api documentation independently of palisade.

    anp-check.py apply NCA_PAIRS_JSON MANIFESTS   > PAIRS_JSON
    anp-check.py schema CRD_DIR MANIFESTS...

`apply`: network-config-analyzer 2.1.0 does not read AdminNetworkPolicy or
BaselineAdminNetworkPolicy (it skips kinds it does not know). This takes its NetworkPolicy
connectivity between workloads (scripts/nca-pairs.py's JSON) and applies the file's
AdminNetworkPolicies on top: for each direction, the policies whose subject selects the pod by
ascending priority, their rules in order, the first rule matching a connection deciding it;
Deny removes it, Pass leaves it to NetworkPolicy. An Allow rule (which can open what
NetworkPolicy closes, per direction) or a BaselineAdminNetworkPolicy (which needs to know which
pods NetworkPolicy isolates) cannot be judged from nca's pairs and fails the check, as do two
AdminNetworkPolicies with the same priority (their order is undefined, and OVN-Kubernetes
releases refuse the second), and a `networks` peer holding a whole address family (the platform
checks pod addresses against `networks` too, so it would hold every pod; palisade leaves the
cluster networks out).

`schema`: validates every AdminNetworkPolicy and BaselineAdminNetworkPolicy of the files
against the openAPIV3Schema of the network-policy-api CRDs found in CRD_DIR (a CRD file, or a
folder whose *.yaml define policy.networking.k8s.io kinds), with python jsonschema.

Exit codes: 0 ok; 1 a check failed; 2 bad input.
"""
import glob
import json
import os
import sys

import yaml

API = "policy.networking.k8s.io/v1alpha1"
KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy")
PROTOCOLS = ("tcp", "udp", "sctp")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def selects(selector, labels):
    """A metav1.LabelSelector: matchLabels and matchExpressions, all of them."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer, pod):
    """A subject or a pods/namespaces peer against a pod (namespace labels, pod labels)."""
    if "namespaces" in peer:
        return selects(peer["namespaces"], pod["namespace_labels"])
    if "pods" in peer:
        return selects(peer["pods"]["namespaceSelector"], pod["namespace_labels"]) and selects(peer["pods"]["podSelector"], pod["labels"])
    return False  # networks, nodes, domainNames: not pods


# Port sets: {"tcp": [(lo, hi), ...], ..., "other": bool} ("other": ICMP and every protocol without ports).
def empty():
    return {"tcp": [], "udp": [], "sctp": [], "other": False}


def everything():
    return {"tcp": [(1, 65535)], "udp": [(1, 65535)], "sctp": [(1, 65535)], "other": True}


def subtract_ranges(ranges, lo, hi):
    result = []
    for a, b in ranges:
        if b < lo or a > hi:
            result.append((a, b))
            continue
        if a < lo:
            result.append((a, lo - 1))
        if b > hi:
            result.append((hi + 1, b))
    return result


def union_ranges(ranges):
    merged = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def rule_ports(rule):
    if rule.get("ports") is None:
        return everything()
    result = empty()
    for port in rule["ports"]:
        if "portNumber" in port:
            proto = port["portNumber"].get("protocol", "TCP").lower()
            result[proto].append((port["portNumber"]["port"], port["portNumber"]["port"]))
        elif "portRange" in port:
            proto = port["portRange"].get("protocol", "TCP").lower()
            result[proto].append((port["portRange"]["start"], port["portRange"]["end"]))
        else:
            raise ValueError("named ports cannot be judged here")
    return {key: union_ranges(value) if key != "other" else value for key, value in result.items()}


def minus(left, right):
    result = {"other": left["other"] and not right["other"]}
    for proto in PROTOCOLS:
        ranges = list(left[proto])
        for lo, hi in right[proto]:
            ranges = subtract_ranges(ranges, lo, hi)
        result[proto] = ranges
    return result


def plus(left, right):
    result = {"other": left["other"] or right["other"]}
    for proto in PROTOCOLS:
        result[proto] = union_ranges(left[proto] + right[proto])
    return result


def parse_ports(words):
    result = empty()
    for word in words:
        if word == "icmp":
            result["other"] = True
            continue
        proto, _, span = word.partition("/")
        lo, _, hi = span.partition("-")
        result[proto].append((int(lo), int(hi or lo)))
    return result


def render_ports(ports):
    words = []
    for proto in PROTOCOLS:
        for lo, hi in union_ranges(ports[proto]):
            words.append(f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}")
    if ports["other"]:
        words.append("icmp")
    return words


def denied(policies, subject, peer, direction):
    """The ports the ordered policies deny between subject and peer in one direction."""
    decided = empty()
    result = empty()
    for policy in policies:
        if not peer_matches(policy["spec"]["subject"], subject):
            continue
        for rule in policy["spec"].get(direction) or []:
            side = "from" if direction == "ingress" else "to"
            if not any(peer_matches(entry, peer) for entry in rule[side]):
                continue
            ports = rule_ports(rule)
            fresh = minus(ports, decided)
            if rule["action"] == "Deny":
                result = plus(result, fresh)
            elif rule["action"] == "Allow":
                raise ValueError(f"{policy['metadata']['name']}: an Allow rule cannot be judged from nca's pairs")
            decided = plus(decided, ports)
    return result


def apply(nca_path, manifests):
    docs = documents(manifests)
    namespaces = {doc["metadata"]["name"]: doc["metadata"].get("labels") or {} for doc in docs if doc["kind"] == "Namespace"}
    pods = {}
    for doc in docs:
        if doc["kind"] in WORKLOAD_KINDS:
            namespace = doc["metadata"]["namespace"]
            namespace_labels = namespaces.get(namespace, {})
            labels = doc["spec"]["template"]["metadata"].get("labels") or {}
            pods[doc["metadata"]["name"]] = {"labels": labels, "namespace_labels": {"kubernetes.io/metadata.name": namespace, **namespace_labels}}
    if any(doc["kind"] == "BaselineAdminNetworkPolicy" for doc in docs):
        print("anp-check: a BaselineAdminNetworkPolicy cannot be judged from nca's pairs", file=sys.stderr)
        return 1
    policies = [doc for doc in docs if doc["kind"] == "AdminNetworkPolicy"]
    for doc in policies:
        if doc.get("apiVersion") != API:
            print(f"anp-check: {doc['metadata']['name']}: apiVersion {doc.get('apiVersion')}", file=sys.stderr)
            return 1
    by_priority = {}
    for doc in policies:
        by_priority.setdefault(doc["spec"]["priority"], []).append(doc)
    for priority, group in by_priority.items():
        if len(group) > 1:
            names = ", ".join(sorted(doc["metadata"]["name"] for doc in group))
            print(f"anp-check: priority {priority} is shared by {names}", file=sys.stderr)
            return 1
    for doc in policies:
        for rule in doc["spec"].get("egress") or []:
            for peer in rule.get("to") or []:
                if any(cidr in ("0.0.0.0/0", "::/0") for cidr in peer.get("networks") or []):
                    print(f"anp-check: {doc['metadata']['name']}: a networks peer holds a whole address family, every pod too", file=sys.stderr)
                    return 1
    policies.sort(key=lambda doc: doc["spec"]["priority"])
    with open(nca_path) as handle:
        pairs = json.load(handle)
    result = []
    try:
        for pair in pairs:
            source, destination = pods[pair["from"]], pods[pair["to"]]
            ports = parse_ports(pair["ports"])
            ports = minus(ports, denied(policies, source, destination, "egress"))
            ports = minus(ports, denied(policies, destination, source, "ingress"))
            words = render_ports(ports)
            if words:
                result.append({"from": pair["from"], "to": pair["to"], "ports": words})
    except (KeyError, ValueError) as error:
        print(f"anp-check: {error}", file=sys.stderr)
        return 1
    print(f"anp-check: {manifests}: {len(policies)} AdminNetworkPolicies applied to {len(pairs)} nca pairs, {len(result)} left", file=sys.stderr)
    json.dump(result, sys.stdout, indent=1)
    return 0


def schema(crd_dir, files):
    import jsonschema

    schemas = {}
    paths = [crd_dir] if os.path.isfile(crd_dir) else sorted(glob.glob(f"{crd_dir}/*.yaml")) + sorted(glob.glob(f"{crd_dir}/*.yml"))
    for path in paths:
        for doc in documents(path):
            if doc.get("kind") != "CustomResourceDefinition" or doc["spec"].get("group") != "policy.networking.k8s.io":
                continue
            for version in doc["spec"]["versions"]:
                schemas[(f"policy.networking.k8s.io/{version['name']}", doc["spec"]["names"]["kind"])] = version["schema"]["openAPIV3Schema"]
    if not any(key[1] in KINDS for key in schemas):
        print(f"anp-check: no AdminNetworkPolicy CRD in {crd_dir}", file=sys.stderr)
        return 2
    failures = checked = 0
    for path in files:
        for doc in documents(path):
            if doc["kind"] not in KINDS:
                continue
            checked += 1
            found = schemas.get((doc.get("apiVersion"), doc["kind"]))
            if found is None:
                print(f"FAIL: {path}: {doc['kind']} {doc['metadata']['name']}: no CRD serves {doc.get('apiVersion')}")
                failures += 1
                continue
            errors = list(jsonschema.Draft7Validator(found).iter_errors(doc))
            for error in errors:
                print(f"FAIL: {path}: {doc['kind']} {doc['metadata']['name']}: {'/'.join(map(str, error.path))}: {error.message}")
            failures += 1 if errors else 0
    print(f"anp-check: {checked} admin network policies checked against the CRD schema, {failures} failed")
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "apply":
        return apply(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "schema":
        return schema(argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
