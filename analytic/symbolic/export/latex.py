"""LaTeX of expressions, with the symbols' paper names and sums starting with a positive term."""

from __future__ import annotations

import sympy
from sympy import Expr, Symbol
from sympy.printing.latex import LatexPrinter

__all__ = ["PaperLatexPrinter", "latex"]


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, except that a sum starts with its first positive term, as written on
    paper: ``T - L_{out}`` and ``(p - p_{out})^+`` rather than ``-L_{out} + T``.  The symbols print
    with their conventional names in any printer (see :class:`analytic.symbolic.symbols.Named`)."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        if isinstance(expr, sympy.Add):
            first = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
            terms = [terms[first], *terms[:first], *terms[first + 1:]]
        return terms


def latex(expr: Expr, symbol_names: dict[Symbol, str] | None = None, **settings) -> str:
    r"""LaTeX of ``expr`` with the conventional names (``L_{\mathrm{in}}``, ``k``, ``s``, ...),
    a sum starting with a positive term.

    >>> from analytic.symbolic import symbols as sy
    >>> latex(sy.length * sy.kernel_size), latex(sy.padding - sy.output_padding)
    ('k L_{\\mathrm{in}}', 'p - p_{\\mathrm{out}}')
    """
    return PaperLatexPrinter({"symbol_names": symbol_names or {}, **settings}).doprint(expr)
