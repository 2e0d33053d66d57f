"""Parzen-estimator kernels of TPE: mixtures of product kernels over mixed dimensions.

A mixture has K components over D dimensions. Component k has weight w_k and, in
dimension j, a kernel centred on ``mus[j, k]`` with width ``sigmas[j, k]`` (internal
encoding, DESIGN.md; arrays are dimension-major, [D, K], so that one dimension of all
components is contiguous):

* CONTINUOUS   normal(mu, sigma) truncated to [lows[j], highs[j]] (linear or log scale:
               the internal encoding is already log);
* DISCRETE     the same normal's mass over the grid cell [x - step/2, x + step/2];
* DISCRETE_LOG integers on a log scale: the cell [log(e^x - step/2), log(e^x + step/2)];
* CATEGORICAL  P(c) = (eps + [c == mu]) / (n eps + 1) with n = ``steps[j]`` choices and
               eps = prior_weight / n_kernels (Optuna's categorical kernel); a
               component with mu < 0 (the prior) is uniform.

The normalizing constants of every component go into one number per component,
``log_peak[k]`` (log w_k plus a row of :func:`kernel_log_peaks`), computed once per
estimator; the density
at a candidate is then ``log_peak[k]`` plus one non-positive term per dimension, which
lets :func:`mixture_log_pdf` stop summing a component once it cannot matter.

Twin: :mod:`fasthpo._reference.parzen`.
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport INFINITY, exp, floor, log, log1p
from normal cimport log_ndtr, log_ndtr_diff, truncnorm_ppf

cdef extern from *:
    """
    #define FASTHPO_LOG_SQRT_2PI 0.91893853320467274178
    /* A term e^-40 below the running maximum changes a log-sum-exp by < 5e-18 per term. */
    #define FASTHPO_NEGLIGIBLE 40.0
    /* Components per block of mixture_log_pdf: the unit of work of one thread. */
    #define FASTHPO_COMPONENT_BLOCK 512
    /* Candidate x component x dimension terms (about a millisecond) that justify waking
       one more thread; a (row, dimension) of history_components counts as 32 terms. */
    #define FASTHPO_WORK_PER_THREAD 1048576.0
    #define FASTHPO_ROW_WORK 32.0
    /* The continuous dimensions of one component at every candidate: value[c] = peak -
       sum_j 0.5 ((x[j][c] - mu[j]) / sigma[j])^2 over the listed dimensions, stopping
       when after a checked dimension (the 1st, 2nd, 4th, 8th ...) no candidate is at or
       above its floor. Returns whether some candidate still is. Built twice where the
       compiler can (AVX2 and the baseline, chosen when the module loads); neither
       contracts to FMA, so both give the same bits. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define FASTHPO_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define FASTHPO_CLONES
    #endif
    FASTHPO_CLONES
    static int fasthpo_continuous_terms(Py_ssize_t n_dims, const Py_ssize_t* dims, const double* xt,
                                        Py_ssize_t x_stride, const double* mus, const double* sigmas,
                                        Py_ssize_t k_stride, Py_ssize_t k, double peak, Py_ssize_t C,
                                        double* restrict value, const double* restrict floor) {
        Py_ssize_t i, c, next_check = 1;
        for (c = 0; c < C; c++) value[c] = peak;
        for (i = 0; i < n_dims; i++) {
            const double* restrict x = xt + dims[i] * x_stride;
            double mu = mus[dims[i] * k_stride + k];
            double inv = 1.0 / sigmas[dims[i] * k_stride + k];
            for (c = 0; c < C; c++) {
                double z = (x[c] - mu) * inv;
                value[c] -= 0.5 * z * z;
            }
            if (i + 1 == next_check) {
                long alive = 0;
                for (c = 0; c < C; c++) alive += value[c] >= floor[c];
                if (!alive) return 0;
                next_check *= 2;
            }
        }
        return 1;
    }
    """
    const double LOG_SQRT_2PI "FASTHPO_LOG_SQRT_2PI"
    const double NEGLIGIBLE "FASTHPO_NEGLIGIBLE"
    const Py_ssize_t COMPONENT_BLOCK "FASTHPO_COMPONENT_BLOCK"
    const double WORK_PER_THREAD "FASTHPO_WORK_PER_THREAD"
    const double ROW_WORK "FASTHPO_ROW_WORK"
    int continuous_terms "fasthpo_continuous_terms"(
        Py_ssize_t n_dims, const Py_ssize_t* dims, const double* xt, Py_ssize_t x_stride, const double* mus,
        const double* sigmas, Py_ssize_t k_stride, Py_ssize_t k, double peak, Py_ssize_t C, double* value,
        const double* floor) noexcept nogil

CONTINUOUS, DISCRETE, DISCRETE_LOG, CATEGORICAL = 0, 1, 2, 3


cdef inline int useful_threads(int n_threads, Py_ssize_t tasks, double work) noexcept nogil:
    """At most ``n_threads``, one per task and one per WORK_PER_THREAD of work, at least 1:
    a thread woken for less work costs more in waking and joining than it saves."""
    return <int>max(1, min(<Py_ssize_t>n_threads, tasks, <Py_ssize_t>(work / WORK_PER_THREAD)))


def parallel_threads(int n_threads, Py_ssize_t C, Py_ssize_t K, Py_ssize_t D, Py_ssize_t n_sorted=0):
    """Threads mixture_log_pdf (C candidates, K components, D dimensions) and, if
    ``n_sorted`` > 0, history_components (n_sorted rows) would run on given ``n_threads``."""
    if n_sorted:
        return useful_threads(n_threads, D, ROW_WORK * n_sorted * D)
    return useful_threads(n_threads, (K + COMPONENT_BLOCK - 1) // COMPONENT_BLOCK, <double>C * K * D)


cdef inline double log_truncation_mass(double a, double b) noexcept nogil:
    """log(Phi(b) - Phi(a)) for a < b, a tail beyond 9 sigma (mass < 1.2e-19) dropped."""
    if a < -9.0:
        return 0.0 if b > 9.0 else log_ndtr(b)
    if b > 9.0:
        return log_ndtr(-a)
    return log_ndtr_diff(a, b)


cdef inline void cell_edges(int kind, double x, double step, double* left, double* right) noexcept nogil:
    if kind == 1:
        left[0] = x - 0.5 * step
        right[0] = x + 0.5 * step
    else:
        left[0] = log(exp(x) - 0.5 * step)
        right[0] = log(exp(x) + 0.5 * step)


def kernel_log_peaks(const double[:, ::1] mus, const double[:, ::1] sigmas, const int[::1] kinds,
                     const double[::1] lows, const double[::1] highs, const double[::1] steps, double cat_eps):
    """The largest value of each component's log kernel in each dimension, [D, K].

    Continuous: -log sigma - log sqrt(2 pi) - log Z (Z the mass inside the bounds);
    discrete: -log Z; categorical: log(1 + eps) - log(n eps + 1), or -log n for the
    prior. A component's log_peak is log w_k plus the sum of its column.
    """
    cdef Py_ssize_t D = mus.shape[0], K = mus.shape[1], k, j
    out = np.empty((D, K))
    cdef double[:, ::1] peaks = out
    cdef double mu, sigma, term
    with nogil:
        for j in range(D):
            for k in range(K):
                mu = mus[j, k]
                sigma = sigmas[j, k]
                if kinds[j] == 3:
                    term = -log(steps[j]) if mu < 0.0 else log1p(cat_eps) - log1p(steps[j] * cat_eps)
                else:
                    term = -log_truncation_mass((lows[j] - mu) / sigma, (highs[j] - mu) / sigma)
                    if kinds[j] == 0:
                        term -= log(sigma) + LOG_SQRT_2PI
                peaks[j, k] = term
    return out


cdef double component_value(Py_ssize_t k, Py_ssize_t c, const double[:, ::1] xt, const double[:, ::1] mus,
                            const double[:, ::1] sigmas, const double[::1] log_peaks, const int[::1] kinds,
                            const double[:, :, ::1] cell, double log_mismatch) noexcept nogil:
    """log_peak[k] plus every dimension's term of component k at candidate c."""
    cdef Py_ssize_t j
    cdef double v = log_peaks[k], z
    for j in range(xt.shape[0]):
        if kinds[j] == 0:
            z = (xt[j, c] - mus[j, k]) * (1.0 / sigmas[j, k])
            v -= 0.5 * z * z
        elif kinds[j] == 3:
            if mus[j, k] >= 0.0 and xt[j, c] != mus[j, k]:
                v += log_mismatch
        else:
            v += log_ndtr_diff((cell[0, j, c] - mus[j, k]) / sigmas[j, k],
                               (cell[1, j, c] - mus[j, k]) / sigmas[j, k])
    return v


cdef void block_log_sum(Py_ssize_t k0, Py_ssize_t k1, const double[:, ::1] xt, const double[:, ::1] mus,
                        const double[:, ::1] sigmas, const double[::1] log_peaks, const int[::1] kinds,
                        const Py_ssize_t[::1] continuous, const Py_ssize_t[::1] categorical,
                        const Py_ssize_t[::1] discrete, const double[:, :, ::1] cell, double log_mismatch,
                        const double* reference, double* value, double* best, double* total,
                        double* floor) noexcept nogil:
    """Log-sum-exp of components k0 .. k1 - 1 at every candidate, as (best, total):
    log sum = best + log total (total = 0: nothing that matters). ``best`` starts at
    the candidate's ``reference`` value, and components NEGLIGIBLE below the running
    best (``floor`` = best - NEGLIGIBLE, kept alongside) are skipped (see
    :func:`mixture_log_pdf`)."""
    cdef Py_ssize_t C = xt.shape[1], K = mus.shape[1], c, k, j, i
    cdef Py_ssize_t n_continuous = continuous.shape[0]
    cdef const Py_ssize_t* continuous_dims = &continuous[0] if n_continuous else NULL
    cdef double v
    for c in range(C):
        best[c] = reference[c]
        floor[c] = best[c] - NEGLIGIBLE
        total[c] = 0.0
    for k in range(k0, k1):
        if not continuous_terms(n_continuous, continuous_dims, &xt[0, 0], C, &mus[0, 0], &sigmas[0, 0], K, k,
                                log_peaks[k], C, value, floor):
            continue
        for i in range(categorical.shape[0]):
            j = categorical[i]
            mu = mus[j, k]
            if mu >= 0.0:
                for c in range(C):
                    if xt[j, c] != mu:
                        value[c] += log_mismatch
        for c in range(C):
            v = value[c]
            for i in range(discrete.shape[0]):
                if v < best[c] - NEGLIGIBLE:
                    break
                j = discrete[i]
                v += log_ndtr_diff((cell[0, j, c] - mus[j, k]) / sigmas[j, k],
                                   (cell[1, j, c] - mus[j, k]) / sigmas[j, k])
            if v < best[c] - NEGLIGIBLE:
                continue
            if v > best[c]:
                total[c] = total[c] * exp(best[c] - v) + 1.0
                best[c] = v
                floor[c] = v - NEGLIGIBLE
            else:
                total[c] += exp(v - best[c])


def mixture_log_pdf(const double[:, ::1] x, const double[:, ::1] mus, const double[:, ::1] sigmas,
                    const double[::1] log_peaks, const int[::1] kinds, const double[::1] steps, double cat_eps,
                    int n_threads=1, Py_ssize_t lead=-1):
    """log density of the mixture at each row of ``x`` [C, D] (internal encoding).

    log p(x) = logsumexp_k (log_peak[k] + sum_j t_kj(x_j)), every t_kj <= 0, so a
    partial sum NEGLIGIBLE below a candidate's running maximum can be dropped (it
    changes the result by < 5e-18 relative). Per component, the continuous dimensions
    are summed for all candidates at once (a branch-free loop the compiler vectorizes,
    built for AVX2 too), and the component is left once it no longer matters to any
    candidate, checked after its 1st, 2nd, 4th, 8th ... continuous dimension (a check
    costs about as much as a dimension: checking every one was slower where many
    components stay near the candidates, as in a converged study); then come the
    categorical dimensions, and the costly discrete cell masses only for candidates
    the component still matters to.

    ``lead`` (>= 0) names a component, such as a wide prior, whose value at each
    candidate is computed first: every block starts its running best there, so that
    far components are dropped from the first dimensions on. It changes which
    negligible terms are dropped, nothing else.

    The components are cut into fixed blocks of ``COMPONENT_BLOCK``, summed on up to
    ``n_threads`` threads (OpenMP, when the kernels were built with it), and the
    blocks' sums are combined in block order: the result is bit-identical whatever
    the number of threads.
    """
    cdef Py_ssize_t C = x.shape[0], D = mus.shape[0], K = mus.shape[1], c, j, i, b
    cdef Py_ssize_t n_blocks = (K + COMPONENT_BLOCK - 1) // COMPONENT_BLOCK
    cdef double log_mismatch = log(cat_eps) - log1p(cat_eps)  # t_kj of a choice != mu
    x_by_dim = np.ascontiguousarray(np.asarray(x).T)
    cdef const double[:, ::1] xt = x_by_dim
    order_arr = np.empty(D, dtype=np.intp)  # the dimensions by kind: continuous, categorical, discrete
    cdef Py_ssize_t[::1] order = order_arr
    cdef Py_ssize_t n_kind[4]
    cdef int kind_order[4]
    kind_order[:] = [0, 3, 1, 2]
    b = 0  # dimensions placed so far
    for i in range(4):
        n_kind[i] = 0
        for j in range(D):
            if kinds[j] == kind_order[i]:
                order[b] = j
                b += 1
                n_kind[i] += 1
    cdef const Py_ssize_t[::1] continuous = order[:n_kind[0]]
    cdef const Py_ssize_t[::1] categorical = order[n_kind[0]:n_kind[0] + n_kind[1]]
    cdef const Py_ssize_t[::1] discrete = order[n_kind[0] + n_kind[1]:]
    edges = np.zeros((2, D, C))
    cdef double[:, :, ::1] cell = edges
    scratch = np.empty((4, max(n_blocks, 1), C))  # per block: running values, best, total, floor
    cdef double[:, :, ::1] s = scratch
    reference_arr = np.full(C, -INFINITY)  # the lead component's value
    cdef double[::1] reference = reference_arr
    out = np.full(C, -INFINITY)
    cdef double[::1] result = out
    cdef double top, summed
    if C == 0 or K == 0:
        return out
    if lead >= K:
        raise ValueError(f"lead must be < the {K} components, got {lead}.")
    with nogil:
        for i in range(discrete.shape[0]):
            j = discrete[i]
            for c in range(C):
                cell_edges(kinds[j], xt[j, c], steps[j], &cell[0, j, c], &cell[1, j, c])
        if lead >= 0:
            for c in range(C):
                reference[c] = component_value(lead, c, xt, mus, sigmas, log_peaks, kinds, cell, log_mismatch)
        n_threads = useful_threads(n_threads, n_blocks, <double>C * K * D)
        for b in prange(n_blocks, num_threads=n_threads, schedule="dynamic", chunksize=1):
            block_log_sum(b * COMPONENT_BLOCK, min((b + 1) * COMPONENT_BLOCK, K), xt, mus, sigmas, log_peaks,
                          kinds, continuous, categorical, discrete, cell, log_mismatch, &reference[0],
                          &s[0, b, 0], &s[1, b, 0], &s[2, b, 0], &s[3, b, 0])
        for c in range(C):
            top = -INFINITY
            for b in range(n_blocks):
                if s[2, b, c] > 0.0:
                    top = max(top, s[1, b, c])
            if top == -INFINITY:
                continue
            summed = 0.0
            for b in range(n_blocks):
                if s[2, b, c] > 0.0:
                    summed += s[2, b, c] * exp(s[1, b, c] - top)
            result[c] = top + log(summed)
    return out


cdef inline Py_ssize_t pick_component(const double[::1] cumulative, double u) noexcept nogil:
    """The first k with u * total < cumulative[k] (binary search)."""
    cdef Py_ssize_t lo = 0, hi = cumulative.shape[0] - 1, mid
    cdef double t = u * cumulative[hi]
    while lo < hi:
        mid = (lo + hi) // 2
        if t < cumulative[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef inline double pick_choice(double u, double n_choices, double observed, double eps) noexcept nogil:
    """Inverse CDF of the categorical kernel (uniform for the prior, observed < 0)."""
    cdef double t, mass
    cdef Py_ssize_t c, n = <Py_ssize_t>n_choices
    if observed < 0.0:
        return min(floor(u * n_choices), n_choices - 1.0)
    t = u * (n_choices * eps + 1.0)
    for c in range(n):
        mass = eps + (1.0 if c == observed else 0.0)
        if t < mass:
            return <double>c
        t -= mass
    return n_choices - 1.0


cdef inline double round_to_grid(int kind, double x, double step, double grid_low, double grid_high) noexcept nogil:
    """Nearest grid value low + i step (original scale), back in the internal encoding."""
    cdef double value = exp(x) if kind == 2 else x
    value = grid_low + floor((value - grid_low) / step + 0.5) * step
    value = min(max(value, grid_low), grid_high)
    return log(value) if kind == 2 else value


def mixture_sample(const double[::1] u_component, const double[:, ::1] u_dims, const double[::1] cumulative_weights,
                   const double[:, ::1] mus, const double[:, ::1] sigmas, const int[::1] kinds,
                   const double[::1] lows, const double[::1] highs, const double[::1] steps,
                   const double[::1] grid_lows, const double[::1] grid_highs, double cat_eps):
    """C draws from the mixture, from the caller's uniforms: ``u_component[c]`` picks the
    component, ``u_dims[c, j]`` inverts dimension j's kernel. Rows in internal encoding."""
    cdef Py_ssize_t C = u_dims.shape[0], D = mus.shape[0], c, k, j
    out = np.empty((C, D))
    cdef double[:, ::1] draws = out
    cdef double mu, sigma, x
    with nogil:
        for c in range(C):
            k = pick_component(cumulative_weights, u_component[c])
            for j in range(D):
                mu = mus[j, k]
                if kinds[j] == 3:
                    draws[c, j] = pick_choice(u_dims[c, j], steps[j], mu, cat_eps)
                    continue
                sigma = sigmas[j, k]
                x = mu + sigma * truncnorm_ppf(u_dims[c, j], (lows[j] - mu) / sigma, (highs[j] - mu) / sigma)
                if kinds[j] != 0:
                    x = round_to_grid(kinds[j], x, steps[j], grid_lows[j], grid_highs[j])
                draws[c, j] = x
    return out


def neighbour_bandwidths(const double[:, ::1] values, const long[:, ::1] order, const double[::1] lows,
                         const double[::1] highs, bint consider_endpoints, bint magic_clip):
    """Kernel widths by Optuna's neighbour-gap rule, one column per dimension.

    ``values[j]`` holds the m observations of dimension j and ``order[j]`` their
    ascending order. Each observation's sigma is the larger gap to its neighbours
    (the bounds act as neighbours of the extremes; without ``consider_endpoints`` the
    extremes use their inner gap when m >= 2), clipped to
    [(high - low) / min(100, m + 2), high - low] with ``magic_clip`` (else [1e-12, ...]).
    Returns sigmas [D, m].
    """
    cdef Py_ssize_t D = values.shape[0], m = values.shape[1], j, i
    out = np.empty((D, m))
    cdef double[:, ::1] sigmas = out
    cdef double width, floor_sigma, left, right, here, prev, nxt, sigma
    with nogil:
        for j in range(D):
            width = highs[j] - lows[j]
            floor_sigma = width / min(100.0, m + 2.0) if magic_clip else 1e-12
            for i in range(m):
                here = values[j, order[j, i]]
                prev = values[j, order[j, i - 1]] if i > 0 else lows[j]
                nxt = values[j, order[j, i + 1]] if i < m - 1 else highs[j]
                left = here - prev
                right = nxt - here
                if not consider_endpoints and m >= 2 and (i == 0 or i == m - 1):
                    sigma = right if i == 0 else left
                else:
                    sigma = left if left > right else right
                sigmas[j, order[j, i]] = min(max(sigma, floor_sigma), width)
    return out


def sorted_insert(int[:, ::1] sorted_rows, double[:, ::1] sorted_values, Py_ssize_t n_sorted,
                  const double[:, :] X, const long[::1] columns, const long[::1] new_rows):
    """Insert ``new_rows`` into every column's ascending order, in place.

    ``sorted_values[j, :n_sorted]`` are the values ``X[row, columns[j]]`` ascending (ties
    in insertion order) and ``sorted_rows[j, :n_sorted]`` their rows; both need room for
    the new rows. Binary search plus one memory move per row and column.
    """
    cdef Py_ssize_t D = columns.shape[0], j, r, i, lo, hi, mid, n
    cdef long row
    cdef double v
    with nogil:
        for j in range(D):
            n = n_sorted
            for r in range(new_rows.shape[0]):
                row = new_rows[r]
                v = X[row, columns[j]]
                lo = 0
                hi = n
                while lo < hi:  # first position whose value exceeds v
                    mid = (lo + hi) // 2
                    if sorted_values[j, mid] > v:
                        hi = mid
                    else:
                        lo = mid + 1
                i = n
                while i > lo:
                    sorted_rows[j, i] = sorted_rows[j, i - 1]
                    sorted_values[j, i] = sorted_values[j, i - 1]
                    i -= 1
                sorted_rows[j, lo] = row
                sorted_values[j, lo] = v
                n += 1


cdef void dimension_components(Py_ssize_t j, const int[:, ::1] sorted_rows, const double[:, ::1] sorted_values,
                               Py_ssize_t n_sorted, const long[::1] member_pos, Py_ssize_t m, const int[::1] kinds,
                               const double[::1] lows, const double[::1] highs, const double[::1] steps,
                               double cat_eps, bint magic_clip, bint consider_endpoints, double[:, ::1] mus,
                               double[:, ::1] sigmas, double[:, ::1] terms) noexcept nogil:
    """Dimension j of :func:`history_components`: centres, bandwidths and peak terms."""
    cdef Py_ssize_t i, t = 0, pos = -1, prev_pos = -1
    cdef long row
    cdef double width, floor_sigma, log_floor, value, prev_value = 0.0, prev_before = 0.0, sigma, term
    if kinds[j] == 3:
        term = log1p(cat_eps) - log1p(steps[j] * cat_eps)
        for i in range(n_sorted):
            pos = member_pos[sorted_rows[j, i]]
            if pos >= 0:
                mus[j, pos] = sorted_values[j, i]
                sigmas[j, pos] = 1.0
                terms[j, pos] = term
        return
    width = highs[j] - lows[j]
    floor_sigma = width / min(100.0, m + 2.0) if magic_clip else 1e-12
    log_floor = log(floor_sigma)  # most bandwidths sit at the floor
    for i in range(n_sorted + 1):
        if i < n_sorted:
            row = sorted_rows[j, i]
            pos = member_pos[row]
            if pos < 0:
                continue
            value = sorted_values[j, i]
        else:
            value = highs[j]  # the upper bound closes the last member
        if prev_pos >= 0:  # the previous member's right gap is now known
            if not consider_endpoints and m >= 2 and t == 1:
                sigma = value - prev_value
            elif not consider_endpoints and m >= 2 and i == n_sorted:
                sigma = prev_before
            else:
                sigma = max(prev_before, value - prev_value)
            sigma = min(max(sigma, floor_sigma), width)
            sigmas[j, prev_pos] = sigma
            # beyond 9 sigma from both bounds the truncation mass is 1 at the cost of two tests
            term = -log_truncation_mass((lows[j] - prev_value) / sigma, (highs[j] - prev_value) / sigma)
            if kinds[j] == 0:
                term -= (log_floor if sigma == floor_sigma else log(sigma)) + LOG_SQRT_2PI
            terms[j, prev_pos] = term
        if i == n_sorted:
            break
        mus[j, pos] = value
        prev_before = value - (prev_value if prev_pos >= 0 else lows[j])
        prev_value = value
        prev_pos = pos
        t += 1


def history_components(const int[:, ::1] sorted_rows, const double[:, ::1] sorted_values, Py_ssize_t n_sorted,
                       const long[::1] member_pos, Py_ssize_t m, const int[::1] kinds, const double[::1] lows,
                       const double[::1] highs, const double[::1] steps, double cat_eps, bint magic_clip,
                       bint consider_endpoints, int n_threads=1):
    """Centres, bandwidths and summed peak terms of the m components of a subset of the
    sorted rows, in one sequential pass per dimension (no sort, no gathered copies).

    ``member_pos[row]`` is the component of ``row`` (0 .. m-1) or -1 if the row is not
    in the subset. Bandwidths follow :func:`neighbour_bandwidths` over the members,
    and the peak terms are those of :func:`kernel_log_peaks` (computed afresh: a
    component far from the bounds costs two tests and at most a log, and keeping them
    between calls doubled the memory kept).
    Returns (mus [D, m + 1], sigmas [D, m + 1], peak_sums [m]): the last column is left
    for the caller's prior component, so that nothing needs copying to add it.
    The dimensions are processed on up to ``n_threads`` threads and their terms summed
    in dimension order afterwards: the same bits on any number of threads.
    """
    cdef Py_ssize_t D = sorted_rows.shape[0], j, k
    mus_arr = np.empty((D, m + 1))
    sigmas_arr = np.empty((D, m + 1))
    terms_arr = np.empty((D, m))
    sums_arr = np.zeros(m)
    cdef double[:, ::1] mus = mus_arr, sigmas = sigmas_arr, terms = terms_arr
    cdef double[::1] sums = sums_arr
    with nogil:
        n_threads = useful_threads(n_threads, D, ROW_WORK * n_sorted * D)
        for j in prange(D, num_threads=n_threads, schedule="dynamic", chunksize=1):
            dimension_components(j, sorted_rows, sorted_values, n_sorted, member_pos, m, kinds, lows, highs, steps,
                                 cat_eps, magic_clip, consider_endpoints, mus, sigmas, terms)
        for j in range(D):
            for k in range(m):
                sums[k] += terms[j, k]
    return mus_arr, sigmas_arr, sums_arr


def neighbour_gaps(const double[:, ::1] centres, Py_ssize_t m, const double[::1] x):
    """Per dimension j, the gaps from ``x[j]`` to its nearest neighbours among
    ``centres[j, :m]``: (left [D], right [D]) with left = x - (the largest centre <= x)
    and right = (the smallest centre > x) - x, +inf where there is none. One pass."""
    cdef Py_ssize_t D = x.shape[0], j, i
    left_arr = np.full(D, INFINITY)
    right_arr = np.full(D, INFINITY)
    cdef double[::1] left = left_arr, right = right_arr
    cdef double gap, lo, hi
    with nogil:
        for j in range(D):
            lo = INFINITY
            hi = INFINITY
            for i in range(m):  # branch-free, so that the compiler vectorizes it
                gap = centres[j, i] - x[j]
                hi = min(hi, gap if gap > 0.0 else INFINITY)
                lo = min(lo, -gap if gap <= 0.0 else INFINITY)
            left[j] = lo
            right[j] = hi
    return left_arr, right_arr


def sorted_neighbour_gaps(const int[:, ::1] sorted_rows, const double[:, ::1] sorted_values, Py_ssize_t n_sorted,
                          const unsigned char[::1] member, const double[::1] x):
    """:func:`neighbour_gaps` among the sorted rows that are members (``member[row]``
    non-zero), by a binary search per dimension and a walk past the few non-members:
    O(D log n) instead of the O(D n) pass over unsorted centres. The same numbers."""
    cdef Py_ssize_t D = x.shape[0], j, lo, hi, mid, i
    left_arr = np.full(D, INFINITY)
    right_arr = np.full(D, INFINITY)
    cdef double[::1] left = left_arr, right = right_arr
    cdef double v
    with nogil:
        for j in range(D):
            v = x[j]
            lo = 0
            hi = n_sorted
            while lo < hi:  # the first position whose value exceeds v
                mid = (lo + hi) // 2
                if sorted_values[j, mid] > v:
                    hi = mid
                else:
                    lo = mid + 1
            i = lo
            while i < n_sorted and not member[sorted_rows[j, i]]:
                i += 1
            if i < n_sorted:
                right[j] = sorted_values[j, i] - v
            i = lo - 1
            while i >= 0 and not member[sorted_rows[j, i]]:
                i -= 1
            if i >= 0:
                left[j] = -(sorted_values[j, i] - v)
    return left_arr, right_arr
