from numpy.typing import NDArray
import numpy as np

CONTINUOUS: int
DISCRETE: int
DISCRETE_LOG: int
CATEGORICAL: int

F = NDArray[np.float64]
I = NDArray[np.int64]
K = NDArray[np.int32]

def kernel_log_peaks(mus: F, sigmas: F, kinds: K, lows: F, highs: F, steps: F, cat_eps: float) -> F: ...
def mixture_log_pdf(x: F, mus: F, sigmas: F, log_peaks: F, kinds: K, steps: F, cat_eps: float,
                    n_threads: int = 1) -> F: ...
def mixture_sample(u_component: F, u_dims: F, cumulative_weights: F, mus: F, sigmas: F, kinds: K, lows: F,
                   highs: F, steps: F, grid_lows: F, grid_highs: F, cat_eps: float) -> F: ...
def neighbour_bandwidths(values: F, order: I, lows: F, highs: F, consider_endpoints: bool,
                         magic_clip: bool) -> F: ...
def sorted_insert(sorted_rows: I, sorted_values: F, n_sorted: int, X: F, columns: I, new_rows: I) -> None: ...
def history_components(sorted_rows: I, sorted_values: F, n_sorted: int, member_pos: I, m: int, kinds: K, lows: F,
                       highs: F, steps: F, cat_eps: float, magic_clip: bool, consider_endpoints: bool,
                       n_threads: int = 1) -> tuple[F, F, F]: ...
