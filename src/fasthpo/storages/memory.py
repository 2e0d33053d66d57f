"""Studies kept in the memory of one process."""

from __future__ import annotations

from typing import Any

from fasthpo.exceptions import DuplicatedStudyError
from fasthpo.storages.base import BaseStorage
from fasthpo.store import TrialStore

__all__ = ["InMemoryStorage"]


class InMemoryStorage(BaseStorage):
    """Studies in this process's memory; the default storage.

    Examples
    --------
    >>> import fasthpo
    >>> storage = fasthpo.storages.InMemoryStorage()
    >>> _ = fasthpo.create_study(storage=storage, study_name="a")
    >>> fasthpo.load_study(study_name="a", storage=storage).study_name
    'a'
    """

    def __init__(self) -> None:
        self._studies: dict[str, tuple[list, TrialStore, dict[str, Any]]] = {}

    def create_study(self, study_name: str, directions: list) -> None:
        if study_name in self._studies:
            raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
        self._studies[study_name] = (list(directions), TrialStore(len(directions)), {})

    def _study(self, study_name: str):
        try:
            return self._studies[study_name]
        except KeyError:
            raise KeyError(f"No study named {study_name!r} in this storage.") from None

    def load_study(self, study_name: str) -> tuple[list, TrialStore]:
        directions, store, _ = self._study(study_name)
        return directions, store

    def get_all_study_names(self) -> list[str]:
        return list(self._studies)

    def delete_study(self, study_name: str) -> None:
        self._study(study_name)
        del self._studies[study_name]

    def get_study_user_attrs(self, study_name: str) -> dict[str, Any]:
        return dict(self._study(study_name)[2])

    def set_study_user_attr(self, study_name: str, key: str, value: Any) -> None:
        self._study(study_name)[2][key] = value
