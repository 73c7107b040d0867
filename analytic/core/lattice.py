"""The lattice count G and the floor-sum algorithm behind it.

This is the single hard kernel of tapcount.  A transposed convolution with stride ``s`` and
dilation ``d`` sends tap ``(i, m)`` (input position ``i``, kernel tap ``m``) to the uncropped output
position ``i*s + m*d``.  Every count of the package (taps kept, collisions kept, covered positions)
is a difference of lattice counts

    G_{n,k}(x) = #{(i, m) in [0, n) x [0, k) : i*s + m*d < x},

which this module evaluates exactly with Python integers in O(log) time through the Euclidean
floor-sum algorithm: the cost does not depend on ``n`` (the input length) at all.

Nothing here validates its arguments; callers (``analytic.core.transposed``) do.
"""

from __future__ import annotations

__all__ = ["floor_sum", "lattice_count"]


def floor_sum(n: int, m: int, a: int, b: int) -> int:
    """Return ``sum(floor((a*i + b) / m) for i in range(n))`` in O(log(m + a)) steps.

    Preconditions (not checked): ``n >= 0``, ``m >= 1``, ``a >= 0``, ``b >= 0``.

    The Euclidean-like reduction: take the integer parts of ``a/m`` and ``b/m`` out of the sum,
    then count the remaining lattice points below the line column-wise instead of row-wise, which
    swaps the roles of ``m`` and ``a`` as in Euclid's algorithm.

    >>> floor_sum(5, 3, 2, 1)  # 0//3 + ... : floors of 1/3, 3/3, 5/3, 7/3, 9/3
    7
    """
    total = 0
    while True:
        if a >= m:
            q, a = divmod(a, m)
            total += q * (n * (n - 1) // 2)
        if b >= m:
            q, b = divmod(b, m)
            total += q * n
        y_max = a * n + b
        if y_max < m:
            break
        n, b = divmod(y_max, m)
        m, a = a, m
    return total


def lattice_count(x: int, length: int, kernel_size: int, stride: int, dilation: int) -> int:
    """Return ``G(x) = #{(i, m) : 0 <= i < length, 0 <= m < kernel_size, i*stride + m*dilation < x}``.

    ``G(x) = 0`` for ``x <= 0`` and for an empty grid (``length <= 0`` or ``kernel_size <= 0``).

    Column by column, ``G(x) = sum_m min(length, max(0, ceil((x - m*dilation) / stride)))``.  The
    kernel taps ``m`` split into three runs: those whose column is full (all ``length`` inputs
    below ``x``), those partially below ``x`` (a floor sum), and those entirely above.

    >>> lattice_count(2, length=2, kernel_size=3, stride=1, dilation=1)  # taps at 0,1,2 and 1,2,3
    3
    >>> lattice_count(10**18, length=10**18, kernel_size=16, stride=8, dilation=1)  # no loop over length
    1999999999999999992
    """
    if x <= 0 or length <= 0 or kernel_size <= 0:
        return 0
    if x <= stride:  # only input 0's taps lie below x (the regime padding <= stride): O(1)
        below = (x + dilation - 1) // dilation
        return below if below < kernel_size else kernel_size
    s, d = stride, dilation
    # taps m with m*d < x: every such column holds at least one input position below x
    columns = min(kernel_size, (x + d - 1) // d)
    # taps m with m*d < x - (length - 1)*s: the whole column lies below x
    below_full = x - (length - 1) * s
    full = min(columns, max(0, (below_full + d - 1) // d))
    partial = columns - full
    if partial == 0:
        return length * full
    # columns m = full .. columns-1, each contributing ceil((x - m*d)/s); reversed (m = last - j)
    # it is floor((j*d + x + s - 1 - last*d) / s) for j = 0 .. partial-1.
    last = columns - 1
    return length * full + floor_sum(partial, s, d, x + s - 1 - last * d)
