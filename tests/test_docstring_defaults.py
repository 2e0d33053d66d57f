"""Every public docstring's Parameters section agrees with the signature (issue 22, defect 8).

A parameter documented as ``optional`` has a default; every documented name is a
parameter; a default the text states, ``(default X)``, ``Defaults to X.`` or
``X by default``, is the signature's default or, where the signature says ``None``,
what the call actually uses (resolved below by building the object).
"""

import ast
import importlib
import inspect
import pkgutil
import re

import pytest

import fasthpo


def public_callables():
    seen = set()
    for name in ["fasthpo", *(info.name for info in pkgutil.walk_packages(fasthpo.__path__, prefix="fasthpo."))]:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a module of an optional extra that is not installed
            continue
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            qualname = f"{obj.__module__}.{obj.__qualname__}"
            yield qualname, obj
            if inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if inspect.isfunction(method) and not method_name.startswith("_") and method.__doc__:
                        yield f"{qualname}.{method_name}", method


def parameter_entries(doc):
    """(names, type, description) of each entry of a numpy-style Parameters section."""
    lines = inspect.cleandoc(doc).splitlines()
    underlined = [i for i in range(len(lines) - 1) if lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}]
    starts = [i for i in underlined if lines[i].strip() == "Parameters"]
    if not starts:
        return []
    end = min([i for i in underlined if i > starts[0]] + [len(lines)])
    entries = []
    for line in lines[starts[0] + 2:end]:
        if line and not line.startswith(" "):
            names, _, kind = line.partition(" : ")
            entries.append(([n.strip().lstrip("*") for n in names.split(",")], kind, ""))
        elif entries and line.strip():
            names, kind, text = entries[-1]
            entries[-1] = (names, kind, f"{text} {line.strip()}".strip())
    return entries


STATED = [
    re.compile(r"\(defaults?:?\s+((?:[^()]|\([^()]*\))+)\)"),
    re.compile(r"Defaults? to ((?:[^.]|\.\w)+)\."),
    re.compile(r"(\S+) by default"),
]


def stated_defaults(names, text):
    """{name: stated default text} for the defaults the description states."""
    for pattern in STATED:
        match = pattern.search(text)
        if match:
            parts = re.split(r"\s+and\s+", match.group(1))
            values = [re.sub(r":\w+:|`", "", p).strip() for p in parts]
            values = [v[1:] if v.count("(") > v.count(")") else v for v in values]  # "(X by default)"
            if len(values) == len(names):
                return dict(zip(names, values))
    return {}


def literal(text):
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False, None


def named_objects(text):
    """The public fasthpo objects a stated default may name (``RandomSampler(seed)``)."""
    match = re.fullmatch(r"([\w.]+)(\(\w*\))?", text)
    if match is None:
        return []
    name = match.group(1).rsplit(".", 1)[-1]
    return [obj for qualname, obj in ALL  # the samplers and their Optuna adapters share names
            if obj.__name__ == name and qualname == f"{obj.__module__}.{obj.__qualname__}" and "." not in obj.__qualname__]


ALL = list(public_callables())


def _independent(sampler_name):
    return lambda: getattr(fasthpo.samplers, sampler_name)()._independent


def _optuna_adapter(name):
    from fasthpo.integration import optuna as adapters

    return getattr(adapters, name)()


