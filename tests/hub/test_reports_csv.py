"""Reports as CSV: a BOM so Excel reads UTF-8, a header, RFC 4180 quoting, and no cell
that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from hub.csv_export import BOM, csv_bytes, safe_cell


def parse(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_utf8_with_a_bom_a_header_and_crlf_lines() -> None:
    data = csv_bytes(["姓名", "天数"], [["阮氏兰", 3], ["Nguyễn Thị Lan", 0]])
    assert data.startswith("\ufeff".encode())
    assert data.endswith(b"\r\n") and data.count(b"\r\n") == 3
    assert parse(data) == [["姓名", "天数"], ["阮氏兰", "3"], ["Nguyễn Thị Lan", "0"]]


def test_commas_quotes_and_newlines_are_quoted_and_round_trip() -> None:
    awkward = ["a,b", 'say "hi"', "two\nlines", " padded ", ""]
    data = csv_bytes(["x"] * len(awkward), [awkward])
    assert b'"a,b"' in data and b'"say ""hi"""' in data
    assert parse(data)[1] == awkward


@pytest.mark.parametrize(
    "cell", ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x")', "\tx", "\rx"]
)
def test_a_text_cell_that_looks_like_a_formula_is_prefixed(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    assert parse(csv_bytes(["name"], [[cell]]))[1] == ["'" + cell]


def test_numbers_and_empty_cells_are_written_as_they_are() -> None:
    assert [safe_cell(v) for v in (-5, 0, 2.5, None, True, "a=b", "1-2")] == [
        "-5", "0", "2.5", "", "1", "a=b", "1-2",
    ]  # fmt: skip
