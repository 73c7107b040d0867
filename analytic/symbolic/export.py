"""Exports of the derived expressions: LaTeX (equations, an ``align`` block, a standalone
document), Python and NumPy functions (``lambdify``), C (``sympy``'s C99 printer), and JSON.

The custom functions print themselves (``_latex``, ``_pythoncode``, ``_numpycode``, ``_ccode`` in
:mod:`analytic.symbolic.functions`); the names they print are bound here: ``lattice_count`` from
:mod:`analytic.lattice` for Python, its NumPy twin for NumPy, and a C port for C.
"""

from __future__ import annotations

import ctypes
import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import sympy
from sympy import Expr, Integer, Rational, Symbol, lambdify
from sympy.printing.c import C99CodePrinter
from sympy.printing.latex import LatexPrinter
from sympy.printing.pycode import PythonCodePrinter

from ..lattice import lattice_count
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


def arguments(expr: Expr) -> tuple[Symbol, ...]:
    """The free keyword symbols of ``expr`` in a fixed order: batch, channels, groups, bias,
    then the filter's (length, kernel_size, stride, padding, output_padding, dilation)."""
    free = expr.free_symbols
    unknown = free - set(_ORDER)
    if unknown:
        raise ValueError(f"expression has symbols that are not keywords: {sorted(map(str, unknown))}")
    return tuple(s for s in _ORDER if s in free)


def to_python(expr: Expr, args: Sequence[Symbol] | None = None) -> Callable[..., int]:
    """A plain-Python function of ``args`` (keywords allowed), exact on ints, via ``lambdify``.

    >>> from analytic import symbolic
    >>> f = to_python(symbolic.additions_per_filter())
    >>> f(length=2, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1)
    2
    """
    args = arguments(expr) if args is None else tuple(args)
    namespace = {"tapcount_lattice_count": lattice_count, "math": math}
    return lambdify(args, expr, modules=[namespace, "math"])


def python_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None) -> str:
    """Source of a Python module defining ``name(...)`` for ``expr`` (imports included)."""
    args = arguments(expr) if args is None else tuple(args)
    body = PythonCodePrinter({"fully_qualified_modules": True}).doprint(expr)
    signature = ", ".join(f"{a.name}: int" for a in args)
    return (
        "import math  # noqa: F401\n\n"
        "from analytic.lattice import lattice_count as tapcount_lattice_count  # noqa: F401\n\n\n"
        f"def {name}({signature}) -> int:\n"
        f"    return {body}\n"
    )


def to_numpy(expr: Expr, args: Sequence[Symbol] | None = None) -> Callable[..., object]:
    """A NumPy-vectorized function (int64 arrays in, int64 array out), via ``lambdify``."""
    from .. import vectorized

    args = arguments(expr) if args is None else tuple(args)
    namespace = {"tapcount_lattice_count_np": vectorized.lattice_count}
    return lambdify(args, expr, modules=[namespace, "numpy"])


#: C99 ports of the helpers the C printer names (floor sum, lattice count, gcd, positive part)
C_HELPERS = r"""
#include <stdint.h>

static inline int64_t tapcount_pos(int64_t x) { return x > 0 ? x : 0; }

static inline int64_t tapcount_gcd(int64_t a, int64_t b) {
    while (b) { int64_t t = a % b; a = b; b = t; }
    return a;
}

/* sum(floor((a*i + b) / m) for i in [0, n)); n >= 0, m >= 1, a >= 0, b >= 0 */
static inline int64_t tapcount_floor_sum(int64_t n, int64_t m, int64_t a, int64_t b) {
    int64_t total = 0;
    for (;;) {
        if (a >= m) { total += (n * (n - 1) / 2) * (a / m); a %= m; }
        if (b >= m) { total += n * (b / m); b %= m; }
        int64_t y = a * n + b;
        if (y < m) break;
        n = y / m; b = y % m;
        int64_t t = m; m = a; a = t;
    }
    return total;
}

/* #{(i, m) in [0,n) x [0,k) : i*s + m*d < x} */
static inline int64_t tapcount_lattice_count(int64_t x, int64_t n, int64_t k, int64_t s, int64_t d) {
    if (x <= 0 || n <= 0 || k <= 0) return 0;
    int64_t columns = (x + d - 1) / d;
    if (columns > k) columns = k;
    int64_t below_full = x - (n - 1) * s;
    int64_t full = below_full > 0 ? (below_full + d - 1) / d : 0;
    if (full > columns) full = columns;
    int64_t partial = columns - full;
    if (partial == 0) return n * full;
    return n * full + tapcount_floor_sum(partial, s, d, x + s - 1 - (columns - 1) * d);
}
"""


