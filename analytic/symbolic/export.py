"""Exports of the derived expressions: LaTeX (equations, an ``align`` block, a standalone
document), Python and NumPy functions (``lambdify``), C (``sympy``'s C99 printer), and JSON.

The custom functions print themselves (``_latex``, ``_pythoncode``, ``_numpycode``, ``_ccode`` in
:mod:`analytic.symbolic.functions`); the names they print are bound here: ``lattice_count`` from
:mod:`analytic.lattice` for Python, its NumPy twin for NumPy, and a C port for C.
"""

from __future__ import annotations

import ctypes
import inspect
import json
import keyword
import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import sympy
from sympy import Expr, Integer, Rational, Symbol, lambdify
from sympy.printing.c import C99CodePrinter
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from ..lattice import lattice_count
from ..validation import check_keywords
from . import symbols as sy
from .derivation import Step, steps
from .functions import ExactQuotient, IntGcd, LatticeCount, PositivePart

__all__ = [
    "latex", "PaperLatexPrinter", "align_block", "standalone_document", "arguments", "to_python", "python_source",
    "to_numpy", "c_source", "to_c", "to_json", "from_json", "C_HELPERS", "lattice_definition",
]


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


def _step_line(st: Step) -> str:
    return rf"{st.latex_name} &= {latex(st.definition)}"


def align_block(keys: Sequence[str] | None = None, starred: bool = False) -> str:
    r"""An ``align`` environment with one line per named quantity of the derivation
    (``F``, ``L_out``, ``T``, ``s'``, ``d'``, ``\ell``, ``P``, ``E``, ``A``, ``Z``, ``\psi``,
    ``\lambda``, ``\gamma`` and each convention's total), or only those named in ``keys``."""
    chosen = [st for st in steps() if keys is None or st.key in keys]
    env = "align*" if starred else "align"
    body = " \\\\\n".join(_step_line(st) for st in chosen)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def lattice_definition() -> str:
    """LaTeX of the lattice count's definition: ``G(x) = `` its floor sum."""
    x = Symbol("x", integer=True)
    g = LatticeCount(x, sy.length, sy.kernel_size, sy.stride, sy.dilation)
    return rf"{latex(g)} = {latex(g.rewrite(sympy.Sum))}"


def standalone_document(title: str = "Operation counts of a transposed 1-d convolution") -> str:
    """A complete LaTeX document (``article`` + ``amsmath``): the lattice count, the named
    quantities, and the expanded additions formulas."""
    from . import additions_per_filter, exact_additions_per_filter

    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        rf"\title{{{title}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"\section*{Lattice count}",
        r"Tap $(i, m)$ lands at uncropped position $i s + m d$. The number of taps below $x$ is",
        r"\begin{equation*}",
        lattice_definition(),
        r"\end{equation*}",
        r"evaluated exactly by the floor-sum algorithm.",
        r"\section*{Named quantities}",
        align_block(),
        r"\section*{Expanded}",
        r"\begin{align*}",
        rf"A &= {latex(additions_per_filter())} \\",
        rf"E &= {latex(exact_additions_per_filter())}",
        r"\end{align*}",
        r"\end{document}",
        "",
    ])


_ORDER = (
    sy.batch, sy.in_channels, sy.out_channels, sy.groups, sy.bias,
    *sy.FILTER_SYMBOLS,
    *(mapping[base] for mapping in sy.DIM_SYMBOLS for base in sy.FILTER_SYMBOLS),
)


_FUNCTIONS = {
    cls.__name__: cls
    for cls in (sympy.Add, sympy.Mul, sympy.Pow, sympy.Max, sympy.Min, sympy.floor, sympy.ceiling,
                LatticeCount, IntGcd, ExactQuotient, PositivePart)
}
#: the relations of conditions on sizes (``L >= 2``, ``Eq(Mod(H, 16), 0)``)
_RELATIONS = {
    cls.__name__: cls
    for cls in (sympy.Mod, sympy.Eq, sympy.Ne, sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                sympy.StrictLessThan, sympy.And)
}


