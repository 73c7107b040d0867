"""Checked int64 arithmetic in printed code: what the NumPy and C exports share."""

from __future__ import annotations

from .common import IntegerDivision

__all__ = ["CheckedArithmetic"]


class CheckedArithmetic(IntegerDivision):
    """Printer mixin: sums, products and integer powers as nested calls of ``tapcount_add`` and
    ``tapcount_mul``, which the NumPy and C exports bind to int64 arithmetic that reports an
    overflow instead of wrapping around; quotients under a floor or ceiling as
    ``tapcount_floordiv``/``tapcount_ceildiv``."""

    FLOOR = "tapcount_floordiv({a}, {b})"
    CEILING = "tapcount_ceildiv({a}, {b})"

    def _fold(self, helper: str, items) -> str:
        printed = [self._print(item) for item in items]
        out = printed[-1]
        for item in reversed(printed[:-1]):
            out = f"{helper}({item}, {out})"
        return out

    def _print_Add(self, expr, order=None):
        return self._fold("tapcount_add", expr.args)

    def _print_Mul(self, expr, order=None):
        return self._fold("tapcount_mul", expr.args)

    def _print_Pow(self, expr, **kwargs):  # positive integer exponents only (see _exportable)
        return self._fold("tapcount_mul", [expr.base] * int(expr.exp))

    def _print_Mod(self, expr):
        return f"tapcount_mod({self._print(expr.args[0])}, {self._print(expr.args[1])})"
