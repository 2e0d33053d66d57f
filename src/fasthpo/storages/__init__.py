"""Where a study's trials are kept: in memory (the default) or shared by processes."""

from __future__ import annotations

import os
from typing import Any

from fasthpo.storages.base import BaseStorage
from fasthpo.storages.journal import JournalFileStorage
from fasthpo.storages.memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "JournalFileStorage", "get_storage"]

_JOURNAL_SCHEME = "journal://"


def get_storage(storage: Any) -> BaseStorage:
    """The storage object for ``create_study``'s ``storage`` argument.

    ``None`` is a new in-memory storage; a path (``"study.log"``, or a URL
    ``"journal:///abs/path/study.log"``) is a :class:`JournalFileStorage` on that file.

    Examples
    --------
    >>> get_storage(None)  # doctest: +ELLIPSIS
    <fasthpo.storages.memory.InMemoryStorage object at ...>
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, os.PathLike):
        return JournalFileStorage(storage)
    if isinstance(storage, str):
        if storage.startswith(_JOURNAL_SCHEME):
            storage = storage[len(_JOURNAL_SCHEME):]
        elif "://" in storage:
            raise ValueError(f"storage URL {storage!r} is not supported; give a journal file path or 'journal:///path'.")
        if not storage:
            raise ValueError("storage path must not be empty.")
        return JournalFileStorage(storage)
    raise TypeError(f"storage must be None, a fasthpo storage or a journal file path, got {storage!r}.")
