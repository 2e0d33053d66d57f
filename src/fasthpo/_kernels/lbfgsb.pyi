from collections.abc import Callable, Sequence

from numpy.typing import NDArray
import numpy as np

F = NDArray[np.float64]

def batched_lbfgsb(fun_and_grad: Callable[[NDArray[np.intp], F], tuple[F, F]], starts: F,
                   bounds: Sequence[tuple[float, float]], *, maxiter: int = 200, gtol: float = 1e-5,
                   ftol: float = 2.220446049250313e-09, memory: int = 10) -> F: ...