class _IntegerCPrinter(C99CodePrinter):
    """C99 printer that keeps integer powers in integer arithmetic (``pow`` is a double)."""

    def _print_Pow(self, expr):
        base, exp = expr.args
        if exp.is_Integer and exp > 0:
            return "*".join([f"({self._print(base)})"] * int(exp))
        return super()._print_Pow(expr)


def c_source(expr: Expr, name: str = "count", args: Sequence[Symbol] | None = None) -> str:
    """C99 source defining ``int64_t name(int64_t ...)`` for ``expr``, helpers included."""
    args = arguments(expr) if args is None else tuple(args)
    body = _IntegerCPrinter().doprint(expr)
    params = ", ".join(f"int64_t {a.name}" for a in args)
    return f"{C_HELPERS}\nint64_t {name}({params}) {{\n    return {body};\n}}\n"


def to_c(expr: Expr, args: Sequence[Symbol] | None = None, compiler: str = "cc") -> Callable[..., int]:
    """Compile :func:`c_source` with the system C compiler and return it as a Python callable
    (positional arguments in the order of ``args``)."""
    args = arguments(expr) if args is None else tuple(args)
    cc = shutil.which(compiler)
    if cc is None:
        raise RuntimeError(f"no C compiler {compiler!r} on PATH")
    source = c_source(expr, "count", args)
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
    return function


_FUNCTIONS = {
    cls.__name__: cls
    for cls in (sympy.Add, sympy.Mul, sympy.Pow, sympy.Max, sympy.Min, sympy.floor, sympy.ceiling,
                LatticeCount, IntGcd, ExactQuotient, PositivePart)
}


def _node(expr: Expr) -> object:
    if isinstance(expr, Integer):
        return {"int": str(int(expr))}
    if isinstance(expr, Rational):
        return {"rational": [str(expr.p), str(expr.q)]}
    if isinstance(expr, Symbol):
        return {"symbol": expr.name}
    name = type(expr).__name__
    if name not in _FUNCTIONS:
        raise ValueError(f"cannot export {name} to JSON (supported: {', '.join(_FUNCTIONS)})")
    return {"op": name, "args": [_node(a) for a in expr.args]}


def to_json(expr: Expr) -> str:
    """A JSON tree of ``expr``: ``{"int": "3"}``, ``{"rational": ["1", "2"]}``,
    ``{"symbol": "length"}`` (keyword symbols, with their assumptions), ``{"op": "Add", "args":
    [...]}`` for the whitelisted heads.  :func:`from_json` rebuilds it without evaluating text.

    >>> from analytic import symbolic
    >>> e = symbolic.exact_additions_per_filter()
    >>> from_json(to_json(e)) == e
    True
    """
    return json.dumps({"format": "tapcount-expr", "version": 1, "expr": _node(expr)})


def _build(node: object) -> Expr:
    if not isinstance(node, dict):
        raise ValueError(f"malformed expression node: {node!r}")
    if "int" in node:
        return Integer(int(node["int"]))
    if "rational" in node:
        p, q = node["rational"]
        return Rational(int(p), int(q))
    if "symbol" in node:
        if node["symbol"] not in sy.BY_NAME:
            raise ValueError(f"unknown symbol {node['symbol']!r} (keywords only)")
        return sy.BY_NAME[node["symbol"]]
    if node.get("op") in _FUNCTIONS:
        return _FUNCTIONS[node["op"]](*[_build(a) for a in node["args"]])
    raise ValueError(f"unknown operation {node.get('op')!r}")


def from_json(text: str) -> Expr:
    """Rebuild an expression written by :func:`to_json` (no ``eval``, no ``sympify``)."""
    document = json.loads(text)
    if document.get("format") != "tapcount-expr" or document.get("version") != 1:
        raise ValueError("not a tapcount-expr version 1 document")
    return _build(document["expr"])
