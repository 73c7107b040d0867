"""The two arithmetics a counting formula evaluates in: Python integers, or SymPy expressions.

Every formula of tapcount is written once, in plain arithmetic; the only operations that are not
plain arithmetic are the lattice count ``G`` and the positive part ``x^+``.  They come from here:
:data:`INTEGERS` for ints (and NumPy arrays), and, when a size is a SymPy expression, SymPy's
unevaluated functions (:class:`analytic.symbolic.LatticeCount`, :class:`analytic.symbolic.PositivePart`),
which evaluate to the same integers as soon as their arguments are numbers.

Nothing here imports SymPy unless a value already is a SymPy expression.

>>> arithmetic_of(3, 4) is INTEGERS
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NamedTuple

from .lattice import lattice_count

__all__ = ["Arithmetic", "INTEGERS", "arithmetic_of", "is_symbolic", "positive_part"]


class Arithmetic(NamedTuple):
    """The lattice count ``G(x, n, k, s, d)`` and the positive part ``x^+`` of one arithmetic."""

    lattice: Callable
    positive: Callable
    symbolic: bool


def positive_part(x):
    """``x^+ = max(x, 0)`` in plain arithmetic (``x * (x > 0)``): for ints and NumPy arrays alike."""
    return x * (x > 0)


INTEGERS = Arithmetic(lattice_count, positive_part, False)


def is_symbolic(*values: object) -> bool:
    """Whether any of ``values`` (or of the entries of a tuple among them) is a SymPy expression
    other than a plain integer."""
    sympy = sys.modules.get("sympy")
    if sympy is None:
        return False
    flat = [w for v in values for w in (v if isinstance(v, (tuple, list)) else (v,))]
    return any(isinstance(v, sympy.Basic) and not v.is_Integer for v in flat)


def arithmetic_of(*values: object) -> Arithmetic:
    """:data:`INTEGERS`, or SymPy's arithmetic when a value is a SymPy expression."""
    if not is_symbolic(*values):
        return INTEGERS
    from .symbolic.functions import LatticeCount, PositivePart

    return Arithmetic(LatticeCount, PositivePart, True)
