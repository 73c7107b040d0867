"""Forward convolutions counted by the tap lattice, read the other way.

Output ``j`` of a convolution reads input ``j*s + m*d - p_left`` with kernel tap ``m``: the taps
``(j, m)`` form the lattice of a transposed convolution with the roles of input and output
swapped.  With ``G(x) = #{(j, m) in [0, L) x [0, k) : j*s + m*d < x}`` (the lattice count of
:mod:`analytic.core.lattice`, over the ``L`` outputs):

- taps that read the input (not the zero padding): ``T = G(p_left + n) - G(p_left)``;
- the real taps of one output are consecutive in ``m`` (they read an interval of positions), so
  the additions an output needs, one fewer than its real taps, are the pairs of consecutive real
  taps ``(j, m), (j, m + 1)``: ``P = G'(p_left + n - d) - G'(p_left)`` over the ``L x (k-1)``
  grid, 0 when ``n <= d`` (a window shorter than the dilation holds one tap of an output at most);
- outputs with at least one real tap: ``Z = T - P``.

With a ``padding_mode`` other than ``'zeros'`` every tap reads a real value: ``T = L*k``,
``P = L*(k-1)``, ``Z = L``.  The formulas are arithmetic only, for ints and NumPy arrays alike.
"""

from __future__ import annotations

from operator import floordiv

from .arithmetic import positive_part
from .filters import FilterCounts, exact_counts
from .geometry import conv_output_length
from .lattice import lattice_count

__all__ = ["conv_filter_counts", "conv_module_counts", "same_padding", "window_counts"]


def same_padding(kernel_size: int, dilation: int) -> tuple[int, int]:
    """torch's ``padding='same'`` in one dimension: ``d*(k-1)`` split, the extra one on the right."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def conv_filter_counts(n, k, s, pl, pr, d, zeros: bool = True, G=lattice_count,
                       positive=positive_part) -> FilterCounts:
    """Output length, real taps and covered outputs of one filter of a convolution (validated
    values; ``zeros``: the padding reads zeros, which are not multiplied).

    One definition for ints and SymPy expressions: :mod:`analytic.symbolic` passes its
    ``LatticeCount`` as ``G`` and ``PositivePart`` as ``positive``.

    >>> conv_filter_counts(5, 3, 1, 1, 1, 1)  # outputs 0 and 4 have one tap on the padding each
    FilterCounts(output_length=5, taps_kept=13, covered_positions=5)
    """
    return window_counts(n, conv_output_length(n, k, s, pl, pr, d), k, s, pl, d, zeros, G, positive)


def window_counts(n, out, k, s, pl, d, zeros: bool = True, G=lattice_count, positive=positive_part) -> FilterCounts:
    """:func:`conv_filter_counts` of ``out`` windows given (a pooling's output length, which its
    ``ceil_mode`` may lengthen by one): window ``j``'s tap ``m`` reads input ``j*s + m*d - pl``.

    >>> window_counts(5, 3, 2, 2, 0, 1)  # windows [0, 1], [2, 3], [4, 5]: position 5 is outside
    FilterCounts(output_length=3, taps_kept=5, covered_positions=3)
    """
    if not zeros:
        return FilterCounts(out, out * k, out)
    taps = G(pl + n, out, k, s, d) - G(pl, out, k, s, d)
    # consecutive real pairs; when n <= d the window holds one tap of an output at most and the
    # difference is <= 0: its positive part is 0
    pairs = positive(G(pl + n - d, out, k - 1, s, d) - G(pl, out, k - 1, s, d))
    return FilterCounts(out, taps, taps - pairs)


def conv_module_counts(*, batch: int, in_channels: int, out_channels: int, groups: int, bias: bool,
                       kernel_size: int, filter: FilterCounts, quotient=floordiv) -> dict[str, int]:
    """Every quantity and every convention of one call of a convolution; ``kernel_size`` and the
    filter counts are products over the spatial dimensions in n-d.  Conventions, as the tools
    report them (the tests run each tool):

    - ``moduleprofiler``: ``N*C_out*L_out*(2*(C_in/groups)*k - 1 + bias)`` (its Conv1d/Conv2d);
    - ``exact``: multiplications ``N*C_out*(C_in/groups)*T`` (real taps only), additions
      ``N*C_out*((C_in/groups)*T - (1 - bias)*Z)``;
    - ``macs`` (fvcore) and ``thop``: ``N*C_out*(C_in/groups)*k*L_out``; ``flops``: ``2*macs``;
      ``ptflops`` and ``torchinfo``: ``macs + N*C_out*L_out*bias``.
    """
    b = bias + 0
    per_group = quotient(in_channels, groups)
    out = filter.output_length
    taps, covered = filter.taps_kept, filter.covered_positions
    exact_mul, exact_add = exact_counts(batch, out_channels, per_group, taps, covered, b)
    macs = batch * out_channels * per_group * kernel_size * out
    bias_adds = batch * out_channels * out * b
    return {
        "output_length": out,
        "taps_kept": taps,
        "covered_positions": covered,
        "exact_additions_per_filter": taps - covered,
        "exact_multiplications": exact_mul,
        "exact_additions": exact_add,
        "moduleprofiler": batch * out_channels * out * (2 * per_group * kernel_size - 1 + b),
        "exact": exact_mul + exact_add,
        "macs": macs,
        "flops": 2 * macs,
        "ptflops": macs + bias_adds,
        "thop": macs,
        "torchinfo": macs + bias_adds,
        "deepspeed": 2 * macs + bias_adds,
    }
