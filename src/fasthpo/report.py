"""A study on one page: a self-contained HTML report (plots inlined as PNG, no network).

The page holds the study summary (directions, trials per state, best trial or Pareto set,
wall time), the parameter importances, the main plots and the best trials as a table.
It needs the ``plot`` extra (matplotlib) and the ``pandas`` extra for the tables.

Examples
--------
>>> import fasthpo
>>> from fasthpo.report import render_report
>>> study = fasthpo.create_study(study_name="demo", sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("n", 0, 3), n_trials=30)
>>> page = render_report(study)
>>> page.startswith("<!DOCTYPE html>") and "demo" in page and "http" not in page
True
"""

from __future__ import annotations

import base64
import datetime
import html
import io
from collections import Counter

from fasthpo.core.direction import StudyDirection
from fasthpo.study import Study
from fasthpo.trial import FrozenTrial
from fasthpo.trial_state import TrialState

__all__ = ["render_report", "write_report"]

N_BEST = 10  # rows of the best-trials table of a single-objective study
WIDE = ("Slice",)  # figures that span the page's width (one panel per parameter)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f5f8; } td.name { text-align: left; }
.plots { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1em; }
.plots figure { margin: 0; } .plots figure.wide { grid-column: 1 / -1; } .plots img { width: 100%; border: 1px solid #eee; }
.note { color: #666; }
"""


def write_report(study: Study, path: str) -> None:
    """Write :func:`render_report` of ``study`` to the file ``path`` (UTF-8)."""
    page = render_report(study)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


def render_report(study: Study) -> str:
    """The report page of ``study`` as one HTML string."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    sections = [
        f"<h1>Study {_e(study.study_name)}</h1>",
        _summary(study, trials, complete),
        "<h2>Parameter importance</h2>",
        _importance(study, complete),
        "<h2>Plots</h2>",
        _plots(study, trials, complete),
        "<h2>Best trials</h2>",
        _best_table(study, complete),
    ]
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fasthpo report: "
            f"{_e(study.study_name)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(sections) + "\n</body></html>\n")


def _e(value) -> str:
    return html.escape(str(value))


def _summary(study: Study, trials: list[FrozenTrial], complete: list[FrozenTrial]) -> str:
    counts = Counter(t.state.name for t in trials)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in trials if t.datetime_complete is not None]
    wall = (max(ends) - min(starts)) if starts and ends else None
    rows = [
        ("Directions", ", ".join(d.name.lower() for d in study.directions)),
        ("Trials", f"{len(trials)} (" + ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items())) + ")"),
        ("Wall time", _duration(wall) if wall is not None else "n/a"),
        ("First start", min(starts).isoformat(sep=" ", timespec="seconds") if starts else "n/a"),
    ]
    rows.append(_best_row(study, complete))
    body = "".join(f"<tr><th>{_e(k)}</th><td class=\"name\">{_e(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _best_row(study: Study, complete: list[FrozenTrial]) -> tuple[str, str]:
    if len(study.directions) > 1:
        return "Pareto set", f"{len(study.best_trials)} trial(s)"
    if not complete:
        return "Best trial", "none (no complete trial)"
    try:
        best = study.best_trial
    except ValueError:  # complete trials, none feasible
        return "Best trial", "none (no feasible trial)"
    params = ", ".join(f"{k}={_format(v)}" for k, v in best.params.items())
    return "Best trial", f"#{best.number}: value {_format(best.value)} ({params})"


def _duration(delta: datetime.timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{seconds:.2f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.2f} h"


def _format(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _importance(study: Study, complete: list[FrozenTrial]) -> str:
    from fasthpo.importance import get_param_importances

    if len(complete) < 2 or not any(t.params for t in complete):
        return "<p class=\"note\">Needs at least 2 complete trials with parameters.</p>"
    importances = get_param_importances(study)
    rows = "".join(f"<tr><td class=\"name\">{_e(name)}</td><td>{value:.3f}</td></tr>"
                   for name, value in importances.items())
    what = "reaching the Pareto front" if len(study.directions) > 1 else "the objective value"
    return (f"<p class=\"note\">PED-ANOVA: how much reaching the best 10% of trials depends on each parameter "
            f"({_e(what)}); normalized to sum to 1.</p><table><tr><th>Parameter</th><th>Importance</th></tr>{rows}</table>")


def _plots(study: Study, trials: list[FrozenTrial], complete: list[FrozenTrial]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from fasthpo import visualization as v

    figures = []
    if len(study.directions) == 1:
        figures.append(("Optimization history", lambda: v.plot_optimization_history(study)))
    if len(study.directions) in (2, 3):
        figures.append(("Pareto front", lambda: v.plot_pareto_front(study)))
    target = None if len(study.directions) == 1 else (lambda t: t.values[0])
    names = sorted({name for t in complete for name in t.params})
    if len(complete) >= 2 and names:
        figures.append(("Parameter importances", lambda: v.plot_param_importances(study)))
        figures.append(("Slice", lambda: v.plot_slice(study, names[:6], target=target)))
        figures.append(("Parallel coordinates", lambda: v.plot_parallel_coordinate(study, names[:8], target=target)))
    if len(names) >= 2 and len(complete) >= 3:
        from fasthpo.importance import get_param_importances

        top = list(get_param_importances(study))[:2]
        figures.append((f"Contour of {top[0]} and {top[1]}", lambda: v.plot_contour(study, top, target=target)))
    if any(t.intermediate_values for t in trials):
        figures.append(("Intermediate values", lambda: v.plot_intermediate_values(study)))
    figures.append(("Timeline", lambda: v.plot_timeline(study)))
    return "<div class=\"plots\">" + "".join(_figure(title, draw) for title, draw in figures) + "</div>"



def _figure(title: str, draw) -> str:
    import matplotlib.pyplot as plt
    import numpy as np

    drawn = draw()
    figure = (np.ravel(drawn)[0] if isinstance(drawn, np.ndarray) else drawn).figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    wide = " class=\"wide\"" if title in WIDE else ""
    return f"<figure{wide}><img alt=\"{_e(title)}\" src=\"data:image/png;base64,{data}\"><figcaption>{_e(title)}</figcaption></figure>"


def _best_table(study: Study, complete: list[FrozenTrial]) -> str:
    if len(study.directions) > 1:
        best = sorted(study.best_trials, key=lambda t: t.values)
        caption = f"The Pareto set ({len(best)} trials), by the first objective."
    else:
        feasible = [t for t in complete if all(c <= 0 for c in t.constraints.values())]
        best = sorted(feasible, key=lambda t: t.value, reverse=study.direction == StudyDirection.MAXIMIZE)[:N_BEST]
        caption = f"The {len(best)} best feasible complete trials."
    if not best:
        return "<p class=\"note\">No complete feasible trial.</p>"
    names = sorted({name for t in best for name in t.params})
    n_values = len(study.directions)
    head = "<tr><th>Trial</th>" + "".join(f"<th>value {i}</th>" if n_values > 1 else "<th>value</th>"
                                         for i in range(n_values))
    head += "".join(f"<th>{_e(n)}</th>" for n in names) + "<th>duration</th></tr>"
    rows = []
    for t in best:
        cells = [str(t.number), *(_format(x) for x in t.values), *(_format(t.params.get(n, "")) for n in names),
                 _duration(t.duration) if t.duration is not None else ""]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return f"<p class=\"note\">{_e(caption)}</p><table>{head}{''.join(rows)}</table>"
