"""The simplified forms a reader wants, each derived from the general expression.

- ``padding = 0`` — substitution; SymPy's own evaluation drops every ``G`` (their arguments are
  non-positive): ``A = n k - L_out``, ``E = (n - d')^+ (k - s')^+``.
- ``padding <= stride`` — only input 0's taps can lie below ``x <= s``, so
  ``G(x) = min(k, ceil(x / d))``; and ``p - l <= s - l <= 0`` (``l = lcm(s, d) >= s``), so no
  collision is cropped: ``E = (n - d')^+ (k - s')^+``.
- ``dilation = 1`` and ``stride = 1`` — substitution; the gcd evaluates to 1.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import Expr, Min, S, ceiling

from . import symbols as sy
from .functions import LatticeCount

__all__ = ["REGIMES", "in_regime", "specialise"]


def _first_input(expr: Expr) -> Expr:
    # G over the full grid (n = length) at x in {p, q}, x <= s: only the first input's taps count.
    # G over the collision grid (n = length - d'): its argument is <= p - l <= 0, so it is 0.
    def replace(g: LatticeCount) -> Expr:
        x, n, k, _s, d = g.args
        if n == sy.length:
            return Min(k, ceiling(x / d))
        return S.Zero

    return expr.replace(lambda e: isinstance(e, LatticeCount), replace)


#: name -> (description for documents, LaTeX condition, transformation)
REGIMES: dict[str, tuple[str, str, Callable[[Expr], Expr]]] = {
    "padding = 0": ("no padding", r"p = 0", lambda e: e.subs(sy.padding, 0)),
    "padding <= stride": ("padding at most the stride", r"p \le s", _first_input),
    "dilation = 1": ("no dilation", r"d = 1", lambda e: e.subs(sy.dilation, 1)),
    "stride = 1": ("unit stride", r"s = 1", lambda e: e.subs(sy.stride, 1)),
}


def in_regime(name: str, values: dict[str, int]) -> bool:
    """Whether the keyword ``values`` lie inside regime ``name``."""
    return {
        "padding = 0": values["padding"] == 0,
        "padding <= stride": values["padding"] <= values["stride"],
        "dilation = 1": values["dilation"] == 1,
        "stride = 1": values["stride"] == 1,
    }[name]


def specialise(expr: Expr, regime: str) -> Expr:
    """``expr`` simplified inside ``regime`` (one of :data:`REGIMES`)."""
    if regime not in REGIMES:
        raise ValueError(f"regime ({regime!r}) must be one of {', '.join(REGIMES)}")
    return REGIMES[regime][2](expr)