_C_KEYWORDS = frozenset((
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "_Bool", "_Complex", "_Imaginary",
))


def _quotient(expr: Expr) -> tuple[Expr, Expr]:
    """``(numerator, denominator)`` of the argument of a floor or ceiling, both free of fractions."""
    return sympy.fraction(sympy.together(expr))


def _exportable(expr: object, allowed: Mapping[str, Symbol] | None = None, relations: bool = False) -> Expr:
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
            pending.extend(_quotient(node.args[0]))
            continue
        if isinstance(node, sympy.Pow) and not (node.exp.is_Integer and node.exp > 0):
            raise ValueError(f"cannot export the power {node} in integer arithmetic")
        if not (isinstance(node, Integer) or type(node).__name__ in _FUNCTIONS
                or (relations and type(node).__name__ in _RELATIONS)):
            raise ValueError(f"cannot export {type(node).__name__} in integer arithmetic"
                             f" (supported: integers, {', '.join(_FUNCTIONS)})")
        pending.extend(node.args)
    return expr


def _identifier(name: object) -> str:
    """``name`` if it can name a function in both Python and C."""
    if not (isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
            and not keyword.iskeyword(name) and name not in _C_KEYWORDS):
        raise ValueError(f"name ({name!r}) must be an identifier of Python and C (letters, digits, _), not a keyword")
    return name


def _arguments(expr: object, args: Sequence[Symbol] | None, sizes: bool = False) -> tuple[Symbol, ...]:
    """``args`` checked (keyword symbols covering ``expr``; any symbols named by identifiers with
    ``sizes``, a profile's sizes), or by default the free keyword symbols of ``expr`` in a fixed
    order; ``expr`` checked by :func:`_exportable` once."""
    if args is None:
        free = _exportable(expr).free_symbols
        return tuple(s for s in _ORDER if s in free)
    if isinstance(args, (str, bytes)):
        raise TypeError("args must be a sequence of keyword symbols, got a string")
    args = tuple(args)
    for a in args:
        if not isinstance(a, Symbol) or not ((sizes and _identifier(a.name)) or sy.BY_NAME.get(a.name) == a):
            raise ValueError(f"args must hold keyword symbols (analytic.symbolic.symbols), got {a!r}")
    free = _exportable(expr, {a.name: a for a in args} if sizes else None).free_symbols
    missing = free - set(args)
    if missing:
        raise ValueError(f"args miss the expression's symbols {sorted(map(str, missing))}")
    return args


def arguments(expr: Expr) -> tuple[Symbol, ...]:
    """The free keyword symbols of ``expr`` in a fixed order: batch, channels, groups, bias,
    then the filter's (length, kernel_size, stride, padding, output_padding, dilation)."""
    return _arguments(expr, None)


def _keyword_signature(args: tuple[Symbol, ...]) -> inspect.Signature:
    """The signature of an exported function: one parameter per argument symbol, by name."""
    return inspect.Signature([inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args])


class _IntegerDivision:
    """Printer mixin: the floor and the ceiling of a quotient as an integer division, printed by
    the templates ``FLOOR`` and ``CEILING`` (of ``{a}``, ``{b}``)."""

    FLOOR = "(({a}) // ({b}))"
    CEILING = "(-((-({a})) // ({b})))"

    def _division(self, expr, template: str) -> str:
        numerator, denominator = _quotient(expr.args[0])
        if denominator == 1:
            return self._print(numerator)
        return template.format(a=self._print(numerator), b=self._print(denominator))

    def _print_floor(self, expr):
        return self._division(expr, self.FLOOR)

    def _print_ceiling(self, expr):
        return self._division(expr, self.CEILING)


class IntegerPythonPrinter(_IntegerDivision, PythonCodePrinter):
    """Python's printer with floors and ceilings of quotients as integer divisions (exact for
    any size, where ``math.floor`` of a float quotient is not)."""


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
    args = _arguments(expr, args, sizes=check is not None)
    check = check or check_keywords
    namespace = {"tapcount_lattice_count": lattice_count, "math": math}
    compute = lambdify(args, expr, modules=[namespace, "math"], printer=IntegerPythonPrinter)
    signature = _keyword_signature(args)

    def count(*positional, **keywords):
        values = check(signature.bind(*positional, **keywords).arguments)  # torch's rules
        return compute(*values.values())

    count.__signature__ = signature
    return count


