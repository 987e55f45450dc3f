"""The progress bar: drawn in place on a terminal, a line per tenth elsewhere."""

from __future__ import annotations

import io

from borderpass.demo.progress import ProgressBar, bar


def test_the_bar_fills_with_the_share_done() -> None:
    assert bar(0, 10, width=10) == "[..........]   0%"
    assert bar(5, 10, width=10) == "[#####.....]  50%"
    assert bar(12, 10, width=10) == "[##########] 100%"
    assert bar(0, 0, width=4) == "[....]   0%"


def test_off_a_terminal_it_logs_each_tenth_once() -> None:
    stream = io.StringIO()
    progress = ProgressBar("traffic", 100, stream)
    for done in range(1, 101):
        progress.update(done, "on time")
    progress.finish("done")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("traffic [") and lines[0].endswith("1/100 on time")
    assert "100/100" in lines[-1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_it_redraws_one_line() -> None:
    stream = Terminal()
    progress = ProgressBar("issuing", 3, stream)
    for done in (1, 2, 3):
        progress.update(done)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "\r\x1b[2K" in text and "3/3" in text
