"""Cells safe to open in a spreadsheet, and read back to what they were (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.spreadsheet import plain_cell, safe_cell, text


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x.example","Hi")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0",
     "\t=1+1", "\r=1+1", "\n=1+1", "=", "+", "-", "@", "+44 7700 900001", "-1-1", "'=already"],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["+447700900001", "-1", "-323.21", "0", "32321", "Dr Zoë Ng", "St Mary’s", "", "'quoted", "2026-12-01"],
)
def test_values_the_product_formats_or_that_are_harmless_stay_as_they_are(cell: str) -> None:
    assert safe_cell(cell) == cell


@given(st.text())
def test_any_value_reads_back_as_it_was_written(value: str) -> None:
    assert plain_cell(safe_cell(value)) == value


@given(
    st.lists(
        st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)), max_size=5), max_size=5
    )
)
def test_a_whole_file_round_trips_through_the_csv_module(rows: list[list[object]]) -> None:
    written = text(rows)
    read = [[plain_cell(cell) for cell in row] for row in csv.reader(io.StringIO(written, newline=""))]
    assert read == [[str(cell) for cell in row] for row in rows]


def test_negative_figures_in_the_report_stay_numbers() -> None:
    written = text([["metric", "value"], ["budget_left_pence", -120000], ["sessions", 12]])
    assert written.splitlines() == ["metric,value", "budget_left_pence,-120000", "sessions,12"]
