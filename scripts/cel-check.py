#!/usr/bin/env python3
"""Checks the ValidatingAdmissionPolicies of Kubernetes manifests with an independent CEL
implementation (cel-python), for any target that writes them (openshift, kubernetes).

    cel-check.py check MANIFESTS.yaml...
        Compiles every CEL expression of every ValidatingAdmissionPolicy (variables and
        validations) with cel-python, then evaluates the policies, with their bindings'
        namespaces, on pods built from the file's own workloads: each workload object and its
        pod as written (must be admitted), and pods changed to break the image policy that the
        policy's annotations state (palisade.dev/allowed-registries, palisade.dev/require-digest):
        a foreign registry in a container, an init container and an ephemeral container, the
        digest left out, and image variants around each allowed pattern (prefix boundaries,
        look-alike hosts, case, docker.io's implicit forms). What each variant must get comes
        from this script's own reading of Docker's reference grammar, not from palisade. Where
        the policy has the per-workload runtime validation (a `workload` variable): a pod without
        its workload label, adding a capability, or running as another user must be refused.
        Prints "cel-check: N expressions, N pods admitted as expected, N refused as expected,
        N mismatches"; exits non-zero on a mismatch or an expression cel-python cannot compile.

    cel-check.py split IN REST_OUT ADMISSION_OUT
        Writes IN's admission policies and bindings to ADMISSION_OUT and the other documents
        to REST_OUT (schemas for admissionregistration.k8s.io/v1 start at Kubernetes 1.30).
"""
import copy
import re
import sys

import celpy
import yaml

ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
WORKLOAD_RESOURCES = {
    "Pod": "/pods",
    "Deployment": "apps/deployments",
    "ReplicaSet": "apps/replicasets",
    "StatefulSet": "apps/statefulsets",
    "DaemonSet": "apps/daemonsets",
    "Job": "batch/jobs",
    "CronJob": "batch/cronjobs",
    "ReplicationController": "/replicationcontrollers",
}
DIGEST = "@sha256:" + "c" * 64


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


