#!/usr/bin/env python3
"""Write palisade.1 (man(7) roff) from the help the binary itself describes.

Usage: python3 scripts/gen-manpage.py PALISADE_BINARY > palisade.1

The text comes from `palisade --experimental-dump-help` (the argument parser's description of
every command, argument and option, the same one `--help` prints), so the man page never
disagrees with the help. Standard library only.
"""

import json
import subprocess
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote on a line."""
    lines = []
    for line in (text or "").replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line.replace("-", "\\-"))
    return "\n".join(lines)


def names(argument):
    out = []
    for name in argument.get("names", []):
        dash = "-" if name["kind"] in ("short", "longWithSingleDash") else "--"
        out.append(f"\\fB{dash}{roff(name['name'])}\\fR")
    return ", ".join(out)


def synopsis(command, path):
    parts = [f"\\fB{' '.join(path)}\\fR"]
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        value = argument.get("valueName", "")
        if argument["kind"] == "positional":
            item = f"\\fI{value}\\fR" + ("..." if argument.get("isRepeating") else "")
        elif argument["kind"] == "flag":
            item = names(argument).split(", ")[0]
        else:
            item = f"{names(argument).split(', ')[0]} \\fI{value}\\fR"
        parts.append(f"[{item}]" if argument.get("isOptional") else item)
    return " ".join(parts)


def options(command):
    out = []
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            label = f"\\fI{roff(argument.get('valueName', ''))}\\fR"
        elif argument["kind"] == "flag":
            label = names(argument)
        else:
            label = f"{names(argument)} \\fI{roff(argument.get('valueName', ''))}\\fR"
        out.append(f".TP\n{label}\n{roff(argument.get('abstract', ''))}")
        if argument.get("defaultValue"):
            out.append(f"(default: {roff(argument['defaultValue'])})")
    return "\n".join(out)


def main():
    binary = sys.argv[1]
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)
    root = info["command"]
    version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    out = [
        f'.TH "PALISADE" "1" "" "palisade {roff(version)}" "User Commands"',
        ".SH NAME",
        f"palisade \\- {roff(root.get('abstract', ''))}",
        ".SH SYNOPSIS",
        f"\\fBpalisade\\fR \\fIcommand\\fR [\\fIoptions\\fR]",
        ".SH DESCRIPTION",
        ".nf",
        roff(root.get("discussion", "")),
        ".fi",
        ".SH COMMANDS",
    ]
    for sub in root.get("subcommands", []):
        if not sub.get("shouldDisplay", True) or sub["commandName"] == "help":
            continue
        out.append(f".SS {roff(sub['commandName'])}")
        out.append(synopsis(sub, ["palisade", sub["commandName"]]))
        out.append(".PP")
        out.append(roff(sub.get("abstract", "")))
        if sub.get("discussion"):
            out += [".PP", ".nf", roff(sub["discussion"]), ".fi"]
        out.append(options(sub))
    out += [".SH SEE ALSO", "The README, docs/language.md, docs/lint-rules.md and docs/ci/README.md of the palisade repository."]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
