"""Reductions (sum, mean, variance, extrema, norms, log-sum-exp, cumulative sums) and softmax.

Each output element combines ``M`` input elements (``M`` = input elements / output elements):

| operator | exact per output element |
|---|---|
| sum, prod, amax, amin, max, min, argmax, argmin, any, all | ``M - 1`` |
| mean | ``M`` (``M - 1`` additions, a division) |
| var (any correction) | ``4 M``: the mean ``M``, deviations ``M``, squares ``M``, their sum ``M - 1``, a division |
| std | ``4 M + 1`` (a square root) |
| logsumexp | ``2 M``: ``M`` exponentials, ``M - 1`` additions, a logarithm |
| vector norm, ord 2 / 1 / inf / 0 / p | ``2 M`` / ``2 M - 1`` / ``2 M - 1`` / ``2 M - 1`` / ``3 M`` |
| aminmax | ``2 (M - 1)`` |
| scatter_add, index_add | one addition per element scattered (one more with index_add's ``alpha``) |
| bincount | one addition per element (1, or its weight, into its bin) |
| histc | ``7`` per element: range check, position, floor, addition (the data's range: ``2 N`` more) |
| count_nonzero | ``2 M - 1``: ``M`` comparisons, ``M - 1`` additions |
| cumsum, cumprod, cummax, cummin (length ``D``) | ``D - 1`` per line |
| topk ``k``, kthvalue ``k``, median (``k = (D + 1) // 2``), sort (``k = D``) | ``k (2 D - k - 1) / 2`` per line |
| softmax over ``D`` | ``3 D - 1`` per row: ``D`` exponentials, ``D - 1`` additions, ``D`` divisions |
| log_softmax over ``D`` | ``3 D``: ``D`` exponentials, ``D - 1`` additions, a logarithm, ``D`` subtractions |

An average pooling that torch runs as a mean (``nn.AdaptiveAvgPool2d(1)``, and
``F.adaptive_avg_pool2d(x, 1)``) is charged by the tools as the pooling it is.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::_softmax"]((4, 10), -1, False, out_shape=(4, 10))["exact"]  # 4 rows of 3 * 10 - 1
116
"""

from __future__ import annotations

from .peers import module_is
from .pooling import adaptive_average
from .registry import Shape, counts, numel, register_formula
from .shapes import ratio

__all__ = ["PER_OUTPUT", "bincount", "cumulative", "histc", "log_softmax", "safe_softmax", "scatter_add", "selection",
           "softmax"]


def _line(x, dim):
    """The length of ``x``'s lines along ``dim`` (1 for a scalar)."""
    return x[dim % len(x)] if x else 1


def _first(out_shape):
    return out_shape[0] if isinstance(out_shape, tuple) and out_shape and isinstance(out_shape[0], tuple) \
        else out_shape


def _norm_ops(size, *args, **kwargs):
    order = kwargs.get("ord", args[0] if args else 2)
    if order == 2:
        return 2 * size
    if order in (1, 0, float("inf"), float("-inf")):
        return 2 * size - 1
    return 3 * size


#: operator -> operations per output element, from ``M`` (the elements combined) and the arguments
PER_OUTPUT = {
    **dict.fromkeys(("sum", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "any", "all", "nansum"),
                    lambda size, *a, **k: size - 1),
    "mean": lambda size, *a, **k: size,
    "nanmean": lambda size, *a, **k: size,
    "var": lambda size, *a, **k: 4 * size,
    "var_mean": lambda size, *a, **k: 4 * size,
    "std": lambda size, *a, **k: 4 * size + 1,
    "std_mean": lambda size, *a, **k: 4 * size + 1,
    "logsumexp": lambda size, *a, **k: 2 * size,
    "linalg_vector_norm": _norm_ops,
    "norm": lambda size, *a, **k: _norm_ops(size, *(a[:1] or (2,))),
    "aminmax": lambda size, *a, **k: 2 * (size - 1),
    "count_nonzero": lambda size, *a, **k: 2 * size - 1,
}


