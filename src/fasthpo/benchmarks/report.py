"""The report of a suite's results: markdown with PNG figures, and the same as one HTML page.

* per problem, the regret curve (median and quartiles over seeds) and the final regret
  (median [quartiles]) of each sampler;
* average ranks of the final regret over every (problem, seed) that every ranked sampler
  ran (single- and multi-objective problems and each budget apart), with the Friedman
  test and the Nemenyi critical difference (figure: samplers that the critical
  difference does not separate are joined by a bar);
* time per ask of each sampler (the library's time: ask, suggestions and tell).

Examples
--------
>>> import os, tempfile
>>> from fasthpo.benchmarks import Suite, run_suite
>>> out = tempfile.mkdtemp()
>>> suite = Suite(("sphere-2d", "mixed"), ("fasthpo-random", "fasthpo-tpe", "fasthpo-qmc"), (0, 1), (12,))
>>> records = run_suite(suite, os.path.join(out, "results.jsonl"), progress=False)
>>> text = write_report(records, out)
>>> sorted(f for f in os.listdir(out) if f.endswith((".md", ".png")))
['ranks-single-objective.png', 'regret_curves.png', 'report.md']
>>> page = open(os.path.join(out, "report.html")).read()
>>> page.count("<table>"), "data:image/png;base64," in page, "http" in page
(3, True, False)
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections import defaultdict
from typing import Any

import numpy as np

__all__ = ["average_ranks", "markdown_table", "write_report"]



def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub markdown table.

    >>> print(markdown_table(["a", "b"], [[1, 2]]))
    | a | b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _groups(records: list[dict[str, Any]]) -> dict[str, dict[str, np.ndarray]]:
    """``{problem label: {sampler: regret[seeds, budget]}}`` in the order of the records."""
    budgets = {r["budget"] for r in records}
    runs: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in sorted(records, key=lambda r: r["seed"]):
        label = r["problem"] if len(budgets) == 1 else f"{r['problem']} ({r['budget']} trials)"
        runs[label][r["sampler"]].append(r["regret"])
    return {label: {s: np.array(v, dtype=float) for s, v in by.items()} for label, by in runs.items()}


def average_ranks(records: list[dict[str, Any]]) -> tuple[list[str], np.ndarray, int]:
    """The samplers that ran every problem, their average rank of the final regret (1 is
    best; ties share) over the (problem, budget, seed) blocks they all ran, and the number
    of blocks."""
    from scipy.stats import rankdata

    final: dict[tuple, dict[str, float]] = defaultdict(dict)
    for r in records:
        final[r["problem"], r["budget"], r["seed"]][r["sampler"]] = r["regret"][-1]
    problems = {key[0] for key in final}
    samplers = list(dict.fromkeys(r["sampler"] for r in records))
    everywhere = [s for s in samplers if {k[0] for k, by in final.items() if s in by} == problems]
    blocks = [by for by in final.values() if all(s in by for s in everywhere)]
    if not everywhere or not blocks:
        return everywhere, np.zeros(len(everywhere)), 0
    ranks = np.array([rankdata([by[s] for s in everywhere]) for by in blocks])
    return everywhere, ranks.mean(axis=0), len(blocks)


def _critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference of average ranks for ``k`` samplers on ``n`` blocks."""
    from scipy.stats import studentized_range

    return studentized_range.ppf(1 - alpha, k, 1e6) / math.sqrt(2) * math.sqrt(k * (k + 1) / (6 * n))


def _friedman_p(records: list[dict[str, Any]], samplers: list[str]) -> float | None:
    from scipy.stats import friedmanchisquare

    final: dict[tuple, dict[str, float]] = defaultdict(dict)
    for r in records:
        final[r["problem"], r["budget"], r["seed"]][r["sampler"]] = r["regret"][-1]
    blocks = [by for by in final.values() if all(s in by for s in samplers)]
    if len(samplers) < 3 or len(blocks) < 2:
        return None
    columns = np.array([[by[s] for s in samplers] for by in blocks])
    if np.all(columns == columns[:, :1]):
        return 1.0
    return float(friedmanchisquare(*columns.T).pvalue)


