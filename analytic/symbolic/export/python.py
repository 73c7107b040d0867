"""Python functions and modules of expressions: exact on ints (integer divisions, never floats)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy
from sympy import Expr, Symbol, lambdify
from sympy.printing.pycode import PythonCodePrinter

from ...core.lattice import lattice_count
from ...core.validation import check_keywords
from .common import IntegerDivision, check_arguments, exportable, identifier, keyword_signature

__all__ = ["IntegerPythonPrinter", "describe", "exact_function", "python_source", "to_python"]


class IntegerPythonPrinter(IntegerDivision, PythonCodePrinter):
    """Python's printer with floors and ceilings of quotients as integer divisions (exact for
    any size, where ``math.floor`` of a float quotient is not)."""


def describe(condition: sympy.Basic) -> str:
    """A condition as Python writes it: ``L >= 2``, ``H % 16 == 0``.

    >>> from sympy import Ge, Symbol
    >>> describe(Ge(Symbol("L"), 2))
    'L >= 2'
    """
    text = IntegerPythonPrinter().doprint(condition)
    depth = 0
    for i, character in enumerate(text):  # outer parentheses around the whole text only
        depth += (character == "(") - (character == ")")
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def to_python(expr: Expr, args: Sequence[Symbol] | None = None, *,
              check: Callable[[dict[str, int]], dict[str, int]] | None = None) -> Callable[..., int]:
    """A plain-Python function of ``args`` (keywords allowed), exact on ints, via ``lambdify``.

    Its arguments are checked by torch's rules (``check``, for a symbolic profile's formula:
    the profile's conditions; ``args`` may then be its sizes).

    >>> from analytic import symbolic
    >>> f = to_python(symbolic.additions_per_filter())
    >>> f(length=2, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1)
    2
    """
    args = check_arguments(expr, args, sizes=check is not None)
    check = check or check_keywords
    compute = exact_function(expr, args)
    signature = keyword_signature(args)

    def count(*positional, **keywords):
        values = check(signature.bind(*positional, **keywords).arguments)  # torch's rules
        return compute(*values.values())

    count.__signature__ = signature
    return count


def exact_function(expr: Expr, args: Sequence[Symbol]) -> Callable[..., int]:
    """``expr`` as a Python function of ``args`` (positional, unchecked) in Python's integers:
    exact at any size, the reference the int64 exports fall back to where a step overflows."""
    namespace = {"tapcount_lattice_count": lattice_count, "math": math}
    return lambdify(args, expr, modules=[namespace, "math"], printer=IntegerPythonPrinter)


def python_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None, *,
                  conditions: Sequence[sympy.Basic] | None = None) -> str:
    """Source of a Python module defining ``name(...)`` for ``expr`` (imports included): torch's
    rules checked on the arguments, or, given ``conditions`` (a symbolic profile's), those."""
    name = identifier(name)
    args = check_arguments(expr, args, sizes=conditions is not None)
    printer = IntegerPythonPrinter({"fully_qualified_modules": True})
    body = printer.doprint(expr)
    signature = ", ".join(f"{a.name}: int" for a in args)
    if conditions is not None:
        allowed = {a.name: a for a in args}
        checks = "".join(
            f"    if not ({printer.doprint(exportable(c, allowed, relations=True))}):\n"
            f"        raise ValueError({('the formula holds where ' + printer.doprint(c)).__repr__()})\n"
            for c in conditions)
        return (
            "from analytic.core.lattice import lattice_count as tapcount_lattice_count  # noqa: F401\n\n\n"
            f"def {name}({signature}) -> int:\n{checks}"
            f"    return {body}\n"
        )
    checked = ", ".join(f"{a.name!r}: {a.name}" for a in args)
    return (
        "import math  # noqa: F401\n\n"
        "from analytic.core.lattice import lattice_count as tapcount_lattice_count  # noqa: F401\n"
        "from analytic.core.validation import check_keywords\n\n\n"
        f"def {name}({signature}) -> int:\n"
        f"    check_keywords({{{checked}}})  # torch's rules: ValueError for what torch refuses\n"
        f"    return {body}\n"
    )
