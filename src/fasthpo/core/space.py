"""Search spaces and proposals: what a sampler is asked about and what it answers.

A :class:`SearchSpace` is an ordered set of named parameters with their distributions,
validated once; it encodes and decodes whole arrays of values. A :class:`Proposal` is a
sampler's answer: one encoded row per new trial, and the attributes the sampler wants
stored with each trial.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fasthpo.distributions import BaseDistribution, CategoricalDistribution

__all__ = ["Proposal", "SearchSpace"]


class SearchSpace:
    """Ordered named parameters and their distributions, in the internal encoding.

    Float parameters are encoded as their value (its log with ``log=True``), integers as
    their value as a float, categorical ones as the index of the choice (DESIGN.md,
    principle 4). Column ``j`` of an encoded array holds parameter ``names[j]``.

    Parameters
    ----------
    distributions : mapping of str to distribution
        The parameters, in the order of the columns.

    Examples
    --------
    >>> from fasthpo.distributions import CategoricalDistribution, FloatDistribution
    >>> space = SearchSpace({"lr": FloatDistribution(1e-4, 1.0, log=True),
    ...                      "opt": CategoricalDistribution(["adam", "sgd"])})
    >>> X = space.encode({"lr": [0.01, 1.0], "opt": ["sgd", "adam"]})
    >>> X.round(3).tolist()
    [[-4.605, 1.0], [0.0, 0.0]]
    >>> space.decode(X)["opt"].tolist()
    ['sgd', 'adam']
    """

    __slots__ = ("names", "distributions", "low", "high", "is_categorical", "_index")

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        if not isinstance(distributions, Mapping):
            raise TypeError(f"distributions must be a mapping of name to distribution, got {distributions!r}.")
        for name, distribution in distributions.items():
            if not isinstance(name, str):
                raise TypeError(f"Parameter names must be str, got {name!r}.")
            if not isinstance(distribution, BaseDistribution):
                raise TypeError(f"The distribution of {name!r} must be a fasthpo distribution, got {distribution!r}.")
        self.names: tuple[str, ...] = tuple(distributions)
        self.distributions: tuple[BaseDistribution, ...] = tuple(distributions.values())
        bounds = np.array([d.sampling_bounds() for d in self.distributions], dtype=float).reshape(-1, 2)
        #: Sampling bounds of each column (a uniform draw between them, rounded, is uniform over the values).
        self.low, self.high = bounds[:, 0], bounds[:, 1]
        self.is_categorical = np.array([isinstance(d, CategoricalDistribution) for d in self.distributions], dtype=bool)
        self._index = {name: j for j, name in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> BaseDistribution:
        return self.distributions[self._index[name]]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.as_dict() == other.as_dict() and self.names == other.names

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SearchSpace({self.as_dict()!r})"

    def index(self, name: str) -> int:
        """The column of parameter ``name``."""
        return self._index[name]

    def as_dict(self) -> dict[str, BaseDistribution]:
        """The parameters as a new ``{name: distribution}`` dict, in column order."""
        return dict(zip(self.names, self.distributions))

    def encode(self, values: Mapping[str, Sequence[Any]]) -> np.ndarray:
        """User values by name (one sequence per parameter, all of one length) as
        encoded rows ``[n, d]``; raises ``ValueError`` naming a value outside its
        distribution."""
        if set(values) != set(self.names):
            raise ValueError(f"values must have exactly the parameters {list(self.names)!r}, got {sorted(values)!r}.")
        columns = [list(values[name]) for name in self.names]
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError(f"Every parameter needs the same number of values, got lengths {sorted(lengths)}.")
        n = lengths.pop() if lengths else 0
        X = np.empty((n, len(self.names)))
        for j, (name, distribution, column) in enumerate(zip(self.names, self.distributions, columns)):
            for i, value in enumerate(column):
                try:
                    X[i, j] = distribution.to_internal(value)
                except (TypeError, ValueError) as error:
                    raise ValueError(f"Parameter {name!r}, row {i}: {error}") from None
        return X

    def round(self, X: np.ndarray) -> np.ndarray:
        """Encoded rows moved onto admissible values (inside the bounds, on the grid)."""
        X = self._checked(X)
        out = np.empty_like(X)
        for j, distribution in enumerate(self.distributions):
            out[:, j] = [distribution.round_internal(x) for x in X[:, j]]
        return out

    def decode(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Encoded rows ``[n, d]`` as user values by name: float and int arrays for
        numeric parameters, object arrays of the choices for categorical ones."""
        X = self._checked(X)
        out = {}
        for j, (name, distribution) in enumerate(zip(self.names, self.distributions)):
            values = [distribution.to_external(x) for x in X[:, j]]
            if isinstance(distribution, CategoricalDistribution):
                column = np.empty(len(values), dtype=object)
                column[:] = values
            else:
                column = np.array(values, dtype=type(values[0]) if values else float)
            out[name] = column
        return out

    def _checked(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.names):
            raise ValueError(f"Encoded rows must have shape (n, {len(self.names)}), got {X.shape}.")
        if np.isnan(X).any():
            raise ValueError("Encoded rows hold NaN; every parameter needs a value.")
        return X


@dataclass
class Proposal:
    """A sampler's answer for ``n`` new trials.

    Attributes
    ----------
    X : ndarray of shape (n, d)
        Encoded values, column ``j`` for parameter ``j`` of the search space asked
        about; NaN where the sampler proposes nothing (the parameter is then proposed
        on its own, by ``propose_independent``).
    attrs : list of dict
        Per row, the system attributes the sampler wants stored with that trial.

    Examples
    --------
    >>> p = Proposal.empty(2, 3)
    >>> p.X.shape, p.attrs
    ((2, 3), [{}, {}])
    """

    X: np.ndarray
    attrs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.X.ndim != 2:
            raise ValueError(f"Proposal.X must be 2-D, got shape {self.X.shape}.")
        if not self.attrs:
            self.attrs = [{} for _ in range(len(self.X))]
        elif len(self.attrs) != len(self.X):
            raise ValueError(f"Proposal has {len(self.X)} rows but {len(self.attrs)} attribute dicts.")

    @classmethod
    def empty(cls, n: int, d: int) -> Proposal:
        """``n`` rows proposing nothing."""
        return cls(np.full((n, d), np.nan))
