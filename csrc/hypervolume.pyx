"""Multi-objective kernels for TPE's "below" set: non-domination ranks and hypervolume.

All objectives are losses (smaller is better). Twin: :mod:`fasthpo._reference.hypervolume`.
"""
import numpy as np

from libc.stdlib cimport free, malloc


cdef inline bint dominates(const double[:, ::1] y, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """Whether row a Pareto-dominates row b: no worse anywhere, better somewhere."""
    cdef Py_ssize_t j
    cdef bint better = False
    for j in range(y.shape[1]):
        if y[a, j] > y[b, j]:
            return False
        if y[a, j] < y[b, j]:
            better = True
    return better


def nondomination_ranks(const double[:, ::1] losses, Py_ssize_t n_needed):
    """Rank 0 for the Pareto front, 1 for the front of the rest, and so on.

    Fronts are peeled off one at a time until at least ``n_needed`` rows are ranked;
    the rows left get rank = (number of fronts peeled), which is only a lower bound.
    Each front costs O(n f k) for f the size of the front.
    """
    cdef Py_ssize_t n = losses.shape[0], i, f, rank = 0, ranked = 0, n_front
    out = np.full(n, -1, dtype=np.int64)
    cdef long[::1] ranks = out
    front = np.empty(n, dtype=np.int64)
    cdef long[::1] members = front
    cdef bint dominated
    with nogil:
        while ranked < n and ranked < n_needed:
            n_front = 0
            for i in range(n):  # a candidate joins the front unless a member dominates it
                if ranks[i] >= 0:
                    continue
                dominated = False
                f = 0
                while f < n_front:
                    if dominates(losses, members[f], i):
                        dominated = True
                        break
                    if dominates(losses, i, members[f]):
                        n_front -= 1
                        members[f] = members[n_front]
                    else:
                        f += 1
                if not dominated:
                    members[n_front] = i
                    n_front += 1
            # members now holds exactly the non-dominated rows among the unranked ones
            for f in range(n_front):
                ranks[members[f]] = rank
            ranked += n_front
            rank += 1
        for i in range(n):
            if ranks[i] < 0:
                ranks[i] = rank
    return out


cdef double volume(double* points, Py_ssize_t n, Py_ssize_t k, const double* ref) noexcept nogil:
    """Hypervolume dominated by n points (row-major, k objectives) up to ``ref``.

    k = 1 and 2 directly; k >= 3 by slicing along the last objective (the HSO scheme of
    While et al. 2006): sort by it, and sum slab height times the (k-1)-volume of the
    points below the slab. ``points`` is reordered in place.
    """
    cdef Py_ssize_t i, j, m
    cdef double total = 0.0, best, height, lowest
    cdef double* sub
    if n == 0:
        return 0.0
    if k == 1:
        best = ref[0]
        for i in range(n):
            best = min(best, points[i])
        return ref[0] - best
    sort_rows_by(points, n, k, k - 1)
    if k == 2:
        lowest = ref[0]  # sweep by the second objective, tracking the smallest first one
        for i in range(n):
            height = (points[(i + 1) * 2 + 1] if i + 1 < n else ref[1]) - points[i * 2 + 1]
            lowest = min(lowest, points[i * 2])
            if height > 0.0:
                total += height * (ref[0] - lowest)
        return total
    sub = <double*>malloc(n * (k - 1) * sizeof(double))
    for i in range(n):
        height = (points[(i + 1) * k + k - 1] if i + 1 < n else ref[k - 1]) - points[i * k + k - 1]
        if height <= 0.0:
            continue
        for m in range(i + 1):
            for j in range(k - 1):
                sub[m * (k - 1) + j] = points[m * k + j]
        total += height * volume(sub, i + 1, k - 1, ref)
    free(sub)
    return total


cdef void sort_rows_by(double* points, Py_ssize_t n, Py_ssize_t k, Py_ssize_t column) noexcept nogil:
    """Insertion sort of the rows by one column (fronts are small)."""
    cdef Py_ssize_t i, m, j
    cdef double* row = <double*>malloc(k * sizeof(double))
    for i in range(1, n):
        for j in range(k):
            row[j] = points[i * k + j]
        m = i
        while m > 0 and points[(m - 1) * k + column] > row[column]:
            for j in range(k):
                points[m * k + j] = points[(m - 1) * k + j]
            m -= 1
        for j in range(k):
            points[m * k + j] = row[j]
    free(row)


def hypervolume(const double[:, ::1] points, const double[::1] reference):
    """Volume of the region dominated by ``points`` [n, k] and bounded by ``reference``
    (points not strictly better than the reference everywhere add nothing)."""
    cdef Py_ssize_t k = points.shape[1]
    cdef double result
    if k == 0:
        raise ValueError("points must have at least one objective.")
    all_points = np.asarray(points)
    inside = np.ascontiguousarray(all_points[(all_points < np.asarray(reference)).all(axis=1)])
    if inside.shape[0] == 0:
        return 0.0
    cdef double[:, ::1] work = inside
    with nogil:
        result = volume(&work[0, 0], work.shape[0], k, &reference[0])
    return result
