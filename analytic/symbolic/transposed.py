"""Transposed convolutions as SymPy expressions: the integer core's own functions
(:func:`analytic.core.transposed.valid_filter_counts`, :func:`analytic.core.transposed.module_counts`)
evaluated on the keyword symbols, with SymPy's lattice count, positive part, gcd and exact quotient.

One definition for numbers and symbols: an expression evaluated at integers equals the numeric
count.  The derivation (:mod:`analytic.symbolic.derivation`) derives the same quantities step by
step, SymPy doing the sums, for the documents; the tests hold both equal.

>>> from analytic import symbolic
>>> symbolic.evaluate(transposed_quantity("taps_kept"), length=2, kernel_size=3)
6
"""

from __future__ import annotations

from functools import cache

from sympy import Expr

from ..core.filters import combine
from ..core.transposed import module_counts, valid_filter_counts
from . import symbols as sy
from .functions import ExactQuotient, IntGcd, LatticeCount, PositivePart

__all__ = ["FILTER_QUANTITIES", "MODULE_QUANTITIES", "transposed_filter", "transposed_module", "transposed_quantity"]

#: the per-filter quantities (:class:`analytic.FilterCounts` and the two additions)
FILTER_QUANTITIES = ("output_length", "taps_kept", "covered_positions", "additions_per_filter",
                     "exact_additions_per_filter")


@cache
def transposed_filter():
    """Output length, taps kept and covered positions of one filter, in torch's keywords."""
    return valid_filter_counts(*sy.FILTER_SYMBOLS, G=LatticeCount, positive=PositivePart, gcd=IntGcd,
                               quotient=ExactQuotient)


@cache
def transposed_module(dims: int = 1) -> dict[str, Expr]:
    """Every quantity and convention of a module (``dims``-d: the per-dimension filters of
    ``length_0``, ``kernel_size_0``, ... combined by product)."""
    if dims == 1:
        filter_, size, kernel = transposed_filter(), sy.length, sy.kernel_size
    else:
        per_dim = [valid_filter_counts(*(sy.DIM_SYMBOLS[i][base] for base in sy.FILTER_SYMBOLS), G=LatticeCount,
                                       positive=PositivePart, gcd=IntGcd, quotient=ExactQuotient)
                   for i in range(dims)]
        filter_ = combine(per_dim)
        size = kernel = 1
        for i in range(dims):
            size, kernel = size * sy.DIM_SYMBOLS[i][sy.length], kernel * sy.DIM_SYMBOLS[i][sy.kernel_size]
    return module_counts(batch=sy.batch, in_channels=sy.in_channels, out_channels=sy.out_channels, groups=sy.groups,
                         bias=sy.bias, input_size=size, kernel_size=kernel, filter=filter_, quotient=ExactQuotient)


#: the module quantities :func:`transposed_module` gives
MODULE_QUANTITIES = ("psi", "lambda", "gamma", "exact_multiplications", "exact_additions")


def transposed_quantity(key: str) -> Expr:
    """A per-filter quantity (:data:`FILTER_QUANTITIES`) or a module quantity or convention."""
    if key in FILTER_QUANTITIES:
        f = transposed_filter()
        return {"output_length": f.output_length, "taps_kept": f.taps_kept, "covered_positions": f.covered_positions,
                "additions_per_filter": f.additions_per_filter,
                "exact_additions_per_filter": f.exact_additions_per_filter}[key]
    return transposed_module()[key]