def python_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None, *,
                  conditions: Sequence[sympy.Basic] | None = None) -> str:
    """Source of a Python module defining ``name(...)`` for ``expr`` (imports included): torch's
    rules checked on the arguments, or, given ``conditions`` (a symbolic profile's), those."""
    name = _identifier(name)
    args = _arguments(expr, args, sizes=conditions is not None)
    printer = IntegerPythonPrinter({"fully_qualified_modules": True})
    body = printer.doprint(expr)
    signature = ", ".join(f"{a.name}: int" for a in args)
    if conditions is not None:
        allowed = {a.name: a for a in args}
        checks = "".join(
            f"    if not ({printer.doprint(_exportable(c, allowed, relations=True))}):\n"
            f"        raise ValueError({('the formula holds where ' + printer.doprint(c)).__repr__()})\n"
            for c in conditions)
        return (
            "from analytic.lattice import lattice_count as tapcount_lattice_count  # noqa: F401\n\n\n"
            f"def {name}({signature}) -> int:\n{checks}"
            f"    return {body}\n"
        )
    checked = ", ".join(f"{a.name!r}: {a.name}" for a in args)
    return (
        "import math  # noqa: F401\n\n"
        "from analytic.lattice import lattice_count as tapcount_lattice_count  # noqa: F401\n"
        "from analytic.validation import check_keywords\n\n\n"
        f"def {name}({signature}) -> int:\n"
        f"    check_keywords({{{checked}}})  # torch's rules: ValueError for what torch refuses\n"
        f"    return {body}\n"
    )


def to_numpy(expr: Expr, args: Sequence[Symbol] | None = None) -> Callable[..., object]:
    """A NumPy-vectorized function (int64 arrays in, int64 array out), via ``lambdify``.

    Its arguments obey torch's rules element-wise: the first row torch would refuse raises the
    ``ValueError`` of the numeric API, naming the row."""
    import numpy as np

    from .. import vectorized
    from ..validation import keywords_ok

    args = _arguments(expr, args)
    namespace = {"tapcount_lattice_count_np": vectorized.checked_lattice_count,
                 "tapcount_add": vectorized.checked_add, "tapcount_mul": vectorized.checked_mul,
                 "tapcount_floordiv": np.floor_divide, "tapcount_mod": np.mod,
                 "tapcount_ceildiv": lambda a, b: -np.floor_divide(-a, b)}
    compute = lambdify(args, expr, modules=[namespace, "numpy"], printer=_CheckedNumPyPrinter)
    signature = _keyword_signature(args)

    def count(*positional, **keywords):
        given = signature.bind(*positional, **keywords).arguments
        arrays = dict(zip(given, np.broadcast_arrays(*map(np.asarray, given.values())), strict=True))
        for n, array in arrays.items():
            if array.dtype.kind == "O" and all(type(v) is int for v in array.ravel()):
                raise OverflowError(f"{n} has values that do not fit in int64")
            if array.dtype.kind not in "iu":
                raise TypeError(f"{n} must hold integers, got dtype {array.dtype}")
            if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
                raise OverflowError(f"{n} has values that do not fit in int64")
        valid = np.broadcast_to(keywords_ok(arrays), np.broadcast_shapes(*(a.shape for a in arrays.values())))
        if not valid.all():  # the first refused row, in the numeric API's words
            row = tuple(int(i) for i in np.argwhere(~valid)[0])
            try:
                check_keywords({n: array[row].item() for n, array in arrays.items()})
            except (ValueError, TypeError) as error:
                raise type(error)(f"row {row}: {error}") from None
        return compute(*arrays.values())

    count.__signature__ = signature
    return count


class _CheckedArithmetic(_IntegerDivision):
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