# Docker's image reference grammar (distribution/reference), read here on its own.
COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def parse_reference(text):
    """(registry, path, digest) of a reference, or None when the text is not one."""
    if not text or any(ch.isspace() or ord(ch) > 126 or ord(ch) < 33 for ch in text):
        return None
    name, digest = text, None
    if "@" in name:
        name, digest = name.split("@", 1)
        if not digest.startswith("sha256:") or not HEX64.match(digest[7:]):
            return None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        if not TAG.match(name[colon + 1 :]):
            return None
        name = name[:colon]
    parts = name.split("/")
    registry = "docker.io"
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        host, _, port = first.partition(":")
        if not re.match(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\Z", host):
            return None
        if ":" in first and not port.isdigit():
            return None
        registry = first
        parts = parts[1:]
    if not all(COMPONENT.match(part) for part in parts):
        return None
    if registry == "docker.io" and len(parts) == 1:
        parts = ["library"] + parts
    return registry, "/".join(parts), digest


def allowed(image, patterns):
    """Whether a reference comes from one of `host[:port][/prefix]` patterns."""
    reference = parse_reference(image)
    if reference is None:
        return False
    registry, path, _ = reference
    for pattern in patterns:
        host, _, prefix = pattern.partition("/")
        if host.lower() != registry.lower():
            continue
        if not prefix or path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def variants(patterns, image):
    """Images near the patterns and the workload's own image."""
    result = set()
    for pattern in patterns:
        host, _, prefix = pattern.partition("/")
        base = f"{host}/{prefix}" if prefix else host
        result |= {
            f"{base}/probe",
            f"{base}/probe/deeper:1.0",
            f"{base}x/probe",
            f"{host}.evil.test/{prefix or 'probe'}/probe",
            f"evil.test/{base}/probe",
            f"{host.upper()}/{prefix + '/' if prefix else ''}probe",
        }
        if prefix:
            result |= {f"{host}/{prefix}", f"{host}/{prefix}-x/probe", f"{host}/{prefix.split('/')[0]}"}
        if host.lower() == "docker.io":
            result |= {"probe", "library/probe", "probe/app", f"{prefix}/probe" if prefix else "team/probe", "localhost/probe", "DOCKER.IO/probe"}
    if image:
        name = image.split("@")[0]
        result |= {name, "evil.test/" + name.split("/", 1)[-1]}
    return sorted(result | {image + "x" if image else "x"})


class Policy:
    def __init__(self, env, doc, binding):
        self.name = doc["metadata"]["name"]
        spec = doc.get("spec", {})
        annotations = doc["metadata"].get("annotations", {})
        self.patterns = [p for p in annotations.get("palisade.dev/allowed-registries", "").split(",") if p]
        self.digest = annotations.get("palisade.dev/require-digest") == "true"
        self.resources = set()
        for rule in spec.get("matchConstraints", {}).get("resourceRules", []):
            if {"CREATE", "UPDATE"} <= set(rule.get("operations", [])):
                for group in rule.get("apiGroups", []):
                    for resource in rule.get("resources", []):
                        self.resources.add(f"{group}/{resource}")
        self.namespaces = set()
        selector = binding["spec"].get("matchResources", {}).get("namespaceSelector", {})
        for expression in selector.get("matchExpressions", []):
            if expression.get("key") == "kubernetes.io/metadata.name" and expression.get("operator") == "In":
                self.namespaces |= set(expression.get("values", []))
        label = selector.get("matchLabels", {}).get("kubernetes.io/metadata.name")
        if label:
            self.namespaces.add(label)
        self.deny = "Deny" in binding["spec"].get("validationActions", [])
        self.variables = [(v["name"], env.program(env.compile(v["expression"]))) for v in spec.get("variables", [])]
        self.validations = [env.program(env.compile(v["expression"])) for v in spec.get("validations", [])]
        self.expressions = len(self.variables) + len(self.validations)
        self.runtime = any(name == "workload" for name, _ in self.variables)

    def admits(self, obj, resource, namespace):
        if not self.deny or namespace not in self.namespaces or resource not in self.resources:
            return True
        values = {}
        activation = {"object": celpy.json_to_cel(obj), "variables": celpy.json_to_cel({})}
        for name, program in self.variables:
            try:
                values[name] = program.evaluate(activation)
            except Exception:  # a failing variable fails the validations that read it
                pass
            activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in values.items()})
        for program in self.validations:
            try:
                result = program.evaluate(activation)
            except Exception:  # failurePolicy: Fail
                return False
            if not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
                return False
        return True


def pod_of(obj, namespace):
    kind = obj.get("kind")
    if kind == "Pod":
        return copy.deepcopy(obj)
    spec = obj.get("spec", {})
    if kind == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template", {})
    metadata = copy.deepcopy(template.get("metadata", {}))
    metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": copy.deepcopy(template.get("spec", {}))}


def images(pod):
    spec = pod.get("spec", {})
    return [c.get("image", "") for key in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(key, []) or []]


def expected(policy, pod):
    every = images(pod)
    if policy.patterns and not all(allowed(image, policy.patterns) for image in every):
        return False
    if policy.digest and not all(re.search(r"@sha256:[0-9a-f]{64}\Z", image) for image in every):
        return False
    return True


def with_image(pod, image, key="containers"):
    changed = copy.deepcopy(pod)
    containers = changed["spec"].setdefault(key, None) or []
    if key == "containers":
        containers[0]["image"] = image
    else:
        probe = copy.deepcopy(pod["spec"]["containers"][0])
        probe["name"], probe["image"] = "palisade-probe", image
        containers.append(probe)
    changed["spec"][key] = containers
    return changed


