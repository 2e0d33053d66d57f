"""The sampler core on arrays: search spaces, histories and proposals.

Everything a sampler or pruner needs and nothing of the Study: a
:class:`SearchSpace` (named parameters, their distributions and the internal
encoding), a read-only :class:`History` of encoded rows ``X``, values to minimize ``Y``,
states, constraints and intermediate values, and the :class:`Proposal` a sampler
answers with. What every layer shares about objectives (:class:`StudyDirection`,
:func:`pareto_front_mask`) lives here too, below the samplers, pruners and storages.
See docs/architecture.md.
"""

from fasthpo.core.direction import StudyDirection, minimization_signs, pareto_front_mask
from fasthpo.core.history import ArrayHistory, History, TrialView, parse_directions
from fasthpo.core.space import Proposal, SearchSpace

__all__ = [
    "ArrayHistory",
    "History",
    "Proposal",
    "SearchSpace",
    "StudyDirection",
    "TrialView",
    "minimization_signs",
    "pareto_front_mask",
    "parse_directions",
]