#: reductions whose additions (products) on complex numbers are 2 (6) real operations each, as for
#: element-wise arithmetic (a mean's division by its count: 2); the others count as for reals
COMPLEX_FACTOR = {"sum": 2, "nansum": 2, "mean": 2, "nanmean": 2, "prod": 6, "cumsum": 2, "cumsum_": 2,
                  "cumprod": 6, "cumprod_": 6}


def _complex_factor(name: str, x) -> int:
    return COMPLEX_FACTOR.get(name, 1) if isinstance(x, Shape) and x.is_complex else 1


#: what runs an adaptive average pooling to one element as a mean: its modules and its functions
_ADAPTIVE_AVERAGE = ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")
_ADAPTIVE_AVERAGE_FUNCTIONS = ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d")


def _formula(name, per_output):
    def formula(x, *args, out_shape=None, module=None, torch_function=None, **kwargs):
        out = _first(out_shape)
        outputs = numel(out)
        if name == "mean" and (module_is(module, *_ADAPTIVE_AVERAGE) or (
                torch_function is not None and torch_function.name in _ADAPTIVE_AVERAGE_FUNCTIONS)):
            # the tools count the pooling (module or function) the mean runs for, as the pooling
            # operator itself, in the same module; the operations are the mean's
            dims = args[0] if args else kwargs.get("dim")
            spatial = len(dims) if isinstance(dims, (tuple, list)) and dims else len(x) - 2
            pooled = adaptive_average(x, (1,) * spatial, out_shape=tuple(x[:-spatial]) + (1,) * spatial,
                                      module=module)
            return {**pooled, "exact": outputs * per_output(ratio(numel(x), outputs), *args, **kwargs)}
        size = ratio(numel(x), outputs)
        return counts(outputs * per_output(size, *args, **kwargs) * _complex_factor(name, x), moduleprofiler=0)

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: its operations per output element times the output's elements."
    return formula


for _name, _per_output in PER_OUTPUT.items():
    register_formula(f"aten::{_name}")(_formula(_name, _per_output))


def cumulative(name: str):
    """The formula of a cumulative sum, product or extremum along ``dim``: ``D - 1`` operations
    per line of length ``D`` (complex sums and products: 2 and 6 real operations each)."""
    def formula(x, dim, *args, out_shape=None, **kwargs):
        length = _line(x, dim)
        return counts(ratio(numel(x), length) * (length - 1) * _complex_factor(name, x), moduleprofiler=0)

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: ``D - 1`` operations per line of length ``D``."
    return formula


for _name in ("cumsum", "cumprod", "cumsum_", "cumprod_", "logcumsumexp", "cummax", "cummin"):
    register_formula(f"aten::{_name}")(cumulative(_name))


@register_formula("aten::scatter_add", "aten::scatter_add_")
def scatter_add(x, dim, index, source, *, out_shape=None):
    """``x`` with each element of ``source`` (as far as ``index`` reaches) added at its index
    along ``dim``: an addition per index element, whatever the indices (repeated ones add to
    the same element)."""
    return counts(numel(index), moduleprofiler=0)


@register_formula("aten::bincount")
def bincount(x, weights=None, minlength=0, *, out_shape=None):
    """The count (or the weights' sum) of each value of ``x``: an addition per element into its
    bin, whichever bin that is."""
    return counts(numel(x), moduleprofiler=0)


@register_formula("aten::histc")
def histc(x, bins=100, min=0, max=0, *, out_shape=None):
    """``torch.histc``: per element its range check (2 comparisons), its position ``(x - lo) bins /
    (hi - lo)`` (3) and its ``floor`` (1), and an addition into its bin (1 inside the range, 0
    outside: whether it is inside is a value): ``7``; with ``min == max`` the range is the data's,
    its minimum and maximum first (``2 (N - 1)`` comparisons), their equality checked and the span
    ``hi - lo`` computed (2)."""
    elements = numel(x)
    data_range = 2 * elements if min == max else 0
    return counts(7 * elements + data_range, moduleprofiler=0)


