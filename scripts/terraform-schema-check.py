#!/usr/bin/env python3
"""Checks the arguments of every resource of Terraform JSON files against the provider schemas
that the CDK for Terraform provider packages carry (cdktf-cdktf-provider-aws, -google,
-azurerm on PyPI): each package's generated Python binding of a resource has a `…Config` class
whose keyword arguments are the resource's arguments, with their types and which are required;
a nested block has a class of its own. The bindings are read from the wheels with `ast` (never
imported: they need a JavaScript runtime), at run time; nothing of them is kept.

usage: terraform-schema-check.py WHEELS_FOLDER FILE.tf.json...
Prints one line per problem and a count; exits 1 on any problem.
"""
import ast
import json
import pathlib
import re
import sys
import zipfile

# Arguments every resource takes (Terraform's meta-arguments), not part of a provider's schema.
META = {"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners"}
PROVIDERS = {"aws": "cdktf_cdktf_provider_aws", "google": "cdktf_cdktf_provider_google", "azurerm": "cdktf_cdktf_provider_azurerm"}


def camel(snake):
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


class Bindings:
    """The `…Config` classes of one provider package's resources, read on demand."""

    def __init__(self, wheel):
        self.zip = zipfile.ZipFile(wheel)
        self.package = wheel.name.split("-")[0]
        self.modules = {}

    def module(self, name):
        if name not in self.modules:
            path = f"{self.package}/{name}/__init__.py"
            try:
                source = self.zip.read(path).decode()
            except KeyError:
                self.modules[name] = None
                return None
            classes = {}
            for node in ast.parse(source).body:
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                            classes[node.name] = item.args
            self.modules[name] = classes
        return self.modules[name]


def arguments(signature):
    """Keyword arguments: name -> (annotation text, required)."""
    result = {}
    defaults = dict(zip([a.arg for a in signature.kwonlyargs], signature.kw_defaults))
    for argument in signature.kwonlyargs:
        result[argument.arg] = (ast.unparse(argument.annotation) if argument.annotation else "", defaults[argument.arg] is None)
    return result


def is_reference(value):
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def check_value(value, annotation, where, classes, problems):
    """A value against a binding's annotation: strings, numbers, booleans, lists and maps of
    them, and nested blocks (a list of objects, or one object, of a class of the module)."""
    if is_reference(value):
        return
    text = annotation.replace("typing.Optional[", "").replace("typing.Union[", "")
    block = re.search(r"\b([A-Z]\w+)\b", re.sub(r"_cdktf_\w+\.\w+|builtins\.\w+|typing\.\w+|jsii\.Number", "", text))
    if block and block.group(1) in classes:
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f"{where}[{index}]: a block is an object")
                continue
            check_object(item, classes[block.group(1)], f"{where}[{index}]", classes, problems)
        return
    if annotation.startswith("typing.Mapping") or "typing.Mapping[" in annotation:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            problems.append(f"{where}: a map of strings, not {json.dumps(value)[:60]}")
        return
    if "typing.Sequence[builtins.str]" in annotation or "typing.List[builtins.str]" in annotation:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{where}: a list of strings, not {json.dumps(value)[:60]}")
        return
    if "jsii.Number" in annotation and "typing.Sequence" not in annotation:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{where}: a number, not {json.dumps(value)[:60]}")
        return
    if "builtins.bool" in annotation:
        if not isinstance(value, bool):
            problems.append(f"{where}: true or false, not {json.dumps(value)[:60]}")
        return
    if annotation.endswith("builtins.str") or annotation == "typing.Optional[builtins.str]":
        if not isinstance(value, str):
            problems.append(f"{where}: a string, not {json.dumps(value)[:60]}")


def check_object(body, signature, where, classes, problems):
    known = arguments(signature)
    for name, value in body.items():
        if name == "//":
            continue
        if name not in known or name in META:
            if name not in META:
                problems.append(f"{where}: unknown argument '{name}'")
            continue
        check_value(value, known[name][0], f"{where}.{name}", classes, problems)
    for name, (_, required) in known.items():
        if required and name not in META and name not in body:
            problems.append(f"{where}: missing required argument '{name}'")


def main():
    wheels = pathlib.Path(sys.argv[1])
    bindings = {}
    for provider, package in PROVIDERS.items():
        found = sorted(wheels.glob(f"{package}-*.whl"))
        if found:
            bindings[provider] = Bindings(found[-1])
    problems = []
    counted = 0
    for file in sys.argv[2:]:
        document = json.loads(pathlib.Path(file).read_text())
        for kind, resources in document.get("resource", {}).items():
            provider, _, rest = kind.partition("_")
            if provider not in bindings:
                problems.append(f"{file}: {kind}: no bindings of provider '{provider}'")
                continue
            classes = bindings[provider].module(rest)
            config = classes and classes.get(camel(rest) + "Config")
            if not config:
                problems.append(f"{file}: {kind}: the {provider} provider has no such resource")
                continue
            for key, body in resources.items():
                counted += 1
                check_object(body, config, f"{file}: {kind}.{key}", classes, problems)
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"terraform-schema-check: {counted} resources of {len(sys.argv) - 2} files checked against the provider schemas, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
