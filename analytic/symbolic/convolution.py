"""Forward convolutions as SymPy expressions: the numeric formulas of :mod:`analytic.core.forward`
evaluated on symbols, with the lattice count and the positive part as SymPy functions.

The same definitions serve both sides: :func:`analytic.core.forward.conv_filter_counts` and
:func:`analytic.core.forward.conv_module_counts` are called here with symbols (symmetric ``padding``,
``padding_mode='zeros'``), so an expression evaluated at integers equals the numeric count.

>>> from analytic import symbolic
>>> symbolic.evaluate(conv_quantity("taps_kept"), layer="Conv1d", length=5, kernel_size=3, padding=1)
13
"""

from __future__ import annotations

from functools import cache

from sympy import Expr

from ..core.conventions import check_convention
from ..core.filters import FilterCounts
from ..core.forward import conv_filter_counts, conv_module_counts
from . import symbols as sy
from .functions import LatticeCount, PositivePart

__all__ = ["CONV_QUANTITIES", "conv_quantity", "conv_ops", "conv_filter"]

#: the per-filter quantities of a forward convolution
CONV_QUANTITIES = ("output_length", "taps_kept", "covered_positions", "exact_additions_per_filter")


@cache
def conv_filter() -> FilterCounts:
    """Output length, real taps and covered outputs of one filter, in torch's keywords."""
    n, k, s, p, d = sy.length, sy.kernel_size, sy.stride, sy.padding, sy.dilation
    return conv_filter_counts(n, k, s, p, p, d, G=LatticeCount, positive=PositivePart)


def conv_quantity(key: str) -> Expr:
    """A per-filter quantity of a forward convolution (one of :data:`CONV_QUANTITIES`)."""
    if key not in CONV_QUANTITIES:
        raise ValueError(f"quantity ({key!r}) must be one of {', '.join(CONV_QUANTITIES)}")
    f = conv_filter()
    return {"output_length": f.output_length, "taps_kept": f.taps_kept, "covered_positions": f.covered_positions,
            "exact_additions_per_filter": f.taps_kept - f.covered_positions}[key]


@cache
def _module_counts() -> dict[str, Expr]:
    return conv_module_counts(batch=sy.batch, in_channels=sy.in_channels, out_channels=sy.out_channels,
                              groups=sy.groups, bias=sy.bias, kernel_size=sy.kernel_size, filter=conv_filter())


def conv_ops(convention: str = "moduleprofiler", bias: bool | None = True) -> Expr:
    """A ``Conv1d``'s total under ``convention`` (``bias=None`` keeps the symbol ``bias``)."""
    expr = _module_counts()[check_convention(convention)]
    if bias is None:
        return expr
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool or None, got {type(bias).__name__} ({bias!r})")
    return expr.subs(sy.bias, int(bias))

