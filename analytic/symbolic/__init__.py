r"""tapcount's counts as SymPy expressions, derived (SymPy does the sums), exported to LaTeX and code.

Free symbols are named exactly like torch's keywords (``length``, ``kernel_size``, ``stride``,
``padding``, ``output_padding``, ``dilation``; for :func:`ops` also ``batch``, ``in_channels``,
``out_channels``, ``groups``), so substituting the numeric call's values gives its integer:

>>> from analytic import symbolic
>>> from analytic.symbolic.symbols import length, kernel_size, stride, padding, output_padding, dilation
>>> expr = symbolic.additions_per_filter()
>>> expr.subs({length: 2, kernel_size: 3, stride: 1, padding: 0, output_padding: 0, dilation: 1})
2
>>> symbolic.evaluate(expr, length=2, kernel_size=3)  # by keyword, torch's defaults for the rest
2
>>> print(symbolic.latex(symbolic.output_length()))
d \left(k - 1\right) + p_{\mathrm{out}} - 2 p + s \left(L_{\mathrm{in}} - 1\right) + 1

Symbols carry assumptions, so ``expr.subs({"length": 2})`` with *strings* would not match them:
use the symbols of :mod:`analytic.symbolic.symbols`, or :func:`evaluate`.
"""

from __future__ import annotations

from functools import cache

from sympy import Expr

from ..counts import check_convention
from . import symbols
from .derivation import expand, step, steps
from .export import (
    align_block,
    c_source,
    from_json,
    latex,
    python_source,
    standalone_document,
    to_c,
    to_json,
    to_numpy,
    to_python,
)
from .functions import ExactQuotient, IntGcd, LatticeCount, PositivePart, expand_sums
from .regimes import REGIMES, specialise

__all__ = [
    "output_length", "additions_per_filter", "exact_additions_per_filter", "taps_kept",
    "covered_positions", "ops", "quantity", "evaluate", "DEFAULTS", "symbols", "steps", "step", "expand", "REGIMES",
    "specialise", "LatticeCount", "IntGcd", "ExactQuotient", "PositivePart", "expand_sums", "latex",
    "align_block", "standalone_document", "to_python", "python_source", "to_numpy", "to_c",
    "c_source", "to_json", "from_json",
]


@cache
def quantity(key: str) -> Expr:
    """The fully expanded expression of any step of the derivation, by key (``"psi"``, ...)."""
    return expand(step(key).symbol)


#: torch's defaults for the keywords :func:`evaluate` fills in
DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1, "batch": 1}


def evaluate(expr: Expr, **values: int) -> Expr:
    """Substitute keyword values (torch's defaults for those not given) and return the result.

    ``ValueError`` for an unknown keyword; the result is an integer when every free symbol got
    a value.
    """
    unknown = set(values) - set(symbols.BY_NAME)
    if unknown:
        raise ValueError(f"unknown keyword(s) {sorted(unknown)}; known: {', '.join(symbols.BY_NAME)}")
    chosen = DEFAULTS | values
    return expr.subs({symbols.BY_NAME[name]: value for name, value in chosen.items()})


def output_length() -> Expr:
    """``L_out`` in torch's keywords."""
    return quantity("output_length")


def additions_per_filter() -> Expr:
    """The seed's additions per filter ``A = T - L_out`` (may be negative)."""
    return quantity("additions_per_filter")


def exact_additions_per_filter() -> Expr:
    """Exact additions per filter ``E = (n-d')^+ (k-s')^+ - G'(p - l) - G'(q - l)``."""
    return quantity("exact_additions_per_filter")


def taps_kept() -> Expr:
    """Taps landing inside the output, ``T = n k - G(p) - G(q)``."""
    return quantity("taps_kept")


def covered_positions() -> Expr:
    """Output positions receiving at least one tap, ``Z = T - E``."""
    return quantity("covered_positions")


def ops(convention: str = "moduleprofiler", bias: bool | None = True) -> Expr:
    """A module's total under ``convention`` (one of ``analytic.CONVENTIONS``).

    ``bias=True``/``False`` substitutes the bias; ``bias=None`` keeps the symbol ``bias`` (0 or 1).

    >>> ops("macs")
    batch*kernel_size*length*out_channels*ExactQuotient(in_channels, groups)
    """
    expr = quantity(check_convention(convention))
    if bias is None:
        return expr
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool or None, got {type(bias).__name__} ({bias!r})")
    return expr.subs(symbols.bias, int(bias))