#: C99 ports of the helpers the C printer names (checked sum and product, floor sum, lattice count,
#: gcd, positive part); an overflow anywhere sets ``tapcount_overflow``
C_HELPERS = r"""
#include <stdint.h>

static int tapcount_overflow;

static inline int64_t tapcount_add(int64_t a, int64_t b) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) { tapcount_overflow = 1; return 0; }
    return a + b;
}

static inline int64_t tapcount_mul(int64_t a, int64_t b) {
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : (a != 0 && b < INT64_MAX / a))) { tapcount_overflow = 1; return 0; }
    return a * b;
}

static inline int64_t tapcount_pos(int64_t x) { return x > 0 ? x : 0; }

/* floor(a / b), ceil(a / b) and a mod b (the sign of b), for b != 0 */
static inline int64_t tapcount_floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int64_t tapcount_ceildiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

static inline int64_t tapcount_mod(int64_t a, int64_t b) {
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

static inline int64_t tapcount_gcd(int64_t a, int64_t b) {
    while (b) { int64_t t = a % b; a = b; b = t; }
    return a;
}

/* sum(floor((a*i + b) / m) for i in [0, n)); n >= 0, m >= 1, a >= 0, b >= 0 */
static inline int64_t tapcount_floor_sum(int64_t n, int64_t m, int64_t a, int64_t b) {
    int64_t total = 0;
    for (;;) {
        if (a >= m) {
            int64_t pairs = n % 2 ? tapcount_mul(n, (n - 1) / 2) : tapcount_mul(n / 2, n - 1);
            total = tapcount_add(total, tapcount_mul(pairs, a / m)); a %= m;
        }
        if (b >= m) { total = tapcount_add(total, tapcount_mul(n, b / m)); b %= m; }
        int64_t y = tapcount_add(tapcount_mul(a, n), b);
        if (tapcount_overflow || y < m) break;
        n = y / m; b = y % m;
        int64_t t = m; m = a; a = t;
    }
    return total;
}

/* #{(i, m) in [0,n) x [0,k) : i*s + m*d < x} */
static inline int64_t tapcount_lattice_count(int64_t x, int64_t n, int64_t k, int64_t s, int64_t d) {
    if (x <= 0 || n <= 0 || k <= 0) return 0;
    int64_t columns = tapcount_add(x, d - 1) / d;
    if (columns > k) columns = k;
    int64_t below_full = tapcount_add(x, -tapcount_mul(n - 1, s));
    int64_t full = below_full > 0 ? tapcount_add(below_full, d - 1) / d : 0;
    if (full > columns) full = columns;
    int64_t partial = columns - full;
    if (partial == 0) return tapcount_mul(n, full);
    int64_t start = tapcount_add(tapcount_add(x, s - 1), -tapcount_mul(columns - 1, d));
    return tapcount_add(tapcount_mul(n, full), tapcount_floor_sum(partial, s, d, start));
}
"""


class _CheckedCPrinter(_CheckedArithmetic, C99CodePrinter):
    """C99 printer in checked int64 arithmetic (no ``pow``, which is a double)."""


class _CheckedNumPyPrinter(_CheckedArithmetic, NumPyPrinter):
    """NumPy printer in checked int64 arithmetic (see :mod:`analytic.vectorized`)."""


def c_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None, *,
             conditions: Sequence[sympy.Basic] | None = None) -> str:
    """C99 source defining ``int64_t name(int64_t ...)`` for ``expr``, helpers included.

    The arithmetic is checked: when a sum or product leaves int64 the function returns 0 and
    sets the global ``int name_overflow`` to 1 (0 after an exact result); read it after the call.
    With ``conditions`` (a symbolic profile's, on its sizes) the function returns 0 and sets
    ``int name_invalid`` to 1 for arguments that break one.
    """
    name = _identifier(name)
    args = _arguments(expr, args, sizes=conditions is not None)
    printer = _CheckedCPrinter()
    body = printer.doprint(expr)
    params = ", ".join(f"int64_t {a.name}" for a in args) or "void"
    checks = ""
    if conditions is not None:
        allowed = {a.name: a for a in args}
        tests = " && ".join(f"({printer.doprint(_exportable(c, allowed, relations=True))})" for c in conditions)
        checks = (f"    {name}_invalid = !({tests or 1});\n    if ({name}_invalid) return 0;\n")
    declared = f"int {name}_overflow;\n" + (f"int {name}_invalid;\n" if conditions is not None else "")
    return (f"{C_HELPERS}\n{declared}\nint64_t {name}({params}) {{\n{checks}"
            f"    tapcount_overflow = 0;\n    int64_t result = {body};\n"
            f"    {name}_overflow = tapcount_overflow;\n    return tapcount_overflow ? 0 : result;\n}}\n")


