"""Where a study's trials are kept: in memory (the default) or shared by processes."""

from __future__ import annotations

from typing import Any

from fasthpo.storages.base import BaseStorage
from fasthpo.storages.memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "get_storage"]


def get_storage(storage: Any) -> BaseStorage:
    """The storage object for ``create_study``'s ``storage`` argument."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    raise TypeError(f"storage must be None or a fasthpo storage, got {storage!r}.")
