"""The one CSV helper: notice first, comments, header, rows; text that a spreadsheet would run
as a formula is made inert, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import time_machine

from pillars.core import exports


def _read(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_a_csv_carries_the_notice_then_comments_header_and_inert_rows() -> None:
    release = exports.Release(part2=True, notice=("Notice one.", "Consent explained."))
    with time_machine.travel("2026-03-01 14:05:09+00:00", tick=False):
        response = exports.csv_download(
            release,
            filename='report "x"/../y',
            header=["name", "=HEADER"],
            rows=[["=cmd|' /C calc'!A0", -3], ["+1+SUM(A1)", 2.5], ["@SUM(A1)", ""], ["a=b", 0]],
            comments=["What the figures mean."],
        )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition == 'attachment; filename="report--x-----y-20260301-140509.csv"'
    assert _read(response) == [
        ["# Notice one."],
        ["# Consent explained."],
        ["# What the figures mean."],
        ["name", "'=HEADER"],
        ["'=cmd|' /C calc'!A0", "-3"],
        ["'+1+SUM(A1)", "2.5"],
        ["'@SUM(A1)", ""],
        ["a=b", "0"],
    ]


def test_without_part2_content_no_notice_and_the_name_can_stay_unstamped() -> None:
    response = exports.csv_download(
        exports.Release(part2=False), filename="turnover", stamp=False, header=["a"], rows=[]
    )
    assert response["Content-Disposition"] == 'attachment; filename="turnover.csv"'
    assert _read(response) == [["a"]]


def test_neutralize() -> None:
    assert exports.neutralize("=1") == "'=1"
    assert exports.neutralize("\t=1") == "'\t=1"
    assert exports.neutralize("-2+3") == "'-2+3"
    assert exports.neutralize("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert exports.neutralize("-1FR") == "'-1FR"
    # Only a number or a telephone number: nothing can run, so it stays as written.
    assert exports.neutralize("-1") == "-1"
    assert exports.neutralize("+1 (555) 010-2000") == "+1 (555) 010-2000"
    assert exports.neutralize(-1) == -1
    assert exports.neutralize("a=1") == "a=1"
    assert exports.neutralize("") == ""