# What a call uses for a parameter whose signature default is None.
RESOLVED = {
    ("fasthpo.study.create_study", "sampler"): lambda: fasthpo.create_study().sampler,
    ("fasthpo.study.create_study", "pruner"): lambda: fasthpo.create_study().pruner,
    ("fasthpo.study.create_study", "direction"): lambda: fasthpo.create_study().direction.name.lower(),
    ("fasthpo.samplers.tpe.TPESampler", "weights"): lambda: fasthpo.samplers.TPESampler()._weights,
    ("fasthpo.samplers.cmaes.CmaEsSampler", "independent_sampler"): _independent("CmaEsSampler"),
    ("fasthpo.samplers.gp.GPSampler", "independent_sampler"): _independent("GPSampler"),
    ("fasthpo.samplers.qmc.QMCSampler", "independent_sampler"): _independent("QMCSampler"),
    ("fasthpo.integration.optuna.CmaEsSampler", "independent_sampler"):
        lambda: _optuna_adapter("CmaEsSampler")._sampler._independent,
    ("fasthpo.integration.optuna.GPSampler", "independent_sampler"):
        lambda: _optuna_adapter("GPSampler")._sampler._independent,
    ("fasthpo.integration.optuna.QMCSampler", "independent_sampler"):
        lambda: _optuna_adapter("QMCSampler")._sampler._independent,
    ("fasthpo.integration.optuna.TPESampler", "prior_weight"): lambda: _optuna_adapter("TPESampler")._sampler._prior_weight,
    ("fasthpo.integration.optuna.TPESampler", "consider_magic_clip"):
        lambda: _optuna_adapter("TPESampler")._sampler._magic_clip,
    ("fasthpo.integration.optuna.TPESampler", "consider_endpoints"):
        lambda: _optuna_adapter("TPESampler")._sampler._endpoints,
    ("fasthpo.integration.optuna.TPESampler", "warn_independent_sampling"):
        lambda: _optuna_adapter("TPESampler")._warn_independent_sampling,
}


def documented(qualname_obj):
    qualname, obj = qualname_obj
    entries = parameter_entries(obj.__doc__ or "")
    signature = inspect.signature(obj) if entries else None
    return [(names, kind, text, signature) for names, kind, text in entries]


@pytest.mark.parametrize("qualname, obj", ALL, ids=[q for q, _ in ALL])
def test_documented_parameters_are_the_signature_s(qualname, obj):
    for names, kind, _, signature in documented((qualname, obj)):
        for name in names:
            assert name in signature.parameters, f"{qualname} documents {name!r}, which it does not take"
            parameter = signature.parameters[name]
            if "optional" in kind and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                assert parameter.default is not parameter.empty, f"{qualname}: {name!r} is documented optional"


@pytest.mark.parametrize("qualname, obj", ALL, ids=[q for q, _ in ALL])
def test_stated_defaults_are_the_defaults_a_call_uses(qualname, obj):
    for names, _, text, signature in documented((qualname, obj)):
        for name, stated in stated_defaults(names, text).items():
            is_literal, value = literal(stated)
            targets = [] if is_literal else named_objects(stated)
            if not is_literal and not targets:
                continue  # a description ("in memory", "the centre"), not a value
            default = signature.parameters[name].default
            if (is_literal and default == value) or any(default is t for t in targets):
                continue
            resolve = RESOLVED.get((qualname, name))
            assert default is None and resolve is not None, (
                f"{qualname}: docstring says {name}={stated}, signature says {default!r}")
            actual = resolve()
            if is_literal:
                assert actual == value, f"{qualname}: docstring says {name}={stated}, a call uses {actual!r}"
            else:
                assert any(isinstance(actual, t) if inspect.isclass(t) else actual is t for t in targets), (
                    f"{qualname}: docstring says {name}={stated}, a call uses {actual!r}")


def test_the_parser_reads_the_statements_this_test_relies_on():
    assert stated_defaults(["a"], "Weight (default 1.0).") == {"a": "1.0"}
    assert stated_defaults(["a", "b"], "Rules (defaults True and False).") == {"a": "True", "b": "False"}
    assert stated_defaults(["s"], "Defaults to :class:`fasthpo.samplers.TPESampler`.") == {
        "s": "fasthpo.samplers.TPESampler"}
    assert stated_defaults(["s"], "Outside it (``RandomSampler(seed)`` by default).") == {"s": "RandomSampler(seed)"}
    assert fasthpo.samplers.RandomSampler in named_objects("RandomSampler(seed)")
    assert len(ALL) > 50
