"""NSGA-II's survival kernels: constraint-domination fronts and crowding distance.

All objectives are losses (smaller is better). A row is feasible when its violation is
<= 0 or NaN (no constraints). Twin: :mod:`fasthpo._reference.nsga`.
"""
import numpy as np

from libc.math cimport INFINITY, isnan
from libc.stdlib cimport free, malloc


cdef inline bint feasible(double v) noexcept nogil:
    return isnan(v) or v <= 0.0


cdef inline bint c_dominates(const double[:, ::1] y, const double[::1] v, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """Constraint domination (Deb 2000): a feasible row beats an infeasible one, the
    smaller violation wins between infeasible ones, Pareto dominance between feasible ones."""
    cdef Py_ssize_t j
    cdef bint better = False
    cdef bint fa = feasible(v[a]), fb = feasible(v[b])
    if fa != fb:
        return fa
    if not fa:
        return v[a] < v[b]
    for j in range(y.shape[1]):
        if y[a, j] > y[b, j]:
            return False
        if y[a, j] < y[b, j]:
            better = True
    return better


def domination_matrix(const double[:, ::1] losses, const double[::1] violation):
    """``out[a, b]`` is 1 when row a constraint-dominates row b (uint8, n x n)."""
    cdef Py_ssize_t n = losses.shape[0], a, b
    if violation.shape[0] != n:
        raise ValueError(f"violation has {violation.shape[0]} entries for {n} rows.")
    out = np.zeros((n, n), dtype=np.uint8)
    cdef unsigned char[:, ::1] dom = out
    with nogil:
        for a in range(n):
            for b in range(n):
                if a != b:
                    dom[a, b] = c_dominates(losses, violation, a, b)
    return out


def constrained_ranks(const double[:, ::1] losses, const double[::1] violation):
    """Front of each row under constraint domination: 0 for the first front, 1 for the
    next, and so on (Deb's fast non-dominated sort, O(n^2 k))."""
    cdef Py_ssize_t n = losses.shape[0], a, b, head, tail, end, rank = 0
    if violation.shape[0] != n:
        raise ValueError(f"violation has {violation.shape[0]} entries for {n} rows.")
    out = np.full(n, -1, dtype=np.int64)
    cdef long[::1] ranks = out
    cdef unsigned char* dom = <unsigned char*> malloc(n * n if n > 0 else 1)
    cdef Py_ssize_t* count = <Py_ssize_t*> malloc((n if n > 0 else 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* queue = <Py_ssize_t*> malloc((n if n > 0 else 1) * sizeof(Py_ssize_t))
    if dom == NULL or count == NULL or queue == NULL:
        free(dom); free(count); free(queue)
        raise MemoryError()
    with nogil:
        for a in range(n):
            count[a] = 0
        for a in range(n):
            dom[a * n + a] = 0
            for b in range(a + 1, n):
                dom[a * n + b] = c_dominates(losses, violation, a, b)
                dom[b * n + a] = c_dominates(losses, violation, b, a)
                count[b] += dom[a * n + b]
                count[a] += dom[b * n + a]
        tail = 0
        for a in range(n):
            if count[a] == 0:
                queue[tail] = a
                tail += 1
        head = 0
        while head < tail:  # queue[head:end] is the current front
            end = tail
            while head < end:
                a = queue[head]
                head += 1
                ranks[a] = rank
                for b in range(n):
                    if dom[a * n + b]:
                        count[b] -= 1
                        if count[b] == 0:
                            queue[tail] = b
                            tail += 1
            rank += 1
    free(dom); free(count); free(queue)
    return out


cdef void merge_sort(Py_ssize_t* idx, Py_ssize_t* tmp, Py_ssize_t n, const double[:, ::1] y, Py_ssize_t j) noexcept nogil:
    """Sort row indices by column j of y, stably (equal values keep their order)."""
    cdef Py_ssize_t width = 1, lo, mid, hi, p, q, t
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            p, q, t = lo, mid, lo
            while p < mid and q < hi:
                if y[idx[q], j] < y[idx[p], j]:
                    tmp[t] = idx[q]
                    q += 1
                else:
                    tmp[t] = idx[p]
                    p += 1
                t += 1
            while p < mid:
                tmp[t] = idx[p]
                p += 1
                t += 1
            while q < hi:
                tmp[t] = idx[q]
                q += 1
                t += 1
            lo = hi
        for t in range(n):
            idx[t] = tmp[t]
        width *= 2


def crowding_distance(const double[:, ::1] losses):
    """Crowding distance of each row of one front: per objective, the gap between its
    two neighbours in sorted order over the range of finite values, summed. The ends of
    each objective get infinity; an objective where all rows are equal adds nothing;
    equal neighbours (also inf and inf) give a gap of 0."""
    cdef Py_ssize_t n = losses.shape[0], k = losses.shape[1], i, j
    out = np.zeros(n, dtype=np.float64)
    cdef double[::1] dist = out
    cdef double lo, hi, width, below, above
    if n == 0:
        return out
    cdef Py_ssize_t* idx = <Py_ssize_t*> malloc(n * sizeof(Py_ssize_t))
    cdef Py_ssize_t* tmp = <Py_ssize_t*> malloc(n * sizeof(Py_ssize_t))
    if idx == NULL or tmp == NULL:
        free(idx); free(tmp)
        raise MemoryError()
    with nogil:
        for j in range(k):
            for i in range(n):
                idx[i] = i
            merge_sort(idx, tmp, n, losses, j)
            if losses[idx[0], j] == losses[idx[n - 1], j]:
                continue
            lo, hi = INFINITY, -INFINITY
            for i in range(n):
                if losses[idx[i], j] != INFINITY and losses[idx[i], j] != -INFINITY:
                    lo = min(lo, losses[idx[i], j])
                    hi = max(hi, losses[idx[i], j])
            width = hi - lo if hi > lo else 1.0
            for i in range(n):
                below = losses[idx[i - 1], j] if i > 0 else -INFINITY
                above = losses[idx[i + 1], j] if i + 1 < n else INFINITY
                if below != above:
                    dist[idx[i]] += (above - below) / width
    free(idx); free(tmp)
    return out
