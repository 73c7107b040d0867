r"""The simplified form of a count for sizes beyond a threshold: lattice counts, positive parts,
minima and maxima resolved, the threshold computed.

A lattice count whose arguments are (quasi-)linear in one size ``L`` is, column by column,

.. math:: G_{n,k}(x; s, d) = \sum_{m=0}^{k-1} \min\!\big(\max(n, 0), \max(0, \lceil (x - m d)/s \rceil)\big).

Each ``max`` and ``min`` compares two quasi-linear functions of ``L`` (linear up to a bounded
floor or ceiling term): when their slopes differ the comparison is settled for every ``L``
beyond a point computed from the slopes and bounds; when they are equal the difference is
periodic and is settled (or not) by one period.  Every settled comparison's threshold is then
lowered to the smallest size from which it holds (checked size by size, exactly), and the
threshold of the whole expression is the largest of them: from there on, the simplified
expression equals the exact one term by term.  What cannot be settled (a lattice count in
several sizes, a periodic difference changing sign) is kept as it is.

>>> from sympy import Symbol
>>> from analytic.symbolic.functions import LatticeCount
>>> L = Symbol("L", integer=True, positive=True)
>>> collapse(LatticeCount(L + 3, L, 7, 1, 1) - LatticeCount(3, L, 7, 1, 1))
(7*L - 12, {L: 3})
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import sympy
from sympy import Expr, Integer, Max, Min, Symbol, ceiling, floor

from .functions import LatticeCount, PositivePart

__all__ = ["ceilings", "collapse", "quasi_linear", "simplify_conditions", "on_residue"]

#: the longest scan that lowers a threshold size by size (past it the computed bound is stated)
SCAN_LIMIT = 100_000
#: the longest period of a difference checked size by size
PERIOD_LIMIT = 10_000


def quasi_linear(expr: Expr, size: Symbol) -> tuple[Fraction, Fraction, Fraction, Fraction] | None:
    """``(a, b, lo, hi)`` with ``expr - (a*size + b)`` in ``[lo, hi]`` for every integer ``size``,
    for an expression of ``size`` made of rationals, sums, products by constants, floors and
    ceilings; ``None`` for anything else."""
    if expr.is_Rational:
        return Fraction(0), Fraction(int(expr.p), int(expr.q)), Fraction(0), Fraction(0)
    if expr == size:
        return Fraction(1), Fraction(0), Fraction(0), Fraction(0)
    if isinstance(expr, sympy.Add):
        parts = [quasi_linear(a, size) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return tuple(sum(column, Fraction(0)) for column in zip(*parts, strict=True))  # type: ignore[return-value]
    if isinstance(expr, sympy.Mul):
        constant, rest = expr.as_independent(size, as_Add=False)
        if not constant.is_Rational or rest == expr:
            return None
        inner = quasi_linear(rest, size)
        if inner is None:
            return None
        c = Fraction(int(constant.p), int(constant.q))
        a, b, lo, hi = inner
        return (c * a, c * b, c * lo, c * hi) if c >= 0 else (c * a, c * b, c * hi, c * lo)
    if isinstance(expr, (floor, ceiling)):
        inner = quasi_linear(expr.args[0], size)
        if inner is None:
            return None
        a, b, lo, hi = inner
        return (a, b, lo - 1, hi) if isinstance(expr, floor) else (a, b, lo, hi + 1)
    return None


def _value(expr: Expr, size: Symbol, at: int) -> Fraction:
    """``expr`` (a quasi-linear expression of ``size``) at ``size = at``, exactly."""
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    if expr == size:
        return Fraction(at)
    if isinstance(expr, sympy.Add):
        return sum((_value(a, size, at) for a in expr.args), Fraction(0))
    if isinstance(expr, sympy.Mul):
        return math.prod((_value(a, size, at) for a in expr.args), start=Fraction(1))
    inner = _value(expr.args[0], size, at)
    return Fraction(math.floor(inner) if isinstance(expr, floor) else math.ceil(inner))


def _period(expr: Expr, size: Symbol) -> int:
    """A period of the bounded part of a quasi-linear expression of ``size``: a floor or ceiling
    of ``a*size + g`` (``g`` of period ``P``) repeats with period ``lcm(P, denominator of a)``, so
    ``floor(floor(L/2)/2)`` has period 4 (the denominators alone would say 2)."""
    if expr.is_Rational or expr == size:
        return 1
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        return math.lcm(1, *(_period(a, size) for a in expr.args))
    inner = expr.args[0]  # a floor or a ceiling (quasi_linear accepted nothing else)
    slope = quasi_linear(inner, size)[0]
    return math.lcm(_period(inner, size), slope.denominator)


def _settle(difference: Expr, size: Symbol, floor_size: int,
            modulus: tuple[int, int] = (1, 0)) -> tuple[int, int] | None:
    """``(sign, threshold)``: ``difference >= 0`` (sign 1) or ``<= 0`` (sign -1) for every
    ``size >= threshold`` with ``size = r (mod P)`` (``modulus = (P, r)``: every size by default),
    the threshold as low as it goes (down to ``floor_size``); ``None`` when that cannot be settled."""
    form = quasi_linear(difference, size)
    if form is None:
        return None
    step, residue = modulus

    def first(v: int) -> int:  # the smallest size >= v of the class
        return v + (residue - v) % step

    a, b, lo, hi = form
    if a > 0:
        sign, bound = 1, math.ceil(-(b + lo) / a)
    elif a < 0:
        sign, bound = -1, math.ceil((b + hi) / -a)
    elif b + lo >= 0:
        return 1, floor_size
    elif b + hi <= 0:
        return -1, floor_size
    else:  # periodic: settled if one period (of the sizes of the class) keeps one sign
        period = math.lcm(_period(difference, size), step)
        if period > PERIOD_LIMIT * step:
            return None
        start = first(floor_size)
        values = [_value(difference, size, start + j * step) for j in range(period // step)]
        if all(v >= 0 for v in values):
            return 1, floor_size
        if all(v <= 0 for v in values):
            return -1, floor_size
        return None
    bound = first(max(bound, floor_size))
    lowest = max(floor_size, bound - SCAN_LIMIT * step)
    while bound - step >= lowest and sign * _value(difference, size, bound - step) >= 0:
        bound -= step
    return sign, bound


class Collapser:
    """Resolves the lattice counts, positive parts, minima and maxima of expressions for sizes
    from ``floors`` on (and in ``moduli``: size -> ``(P, r)``, the sizes ``r (mod P)``), keeping the
    threshold of each size (see :func:`collapse`)."""

    def __init__(self, floors: dict[Symbol, int] | int = 1, moduli: dict[Symbol, tuple[int, int]] | None = None):
        self.floors = floors
        self.moduli = moduli or {}
        self.thresholds: dict[Symbol, int] = {}
        self.memo: dict[Expr, Expr] = {}

    def settle(self, difference: Expr) -> int | None:
        free = difference.free_symbols
        if not free:
            return None if not difference.is_Number else (1 if difference >= 0 else -1)
        if len(free) != 1:
            return None
        (size,) = free
        lowest = self.floors if isinstance(self.floors, int) else self.floors.get(size, 1)
        settled = _settle(difference, size, lowest, self.moduli.get(size, (1, 0)))
        if settled is None:
            return None
        sign, bound = settled
        self.thresholds[size] = max(self.thresholds.get(size, lowest), bound)
        return sign

    def lattice(self, x: Expr, n: Expr, k: Expr, s: Expr, d: Expr) -> Expr | None:
        if not (k.is_Integer and s.is_Integer and d.is_Integer and s > 0 and d > 0):
            return None
        columns = []
        for m in range(int(k)):
            c = ceiling((x - m * d) / s)
            sign = self.settle(c)
            if sign is None:
                return None
            if sign < 0:
                continue
            sign = self.settle(n - c)
            if sign is None:
                return None
            if sign > 0:  # n >= c >= 0: the column holds c taps below x
                columns.append(c)
                continue
            sign = self.settle(n)  # a full column of n >= 0 taps, or an empty grid
            if sign is None:
                return None
            if sign > 0:
                columns.append(n)
        return sympy.Add(*columns)

    def __call__(self, expr: Expr) -> Expr:
        if expr.is_Atom:
            return expr
        if expr in self.memo:
            return self.memo[expr]
        args = [self(a) for a in expr.args]
        result = None
        if isinstance(expr, LatticeCount):
            result = self.lattice(*args)
        elif isinstance(expr, PositivePart):
            sign = self.settle(args[0])
            result = None if sign is None else (args[0] if sign > 0 else Integer(0))
        elif isinstance(expr, (Min, Max)) and len(args) == 2:
            sign = self.settle(args[0] - args[1])
            if sign is not None:
                result = args[1] if (sign > 0) == isinstance(expr, Min) else args[0]
        if result is None:
            result = expr.func(*args) if args != list(expr.args) else expr
        self.memo[expr] = result
        return result


def collapse(expr: Expr, floor_size: int = 1) -> tuple[Expr, dict[Symbol, int]]:
    """``(simplified, thresholds)``: ``expr`` with its lattice counts, positive parts, minima and
    maxima resolved for large sizes, expanded, and for each size the threshold from which every
    resolution holds (sizes are integers ``>= floor_size``).  The simplified expression equals
    ``expr`` at every size at or beyond its threshold."""
    collapser = Collapser(floor_size)
    return sympy.expand(collapser(expr)), dict(collapser.thresholds)


def _difference(condition: sympy.Basic) -> tuple[Expr, str] | None:
    """``(lhs - rhs, kind)`` of a relation between integers, ``kind`` one of ``>=``, ``==``,
    ``!=`` (``a > b`` is ``a - b - 1 >= 0``, ``a <= b`` is ``b - a >= 0``)."""
    if isinstance(condition, sympy.GreaterThan):
        return condition.lhs - condition.rhs, ">="
    if isinstance(condition, sympy.StrictGreaterThan):
        return condition.lhs - condition.rhs - 1, ">="
    if isinstance(condition, sympy.LessThan):
        return condition.rhs - condition.lhs, ">="
    if isinstance(condition, sympy.StrictLessThan):
        return condition.rhs - condition.lhs - 1, ">="
    if isinstance(condition, sympy.Eq):
        for side, other in ((condition.lhs, condition.rhs), (condition.rhs, condition.lhs)):
            if isinstance(side, Max) and len(side.args) == 2 and other in side.args:  # max(a, b) = b: b >= a
                return other - next(a for a in side.args if a != other), ">="
        return condition.lhs - condition.rhs, "=="
    if isinstance(condition, sympy.Ne):
        return condition.lhs - condition.rhs, "!="
    return None


def simplify_conditions(conditions: Sequence[sympy.Basic]) -> tuple[sympy.Basic, ...]:
    """The same conditions on integer sizes, said shortly: per size one smallest value
    (``L >= 4`` for ``L >= 4`` and ``L > 3``), one largest (``T <= 128`` for ``T - 1 <= 127``), one
    divisibility (``Eq(Mod(H, 16), 0)`` for the chain ``2 floor(H/2) = H``, ``2 floor(H/4) =
    floor(H/2)``, ...), and without the conditions these imply (``floor(H/4) >= 1`` once ``H >= 16``;
    ``floor(H/8)*floor(W/8) != 1`` once both are at least 16).  What is not about one size, or not
    understood, is kept as it is.

    >>> from sympy import Symbol, Eq, floor
    >>> H = Symbol("H", integer=True, positive=True)
    >>> simplify_conditions([H >= 8, Eq(2 * floor(H / 2), H), Eq(2 * floor(H / 4), floor(H / 2)), floor(H / 4) >= 1])
    (H >= 8, Eq(Mod(H, 4), 0))
    """
    parts = [p for c in map(_without_extrema, conditions) for p in (c.args if isinstance(c, sympy.And) else (c,))
             if p is not sympy.true]
    lower: dict[Symbol, int] = {}
    upper: dict[Symbol, int] = {}
    periodic: dict[Symbol, list[Expr]] = {}
    rest: list[tuple[sympy.Basic, Symbol, Expr, str]] = []
    kept: list[sympy.Basic] = []
    for c in parts:
        found = _difference(c)
        free = c.free_symbols
        form = None if found is None or len(free) != 1 else quasi_linear(found[0], next(iter(free)))
        if form is None:
            kept.append(c)
            continue
        (size,), (difference, kind), (a, b, lo, hi) = free, found, form
        if kind == ">=" and a > 0 and lo == hi == 0:  # a*L + b >= 0
            lower[size] = max(lower.get(size, 1), math.ceil(-b / a))
        elif kind == ">=" and a < 0 and lo == hi == 0:  # L <= b / -a
            upper[size] = min(upper.get(size, math.floor(b / -a)), math.floor(b / -a))
        elif kind == "==" and a == 0:
            periodic.setdefault(size, []).append(difference)
        else:
            rest.append((c, size, difference, kind))
    rest = _bounds(rest, lower)
    out: list[sympy.Basic] = [sympy.Ge(s, v) for s, v in lower.items() if v > 1]
    out += [sympy.Le(s, v) for s, v in upper.items()]
    residues: dict[Symbol, tuple[int, set[int]]] = {}
    for size, differences in periodic.items():
        period = math.lcm(*(_period(d, size) for d in differences))
        start = lower.get(size, 1)
        good = {(start + j) % period for j in range(min(period, PERIOD_LIMIT))
                if all(_value(d, size, start + j) == 0 for d in differences)}
        if period <= PERIOD_LIMIT and len(good) == 1:
            residues[size] = (period, good)
            out.append(sympy.Eq(sympy.Mod(size, period), good.pop()))
        else:
            out.extend(sympy.Eq(d, 0) for d in differences)
    out.extend(c for c, *_ in rest)
    kept = _weakest_dropped([c for c in kept if not _implied(c, lower)])
    return tuple(dict.fromkeys(ceilings(c) for c in out + kept))


def _dominates(a: Expr, b: Expr) -> bool:
    """Whether ``a >= b`` at every positive size, read from their structure: equal; floors (or
    ceilings) of ``u >= v``; products of as many such factors, each of ``b`` below one of ``a``,
    all of them positive.

    >>> from sympy import Symbol, ceiling
    >>> H, W = (Symbol(n, integer=True, positive=True) for n in "HW")
    >>> _dominates(ceiling(H / 2) * ceiling(W / 2), ceiling(H / 32) * ceiling(W / 32))
    True
    >>> _dominates(ceiling(H / 2) * ceiling(W / 32), ceiling(H / 32) * ceiling(W / 2))
    False
    """
    if a == b:
        return True
    if type(a) is type(b) and isinstance(a, (floor, ceiling)):
        return bool((a.args[0] - b.args[0]).is_nonnegative)
    (ca, ra), (cb, rb) = a.as_coeff_Add(), b.as_coeff_Add()
    if (ca, cb) != (0, 0):  # a constant more or less
        return ca >= cb and _dominates(ra, rb)
    if isinstance(a, sympy.Mul) and isinstance(b, sympy.Mul) and len(a.args) == len(b.args):
        if not all(f.is_positive for f in a.args + b.args):
            return False
        left = list(a.args)
        for factor in b.args:
            match = next((f for f in left if _dominates(f, factor)), None)
            if match is None:
                return False
            left.remove(match)
        return True
    return False


def _weakest_dropped(conditions: list[sympy.Basic]) -> list[sympy.Basic]:
    """Without the conditions another one implies: ``a != c`` (or ``a >= c``) once ``b != c``
    (``b >= c``) is required, ``a >= b`` everywhere and, for ``!=``, ``b >= c`` everywhere (so
    that ``b != c`` means ``b > c``).  The feature maps of a network in training: the batch norm
    of its smallest map needs more than one value, which every larger map then has."""
    read = [(c, _difference(c)) for c in conditions]

    def implies(strong, weak) -> bool:
        (_, (ds, ks)), (_, (dw, kw)) = strong, weak
        (cs, es), (cw, ew) = ds.as_coeff_Add(), dw.as_coeff_Add()
        if ks != kw or cs != cw or ks not in (">=", "!=") or not _dominates(ew, es):
            return False
        at_smallest = es.xreplace({s: 1 for s in es.free_symbols})
        return ks == ">=" or (_nondecreasing(es) and at_smallest.is_Number and at_smallest + cs >= 0)

    kept = []
    for i, weak in enumerate(read):
        if weak[1] is None or not any(j != i and strong[1] is not None and implies(strong, weak)
                                      and not (implies(weak, strong) and j > i) for j, strong in enumerate(read)):
            kept.append(weak[0])
    return kept


def _without_extrema(condition: sympy.Basic) -> sympy.Basic:
    """An inequality with a maximum or minimum on one side as the conditions on its arguments
    (``Max(1, L - 1) > 1`` is ``1 > 1 or L - 1 > 1``: ``L - 1 > 1``, which
    :func:`simplify_conditions` reads as ``L >= 3``); anything else as it is.

    >>> from sympy import Symbol, Max
    >>> L = Symbol("L", integer=True, positive=True)
    >>> _without_extrema(Max(1, L - 1) > 1)
    L - 1 > 1
    """
    if not isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                                  sympy.StrictLessThan)):
        return condition
    lhs, rhs = condition.lhs, condition.rhs
    if isinstance(rhs, (Max, Min)) and not isinstance(lhs, (Max, Min)):
        lhs, rhs, condition = rhs, lhs, condition.reversed
    if not isinstance(lhs, (Max, Min)) or isinstance(rhs, (Max, Min)):
        return condition
    relation = type(condition)
    above = isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan))
    # max(a, b) > c: either is; min(a, b) > c: both are (and the other way round for <)
    either = (isinstance(lhs, Max)) == above
    parts = [relation(argument, rhs) for argument in lhs.args]
    return sympy.Or(*parts) if either else sympy.And(*parts)


def _nondecreasing(expr: Expr) -> bool:
    """Whether ``expr`` grows (weakly) with every size: sums and products of positive sizes,
    positive numbers, and floors, ceilings, maxima and minima of such (a sum may shift by any
    constant)."""
    if expr.is_Symbol:
        return bool(expr.is_positive)
    if expr.is_Number:
        return bool(expr >= 0)
    if isinstance(expr, (sympy.Add, sympy.Max, sympy.Min)):  # a constant term shifts, never turns
        return all(a.is_Number or _nondecreasing(a) for a in expr.args)
    if isinstance(expr, (sympy.Mul, floor, ceiling)):
        return all(_nondecreasing(a) for a in expr.args)
    return False


def _implied(condition: sympy.Basic, lower: dict[Symbol, int]) -> bool:
    """Whether ``condition`` (``e != c`` or ``e >= c``, ``e`` growing with every size) holds at
    every size from the smallest sizes ``lower`` on: it does at those, so it does above them."""
    found = _difference(condition)
    if found is None:
        return False
    difference, kind = found
    variable = difference.as_coeff_Add()[1]
    if kind not in (">=", "!=") or not _nondecreasing(variable):
        return False
    at_lowest = difference.xreplace({s: lower.get(s, 1) for s in difference.free_symbols})
    return bool(at_lowest.is_Number and at_lowest > 0 if kind == "!=" else at_lowest.is_Number and at_lowest >= 0)


def ceilings(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` with each floor of ``(n - 1)/q`` (``n`` an integer combination of integer sizes,
    ``q`` a positive integer) written ``ceiling(n/q) - 1``, the way a shape is said: a stride-2
    layer's ``floor(H/2 - 1/2) + 1`` becomes ``ceiling(H/2)``.  An identity on integers.

    >>> from sympy import Symbol, floor
    >>> H = Symbol("H", integer=True, positive=True)
    >>> ceilings(floor(H / 2 - sympy.Rational(1, 2)) + 1), ceilings(floor(H / 4 + sympy.Rational(3, 4)))
    (ceiling(H/2), ceiling(H/4))
    """
    def rewrite(e):
        constant, variable = e.args[0].as_coeff_Add()
        terms = sympy.Add.make_args(variable)
        if not constant.is_Rational or not all(t.is_Symbol or (t.is_Mul and t.args[0].is_Rational and all(
                a.is_Symbol and a.is_integer for a in t.args[1:])) for t in terms):
            return e
        if not all(t.is_integer for t in sympy.Add.make_args(variable) if t.is_Symbol):
            return e
        q = math.lcm(int(constant.q), *(int(t.args[0].q) for t in terms if t.is_Mul))
        m = int(constant * q)
        if q == 1 or (m + 1) % q:
            return e
        return sympy.ceiling(variable) + (m + 1) // q - 1

    return expr.replace(lambda e: isinstance(e, sympy.floor), rewrite)


