"""Lines of fasthpo's first journal format, translated into Optuna's records.

The first format (fasthpo 0.1) named studies and trials by number and defined each
distribution once (``{"op": "define_distribution", "id": ...}``). Such lines still load:
each is translated into the record Optuna's format would have written, and replayed
like any other. ``fasthpo journal repair`` writes a copy in Optuna's format.
"""

from __future__ import annotations

from typing import Any, Callable

from fasthpo.distributions import BaseDistribution, CategoricalDistribution, distribution_from_dict

__all__ = ["LegacyTranslator"]

WORKER = "fasthpo-legacy"


class LegacyTranslator:
    """Translate first-format lines; ``trial_id(study, number)`` resolves trials."""

    def __init__(self, trial_id: Callable[[int, int], int], distribution_json: Callable[[BaseDistribution], str]):
        self._trial_id = trial_id
        self._distribution_json = distribution_json
        self._distributions: list[BaseDistribution] = []

    def translate(self, op: dict[str, Any]) -> dict[str, Any] | None:
        """The Optuna record of ``op`` (``None`` for a line that defines a distribution)."""
        kind = op["op"]
        if kind == "define_distribution":
            if op["id"] != len(self._distributions):
                raise ValueError(f"distribution id {op['id']!r} defined when {len(self._distributions)} exist")
            self._distributions.append(distribution_from_dict(op["distribution"]))
            return None
        if kind == "create_study":
            return {"op_code": 0, "study_name": op["name"], "directions": op["directions"]}
        if kind == "delete_study":
            return {"op_code": 1, "study_id": op["study"]}
        if kind == "set_study_user_attr":
            return {"op_code": 2, "study_id": op["study"], "user_attr": {op["key"]: op["value"]}}
        if kind == "create_trial":
            record = {"op_code": 4, "study_id": op["study"], "state": op["state"],
                      "datetime_start": op["datetime_start"], "user_attrs": op["user_attrs"], "system_attrs": {}}
            if op["fixed_params"]:
                record["system_attrs"]["fixed_params"] = op["fixed_params"]
            return record
        return self._trial_record(kind, op)

    def _trial_record(self, kind: str, op: dict[str, Any]) -> dict[str, Any]:
        trial_id = self._trial_id(op["study"], op["trial"])
        if kind == "start_trial":
            return {"op_code": 6, "trial_id": trial_id, "state": 0, "values": None,
                    "datetime_start": op["datetime_start"]}
        if kind == "set_param":
            distribution = self._distributions[op["distribution"]]
            value = op["internal"] if isinstance(distribution, CategoricalDistribution) else op["value"]
            return {"op_code": 5, "trial_id": trial_id, "param_name": op["name"], "param_value_internal": value,
                    "distribution": self._distribution_json(distribution)}
        if kind == "report":
            return {"op_code": 7, "trial_id": trial_id, "step": op["step"], "intermediate_value": op["value"]}
        if kind in ("set_user_attr", "set_system_attr"):
            field = kind[4:]
            return {"op_code": 8 if field == "user_attr" else 9, "trial_id": trial_id, field: {op["key"]: op["value"]}}
        if kind == "finish":
            return {"op_code": 6, "trial_id": trial_id, "state": op["state"], "values": op["values"],
                    "datetime_complete": op["datetime_complete"]}
        raise ValueError(f"unknown operation {kind!r}")
