"""Custom SymPy functions of the derivation: integer-valued, evaluated on integers by the same
code as the numeric path, printed readably in LaTeX and as code.

- :class:`LatticeCount` — ``G_{n,k}(x; s, d)``, the number of taps below ``x``;
- :class:`IntGcd` — an integer gcd that stays unevaluated on symbols (``sympy.gcd`` of two integer
  symbols is the *polynomial* gcd, 1, which would silently break the exact count);
- :class:`ExactQuotient` — ``a / b`` where ``b`` divides ``a`` (prints as integer division in code);
- :class:`PositivePart` — ``x^+ = max(x, 0)``.
"""

from __future__ import annotations

import math

from sympy import Add, Function, Integer, Max, Min, S, Sum, ceiling
from sympy.core.symbol import Dummy

from ..core.lattice import lattice_count

__all__ = ["LatticeCount", "IntGcd", "ExactQuotient", "PositivePart", "expand_sums"]


def expand_sums(expr):
    """Replace every ``Sum`` with integer limits by the explicit addition of its terms.

    >>> from sympy import Symbol, floor
    >>> m = Symbol("m", integer=True, nonnegative=True)
    >>> expand_sums(Sum(floor(2 * m / 3), (m, 0, 3)))
    3
    """

    def expand(summation):
        term = summation.function
        for variable, low, high in reversed(summation.limits):
            if not (low.is_Integer and high.is_Integer):
                raise ValueError(f"the limits of {summation} are not integers")
            term = Add(*[term.subs(variable, j) for j in range(int(low), int(high) + 1)])
        return term

    return expr.replace(lambda e: isinstance(e, Sum), expand)


def _args(printer, args):
    return ", ".join(printer._print(a) for a in args)


class LatticeCount(Function):
    r"""``G_{n,k}(x; s, d) = #{(i, m) in [0,n) x [0,k) : i*s + m*d < x}``.

    Arguments ``(x, n, k, s, d)``.  Zero for ``x <= 0`` and for an empty grid; on integer
    arguments it evaluates through :func:`analytic.core.lattice.lattice_count` (the floor-sum algorithm).

    >>> from sympy import Sum, Symbol, latex
    >>> LatticeCount(4, 2, 3, 1, 1)
    6
    >>> x = Symbol("x", integer=True)
    >>> latex(LatticeCount(x, 2, 3, 1, 1))
    'G_{2,\\,3}\\!\\left(x;\\, 1, 1\\right)'
    >>> expand_sums(LatticeCount(x, 2, 3, 1, 1).rewrite(Sum).subs(x, 4))
    6

    Evaluate the rewritten sum with :func:`expand_sums` rather than ``Sum.doit()``: SymPy 1.14's
    ``doit`` mis-evaluates some floor/ceiling summands (``Sum(floor(2*m/3), (m, 0, 0)).doit()`` is
    -1 for a nonnegative integer ``m``).
    """

    nargs = 5
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, x, n, k, s, d):
        if x.is_nonpositive or n.is_nonpositive or k.is_nonpositive:
            return S.Zero
        if all(a.is_Integer for a in (x, k, s, d)) and s > 0 and d > 0:
            if n.is_Integer:
                return Integer(lattice_count(int(x), int(n), int(k), int(s), int(d)))
            if n.is_positive and x <= s:  # only input 0's taps lie below x: any length >= 1 gives
                return Integer(lattice_count(int(x), 1, int(k), int(s), int(d)))  # the same count
        return None

    def _eval_rewrite_as_Sum(self, x, n, k, s, d, **kwargs):
        m = Dummy("m", integer=True, nonnegative=True)
        column = Min(Max(n, 0), Max(0, ceiling((x - m * d) / s)))
        return Sum(column, (m, 0, Max(k, 0) - 1))

    def _latex(self, printer):
        x, n, k, s, d = (printer._print(a) for a in self.args)
        return rf"G_{{{n},\,{k}}}\!\left({x};\, {s}, {d}\right)"

    def _pythoncode(self, printer):
        return f"tapcount_lattice_count({_args(printer, self.args)})"

    def _numpycode(self, printer):
        return f"tapcount_lattice_count_np({_args(printer, self.args)})"

    def _ccode(self, printer):
        return f"tapcount_lattice_count({_args(printer, self.args)})"


class IntGcd(Function):
    r"""Greatest common divisor of two positive integers, unevaluated on symbols.

    >>> from sympy import Symbol
    >>> IntGcd(12, 18), IntGcd(Symbol("s", integer=True, positive=True), 1)
    (6, 1)
    """

    nargs = 2
    is_integer = True

    @classmethod
    def eval(cls, a, b):
        if a.is_Integer and b.is_Integer:
            return Integer(math.gcd(int(a), int(b)))
        if a == b and a.is_positive:
            return a
        if S.One in (a, b):
            return S.One
        return None

    def _eval_is_positive(self):
        return True if all(a.is_positive for a in self.args) else None

    def _latex(self, printer):
        return rf"\gcd\left({_args(printer, self.args)}\right)"

    def _pythoncode(self, printer):
        return f"math.gcd({_args(printer, self.args)})"

    def _numpycode(self, printer):
        return f"numpy.gcd({_args(printer, self.args)})"

    def _ccode(self, printer):
        return f"tapcount_gcd({_args(printer, self.args)})"


class ExactQuotient(Function):
    r"""``a / b`` for a divisor ``b`` of ``a``: prints as a fraction in LaTeX, as integer division
    in code, so that exported code stays in exact integer arithmetic.  Integers that do not divide
    raise ``ValueError`` (the quotient would not be the integer it claims to be).

    >>> from sympy import Symbol
    >>> ExactQuotient(12, 4), ExactQuotient(Symbol("s", positive=True), 1)
    (3, s)
    >>> ExactQuotient(5, 2)
    Traceback (most recent call last):
    ...
    ValueError: ExactQuotient(5, 2): 2 does not divide 5
    """

    nargs = 2
    is_integer = True

    @classmethod
    def eval(cls, a, b):
        if b == S.One:
            return a
        if a == b and a.is_nonzero:
            return S.One
        if a.is_Integer and b.is_Integer:
            if b == 0 or a % b:
                raise ValueError(f"ExactQuotient({a}, {b}): {b} does not divide {a}")
            return Integer(a // b)
        return None

    def _eval_is_positive(self):
        return True if all(a.is_positive for a in self.args) else None

    def _eval_rewrite_as_Mul(self, a, b, **kwargs):
        return a / b

    def _latex(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return rf"\frac{{{a}}}{{{b}}}"

    def _pythoncode(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return f"(({a}) // ({b}))"

    _numpycode = _pythoncode

    def _ccode(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return f"(({a}) / ({b}))"


class PositivePart(Function):
    r"""``x^+ = max(x, 0)``.

    >>> from sympy import Symbol, latex
    >>> PositivePart(-3), PositivePart(5), latex(PositivePart(Symbol("x")))
    (0, 5, '\\left(x\\right)^{+}')
    """

    nargs = 1
    is_nonnegative = True

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return x if x > 0 else S.Zero
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return S.Zero
        return None

    def _eval_is_integer(self):
        return self.args[0].is_integer

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return Max(x, 0)

    def _latex(self, printer):
        return rf"\left({printer._print(self.args[0])}\right)^{{+}}"

    def _pythoncode(self, printer):
        return f"max({printer._print(self.args[0])}, 0)"

    def _numpycode(self, printer):
        return f"numpy.maximum({printer._print(self.args[0])}, 0)"

    def _ccode(self, printer):
        return f"tapcount_pos({printer._print(self.args[0])})"
