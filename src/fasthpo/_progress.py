"""A dependency-free progress bar for ``Study.optimize(show_progress_bar=True)``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws ``|#####-----| 50/100 [00:02<00:02, 24.1 trials/s] best: 0.0123 (trial 41)``.

    Redraws at most ten times a second, and once more on :meth:`close`.
    """

    def __init__(self, n_trials: int | None, timeout: float | None, stream: TextIO | None = None, width: int = 30):
        self.n_trials = n_trials
        self.timeout = timeout
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.count = 0
        self.best = ""
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._drawn_count = -1

    def update(self, study, frozen) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._last_draw >= 0.1 or self.count == self.n_trials:
            self.best = _best_text(study)
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self.start
        if self.n_trials:
            fraction = min(self.count / self.n_trials, 1.0)
            total = f"{self.count}/{self.n_trials}"
        elif self.timeout:
            fraction = min(elapsed / self.timeout, 1.0) if self.timeout else 1.0
            total = f"{self.count}"
        else:
            fraction, total = 0.0, f"{self.count}"
        filled = int(round(fraction * self.width))
        rate = self.count / elapsed if elapsed > 0 else 0.0
        remaining = (1 - fraction) * elapsed / fraction if fraction > 0 else 0.0
        line = (
            f"\r|{'#' * filled}{'-' * (self.width - filled)}| {total} "
            f"[{_clock(elapsed)}<{_clock(remaining)}, {rate:.1f} trials/s] {self.best}"
        )
        self.stream.write(line)
        self.stream.flush()
        self._last_draw = now
        self._drawn_count = self.count

    def close(self) -> None:
        if self._drawn_count != self.count:
            self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()


def _best_text(study) -> str:
    if len(study.directions) > 1:
        return f"Pareto front: {len(study.best_trials)} trials"
    try:
        best = study.best_trial
    except ValueError:
        return "no complete trial yet"
    return f"best: {best.value:.6g} (trial {best.number})"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