def _holds_from(difference: Expr, size: Symbol, start: int) -> int | None:
    """The size from which ``difference >= 0`` holds for good (at least ``start``), or ``None``."""
    settled = _settle(difference, size, start)
    return settled[1] if settled and settled[0] > 0 else None


def _bounds(rest: list, lower: dict[Symbol, int]) -> list:
    """The conditions of ``rest`` that the smallest sizes do not decide: an inequality that holds
    from some size on and fails below it becomes that smallest size (``lower``, updated); one
    (or an ``!=``) that holds from the smallest size is dropped; the others are returned."""
    changed = True
    while changed:
        changed, kept = False, []
        for c, size, difference, kind in rest:
            start = lower.get(size, 1)
            if kind == ">=":
                bound = _holds_from(difference, size, start)
                if bound is not None and bound <= start:
                    continue
                if bound is not None and bound - start <= SCAN_LIMIT and all(
                        _value(difference, size, v) < 0 for v in range(start, bound)):
                    lower[size], changed = bound, True
                    continue
            elif kind == "!=":  # d != 0: d >= 1 or d <= -1 from some size on, and d = 0 below it?
                bounds = [b for b in (_holds_from(difference - 1, size, start),
                                      _holds_from(-difference - 1, size, start)) if b is not None]
                if any(b <= start for b in bounds):
                    continue
                if bounds and min(bounds) - start <= SCAN_LIMIT and all(
                        _value(difference, size, v) == 0 for v in range(start, min(bounds))):
                    lower[size], changed = min(bounds), True
                    continue
            kept.append((c, size, difference, kind))
        rest = kept
    return rest


def on_residue(expr: Expr, size: Symbol, period: int, residue: int) -> Expr:
    """``expr`` for sizes ``size = residue (mod period)``: each floor or ceiling of a linear
    function of ``size`` whose period divides ``period`` becomes linear (``floor(H/16)`` is
    ``H/16`` for multiples of 16)."""
    def linear(e):
        form = quasi_linear(e.args[0], size)
        if form is None or form[2] != 0 or form[3] != 0 or (form[0] * period).denominator != 1:
            return e
        a, b = form[0], form[1]
        at = a * residue + b
        fixed = math.floor(at) if isinstance(e, floor) else math.ceil(at)
        return sympy.Rational(a.numerator, a.denominator) * (size - residue) + fixed

    return expr.replace(lambda e: isinstance(e, (floor, ceiling)) and e.free_symbols == {size}, linear)
