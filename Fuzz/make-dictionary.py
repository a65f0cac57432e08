#!/usr/bin/env python3
"""Writes a libFuzzer dictionary for one fuzz target: the syntax of its format, and the keys and
short words its seed files use (so the dictionary follows the samples and the generated files as
they change).

usage: make-dictionary.py yaml|spec|json|nft SEED_FOLDER > TARGET.dict
"""
import collections
import os
import re
import sys

YAML_SYNTAX = [
    ": ", "- ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "!!str ", "!!int ", "!!map ", "!custom ",
    "---\n", "...\n", "|\n", "|-\n", ">\n", ">+\n", "? ", "'", '"', "#", "~", "null", "true", "no", "on",
    "0x1F", "0o17", "1e3", ".inf", ".nan", "-0", "%YAML 1.1\n", "%TAG !e! tag:example.com,2000:\n",
    "\t", "\r\n", "\\u0000", "\\x85", "\xef\xbb\xbf",
]
SPEC_WORDS = [
    "#file: ", "include: [", "any", "all", "segment:", "workload:", "network:", "dns:", "tcp/", "udp/",
    "sctp/", "icmp", "tcp/0", "tcp/65535", "tcp/1-65535", "0.0.0.0/0", "::/0", "10.0.0.0/8", "fd00::/16",
    "10.0.0.0/33", "255.255.255.255", "action: deny", "gaps: narrow", "PAL407", "@sha256:",
]
JSON_SYNTAX = [
    "{", "}", "[", "]", ":", ",", '"', "null", "true", "false", "-1", "0", "65535", "65536", "1e309",
    "0.5", "-0", "\\u0000", "\\ud800", "\\\"", "{}", "[]", '""', "*", "-1/-1",
]
NFT_SYNTAX = [
    "#file: ", "{", "}", ";", ",", '"', "@", "table inet ", "delete table inet ", "set ", "chain ", "type ",
    "flags interval", "elements = { ", "hook input", "hook output", "priority filter", "policy drop",
    "policy accept", "accept", "drop", "return", "comment ", "ip saddr ", "ip daddr ", "ip6 saddr ",
    "ip6 daddr ", "tcp dport ", "udp dport ", "sctp dport ", "icmp", "icmpv6 type ", "ct state ",
    "established,related", "invalid", "iif ", "oif ", "ipv4_addr", "ipv6_addr", "0-65535", "65536",
    "0.0.0.0/0", "::/0", "10.0.0.0/33", "\\", "\t", "\r\n",
]

KEY_JSON = re.compile(r'"([A-Za-z_$@][\w:.$/@-]{0,40})"\s*:')
VALUE_JSON = re.compile(r':\s*"([^"\\\n]{1,30})"')
KEY_YAML = re.compile(r'^\s*(?:- )?([A-Za-z_][\w./-]{0,40}):', re.MULTILINE)
VALUE_YAML = re.compile(r':\s+([\w./:*@-]{1,30})\s*$', re.MULTILINE)
WORD_NFT = re.compile(r'[@]?[A-Za-z_][\w.-]{2,30}')


def escape(token: bytes) -> str:
    out = []
    for byte in token:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append("\\x%02X" % byte)
    return '"' + "".join(out) + '"'


def main() -> None:
    kind, folder = sys.argv[1], sys.argv[2]
    fixed = {"yaml": YAML_SYNTAX, "spec": YAML_SYNTAX + SPEC_WORDS, "json": JSON_SYNTAX, "nft": NFT_SYNTAX}[kind]
    patterns = {"json": (KEY_JSON, VALUE_JSON), "nft": (WORD_NFT,)}.get(kind, (KEY_YAML, VALUE_YAML))
    counts = collections.Counter()
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as file:
            text = file.read()
        for pattern in patterns:
            counts.update(pattern.findall(text))
    words = [word for word, _ in counts.most_common(400)]
    seen = set()
    for token in fixed + words:
        encoded = token.encode("utf-8", errors="replace") if not token.startswith("\xef") else token.encode("latin-1")
        if encoded and encoded not in seen:
            seen.add(encoded)
            print(escape(encoded))


if __name__ == "__main__":
    main()