def to_c(expr: Expr, args: Sequence[Symbol] | None = None, compiler: str = "cc", *,
         check: Callable[[dict[str, int]], dict[str, int]] | None = None,
         conditions: Sequence[sympy.Basic] | None = None) -> Callable[..., int]:
    """Compile :func:`c_source` with the system C compiler and return it as a Python callable
    (positional arguments in the order of ``args``): torch's rules on the arguments
    (``ValueError``), ``OverflowError`` for an argument or a result beyond int64, never a wrapped
    value."""
    args = _arguments(expr, args, sizes=check is not None)
    check = check or check_keywords
    cc = shutil.which(compiler)
    if cc is None:
        raise RuntimeError(f"no C compiler {compiler!r} on PATH")
    source = c_source(expr, "count", args, conditions=conditions)
    with tempfile.TemporaryDirectory(prefix="tapcount-c-") as directory:
        build = Path(directory)
        (build / "count.c").write_text(source)
        result = subprocess.run(
            [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o",
             str(build / "count.so"), str(build / "count.c")],
            capture_output=True, text=True,
        )
        if result.returncode:
            raise RuntimeError(f"{compiler} failed on the generated source:\n{result.stderr}")
        library = ctypes.CDLL(str(build / "count.so"))  # loaded: the file may go
    function = library.count
    function.restype = ctypes.c_int64
    function.argtypes = [ctypes.c_int64] * len(args)
    overflow = ctypes.c_int.in_dll(library, "count_overflow")
    signature = _keyword_signature(args)

    def count(*positional, **keywords):
        values = check(signature.bind(*positional, **keywords).arguments)  # torch's rules
        for name, value in values.items():
            if not -(2**63) <= value < 2**63:  # ctypes would wrap it silently
                raise OverflowError(f"{name} ({value}) does not fit in int64")
        result = function(*values.values())
        if overflow.value:
            raise OverflowError("the count, or a step of it, does not fit in int64")
        return result

    count.__signature__ = signature
    count.library = library  # keeps the compiled code loaded as long as the function lives
    return count


def expression_tree(expr: Expr) -> object:
    if isinstance(expr, Integer):
        return {"int": str(int(expr))}
    if isinstance(expr, Rational):
        return {"rational": [str(expr.p), str(expr.q)]}
    if isinstance(expr, Symbol):
        return {"symbol": expr.name}
    name = type(expr).__name__
    if name not in _FUNCTIONS and name not in _RELATIONS:
        raise ValueError(f"cannot export {name} to JSON (supported: {', '.join(_FUNCTIONS)})")
    return {"op": name, "args": [expression_tree(a) for a in expr.args]}


def to_json(expr: Expr) -> str:
    """A JSON tree of ``expr``: ``{"int": "3"}``, ``{"rational": ["1", "2"]}``,
    ``{"symbol": "length"}`` (keyword symbols, with their assumptions), ``{"op": "Add", "args":
    [...]}`` for the whitelisted heads.  :func:`from_json` rebuilds it without evaluating text.

    >>> from analytic import symbolic
    >>> e = symbolic.exact_additions_per_filter()
    >>> from_json(to_json(e)) == e
    True
    """
    return json.dumps({"format": "tapcount-expr", "version": 1, "expr": expression_tree(expr)})


