"""SMS text as carriers count it: GSM-7 where possible, so one curly quote cannot triple the cost.

A text that is all GSM-7 fits 160 characters in one segment (153 a segment when split); one
character outside it (’ – … ë) switches the whole text to UCS-2: 70 (67). Names and practice
names from imported data are normalised to their nearest GSM-7 form before sending.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

CODEC = "gsm03.38"
# Look-alikes a phone keyboard or a spreadsheet puts in; GSM-7 has the plain forms.
LOOK_ALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2022": "-", "\u00b7": ".",
    "\t": " ",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7, escapes count two) or UTF-16 code units
    count: int


def _fits(text: str) -> bool:
    try:
        text.encode(CODEC)
    except UnicodeEncodeError:
        return False
    return True


def to_gsm(text: str) -> str:
    """The nearest GSM-7 text: look-alikes made plain, accents dropped only where GSM-7 lacks
    the letter (é stays, ë becomes e), anything else a '?'."""
    out = []
    for char in text:
        char = LOOK_ALIKES.get(char, char)
        if _fits(char):
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(plain if plain and _fits(plain) else "?")
    return "".join(out)


def segments(text: str) -> Segments:
    if _fits(text):
        units = len(text.encode(CODEC))
        return Segments("GSM-7", units, 1 if units <= 160 else math.ceil(units / 153))
    units = len(text.encode("utf-16-le")) // 2
    return Segments("UCS-2", units, 1 if units <= 70 else math.ceil(units / 67))
