"""pip's configuration as uv's options:  python3 -m pip config list | python3 scripts/uv_options.py

uv reads none of pip's configuration, so the indexes, local wheel folders and certificates
pip is set up with on a machine (files and PIP_* variables alike) are given to uv, and both
install the files the lock's hashes were taken from. Prints the certificates file pip is told
to trust on the first line (empty when none, or when SSL_CERT_FILE is set already), then uv's
options, one option or value a line.
"""

import ast
import os
import re
import sys

# pip's own order: its environment variables over [install] over [global].
SECTIONS = [":env:", "install", "global"]
TRUE = {"1", "true", "yes", "on"}


def chosen(lines) -> dict[str, list[str]]:
    found: dict[str, tuple[int, list[str]]] = {}
    for line in lines:
        match = re.match(r"^(:env:|install|global)\.([\w-]+)=(.*)$", line.strip())
        if not match:
            continue
        section, key, value = match.groups()
        rank = SECTIONS.index(section)
        if key not in found or rank < found[key][0]:
            found[key] = (rank, str(ast.literal_eval(value)).split())
    return {key: values for key, (_rank, values) in found.items()}


def uv_options(config: dict[str, list[str]]) -> list[str]:
    options = []
    if config.get("no-index", ["0"])[0].lower() in TRUE:
        options.append("--no-index")
    for url in config.get("index-url", [])[:1]:
        options += ["--index-url", url]
    for url in config.get("extra-index-url", []):
        options += ["--extra-index-url", url]
    for place in config.get("find-links", []):
        options += ["--find-links", place]
    if config.get("extra-index-url") or config.get("find-links"):
        # As pip does: the best match among all of them, not the first index with the name.
        options += ["--index-strategy", "unsafe-best-match"]
    return options


def main() -> None:
    config = chosen(sys.stdin)
    certificates = config.get("cert", [""])[0]
    print("" if os.environ.get("SSL_CERT_FILE") else certificates)
    for option in uv_options(config):
        print(option)


if __name__ == "__main__":
    main()
