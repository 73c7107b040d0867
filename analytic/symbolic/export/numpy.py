"""NumPy functions of expressions: int64 arrays in, int64 arrays out, never a wrapped value."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sympy import Expr, Symbol, lambdify
from sympy.printing.numpy import NumPyPrinter

from ...core.validation import check_keywords, keywords_ok
from .checked import CheckedArithmetic
from .common import check_arguments, fitting, keyword_signature
from .python import exact_function

__all__ = ["to_numpy"]


class CheckedNumPyPrinter(CheckedArithmetic, NumPyPrinter):
    """NumPy printer in checked int64 arithmetic (see :mod:`analytic.core.vectorized`)."""


def to_numpy(expr: Expr, args: Sequence[Symbol] | None = None) -> Callable[..., object]:
    """A NumPy-vectorized function (int64 arrays in, int64 array out), via ``lambdify``.

    Its arguments obey torch's rules element-wise: the first row torch would refuse raises the
    ``ValueError`` of the numeric API, naming the row.  Where a step of the int64 arithmetic
    overflows, the counts are computed in Python's integers: ``OverflowError`` only for a count
    beyond int64, naming its row."""
    import numpy as np  # NumPy: only when a NumPy function is asked for

    from ...core import vectorized

    args = check_arguments(expr, args)
    namespace = {"tapcount_lattice_count_np": vectorized.checked_lattice_count,
                 "tapcount_add": vectorized.checked_add, "tapcount_mul": vectorized.checked_mul,
                 "tapcount_floordiv": np.floor_divide, "tapcount_mod": np.mod,
                 "tapcount_ceildiv": lambda a, b: -np.floor_divide(-a, b)}
    compute = lambdify(args, expr, modules=[namespace, "numpy"], printer=CheckedNumPyPrinter)
    exact = exact_function(expr, args)
    signature = keyword_signature(args)

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
        try:
            return compute(*arrays.values())
        except OverflowError:  # a step left int64 somewhere: the counts themselves may still fit
            shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
            flat = [np.broadcast_to(a, shape).ravel().tolist() for a in arrays.values()]
            counts = [fitting(exact(*row), f" at row {np.unravel_index(i, shape) if shape else ()}")
                      for i, row in enumerate(zip(*flat, strict=True))]
            return np.array(counts, dtype=np.int64).reshape(shape)

    count.__signature__ = signature
    return count