def _plot_curves(groups: dict[str, dict[str, np.ndarray]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samplers = list(dict.fromkeys(s for by in groups.values() for s in by))
    colors = {s: plt.get_cmap("tab10")(i % 10) for i, s in enumerate(samplers)}
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows), squeeze=False)
    for ax, (label, by) in zip(axes.flat, groups.items()):
        for sampler, regret in by.items():
            floor = np.maximum(regret, 1e-12)
            trials = np.arange(1, regret.shape[1] + 1)
            q25, median, q75 = np.percentile(floor, [25, 50, 75], axis=0)
            ax.plot(trials, median, color=colors[sampler], label=sampler, lw=1.4)
            ax.fill_between(trials, q25, q75, color=colors[sampler], alpha=0.18, lw=0)
        ax.set_yscale("log")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("trials", fontsize=8)
        ax.set_ylabel("regret (HV regret)" if label.startswith(("zdt", "dtlz")) else "regret", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=colors[s], lw=2) for s in samplers]
    fig.legend(handles, samplers, loc="lower center", ncol=min(len(samplers), 5), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04 + 0.02 * (len(samplers) > 5), 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_ranks(samplers: list[str], ranks: np.ndarray, cd: float, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(ranks)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(samplers) + 1.2))
    y = np.arange(len(samplers))[::-1]
    ax.scatter(ranks[order], y, color="black", zorder=3)
    for yi, i in zip(y, order):
        ax.annotate(f"{samplers[i]} ({ranks[i]:.2f})", (ranks[i], yi), xytext=(6, 3), textcoords="offset points",
                    fontsize=8)
    for start in range(len(order)):  # a bar over each maximal group closer than cd
        end = max(j for j in range(start, len(order)) if ranks[order[j]] - ranks[order[start]] < cd)
        if end > start and (start == 0 or ranks[order[end]] - ranks[order[start - 1]] >= cd):
            ax.plot([ranks[order[start]], ranks[order[end]]], [y[start] - 0.25 - 0.06 * start] * 2, lw=3,
                    color="tab:red", alpha=0.7)
    ax.errorbar([1 + cd / 2], [len(samplers) - 0.4], xerr=[cd / 2], color="tab:blue", capsize=4)
    ax.annotate(f"CD = {cd:.2f}", (1 + cd, len(samplers) - 0.4), xytext=(4, -3), textcoords="offset points",
                fontsize=8, color="tab:blue")
    ax.set_xlim(0.8, len(samplers) + 0.6)
    ax.set_yticks([])
    ax.set_xlabel("average rank of the final regret (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _quartiles(values: np.ndarray) -> str:
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return f"{median:.3g} [{q25:.3g}, {q75:.3g}]"


def write_report(records: list[dict[str, Any]], directory: str, title: str = "fasthpo bench") -> str:
    """Write ``report.md``, ``report.html`` (one self-contained page, figures inlined),
    ``regret_curves.png`` and ``ranks-<kind>.png`` (single- and multi-objective problems
    and each budget ranked apart) into ``directory`` and return the markdown."""
    from fasthpo.report import STYLE  # the look of the study report's page

    blocks = _blocks(records, directory, title)
    text = "\n".join(_markdown(block) for block in blocks)
    with open(os.path.join(directory, "report.md"), "w", encoding="utf-8") as f:
        f.write(text)
    page = "\n".join(_html(block, directory) for block in blocks)
    with open(os.path.join(directory, "report.html"), "w", encoding="utf-8") as f:
        f.write(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
                f"<style>{STYLE}</style></head><body>\n{page}\n</body></html>\n")
    return text


# A report is a list of blocks, written as markdown and as HTML: ("h1" | "h2" | "h3" | "p", text),
# ("img", alt text, file name in the report's directory), ("table", header, rows); a cell "**x**" is bold.
def _markdown(block: tuple) -> str:
    kind = block[0]
    if kind == "img":
        return f"![{block[1]}]({block[2]})\n"
    if kind == "table":
        return markdown_table(block[1], block[2]) + "\n"
    prefix = {"h1": "# ", "h2": "## ", "h3": "### ", "p": ""}[kind]
    return f"{prefix}{block[1]}\n"


def _html(block: tuple, directory: str) -> str:
    kind = block[0]
    if kind == "img":
        with open(os.path.join(directory, block[2]), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        return (f"<div class=\"plots\"><figure class=\"wide\"><img alt=\"{html.escape(block[1])}\" "
                f"src=\"data:image/png;base64,{data}\"></figure></div>")
    if kind == "table":
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in block[1])
        rows = "".join("<tr>" + "".join(_cell(c, i) for i, c in enumerate(row)) + "</tr>" for row in block[2])
        return f"<table><tr>{head}</tr>{rows}</table>"
    text = html.escape(block[1]).replace("`", "")
    return f"<{kind}>{text}</{kind}>"


def _cell(value: Any, column: int) -> str:
    text = str(value)
    name = " class=\"name\"" if column == 0 else ""
    if text.startswith("**") and text.endswith("**"):
        return f"<td{name}><b>{html.escape(text[2:-2])}</b></td>"
    return f"<td{name}>{html.escape(text)}</td>"


def _blocks(records: list[dict[str, Any]], directory: str, title: str) -> list[tuple]:
    groups = _groups(records)
    samplers = list(dict.fromkeys(r["sampler"] for r in records))
    _plot_curves(groups, os.path.join(directory, "regret_curves.png"))
    seeds = sorted({r["seed"] for r in records})
    blocks = [("h1", title),
              ("p", f"{len(records)} runs: {len(groups)} problems × {len(samplers)} samplers × {len(seeds)} seeds "
                    f"({seeds[0]}..{seeds[-1]}), budgets {sorted({r['budget'] for r in records})}. Regret is the best "
                    "value minus the known optimum; for several objectives, the true front's hypervolume minus the "
                    "found one's (reference point 1.1 in every objective)."),
              ("h2", "Regret curves (median and quartiles over seeds)"), ("img", "regret curves", "regret_curves.png"),
              ("h2", "Final regret: median [25%, 75%] over seeds (bold: lowest median)")]
    rows = []
    for label, by in groups.items():
        medians = {s: np.median(v[:, -1]) for s, v in by.items()}
        best = min(medians.values())
        rows.append([label] + [("n/a" if s not in by else
                                (f"**{_quartiles(by[s][:, -1])}**" if medians[s] == best else _quartiles(by[s][:, -1])))
                               for s in samplers])
    blocks += [("table", ["problem", *samplers], rows), *_rank_section(records, directory),
               ("h2", "Time per ask (the library's time: ask, suggestions and tell; the problem's evaluation "
                      "excluded)")]
    rows = []
    for s in samplers:
        runs = [r for r in records if r["sampler"] == s]
        per_ask = np.array([r["ask_time"] / r["budget"] for r in runs]) * 1e3
        rows.append([s, len(runs), f"{np.median(per_ask):.3f}", f"{np.percentile(per_ask, 90):.3f}",
                     f"{sum(r['wall_time'] for r in runs):.1f}"])
    return blocks + [("table", ["sampler", "runs", "median ms/ask", "90% ms/ask", "total wall s"], rows)]


def _rank_section(records: list[dict[str, Any]], directory: str) -> list[tuple]:
    """Ranks apart for single- and multi-objective problems, and for each budget."""
    from fasthpo.benchmarks.problems import get_problem

    blocks = [("h2", "Average ranks of the final regret")]
    objectives = {r["problem"]: get_problem(r["problem"]).n_objectives for r in records}
    for kind, several in (("single-objective", False), ("multi-objective", True)):
        part = [r for r in records if (objectives[r["problem"]] > 1) == several]
        budgets = sorted({r["budget"] for r in part})
        for budget in budgets:
            name = kind if len(budgets) == 1 else f"{kind}-{budget}"
            heading = f"{kind.capitalize()} problems" + (f", {budget} trials" if len(budgets) > 1 else "")
            blocks += [("h3", heading), *_ranks([r for r in part if r["budget"] == budget], directory, name)]
    return blocks


def _ranks(records: list[dict[str, Any]], directory: str, name: str) -> list[tuple]:
    samplers, ranks, n = average_ranks(records)
    if len(samplers) < 2 or n < 2:
        return [("p", "(needs two samplers that ran every such problem, on two blocks or more)")]
    cd = _critical_difference(len(samplers), n)
    _plot_ranks(samplers, ranks, cd, os.path.join(directory, f"ranks-{name}.png"))
    p = _friedman_p(records, samplers)
    order = np.argsort(ranks)
    friedman = f" Friedman test p = {p:.3g};" if p is not None else ""
    return [("p", f"Blocks: the {n} (problem, seed) pairs that every sampler below ran; ranks within a block, ties "
                  f"share.{friedman} Nemenyi critical difference at 5%: {cd:.2f} (two samplers whose average ranks "
                  "differ by more are different)."),
            ("img", "average ranks", f"ranks-{name}.png"),
            ("table", ["sampler", "average rank", "different from (Nemenyi, 5%)"],
             [[samplers[i], f"{ranks[i]:.2f}",
               ", ".join(samplers[j] for j in order if abs(ranks[i] - ranks[j]) > cd) or "-"] for i in order])]
