"""NumPy twins of :mod:`analytic.lattice` for arrays of configurations (int64, no Python loop
over elements).  Imported only by code that needs NumPy: ``import analytic`` does not load it.

The loop below runs once per step of the Euclidean reduction (O(log) steps, the same count as the
scalar :func:`analytic.lattice.floor_sum`), each step on all elements at once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["floor_sum", "lattice_count"]


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
    """Element-wise :func:`analytic.lattice.lattice_count` (0 where ``x``, ``length`` or
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
