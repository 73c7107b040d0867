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
| cumsum, cumprod (length ``D``) | ``D - 1`` per line |
| softmax over ``D`` | ``3 D - 1`` per row: ``D`` exponentials, ``D - 1`` additions, ``D`` divisions |
| log_softmax over ``D`` | ``3 D``: ``D`` exponentials, ``D - 1`` additions, a logarithm, ``D`` subtractions |

An average pooling module that torch runs as a mean (``AdaptiveAvgPool2d(1)``) is charged by the
tools as the pooling it is.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::_softmax"]((4, 10), -1, False, out_shape=(4, 10))["exact"]  # 4 rows of 3 * 10 - 1
116
"""

from __future__ import annotations

from .peers import module_is
from .pooling import adaptive_average
from .registry import counts, numel, register_formula
from .shapes import ratio

__all__ = ["PER_OUTPUT", "cumulative", "log_softmax", "safe_softmax", "softmax"]


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
}


def _formula(name, per_output):
    def formula(x, *args, out_shape=None, module=None, **kwargs):
        out = _first(out_shape)
        outputs = numel(out)
        if name == "mean" and module_is(module, "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"):
            # the tools count the pooling module the mean runs for; the operations are the mean's
            spatial = len(x) - 2
            pooled = adaptive_average(x, (1,) * spatial, out_shape=tuple(x[:-spatial]) + (1,) * spatial,
                                      module=module)
            return {**pooled, "exact": outputs * per_output(ratio(numel(x), outputs), *args, **kwargs)}
        size = ratio(numel(x), outputs)
        return counts(outputs * per_output(size, *args, **kwargs), moduleprofiler=0)

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: its operations per output element times the output's elements."
    return formula


for _name, _per_output in PER_OUTPUT.items():
    register_formula(f"aten::{_name}")(_formula(_name, _per_output))


@register_formula("aten::cumsum", "aten::cumprod", "aten::cumsum_", "aten::cumprod_", "aten::logcumsumexp")
def cumulative(x, dim, *args, out_shape=None, **kwargs):
    """A cumulative sum or product along ``dim``: ``D - 1`` operations per line of length ``D``."""
    length = x[dim % len(x)] if x else 1
    return counts(ratio(numel(x), length) * (length - 1), moduleprofiler=0)


@register_formula("aten::_softmax", "aten::softmax")
def softmax(x, dim, *args, out_shape=None, module=None, **kwargs):
    """Softmax over ``dim``: ``3 D - 1`` per row.  ptflops counts ``F.softmax`` (its patched
    function: the input's elements); thop and moduleprofiler count the ``Softmax`` module."""
    length = x[dim % len(x)] if x else 1
    rows = ratio(numel(x), length)
    return counts(rows * (3 * length - 1), moduleprofiler=rows * (4 * length - 1), ptflops=numel(x),
                  thop=rows * (3 * length - 1), deepspeed=numel(x))


@register_formula("aten::_safe_softmax")
def safe_softmax(x, dim, *args, out_shape=None, **kwargs):
    """The softmax of attention's reference path (rows of ``-inf`` give zeros): ``3 D - 1`` per row,
    seen by no tool (it is not ``F.softmax``)."""
    length = x[dim % len(x)] if x else 1
    return counts(ratio(numel(x), length) * (3 * length - 1), moduleprofiler=0)


@register_formula("aten::_log_softmax", "aten::log_softmax")
def log_softmax(x, dim, *args, out_shape=None, **kwargs):
    """Log-softmax over ``dim``: ``3 D`` per row."""
    length = x[dim % len(x)] if x else 1
    return counts(ratio(numel(x), length) * 3 * length, moduleprofiler=0)
