"""A progress bar on stderr, redrawn in place on a terminal; elsewhere (a log, CI) a
line every tenth of the way, so logs stay short."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


def bar(done: int, total: int, width: int = WIDTH) -> str:
    """``[#######.......]  47%``: pure, for the drawing and its tests."""
    share = 0.0 if total <= 0 else min(1.0, max(0.0, done / total))
    filled = int(share * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {share * 100:3.0f}%"


class ProgressBar:
    def __init__(self, title: str, total: int, stream: TextIO | None = None) -> None:
        self.title, self.total = title, total
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._drawn = 0.0
        self._tenth = -1

    def update(self, done: int, detail: str = "") -> None:
        """Redraw (at most ten times a second), or log each tenth."""
        line = f"{self.title} {bar(done, self.total)} {done}/{self.total} {detail}"
        if self.live:
            now = time.monotonic()
            if now - self._drawn >= 0.1 or done >= self.total:
                self._drawn = now
                self.stream.write("\r\x1b[2K" + line)
                self.stream.flush()
            return
        tenth = 10 * done // max(1, self.total)
        if tenth > self._tenth:
            self._tenth = tenth
            print(line, file=self.stream, flush=True)

    def finish(self, detail: str = "") -> None:
        self.update(self.total, detail)
        if self.live:
            self.stream.write("\n")
            self.stream.flush()
