"""Small helpers on the shapes formulas receive: exact quotients of sizes, reduced dimensions.

Every helper works on ints and on SymPy expressions of symbolic sizes alike.

>>> ratio(24, 6), reduced((2, 3, 4), (1, -1))
(4, 12)
"""

from __future__ import annotations

import math

__all__ = ["ratio", "reduced"]


def ratio(whole, part):
    """``whole / part`` for a ``part`` that divides ``whole`` (elements per row, per channel): an
    exact integer division on ints, a quotient that cancels on SymPy sizes; 0 when ``part`` is 0."""
    if isinstance(whole, int) and isinstance(part, int):
        return whole // part if part else 0
    return whole / part if part != 0 else 0


def reduced(shape, dims) -> object:
    """The number of elements a reduction over ``dims`` (an int, a sequence, or ``None``/empty for
    every dimension) combines into each output element."""
    if dims is None or dims == () or dims == []:
        return math.prod(shape)
    if isinstance(dims, int):
        dims = (dims,)
    rank = len(shape)
    return math.prod(shape[d] for d in {d % rank for d in dims}) if rank else 1
