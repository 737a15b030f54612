"""The import contracts in pyproject.toml hold, and fail on an upward import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is a test tool")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_apps_keep_their_layers():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout[-3000:]


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    shutil.copytree(
        REPO / "src" / "sportello",
        tmp_path / "src" / "sportello",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.po", "static", "templates"),
    )
    planted = tmp_path / "src" / "sportello" / "billing" / "planted.py"
    planted.write_text("from sportello.helpdesk.models import Ticket  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "Apps import only the layers below them BROKEN" in result.stdout
    assert "sportello.billing.planted -> sportello.helpdesk.models" in result.stdout
    # The help desk already imports billing: the planted import is also a cycle.
    assert "No cycles between apps, nor between the modules of an app BROKEN" in result.stdout
