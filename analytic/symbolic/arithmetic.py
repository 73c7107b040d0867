"""Which arithmetic a formula evaluates in: Python integers, or SymPy expressions.

A formula of tapcount takes the lattice count and the positive part as arguments (see
:mod:`analytic.core.arithmetic`); :func:`arithmetic_of` chooses them from the values it is given:
the integer core's for ints, and SymPy's unevaluated functions (:class:`LatticeCount`,
:class:`PositivePart`), which evaluate to the same integers once their arguments are numbers, when
a size is a SymPy expression.  SymPy is imported only when a value already is a SymPy expression,
so an integer count never loads it.

>>> from analytic.core.arithmetic import INTEGERS
>>> arithmetic_of(3, (4, 5)) is INTEGERS
True
"""

from __future__ import annotations

import sys

from ..core.arithmetic import INTEGERS, Arithmetic

__all__ = ["arithmetic_of", "is_symbolic"]


def is_symbolic(*values: object) -> bool:
    """Whether any of ``values`` (or of the entries of a tuple or list among them) is a SymPy
    expression other than a plain integer."""
    sympy = sys.modules.get("sympy")
    if sympy is None:  # no SymPy loaded: no value can be a SymPy expression
        return False
    basic = sympy.Basic
    for value in values:
        for entry in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(entry, basic) and not entry.is_Integer:
                return True
    return False


def arithmetic_of(*values: object) -> Arithmetic:
    """:data:`INTEGERS`, or SymPy's arithmetic when a value is a SymPy expression."""
    if not is_symbolic(*values):
        return INTEGERS
    from .functions import IntGcd, LatticeCount, PositivePart  # SymPy, only for SymPy values

    return Arithmetic(LatticeCount, PositivePart, True, IntGcd)
