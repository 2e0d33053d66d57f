"""Where a study's trials are kept: in memory (the default) or shared by processes."""

from __future__ import annotations

import os
from typing import Any

from fasthpo.storages._heartbeat import RetryFailedTrialCallback
from fasthpo.storages.base import BaseStorage
from fasthpo.storages.journal import JournalFileStorage, JournalRedisStorage
from fasthpo.storages.memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "JournalFileStorage", "JournalRedisStorage", "RetryFailedTrialCallback",
           "get_storage"]

_JOURNAL_SCHEME = "journal://"


def get_storage(storage: Any, skip_corrupt: bool = False, create: bool = True) -> BaseStorage:
    """The storage object for ``create_study``'s ``storage`` argument.

    ``None`` is a new in-memory storage; a path (``"study.log"``, or a URL
    ``"journal:///abs/path/study.log"``) is a :class:`JournalFileStorage` on that file;
    ``"redis://host:port/db"`` is a :class:`JournalRedisStorage` on that server.
    With ``create=False`` (reading: ``load_study``, ``delete_study``, ...) a journal
    file that does not exist raises ``FileNotFoundError`` naming it, and none is created.

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
        storage = os.fspath(storage)
    if isinstance(storage, str):
        if storage.startswith(("redis://", "rediss://", "unix://")):
            return JournalRedisStorage(storage, skip_corrupt=skip_corrupt)
        if storage.startswith(_JOURNAL_SCHEME):
            storage = storage[len(_JOURNAL_SCHEME):]
        elif "://" in storage:
            raise ValueError(f"storage URL {storage!r} is not supported; give a journal file path, 'journal:///path' or 'redis://host:port'.")
        if not storage:
            raise ValueError("storage path must not be empty.")
        if not create and not os.path.exists(storage):
            raise FileNotFoundError(f"No journal file at {storage!r} (create_study creates one).")
        return JournalFileStorage(storage, skip_corrupt=skip_corrupt)
    raise TypeError(f"storage must be None, a fasthpo storage or a journal file path, got {storage!r}.")
