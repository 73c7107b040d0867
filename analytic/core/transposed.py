"""Transposed convolutions: per-filter quantities and module conventions, as small pure functions
of integers.

Notation (as in ``derivations/derivation.md``): ``n`` length, ``k`` kernel_size, ``s`` stride, ``p`` padding,
``o`` output_padding, ``d`` dilation; ``G`` is :func:`analytic.core.lattice.lattice_count`.

:func:`taps_kept`, :func:`collisions_kept` and :func:`valid_filter_counts` take already-validated
values (ints, or NumPy arrays for :func:`analytic.sweep`) and are shared by the functions that
validate first (:func:`filter_counts`, :func:`additions_per_filter`, ...) and the layers.
"""

from __future__ import annotations

from math import gcd
from operator import floordiv

from .arithmetic import positive_part
from .filters import FilterCounts, exact_counts
from .geometry import transposed_output_length
from .lattice import lattice_count
from .validation import check_filter, plain_output_length

__all__ = [
    "additions_per_filter",
    "collisions_kept",
    "exact_additions_per_filter",
    "filter_counts",
    "module_counts",
    "output_length",
    "taps_kept",
    "valid_filter_counts",
]

# The two formulas below are written with arithmetic only (no ``if``, no ``max``), so the same
# code serves Python ints and NumPy arrays: ``analytic.sweep`` passes the vectorized lattice count
# and ``numpy.gcd``.  ``x * (x > 0)`` is the positive part x+.


def taps_kept(n, k, s, p, o, d, G=lattice_count, positive=positive_part):
    """Taps landing inside the output window (validated values): ``T = n*k - G(p) - G(q)``."""
    # T = n*k - G(p) - G(q): cropped on the left, and (by t -> F-1-t) on the right, q = (p-o)+
    q = positive(p - o)
    return n * k - G(p, n, k, s, d) - G(q, n, k, s, d)


def collisions_kept(n, k, s, p, o, d, G=lattice_count, gcd=gcd, positive=positive_part, quotient=floordiv):
    """Exact additions per filter (validated values): the colliding tap pairs inside the window."""
    # Taps (i, m) and (i + d', m - s') collide; the pair sits at (i*s + m*d) + lcm(s, d).
    # E = (n-d')+ (k-s')+ - G'(p - l) - G'(q - l), G' = G over the (n-d') x (k-s') grid
    # (G is 0 on an empty grid).
    g = gcd(s, d)
    s1, d1 = quotient(s, g), quotient(d, g)
    n1, k1 = n - d1, k - s1
    lcm = s * d1
    q = positive(p - o)
    return positive(n1) * positive(k1) - G(p - lcm, n1, k1, s, d) - G(q - lcm, n1, k1, s, d)


def valid_filter_counts(n: int, k: int, s: int, p: int, o: int, d: int, G=lattice_count,
                        positive=positive_part, gcd=gcd, quotient=floordiv) -> FilterCounts:
    """:func:`filter_counts` of already-validated values (ints; NumPy arrays with the vectorized
    lattice count; SymPy expressions with SymPy's lattice count, positive part, gcd and exact
    quotient, :mod:`analytic.symbolic.arithmetic`)."""
    taps = taps_kept(n, k, s, p, o, d, G=G, positive=positive)
    collisions = collisions_kept(n, k, s, p, o, d, G=G, gcd=gcd, positive=positive, quotient=quotient)
    return FilterCounts(transposed_output_length(n, k, s, p, o, d), taps, taps - collisions)