#: bounds on what :func:`from_json` builds, so that any document is read in bounded time and memory
JSON_LIMITS = {"characters": 10**7, "depth": 200, "nodes": 200_000, "digits": 1000, "total_digits": 10_000,
               "exponent": 64}


def _integer(text: object, budget: list[int]) -> int:
    if not (isinstance(text, str) and re.fullmatch(r"-?[0-9]+", text)):
        raise ValueError(f"malformed integer {str(text)[:80]!r}")
    digits = len(text.lstrip("-"))
    budget[1] -= digits
    if digits > JSON_LIMITS["digits"] or budget[1] < 0:
        raise ValueError(f"integers of at most {JSON_LIMITS['digits']} digits, {JSON_LIMITS['total_digits']} in all")
    return int(text)


def _build(node: object, depth: int, budget: list[int], sizes: Mapping[str, Symbol]) -> Expr:
    budget[0] -= 1
    if budget[0] < 0 or depth > JSON_LIMITS["depth"]:
        raise ValueError(f"expression too large: at most {JSON_LIMITS['nodes']} nodes, {JSON_LIMITS['depth']} deep")
    if not isinstance(node, dict):
        raise ValueError(f"malformed expression node: {str(node)[:80]}")
    if "int" in node:
        return Integer(_integer(node["int"], budget))
    if "rational" in node:
        if not (isinstance(node["rational"], list) and len(node["rational"]) == 2):
            raise ValueError("a rational is [numerator, denominator]")
        p, q = (_integer(v, budget) for v in node["rational"])
        if q == 0:
            raise ValueError("a rational's denominator must not be 0")
        return Rational(p, q)
    if "symbol" in node:
        if isinstance(node["symbol"], str) and node["symbol"] in sizes:
            return sizes[node["symbol"]]
        if not isinstance(node["symbol"], str) or node["symbol"] not in sy.BY_NAME:
            raise ValueError(f"unknown symbol {str(node['symbol'])[:80]!r} (keywords only)")
        return sy.BY_NAME[node["symbol"]]
    op = node.get("op")
    heads = {**_FUNCTIONS, **_RELATIONS}
    if isinstance(op, str) and op in heads:
        if not isinstance(node.get("args"), list):
            raise ValueError(f"{op} needs a list of args")
        args = [_build(a, depth + 1, budget, sizes) for a in node["args"]]
        if op == "Pow" and len(args) == 2 and not (
                args[1].is_Integer and abs(args[1]) <= JSON_LIMITS["exponent"]
                and (not args[0].is_Number or len(str(abs(args[0]))) * abs(args[1]) <= JSON_LIMITS["total_digits"])):
            raise ValueError(f"a power's exponent must be an integer of at most {JSON_LIMITS['exponent']}, and a"
                             f" number's power have at most {JSON_LIMITS['total_digits']} digits")
        try:
            return heads[op](*args)
        except TypeError as error:  # wrong number of arguments
            raise ValueError(f"{op}: {error}") from None
    raise ValueError(f"unknown operation {str(op)[:80]!r}")


def from_json(text: str, sizes: Sequence[Symbol] = ()) -> Expr:
    """Rebuild an expression written by :func:`to_json` (no ``eval``, no ``sympify``), in bounded
    time and memory (:data:`JSON_LIMITS`): ``ValueError`` for anything else.  ``sizes``: the size
    symbols a symbolic profile's formulas may hold, besides the keyword symbols."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    try:
        if len(text) > JSON_LIMITS["characters"]:
            raise ValueError(f"{len(text)} characters, at most {JSON_LIMITS['characters']}")
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ValueError(f"not JSON: {str(error)[:200]}") from None
        if not isinstance(document, dict) or document.get("format") != "tapcount-expr" or document.get("version") != 1:
            raise ValueError("not a tapcount-expr version 1 document")
        allowed = {_identifier(getattr(v, "name", v)): v for v in sizes}
        return _build(document.get("expr"), 0, [JSON_LIMITS["nodes"], JSON_LIMITS["total_digits"]], allowed)
    except ValueError as error:
        raise ValueError(f"text: {error}") from None
