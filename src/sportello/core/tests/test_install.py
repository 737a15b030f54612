"""scripts/install: uv is given the indexes, wheel folders and certificates pip is set up with."""

import os
import subprocess
import sys
from pathlib import Path

import sportello

REPO = Path(sportello.__file__).resolve().parents[2]


def uv_options(pip_config: str, **env) -> list[str]:
    """What scripts/install gives uv for this `pip config list` output."""
    variables = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "uv_options.py")],
        input=pip_config,
        capture_output=True,
        text=True,
        env={**variables, **env},
        timeout=30,
        check=True,
    )
    return result.stdout.split("\n")[:-1]


def test_local_indexes_and_wheel_folders_are_searched_as_pip_does():
    config = "\n".join(
        [
            ":env:.find-links='/opt/wheels'",
            "global.cert='/etc/ssl/certs/ca-certificates.crt'",
            "global.constraint='/etc/xdg/pip/constraints.txt'",
            "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'",
            "global.find-links='/elsewhere'",
        ]
    )
    certificates, *options = uv_options(config)
    assert certificates == "/etc/ssl/certs/ca-certificates.crt"
    assert options == [
        "--extra-index-url", "file:///opt/pypi/simple",
        "--extra-index-url", "file:///opt/pypi-more/simple",
        "--find-links", "/opt/wheels",  # the environment's, over the file's, as in pip
        "--index-strategy", "unsafe-best-match",
    ]  # fmt: skip


def test_an_index_of_its_own_and_no_index():
    config = "install.index-url='https://mirror.invalid/simple'\n:env:.no-index='true'\n"
    assert uv_options(config) == ["", "--no-index", "--index-url", "https://mirror.invalid/simple"]


def test_nothing_configured_leaves_uv_to_its_defaults():
    assert uv_options("") == [""]


def test_a_certificates_file_already_chosen_is_kept():
    config = "global.cert='/etc/ssl/certs/ca-certificates.crt'\n"
    assert uv_options(config, SSL_CERT_FILE="/etc/ssl/own.pem") == [""]
