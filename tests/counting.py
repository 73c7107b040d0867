"""Counting numbers and the defining formulas of torch's operators written with them.

A :class:`Counted` is a float that counts every scalar operation done on it (additions,
subtractions, multiplications, divisions, comparisons, and each elementary function called
through :data:`fn`); a sign change and an operation between two plain constants cost nothing.
Each reference below computes its operator's *values* from its defining formula (the tests compare
them with torch's output) on counting numbers, so the operations it performed are counted by
running the definition, independently of tapcount's closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

OPERATIONS = [0]


def count() -> int:
    return OPERATIONS[0]


def reset() -> None:
    OPERATIONS[0] = 0


def _value(x) -> float:
    return x.value if isinstance(x, Counted) else float(x)


class Counted:
    """A real number that counts the operations done on it."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = float(value)

    def _op(self, other, function):
        OPERATIONS[0] += 1
        return Counted(function(self.value, _value(other)))

    def __add__(self, other):
        return self._op(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._op(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._op(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._op(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._op(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._op(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._op(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return self._op(other, lambda a, b: b / a)

    def __neg__(self):  # a sign change: free
        return Counted(-self.value)

    def _compare(self, other, relation) -> bool:
        OPERATIONS[0] += 1
        return relation(self.value, _value(other))

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __float__(self):
        return self.value

    def __repr__(self):
        return f"Counted({self.value!r})"


class _Functions:
    """Elementary functions of counting numbers: one operation each."""

    def __getattr__(self, name: str) -> Callable:
        function = _EXTRA.get(name) or getattr(math, name)

        def apply(*args):
            if not any(isinstance(a, Counted) for a in args):
                return function(*args)
            OPERATIONS[0] += 1
            return Counted(function(*map(_value, args)))

        return apply


#: elementary functions libm has that math lacks
_EXTRA = {"rsqrt": lambda x: 1.0 / math.sqrt(x), "rint": lambda x: float(round(x))}  # round: half to even


fn = _Functions()


def where(condition: bool, a, b):
    """A selection: no arithmetic (the condition was counted where it was computed); the result
    is a counting number (it depends on one), even when the branch taken is a constant."""
    chosen = a if condition else b
    return chosen if isinstance(chosen, Counted) else Counted(chosen)


def equal(a, b) -> bool:
    """``a == b``: one comparison (``Counted`` itself compares by identity)."""
    OPERATIONS[0] += 1
    return _value(a) == _value(b)


def maximum(a, b):
    return where(a > b, a, b)


def minimum(a, b):
    return where(a < b, a, b)


def absolute(x):
    return where(x > 0, x, -x)  # one comparison


def floor(x):
    OPERATIONS[0] += 1
    return Counted(math.floor(_value(x)))


def counted(array: np.ndarray) -> np.ndarray:
    """An object array of counting numbers with ``array``'s values."""
    out = np.empty(array.shape, dtype=object)
    for index, value in np.ndenumerate(array):
        out[index] = Counted(value)
    return out


def values(array) -> np.ndarray:
    """The float values of an array (or a nested list) of counting numbers."""
    return np.vectorize(_value, otypes=[float])(np.asarray(array, dtype=object))


def total(items: Sequence):
    """``items[0] + items[1] + ...``: ``len - 1`` additions."""
    result = items[0]
    for item in items[1:]:
        result = result + item
    return result


def product(items: Sequence):
    """``items[0] * items[1] * ...``: a multiplication per factor after the first, a plain ``1``
    or ``-1`` costing nothing (a sign change)."""
    signs = [item for item in items if not isinstance(item, Counted) and abs(item) == 1.0]
    factors = [item for item in items if isinstance(item, Counted) or abs(item) != 1.0]
    result = factors[0] if factors else Counted(1.0)
    for item in factors[1:]:
        result = result * item
    for sign in signs:
        result = -result if sign < 0 else result
    return result if isinstance(result, Counted) else Counted(result)


def smallest(items: Sequence):
    """The smallest of ``items``: ``len - 1`` comparisons."""
    result = items[0]
    for item in items[1:]:
        result = minimum(result, item)
    return result


def largest(items: Sequence):
    """The largest of ``items``: ``len - 1`` comparisons."""
    result = items[0]
    for item in items[1:]:
        result = maximum(result, item)
    return result
