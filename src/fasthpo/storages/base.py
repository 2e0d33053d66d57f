"""The storage interface: named studies, each with its :class:`~fasthpo.store.TrialStore`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fasthpo.store import TrialStore

__all__ = ["BaseStorage"]


class BaseStorage:
    """A set of named studies.

    A storage hands each study a :class:`~fasthpo.store.TrialStore`; a storage shared
    by processes returns a store whose mutations it records and whose ``sync()``
    replays what other processes recorded.
    """

    #: Seconds between heartbeats of running trials (``None``: no heartbeats).
    heartbeat_interval: float | None = None

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """While entered, this thread's writes are kept and written as one group at the end.

        A storage shared by processes appends them at once (one lock, one round trip);
        the others write at once as usual. The writes inside are applied (and read back)
        only at the end, so use it for writes whose outcome is not read inside.
        """
        yield

    def create_study(self, study_name: str, directions: list) -> None:
        """Create an empty study; raise :class:`~fasthpo.exceptions.DuplicatedStudyError` if the name is taken."""
        raise NotImplementedError

    def load_study(self, study_name: str) -> tuple[list, TrialStore]:
        """The directions and the trial store of ``study_name`` (``KeyError`` if absent)."""
        raise NotImplementedError

    def check_storable(self, user_attrs: dict, system_attrs: dict, distributions: list) -> None:
        """Raise ``TypeError`` if these attributes or distributions cannot be stored here
        (so that a rejected write is rejected before anything is written)."""

    def get_all_study_names(self) -> list[str]:
        raise NotImplementedError

    def delete_study(self, study_name: str) -> None:
        raise NotImplementedError

    def get_study_user_attrs(self, study_name: str) -> dict[str, Any]:
        raise NotImplementedError

    def set_study_user_attr(self, study_name: str, key: str, value: Any) -> None:
        raise NotImplementedError