def check(paths):
    env = celpy.Environment()
    counts = {"expressions": 0, "admitted": 0, "refused": 0, "mismatches": 0}

    def judge(policies, what, obj, resource, namespace, must):
        got = all(policy.admits(obj, resource, namespace) for policy in policies)
        if got == must:
            counts["admitted" if got else "refused"] += 1
        else:
            counts["mismatches"] += 1
            print(f"MISMATCH: {what}: {'admitted' if got else 'refused'}, expected {'admitted' if must else 'refused'}")

    for path in paths:
        docs = documents(path)
        found = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ValidatingAdmissionPolicy"}
        bindings = [d for d in docs if d.get("kind") == "ValidatingAdmissionPolicyBinding"]
        policies = []
        for binding in bindings:
            doc = found.get(binding["spec"].get("policyName"))
            if doc is None:
                print(f"MISMATCH: {path}: binding {binding['metadata']['name']} names no policy of the file")
                counts["mismatches"] += 1
                continue
            try:
                policies.append(Policy(env, doc, binding))
            except Exception as error:  # cel-python cannot compile an expression
                print(f"MISMATCH: {path}: {doc['metadata']['name']}: {error}")
                counts["mismatches"] += 1
        counts["expressions"] += sum(policy.expressions for policy in policies)
        for policy in policies:
            for doc in docs:
                kind = doc.get("kind")
                namespace = doc.get("metadata", {}).get("namespace", "")
                if kind not in WORKLOAD_RESOURCES or namespace not in policy.namespaces:
                    continue
                name = f"{path}: {kind} {namespace}/{doc['metadata']['name']}"
                pod = pod_of(doc, namespace)
                if not pod["spec"].get("containers"):
                    continue
                judge([policy], f"{name} as written", doc, WORKLOAD_RESOURCES[kind], namespace, expected(policy, pod))
                judge([policy], f"{name}: its pod", pod, "/pods", namespace, expected(policy, pod))
                image = pod["spec"]["containers"][0].get("image", "")
                if policy.patterns:
                    foreign = "palisade-foreign.invalid/probe/app" + DIGEST
                    judge([policy], f"{name}: a foreign container", with_image(pod, foreign), "/pods", namespace, False)
                    judge([policy], f"{name}: a foreign init container", with_image(pod, foreign, "initContainers"), "/pods", namespace, False)
                    ephemeral = with_image(pod, foreign, "ephemeralContainers")
                    judge([policy], f"{name}: a foreign ephemeral container", ephemeral, "/pods/ephemeralcontainers", namespace, False)
                for variant in variants(policy.patterns, image):
                    for text in (variant, variant.split("@")[0] + DIGEST):
                        changed = with_image(pod, text)
                        judge([policy], f"{name}: image {text}", changed, "/pods", namespace, expected(policy, changed))
                if policy.runtime:
                    unlabelled = copy.deepcopy(pod)
                    unlabelled.get("metadata", {}).get("labels", {}).pop("palisade.dev/workload", None)
                    judge([policy], f"{name}: without its workload label", unlabelled, "/pods", namespace, False)
                    extra = copy.deepcopy(pod)
                    context = extra["spec"]["containers"][0].setdefault("securityContext", {})
                    added = context.setdefault("capabilities", {}).setdefault("add", [])
                    if "SYS_ADMIN" not in added:
                        added.append("SYS_ADMIN")
                        judge([policy], f"{name}: adding SYS_ADMIN", extra, "/pods", namespace, False)
                    user = pod["spec"].get("securityContext", {}).get("runAsUser")
                    if isinstance(user, int):
                        other = copy.deepcopy(pod)
                        other["spec"]["containers"][0].setdefault("securityContext", {})["runAsUser"] = user + 1
                        judge([policy], f"{name}: as UID {user + 1}", other, "/pods", namespace, False)
    print(
        f"cel-check: {counts['expressions']} expressions, {counts['admitted']} pods admitted as expected, "
        f"{counts['refused']} refused as expected, {counts['mismatches']} mismatches"
    )
    return 1 if counts["mismatches"] else 0


def split(path, rest_out, admission_out):
    docs = documents(path)
    with open(rest_out, "w") as handle:
        yaml.safe_dump_all([d for d in docs if d.get("kind") not in ADMISSION_KINDS], handle, sort_keys=False)
    with open(admission_out, "w") as handle:
        yaml.safe_dump_all([d for d in docs if d.get("kind") in ADMISSION_KINDS], handle, sort_keys=False)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        return check(argv[1:])
    if len(argv) == 4 and argv[0] == "split":
        return split(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