@register_formula("aten::index_add", "aten::index_add_")
def index_add(x, dim, index, source, *, alpha=1, out_shape=None):
    """``x`` with each slice of ``source`` (times ``alpha``) added at its index along ``dim``: an
    addition per element of ``source``, and a multiplication with ``alpha`` other than 1."""
    return counts(numel(source) * (1 + (alpha != 1)), moduleprofiler=0)


def selection(length, k):
    """The comparisons that select the ``k`` largest (or smallest) of ``length`` values by their
    definition: the ``j``-th is the largest of the ``length - j + 1`` values the earlier ``j - 1``
    left, ``length - j`` comparisons, so ``k (2 length - k - 1) / 2`` in all; a sort is its
    ``length`` passes, ``length (length - 1) / 2`` comparisons, one for each pair.

    >>> selection(10, 3), selection(10, 10)
    (24, 45)
    """
    return ratio(k * (2 * length - k - 1), 2)


@register_formula("aten::topk")
def topk(x, k, dim=-1, *args, out_shape=None, **kwargs):
    """The ``k`` largest (or smallest) along ``dim``: :func:`selection` per line."""
    length = _line(x, dim)
    return counts(ratio(numel(x), length) * selection(length, k), moduleprofiler=0)


@register_formula("aten::kthvalue")
def kthvalue(x, k, dim=-1, *args, out_shape=None, **kwargs):
    """The ``k``-th smallest along ``dim``: the ``k`` smallest selected, :func:`selection` per line."""
    length = _line(x, dim)
    return counts(ratio(numel(x), length) * selection(length, k), moduleprofiler=0)


@register_formula("aten::sort")
def sort(x, *args, out_shape=None, stable=None, dim=None, descending=False):
    """A sort along ``dim`` (positional after the tensor, or a keyword of the stable overload):
    :func:`selection` of every value of each line, one comparison per pair."""
    if dim is None:
        dim = args[0] if args else -1
    length = _line(x, dim)
    return counts(ratio(numel(x), length) * selection(length, length), moduleprofiler=0)


@register_formula("aten::median", "aten::nanmedian")
def median(x, dim=None, *args, out_shape=None, **kwargs):
    """The lower median along ``dim`` (of every element without one): the ``(D + 1) // 2``
    smallest selected, :func:`selection` per line."""
    length = numel(x) if dim is None else _line(x, dim)
    return counts(ratio(numel(x), length) * selection(length, (length + 1) // 2), moduleprofiler=0)


@register_formula("aten::_softmax", "aten::softmax")
def softmax(x, dim, *args, out_shape=None, module=None, **kwargs):
    """Softmax over ``dim``: ``3 D - 1`` per row.  ptflops counts ``F.softmax`` (its patched
    function: the input's elements); thop and moduleprofiler count the ``Softmax`` module."""
    length = _line(x, dim)
    rows = ratio(numel(x), length)
    return counts(rows * (3 * length - 1), moduleprofiler=rows * (4 * length - 1), ptflops=numel(x),
                  thop=rows * (3 * length - 1), deepspeed=numel(x))


@register_formula("aten::_safe_softmax")
def safe_softmax(x, dim, *args, out_shape=None, **kwargs):
    """The softmax of attention's reference path (rows of ``-inf`` give zeros): ``3 D - 1`` per row,
    seen by no tool (it is not ``F.softmax``)."""
    length = _line(x, dim)
    return counts(ratio(numel(x), length) * (3 * length - 1), moduleprofiler=0)


@register_formula("aten::_log_softmax", "aten::log_softmax")
def log_softmax(x, dim, *args, out_shape=None, **kwargs):
    """Log-softmax over ``dim``: ``3 D`` per row."""
    length = _line(x, dim)
    return counts(ratio(numel(x), length) * 3 * length, moduleprofiler=0)
