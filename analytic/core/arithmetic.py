"""The integer arithmetic a counting formula evaluates in.

Every formula of tapcount is written once, in plain arithmetic; the only operations that are not
plain arithmetic are the lattice count ``G``, the positive part ``x^+`` and the gcd.  A formula takes them as
arguments: :data:`INTEGERS` gives those of Python ints (and NumPy arrays, through
:mod:`analytic.core.vectorized`); :func:`analytic.symbolic.arithmetic.arithmetic_of` gives SymPy's
unevaluated functions when a size is a SymPy expression.  Nothing here imports SymPy.

>>> INTEGERS.positive(-3), INTEGERS.positive(4)
(0, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from .lattice import lattice_count

__all__ = ["Arithmetic", "INTEGERS", "positive_part"]


class Arithmetic(NamedTuple):
    """The lattice count ``G(x, n, k, s, d)``, the positive part ``x^+`` and the greatest common
    divisor of one arithmetic."""

    lattice: Callable
    positive: Callable
    symbolic: bool
    gcd: Callable = math.gcd


def positive_part(x):
    """``x^+ = max(x, 0)`` in plain arithmetic (``x * (x > 0)``): for ints and NumPy arrays alike."""
    return x * (x > 0)


INTEGERS = Arithmetic(lattice_count, positive_part, False)