def filter_counts(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> FilterCounts:
    """Output length, taps kept and covered positions of one filter, exactly.

    >>> filter_counts(2, 3)  # the tap diagram of moduleprofiler's documentation: y = [1, 2, 2, 1]
    FilterCounts(output_length=4, taps_kept=6, covered_positions=4)
    """
    return valid_filter_counts(*check_filter(length, kernel_size, stride, padding, output_padding, dilation))


def output_length(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """``L_out = (length-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1``.

    Raises ``ValueError`` for configurations torch rejects (including ``L_out < 1``).

    >>> output_length(100, 16, stride=8, padding=4)
    800
    """
    return transposed_output_length(*check_filter(length, kernel_size, stride, padding, output_padding, dilation))


def additions_per_filter(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """moduleprofiler's additions per filter: torch's all-ones ``sum(y - 1)``, i.e. ``T - L_out``.

    ``T`` counts the taps that land inside the output.  Each output position is charged one
    addition less than its number of taps, so a position that receives **no** tap (a gap left by
    ``stride > dilation*(kernel_size-1)+1``, a hole skipped by the dilation, or a position added
    by ``output_padding``) counts ``-1``, and the total can be negative.  This is moduleprofiler's model,
    kept exactly; :func:`exact_additions_per_filter` is the structural count.

    >>> additions_per_filter(2, 3)  # moduleprofiler's documented example: y = [1, 2, 2, 1]
    2
    >>> additions_per_filter(1, 2, dilation=3)  # taps at 0 and 3, y = [1, 0, 0, 1]
    -2
    >>> additions_per_filter(10**18, 16, stride=8, padding=4)  # exact for any length
    7999999999999999992
    """
    # The hot path of tools that count many layers (<= 1 µs, >= 100x the torch all-ones method at
    # length 16): validation's fast test, which gives L_out, and ``taps_kept - L_out`` with the two
    # lattice counts in this frame.  Anything else (NumPy ints, invalid values) takes the generic
    # path, which converts or raises.  tests/test_cost.py holds this function equal to
    # ``filter_counts(...).additions_per_filter``, error for error.
    n, k, s, p, o, d = length, kernel_size, stride, padding, output_padding, dilation
    if out := plain_output_length(n, k, s, p, o, d):
        return n * k - lattice_count(p, n, k, s, d) - lattice_count((p - o) * (p > o), n, k, s, d) - out
    return filter_counts(n, k, s, p, o, d).additions_per_filter


def exact_additions_per_filter(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Additions one filter really needs: ``sum(max(taps(j) - 1, 0))`` over output positions.

    Equals :func:`additions_per_filter` whenever every output position receives a tap; never
    negative.  Closed form: ``(n-d')+ (k-s')+`` collisions minus those cropped by padding, with
    ``s' = s/gcd(s, d)``, ``d' = d/gcd(s, d)``.

    >>> exact_additions_per_filter(2, 3)
    2
    >>> exact_additions_per_filter(1, 2, dilation=3)
    0
    """
    return collisions_kept(*check_filter(length, kernel_size, stride, padding, output_padding, dilation))


def module_counts(
    *,
    batch: int,
    in_channels: int,
    out_channels: int,
    groups: int,
    bias: bool,
    input_size: int,
    kernel_size: int,
    filter: FilterCounts,
    quotient=floordiv,
) -> dict[str, int]:
    """Every intermediate quantity and every convention's total for one call of a module.

    ``input_size`` and ``kernel_size`` are products over the spatial dimensions (plain values in
    1-d), ``filter`` the per-filter counts (products over dimensions in n-d).  Formulas:

    - ``moduleprofiler`` (its documented model): ``N*(psi*lambda + gamma)`` with ``psi = C_in*C_out/groups``,
      ``lambda = L_out*k + A``, ``gamma = C_out*L_out*(C_in/groups - 1 + bias)``;
    - ``exact``: multiplications ``N*C_out*(C_in/groups)*T`` plus additions
      ``N*C_out*((C_in/groups)*T - (1 - bias)*Z)`` (an uncovered position gets the bias by assignment);
    - ``macs`` (fvcore): ``N*C_out*(C_in/groups)*L_in*k``; ``flops`` (torch's flop counter):
      ``2*macs``; ``ptflops``: ``macs + N*C_out*L_out*bias``;
    - ``thop``: ``N*C_out*(C_in/groups)*L_out*k``; ``torchinfo``: ``thop + N*C_out*L_out*bias``.
    """
    b = bias + 0  # 1 or 0, for a bool or an array of bools
    per_group = quotient(in_channels, groups)
    out = filter.output_length
    taps = filter.taps_kept
    covered = filter.covered_positions
    additions = taps - out
    psi = per_group * out_channels  # C_in * C_out / groups, without the product C_in * C_out
    lam = out * kernel_size + additions
    gamma = out_channels * out * (per_group - 1 + b)
    exact_mul, exact_add = exact_counts(batch, out_channels, per_group, taps, covered, b)
    macs = batch * out_channels * per_group * input_size * kernel_size
    thop = batch * out_channels * per_group * out * kernel_size
    bias_adds = batch * out_channels * out * b
    return {
        "output_length": out,
        "psi": psi,
        "lambda": lam,
        "gamma": gamma,
        "additions_per_filter": additions,
        "exact_additions_per_filter": taps - covered,
        "taps_kept": taps,
        "covered_positions": covered,
        "exact_multiplications": exact_mul,
        "exact_additions": exact_add,
        "moduleprofiler": batch * (psi * lam + gamma),
        "exact": exact_mul + exact_add,
        "macs": macs,
        "flops": 2 * macs,
        "ptflops": macs + bias_adds,
        "thop": thop,
        "torchinfo": thop + bias_adds,
        "deepspeed": 2 * macs + bias_adds,
    }
