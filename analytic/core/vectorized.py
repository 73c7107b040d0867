"""NumPy twins of :mod:`analytic.core.lattice` for arrays of configurations (int64, no Python loop
over elements).  Imported only by code that needs NumPy: ``import analytic`` does not load it.

The loop below runs once per step of the Euclidean reduction (O(log) steps, the same count as the
scalar :func:`analytic.core.lattice.floor_sum`), each step on all elements at once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["floor_sum", "lattice_count", "checked_add", "checked_mul", "checked_lattice_count"]


def floor_sum(n, m, a, b):
    """Element-wise ``sum(floor((a*i + b)/m) for i in range(n))``; n >= 0, m >= 1, a >= 0, b >= 0."""
    n, m, a, b = (np.array(v, dtype=np.int64) for v in np.broadcast_arrays(n, m, a, b))
    total = np.zeros(n.shape, dtype=np.int64)
    active = n > 0
    while active.any():
        q, a = np.divmod(a, m)
        total += np.where(active, q * (n * (n - 1) // 2), 0)
        q, b = np.divmod(b, m)
        total += np.where(active, q * n, 0)
        y_max = a * n + b
        active &= y_max >= m
        n, b = np.divmod(y_max, m)
        m, a = np.where(active, a, 1), m  # finished elements keep a harmless divisor
    return total


def lattice_count(x, length, kernel_size, stride, dilation):
    """Element-wise :func:`analytic.core.lattice.lattice_count` (0 where ``x``, ``length`` or
    ``kernel_size`` is not positive)."""
    x, n, k, s, d = (np.asarray(v, dtype=np.int64) for v in (x, length, kernel_size, stride, dilation))
    valid = (x > 0) & (n > 0) & (k > 0)
    x = np.where(valid, x, 0)
    columns = np.minimum(k, (x + d - 1) // d)
    below_full = x - (n - 1) * s
    full = np.minimum(columns, np.maximum(0, (below_full + d - 1) // d))
    partial = columns - full
    last = columns - 1
    partial_sum = floor_sum(partial, s, d, np.where(partial > 0, x + s - 1 - last * d, 0))
    return np.where(valid, n * full + partial_sum, 0)


# Checked int64 arithmetic for the exported NumPy functions (analytic.symbolic.to_numpy): every
# sum and product of the expression goes through these, so a result is exact or raises.

_INT64 = np.iinfo(np.int64)


def _int64(value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.int64)
    except OverflowError:
        raise OverflowError("a value does not fit in int64") from None


def checked_add(*terms):
    """Element-wise sum of int64 arrays; ``OverflowError`` instead of a wrapped result."""
    total = _int64(terms[0])
    for term in terms[1:]:
        term = _int64(term)
        with np.errstate(over="ignore"):
            result = total + term
        if np.any(((total ^ result) & (term ^ result)) < 0):  # both signs differ from the result's
            raise OverflowError("a sum leaves int64")
        total = result
    return total


def checked_mul(*factors):
    """Element-wise product of int64 arrays; ``OverflowError`` instead of a wrapped result."""
    total = _int64(factors[0])
    for factor in factors[1:]:
        factor = _int64(factor)
        with np.errstate(over="ignore", divide="ignore"):
            result = total * factor
            divisor = np.where(total == 0, 1, total)
            wrong = (total != 0) & ((result // divisor != factor) | ((total == -1) & (factor == _INT64.min)))
        if np.any(wrong):
            raise OverflowError("a product leaves int64")
        total = result
    return total


def checked_lattice_count(x, length, kernel_size, stride, dilation):
    """:func:`lattice_count`, refusing (``OverflowError``) arguments whose intermediates could
    leave int64: every intermediate of the count is below ``4 * max(x + s, n*s, k*d, n*k)``."""
    f = [np.abs(np.asarray(v, dtype=np.float64)) for v in (x, length, kernel_size, stride, dilation)]
    bound = 4 * np.maximum.reduce([f[0] + f[3], f[1] * f[3], f[2] * f[4], f[1] * f[2]])
    if np.any(bound >= 2.0**62):
        raise OverflowError("a lattice count's intermediates could leave int64")
    return lattice_count(x, length, kernel_size, stride, dilation)
