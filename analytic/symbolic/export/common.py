"""What every export shares: the expressions it accepts, the names it prints, the argument list.

An exported expression is made only of integers, the allowed symbols, positive integer powers and
the heads the printers know (:data:`FUNCTIONS`; with conditions, :data:`RELATIONS`): nothing of it
is ever evaluated as Python or pasted in as text, and the exported code stays in exact integer
arithmetic.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
from collections.abc import Mapping, Sequence

import sympy
from sympy import Expr, Integer, Symbol

from .. import symbols as sy
from ..functions import ExactQuotient, IntGcd, LatticeCount, PositivePart

__all__ = ["FUNCTIONS", "RELATIONS", "IntegerDivision", "arguments", "check_arguments", "exportable",
           "fitting", "identifier", "keyword_signature", "quotient"]

_ORDER = (
    sy.batch, sy.in_channels, sy.out_channels, sy.groups, sy.bias,
    *sy.FILTER_SYMBOLS,
    *(mapping[base] for mapping in sy.DIM_SYMBOLS for base in sy.FILTER_SYMBOLS),
)


FUNCTIONS = {
    cls.__name__: cls
    for cls in (sympy.Add, sympy.Mul, sympy.Pow, sympy.Max, sympy.Min, sympy.floor, sympy.ceiling,
                LatticeCount, IntGcd, ExactQuotient, PositivePart)
}
#: the relations of conditions on sizes (``L >= 2``, ``Eq(Mod(H, 16), 0)``)
RELATIONS = {
    cls.__name__: cls
    for cls in (sympy.Mod, sympy.Eq, sympy.Ne, sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                sympy.StrictLessThan, sympy.And, sympy.Or)
}


_C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary",
    # C11 and C23 keywords, and the macros of the headers the generated code includes
    "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert", "thread_local", "true",
    "typeof", "typeof_unqual", "NULL",
))

#: the names the generated code gives its own helpers, or takes from the headers and libraries
#: it includes: a size so named would shadow them (``tapcount_overflow`` would read 0 at every
#: size), so each is refused, with the rule that says why
RESERVED_NAMES: tuple[tuple[str, str], ...] = (
    (r"tapcount_\w*", "the generated code's helpers are named tapcount_..."),
    (r"_[A-Z_]\w*", "C reserves names that start with an underscore and a capital or a second underscore"),
    (r"u?int(_least|_fast)?\d+_t|u?int(max|ptr)_t|U?INT(_LEAST|_FAST)?\d+_(MAX|MIN|C)|U?INT(MAX|PTR)_(MAX|MIN|C)"
     r"|(PTRDIFF|SIG_ATOMIC|WCHAR|WINT)_(MAX|MIN)|SIZE_MAX", "stdint.h, which the C code includes, defines it"),
)

#: the names the generated Python and NumPy code reads besides the sizes: builtins (``max``,
#: ``ValueError``) and its imports
PYTHON_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_")) | {
    "math", "numpy", "check_keywords"}


def quotient(expr: Expr) -> tuple[Expr, Expr]:
    """``(numerator, denominator)`` of the argument of a floor or ceiling, both free of fractions."""
    return sympy.fraction(sympy.together(expr))


def exportable(expr: object, allowed: Mapping[str, Symbol] | None = None, relations: bool = False) -> Expr:
    """``expr`` if it is a SymPy expression made only of integers, the ``allowed`` symbols (the
    keyword symbols by default), positive integer powers and the heads the exports print; a
    fraction only inside a floor or a ceiling, whose quotient the exports print as an integer
    division; with ``relations``, the relations of a condition too.  Nothing of it is ever
    evaluated as Python or pasted in as text, and the exported code stays in exact integer
    arithmetic."""
    if not isinstance(expr, sympy.Basic):
        raise TypeError(f"expr must be a SymPy expression, got {type(expr).__name__}")
    # a quotient under a floor only in a profile's formula, whose conditions come with it: the
    # exported functions of the keyword expressions check torch's rules of the transposed layer,
    # which are not a forward convolution's (whose output length is such a floor)
    quotients = allowed is not None
    allowed = sy.BY_NAME if allowed is None else allowed
    pending = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, Symbol):
            if allowed.get(node.name) != node:
                raise ValueError(f"expression has a symbol that is not a keyword: {node.name!r}")
            continue
        if quotients and isinstance(node, (sympy.floor, sympy.ceiling)):
            pending.extend(quotient(node.args[0]))
            continue
        if isinstance(node, sympy.Pow) and not (node.exp.is_Integer and node.exp > 0):
            raise ValueError(f"cannot export the power {node} in integer arithmetic")
        if not (isinstance(node, Integer) or type(node).__name__ in FUNCTIONS
                or (relations and type(node).__name__ in RELATIONS)):
            raise ValueError(f"cannot export {type(node).__name__} in integer arithmetic"
                             f" (supported: integers, {', '.join(FUNCTIONS)})")
        pending.extend(node.args)
    return expr


def fitting(count: int, where: str = "") -> int:
    """``count`` if it fits in int64, else ``OverflowError``."""
    if not -(2**63) <= count < 2**63:
        raise OverflowError(f"the count{where} ({count:.3e}) does not fit in int64")
    return count


def identifier(name: object) -> str:
    """``name`` if it can name a function or a size in both Python and C, beside the names the
    generated code uses itself (:data:`RESERVED_NAMES`, :data:`PYTHON_NAMES`).

    >>> identifier("L")
    'L'
    >>> identifier("INT64_MAX")
    Traceback (most recent call last):
    ...
    ValueError: name ('INT64_MAX') is reserved in the exported code: stdint.h, which the C code includes, defines it
    """
    if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
            and not keyword.iskeyword(name) and name not in _C_KEYWORDS):
        raise ValueError(f"name ({name!r}) must be an identifier of Python and C (letters, digits, _), not a keyword")
    if name in PYTHON_NAMES:
        raise ValueError(f"name ({name!r}) is reserved in the exported code: the generated Python uses it (a builtin"
                         f" or an import)")
    for pattern, why in RESERVED_NAMES:
        if re.fullmatch(pattern, name):
            raise ValueError(f"name ({name!r}) is reserved in the exported code: {why}")
    return name


def check_arguments(expr: object, args: Sequence[Symbol] | None, sizes: bool = False) -> tuple[Symbol, ...]:
    """``args`` checked (keyword symbols covering ``expr``; any symbols named by identifiers with
    ``sizes``, a profile's sizes), or by default the free keyword symbols of ``expr`` in a fixed
    order; ``expr`` checked by :func:`_exportable` once."""
    if args is None:
        free = exportable(expr).free_symbols
        return tuple(s for s in _ORDER if s in free)
    if isinstance(args, (str, bytes)):
        raise TypeError("args must be a sequence of keyword symbols, got a string")
    args = tuple(args)
    for a in args:
        if not isinstance(a, Symbol) or not ((sizes and identifier(a.name)) or sy.BY_NAME.get(a.name) == a):
            raise ValueError(f"args must hold keyword symbols (analytic.symbolic.symbols), got {a!r}")
    free = exportable(expr, {a.name: a for a in args} if sizes else None).free_symbols
    missing = free - set(args)
    if missing:
        raise ValueError(f"args miss the expression's symbols {sorted(map(str, missing))}")
    return args


def arguments(expr: Expr) -> tuple[Symbol, ...]:
    """The free keyword symbols of ``expr`` in a fixed order: batch, channels, groups, bias,
    then the filter's (length, kernel_size, stride, padding, output_padding, dilation)."""
    return check_arguments(expr, None)


def keyword_signature(args: tuple[Symbol, ...]) -> inspect.Signature:
    """The signature of an exported function: one parameter per argument symbol, by name."""
    return inspect.Signature([inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args])


class IntegerDivision:
    """Printer mixin: the floor and the ceiling of a quotient as an integer division, printed by
    the templates ``FLOOR`` and ``CEILING`` (of ``{a}``, ``{b}``)."""

    FLOOR = "(({a}) // ({b}))"
    CEILING = "(-((-({a})) // ({b})))"

    def _division(self, expr, template: str) -> str:
        numerator, denominator = quotient(expr.args[0])
        if denominator == 1:
            return self._print(numerator)
        return template.format(a=self._print(numerator), b=self._print(denominator))

    def _print_floor(self, expr):
        return self._division(expr, self.FLOOR)

    def _print_ceiling(self, expr):
        return self._division(expr, self.CEILING)
