"""A report as a CSV file a spreadsheet opens safely."""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .figures import Figures

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Amounts and counts as plain numbers (dot for decimals); any text that a spreadsheet
    would take for a formula gets a leading apostrophe, so it stays text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def as_csv(figures: Figures) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(column.label) for column in figures.columns])
    rows: Iterable[dict[str, Any]] = figures.rows
    if figures.totals:
        rows = [*figures.rows, figures.totals]
    for row in rows:
        writer.writerow([safe_cell(row.get(column.key, "")) for column in figures.columns])
    # A byte-order mark, so spreadsheet programs read the accents right.
    return ("\ufeff" + out.getvalue()).encode()
