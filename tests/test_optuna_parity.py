"""The Optuna parity table: every public name of Optuna 5 that fasthpo shares takes the
same arguments, unless the difference is written down here with its reason.

The test walks Optuna's public API (the namespaces in ``NAMESPACES``, and the members of
the classes in ``MEMBERS_OF``), finds the fasthpo name of the same place, and compares
signatures: parameter names, their order where Optuna lets them be positional, and
default values (annotations are ignored). A fasthpo signature that accepts every call
Optuna's accepts, with the same defaults, is *same* (extra optional parameters are
listed). Otherwise the name *differs*, and ``DIFFERS`` must say why, or the test fails.
Names fasthpo lacks are *not yet*, or *not planned* with the reason in ``NOT_PLANNED``;
Optuna names deprecated in Optuna are *not planned* by themselves.

``FASTHPO_WRITE_PARITY=1 pytest tests/test_optuna_parity.py`` writes the table to
``docs/optuna-parity.md`` and its counts into the README (after ``<!-- parity-counts -->``);
without it, the test fails when either is out of date.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import os
import re
import warnings
from pathlib import Path

import optuna
import pytest

import fasthpo

optuna.logging.set_verbosity(optuna.logging.WARNING)

ROOT = Path(__file__).parents[1]
README_MARK, README_END = "<!-- parity-counts -->", "<!-- /parity-counts -->"

NAMESPACES = ["", "study", "trial", "samplers", "pruners", "storages", "distributions", "visualization",
              "importance"]

# Optuna classes whose methods and properties are compared one by one (of other classes,
# the constructor). Each maps to how an instance is made, given the module (optuna or fasthpo).
MEMBERS_OF = {
    "study.Study": lambda m: m.create_study(),
    "trial.Trial": lambda m: m.create_study().ask(),
    "trial.FrozenTrial": lambda m: m.create_trial(value=1.0),
    "study.StudySummary": lambda m: _summary(m),
    "distributions.FloatDistribution": lambda m: m.distributions.FloatDistribution(0.0, 1.0),
    "distributions.IntDistribution": lambda m: m.distributions.IntDistribution(0, 1),
    "distributions.CategoricalDistribution": lambda m: m.distributions.CategoricalDistribution(["a"]),
}

DIFFERS = {
    "Trial": "Trials are made by `Study.ask` (or `optimize`), never by hand; fasthpo identifies a trial by its "
             "number in the study, not by a storage id.",
    "trial.Trial.set_constraint": "`value` may be omitted for the deprecated list form `set_constraint(values)`, "
                                  "which still works with a DeprecationWarning.",
    "study.StudySummary": "Made by `get_all_study_summaries` only; a dataclass of `directions` (with a `direction` "
                          "property, as in Optuna), without storage ids.",
    "samplers.TPESampler": "Optuna 5 deprecates `consider_prior`, `prior_weight`, `consider_magic_clip` and "
                           "`consider_endpoints` and marks them with `None` defaults; fasthpo keeps the three "
                           "that still change the algorithm with their effective values (the prior is always on). "
                           "fasthpo's samplers do not warn about independent sampling (the Optuna adapters in "
                           "`fasthpo.integration.optuna` take `warn_independent_sampling`).",
    "samplers.GPSampler": "No `warn_independent_sampling`: fasthpo's samplers do not warn about independent "
                          "sampling (the Optuna adapter takes the argument).",
    "samplers.QMCSampler": "No `warn_independent_sampling` or `warn_asynchronous_seeding`: fasthpo's samplers do "
                           "not warn (the Optuna adapter takes `warn_independent_sampling`).",
    "samplers.NSGAIISampler": "No `child_generation_strategy` or `after_trial_strategy`: those callables take an "
                              "Optuna Study, and fasthpo's samplers never see one. `elite_population_selection_strategy` "
                              "takes `(history, trial_numbers)` and returns the chosen numbers; crossovers and "
                              "mutations are fasthpo's own classes of the same names (`fasthpo.samplers.nsgaii`).",
    "samplers.NSGAIIISampler": "As NSGAIISampler: no `child_generation_strategy` or `after_trial_strategy`, and "
                               "`elite_population_selection_strategy` takes `(history, trial_numbers)`.",
    "samplers.CmaEsSampler": "`inc_popsize=2`: Optuna's default -1 stands for the same factor 2 (the Optuna adapter "
                             "accepts -1).",
    "storages.JournalFileStorage": "fasthpo's own journal file storage, `JournalFileStorage(path, fsync=False)` with "
                                   "its own locking; Optuna 5 deprecates its class of this name (with `file_path`, "
                                   "`lock_obj`) for `JournalStorage(JournalFileBackend(...))`. Both write Optuna's "
                                   "record format.",
    "storages.JournalRedisStorage": "No Redis Cluster (`use_cluster`): one Redis server.",
}

NOT_PLANNED = {
    "artifacts": "Artifact stores (files attached to trials) are outside a sampler library.",
    "integration": "`fasthpo.integration` holds fasthpo's own adapters (optuna, sklearn, dask), not Optuna's "
                   "integration modules.",
    "logging": "fasthpo reports through warnings and return values, not a logging tree.",
    "version": "The version is `fasthpo.__version__`.",
    "trial.Trial.storage": "A trial reaches its storage through its study.",
    "storages.RDBStorage": "No SQL database backend: studies are shared through journals (file or Redis).",
    "storages.GrpcStorageProxy": "No gRPC proxy; journals are shared directly.",
    "storages.run_grpc_proxy_server": "No gRPC proxy; journals are shared directly.",
    "storages._CachedStorage": "Optuna's internal cache of RDBStorage.",
}


def _summary(module):
    storage = module.storages.InMemoryStorage()
    module.create_study(storage=storage, study_name="s")
    return module.get_all_study_summaries(storage)[0]


# ------------------------------------------------------------------ introspection
def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if getattr(v, "__module__", None) == module.__name__]
    return [n for n in names if not n.startswith("__") and (n == "_CachedStorage" or not n.startswith("_"))]


def _module(path: str, root):
    try:
        return importlib.import_module(f"{root.__name__}.{path}" if path else root.__name__)
    except ModuleNotFoundError:
        return None


_DEPRECATION_NOTE = re.compile(r"^\.\. warning::\n    Deprecated in v", re.MULTILINE)


def _deprecated(obj) -> bool:
    """Whether Optuna marks the function or class ``obj`` deprecated: its decorator adds a
    warning block at the docstring's own indentation (a deprecated parameter's note is
    indented further, in its section)."""
    if not (inspect.isroutine(obj) or isinstance(obj, type)):
        return False
    return bool(_DEPRECATION_NOTE.search(inspect.cleandoc(obj.__doc__ or "")))


def _default(value):
    """A comparable form of a default value (enums by name, containers item by item)."""
    if value is inspect.Parameter.empty or value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.name)
    if isinstance(value, (tuple, list)):
        return tuple(_default(v) for v in value)
    return type(value).__name__


def _signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def compare(theirs, ours) -> tuple[bool, str]:
    """(compatible, note): whether ``ours`` takes every call ``theirs`` takes, with the same
    defaults; the note lists what differs, or fasthpo's extra optional parameters."""
    if isinstance(theirs, type):
        theirs, ours = theirs.__init__, ours.__init__ if isinstance(ours, type) else ours
    a, b = _signature(theirs), _signature(ours)
    if a is None or b is None:
        return True, ""
    P = inspect.Parameter
    ours_params = {n: p for n, p in b.parameters.items() if n != "self"}
    ours_positional = [n for n, p in ours_params.items() if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    has_var_kw = any(p.kind == P.VAR_KEYWORD for p in ours_params.values())
    problems, position = [], 0
    for name, p in a.parameters.items():
        if name == "self":
            continue
        if p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD):
            if not any(q.kind == p.kind for q in ours_params.values()):
                problems.append(f"no {'*' if p.kind == P.VAR_POSITIONAL else '**'}{name}")
            continue
        q = ours_params.get(name)
        if q is None:
            if not has_var_kw:
                problems.append(f"no `{name}`")
            continue
        if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD):
            if position >= len(ours_positional) or ours_positional[position] != name:
                problems.append(f"`{name}` is not positional argument {position + 1}")
            position += 1
        elif q.kind == P.POSITIONAL_ONLY:
            problems.append(f"`{name}` is positional only")
        if _default(p.default) != _default(q.default):
            theirs_default = "required" if p.default is P.empty else f"{p.default!r}"
            ours_default = "required" if q.default is P.empty else f"{q.default!r}"
            problems.append(f"`{name}` default {ours_default} (Optuna: {theirs_default})")
    extra = [n for n, q in ours_params.items()
             if n not in a.parameters and q.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
    required_extra = [n for n in extra if ours_params[n].default is P.empty]
    problems += [f"extra required `{n}`" for n in required_extra]
    if problems:
        return False, "; ".join(problems)
    return True, ("also: " + ", ".join(f"`{n}`" for n in extra)) if extra else ""


def _member_kind(instance, name: str) -> str:
    static = inspect.getattr_static(instance, name)
    if isinstance(static, property):
        return "property"
    return "method" if callable(static) else "attribute"


def _rows_for_members(path: str) -> list[tuple[str, str, str]]:
    """Rows (name, status, note) for the members of the Optuna class at ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MEMBERS_OF[path](optuna)
        try:
            ours = MEMBERS_OF[path](fasthpo)
        except AttributeError:
            ours = None
    rows = []
    for name in sorted(n for n in dir(theirs) if not n.startswith("_")):
        full = f"{path}.{name}"
        static = inspect.getattr_static(theirs, name)
        if ours is None or not _has(ours, name):
            deprecated = _deprecated(static.fget if isinstance(static, property) else static)
            rows.append((full, "not planned", "deprecated in Optuna") if deprecated else _missing(full))
            continue
        if _member_kind(theirs, name) == "method":
            rows.append(_compared(full, getattr(theirs, name), getattr(ours, name)))
        else:
            rows.append((full, "same", ""))
    return rows


def _has(instance, name: str) -> bool:
    try:
        inspect.getattr_static(instance, name)
    except AttributeError:
        return False
    return True


def _missing(full: str) -> tuple[str, str, str]:
    if full in NOT_PLANNED:
        return full, "not planned", NOT_PLANNED[full]
    return full, "not yet", ""


def _compared(full: str, theirs, ours) -> tuple[str, str, str]:
    compatible, note = compare(theirs, ours)
    if compatible:
        return full, "same", note
    return full, "differs", note


def parity_rows() -> list[tuple[str, str, str]]:
    """(Optuna name relative to ``optuna.``, status, note) for the whole compared API."""
    rows, seen = [], set()
    for namespace in NAMESPACES:
        theirs_module = _module(namespace, optuna)
        ours_module = _module(namespace, fasthpo)
        for name in _public_names(theirs_module):
            full = f"{namespace}.{name}" if namespace else name
            obj = getattr(theirs_module, name)
            if id(obj) in seen and not inspect.ismodule(obj):
                continue
            seen.add(id(obj))
            if inspect.ismodule(obj):  # a namespace: whether fasthpo has it (its names are compared on their own)
                rows.append(_missing(full) if full in NOT_PLANNED or _module(full, fasthpo) is None
                            else (full, "same", ""))
            elif ours_module is None or not hasattr(ours_module, name):
                rows.append((full, "not planned", "deprecated in Optuna") if _deprecated(obj) else _missing(full))
            elif not callable(obj):
                rows.append((full, "same", ""))
            else:
                rows.append(_compared(full, obj, getattr(ours_module, name)))
            owner = _class_path(obj)
            if owner in MEMBERS_OF and owner not in {r[0] for r in rows[:-1]}:
                rows.extend(_rows_for_members(owner))
    return rows


def _class_path(obj) -> str | None:
    if not isinstance(obj, type):
        return None
    for path in MEMBERS_OF:
        namespace, name = path.split(".")
        if getattr(_module(namespace, optuna), name, None) is obj:
            return path
    return None


# ------------------------------------------------------------------------ table
def counts_of(rows) -> dict[str, int]:
    return {s: sum(1 for r in rows if r[1] == s) for s in ("same", "differs", "not yet", "not planned")}


def readme_counts(rows) -> str:
    """The counts sentence of the README, between its markers."""
    c = counts_of(rows)
    return (f"{README_MARK}{c['same']} same, {c['differs']} differ, {c['not yet']} not yet, "
            f"{c['not planned']} not planned{README_END}")


def render(rows) -> str:
    counts = counts_of(rows)
    lines = [
        "# Optuna parity",
        "",
        "Generated by `tests/test_optuna_parity.py` (`FASTHPO_WRITE_PARITY=1 pytest tests/test_optuna_parity.py`)"
        f" against Optuna {optuna.__version__}: every public name of Optuna's study, trial, samplers, pruners,",
        "storages, distributions, visualization and importance modules (and callbacks), and the methods of the",
        "classes users call most, next to fasthpo's name at the same place. *same*: fasthpo takes every call",
        "Optuna takes, with the same defaults (extra optional parameters are listed); *differs*: the",
        "signature differs, for the reason given; *not yet*: fasthpo has no such name; *not planned*: and will",
        "not, for the reason given. Behaviour is tested separately (`tests/test_ported_programs.py`,",
        "`tests/test_constraints.py`, `tests/test_study_functions.py`).",
        "",
        f"**{counts['same']} same, {counts['differs']} differs, {counts['not yet']} not yet, "
        f"{counts['not planned']} not planned.**",
        "",
        "| Optuna | status | notes |",
        "|---|---|---|",
    ]
    for name, status, note in rows:
        lines.append(f"| `optuna.{name}` | {status} | {note.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def test_every_signature_difference_is_documented():
    rows = parity_rows()
    undocumented = [(n, note) for n, status, note in rows if status == "differs" and n not in DIFFERS]
    assert not undocumented, "Signatures differing from Optuna without a reason in DIFFERS:\n" + "\n".join(
        f"  {n}: {note}" for n, note in undocumented)
    differing = {n for n, status, _ in rows if status == "differs"}
    stale = sorted(set(DIFFERS) - differing)
    assert not stale, f"DIFFERS entries for names that no longer differ (drop them): {stale}"


def test_the_table_and_the_readme_counts_are_current():
    rows = parity_rows()
    documented = [(n, s, f"{DIFFERS[n]} ({note})" if s == "differs" else note) for n, s, note in rows]
    table, readme = ROOT / "docs" / "optuna-parity.md", ROOT / "README.md"
    text = readme.read_text()
    current = re.search(re.escape(README_MARK) + ".*?" + re.escape(README_END), text)
    assert current, f"README.md lacks the {README_MARK}...{README_END} counts."
    if os.environ.get("FASTHPO_WRITE_PARITY") == "1":
        table.write_text(render(documented))
        readme.write_text(text.replace(current.group(0), readme_counts(rows)))
        return
    hint = "run FASTHPO_WRITE_PARITY=1 pytest tests/test_optuna_parity.py"
    assert table.read_text() == render(documented), f"docs/optuna-parity.md is out of date: {hint}"
    assert current.group(0) == readme_counts(rows), f"The README's parity counts are out of date: {hint}"


def test_not_planned_names_are_still_missing():
    status = {n: s for n, s, _ in parity_rows()}
    stale = [n for n in NOT_PLANNED if status.get(n) != "not planned"]  # modules stay listed: see parity_rows
    assert not stale, f"NOT_PLANNED names that fasthpo has now (move them to DIFFERS or drop them): {stale}"


@pytest.mark.parametrize(
    ("theirs", "ours", "compatible"),
    [
        (lambda a, b=1: 0, lambda a, b=1, c=2: 0, True),
        (lambda a, b=1: 0, lambda b, a=1: 0, False),
        (lambda a, b=1: 0, lambda a, b=2: 0, False),
        (lambda a, *, b=1: 0, lambda a, c=0, b=1: 0, True),
        (lambda a: 0, lambda a, c: 0, False),
        (lambda a, b: 0, lambda a: 0, False),
        (lambda a, **kw: 0, lambda a: 0, False),
    ],
)
def test_compare_accepts_exactly_the_compatible_signatures(theirs, ours, compatible):
    assert compare(theirs, ours)[0] is compatible
