"""CMA-ES kernels: sampling a generation and updating the covariance matrix.

Notation of Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772), whose
equation numbers are cited. Matrices are C-contiguous; the covariance C is symmetric,
so its row-major and column-major layouts coincide and LAPACK/BLAS read it as is.
Twin: :mod:`fasthpo._reference.cmaes`.
"""
import numpy as np

from libc.math cimport sqrt
from scipy.linalg.cython_blas cimport dgemm, dger
from scipy.linalg.cython_lapack cimport dsyevd


def sample(const double[::1] mean, double sigma, const double[:, ::1] B, const double[::1] D,
           const double[:, ::1] z):
    """x_k = m + sigma B (D * z_k) for each row z_k of the caller's standard normals
    (eq. 38-40). Returns x [lambda, n]."""
    cdef int lam = z.shape[0], n = z.shape[1], k, j
    scaled = np.empty((lam, n))
    cdef double[:, ::1] s = scaled
    out = np.empty((lam, n))
    cdef double[:, ::1] x = out
    cdef double one = 1.0, zero = 0.0
    with nogil:
        for k in range(lam):
            for j in range(n):
                s[k, j] = D[j] * z[k, j]
        # row-major x = s B^T  <=>  column-major x^T = B s^T: dgemm("T", "N") on the row-major B
        dgemm("T", "N", &n, &lam, &n, &one, &B[0, 0], &n, &s[0, 0], &n, &zero, &x[0, 0], &n)
        for k in range(lam):
            for j in range(n):
                x[k, j] = mean[j] + sigma * x[k, j]
    return out


def covariance_update(double[:, ::1] C, double decay, double c1, const double[::1] pc, double cmu,
                      const double[::1] weights, const double[:, ::1] y):
    """C <- decay C + c1 pc pc^T + cmu sum_i w_i y_i y_i^T, in place (eq. 47 with the
    active weights w_i of eq. 53 already scaled, and decay = 1 + c1 delta(h_sigma) - c1
    - cmu sum_j w_j)."""
    cdef int n = C.shape[0], lam = y.shape[0], i, j
    weighted = np.empty((lam, n))
    cdef double[:, ::1] wy = weighted
    cdef double one = 1.0
    cdef int one_step = 1
    with nogil:
        for i in range(n):
            for j in range(n):
                C[i, j] *= decay
        dger(&n, &n, &c1, &pc[0], &one_step, &pc[0], &one_step, &C[0, 0], &n)
        for i in range(lam):
            for j in range(n):
                wy[i, j] = cmu * weights[i] * y[i, j]
        # C += wy^T y: column-major C^T (= C) += y^T wy, i.e. dgemm("N", "T") on row-major data
        dgemm("N", "T", &n, &n, &lam, &one, &y[0, 0], &n, &wy[0, 0], &n, &one, &C[0, 0], &n)


def eigh(const double[:, ::1] C):
    """Eigen-decomposition of the symmetric C: (B with eigenvectors as columns [n, n],
    eigenvalues ascending [n]) through LAPACK dsyevd."""
    cdef int n = C.shape[0], info = 0, lwork = -1, liwork = -1, iwork_size
    vectors = np.array(C, order="F", copy=True)  # dsyevd overwrites it with the eigenvectors
    values = np.empty(n)
    cdef double[::1, :] a = vectors
    cdef double[::1] w = values
    cdef double work_size
    cdef char jobz = b"V", uplo = b"L"
    dsyevd(&jobz, &uplo, &n, &a[0, 0], &n, &w[0], &work_size, &lwork, &iwork_size, &liwork, &info)
    lwork = <int>work_size
    liwork = iwork_size
    work = np.empty(max(lwork, 1))
    iwork = np.empty(max(liwork, 1), dtype=np.intc)
    cdef double[::1] wk = work
    cdef int[::1] iwk = iwork
    with nogil:
        dsyevd(&jobz, &uplo, &n, &a[0, 0], &n, &w[0], &wk[0], &lwork, &iwk[0], &liwork, &info)
    if info != 0:
        raise ArithmeticError(f"LAPACK dsyevd failed (info={info}).")
    return np.ascontiguousarray(vectors), values
