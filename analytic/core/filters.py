"""What one filter of a convolution does, in either direction, and the exact count of a whole
call from it.

A filter (one input channel to one output channel) is described by three numbers, per spatial
dimension and combined by product in n-d: its output positions ``L_out``, its taps ``T`` (kept
inside the output of a transposed convolution; reading the input, not the zero padding, of a
forward one) and its covered positions ``Z`` (outputs receiving at least one tap).

>>> exact_counts(batch=1, out_channels=1, per_group=1, taps=6, covered=4, bias=0)
(6, 2)
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["FilterCounts", "combine", "exact_counts"]


class FilterCounts(NamedTuple):
    """What one filter (in = out = groups = 1) does; see :func:`analytic.filter_counts`."""

    output_length: int  #: L_out
    taps_kept: int  #: T: taps (i, m) landing inside the output window (real taps of a forward convolution)
    covered_positions: int  #: Z: output positions receiving at least one tap

    @property
    def additions_per_filter(self) -> int:
        """moduleprofiler's all-ones count ``A = T - L_out`` (may be negative)."""
        return self.taps_kept - self.output_length

    @property
    def exact_additions_per_filter(self) -> int:
        """``E = T - Z``: additions a scatter implementation performs (never negative)."""
        return self.taps_kept - self.covered_positions


def combine(filters) -> FilterCounts:
    """The filter counts of an n-d layer from those of each dimension: products of each column."""
    if len(filters) == 1:
        return filters[0]
    return FilterCounts(*(math.prod(column) for column in zip(*filters, strict=True)))


def exact_counts(batch, out_channels, per_group, taps, covered, bias):
    """The exact multiplications and additions of a convolution in either direction, from its
    per-filter taps ``T`` (kept, or real) and covered positions ``Z``: every tap of every filter is a
    multiplication, ``N*C_out*(C_in/groups)*T``; a covered output position sums its products with
    one addition fewer than products, plus one for the bias, and an uncovered one gets the bias by
    assignment: ``N*C_out*((C_in/groups)*T - (1 - bias)*Z)``."""
    return (batch * out_channels * per_group * taps,
            batch * out_channels * (per_group * taps - (1 - bias) * covered))
