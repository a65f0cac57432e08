#!/usr/bin/env python3
"""Checks of targets/openshift/*/manifests.yaml that kubernetes-validate cannot make.

  openshift-check.py split FILE CORE_OUT
      writes the documents of the kinds kubernetes-validate has schemas for (everything but
      SecurityContextConstraints, EgressFirewall and Route) to CORE_OUT.
  openshift-check.py crds SHARED_SCHEMAS FILE...
      validates every SecurityContextConstraints and EgressFirewall against the schemas in
      SHARED_SCHEMAS (jsonschema), and every Route against the fields route.openshift.io/v1
      requires (no schema ships offline).
  openshift-check.py compare NCA_PAIRS_JSON READ_JSON POLICY MANIFESTS
      compares network-config-analyzer's workload pairs with palisade's reader for POLICY.
      Left out: self pairs (nca never reports them) and Deployments scaled to 0 replicas (nca
      models their pods as absent; palisade's relation is about the workload whenever it runs).
Exit status 1 on any failure, with one line per problem.
"""
import ipaddress
import json
import sys

import yaml

CRD_KINDS = {"SecurityContextConstraints", "EgressFirewall", "Route"}


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


def compare(nca_path, read_path, policy, manifests):
    idle = {doc["metadata"]["name"] for doc in documents(manifests)
            if doc["kind"] == "Deployment" and doc["spec"]["replicas"] == 0}
    with open(nca_path) as handle:
        nca = {(pair["from"], pair["to"]): pair["ports"] for pair in json.load(handle)}
    with open(read_path) as handle:
        entries = [entry for entry in json.load(handle) if entry["policy"] == policy and entry["target"] == "openshift"]
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


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "split":
        sys.exit(split(*arguments))
    if command == "crds":
        sys.exit(crds(arguments[0], arguments[1:]))
    if command == "compare":
        sys.exit(compare(*arguments))
    sys.exit(f"unknown command {command}")
