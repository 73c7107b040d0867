"""Poolings: maximum and average, 1-d to 3-d (torch runs a 1-d pooling as a 2-d one), plain and
adaptive, counted by the same tap lattice as a convolution.

Window ``j`` of a pooling reads input ``j*s + m*d - p`` with kernel tap ``m``: the elements it
really reads (not the padding) are the real taps of a convolution of the same geometry,
``T = G(p + n) - G(p)`` per dimension (:func:`analytic.core.forward.window_counts`, over the
pooling's own output length, which ``ceil_mode`` may lengthen).  Exact counts, ``L`` the output
positions:

- maximum: ``T - Z`` comparisons (a window of ``w`` elements needs ``w - 1``; ``Z`` the windows
  that read an element: with a dilation a window may read the padding alone);
- average: ``T - L`` additions and ``L`` divisions: ``T`` (the padding's zeros are never added;
  without a dilation every window reads an element);
- adaptive windows ``[floor(i n / o), ceil((i + 1) n / o))`` hold ``n + o - gcd(n, o)`` elements in
  all per dimension (the windows overlap where ``o`` does not divide ``i n``): the average adds and
  divides that many, the maximum compares that many less the outputs.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::max_pool2d_with_indices"]((1, 1, 4, 4), (2, 2), (2, 2), out_shape=((1, 1, 2, 2),) * 2)["exact"]
12
"""

from __future__ import annotations

import sys

from ..core.forward import window_counts
from ..symbolic.arithmetic import arithmetic_of
from .peers import module_is
from .registry import counts, numel, register_formula

__all__ = ["adaptive_average", "adaptive_maximum", "average_pool", "max_pool"]


def _each(value, dims):
    """A pooling argument per spatial dimension (torch passes one value for all, or one each)."""
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return value * dims if len(value) == 1 else value


def _window_arguments(kernel, stride, padding, dilation, dims: int) -> tuple:
    """A pooling's kernel, stride (the kernel's when none is given), padding and dilation, one of
    each per spatial dimension."""
    kernel = _each(kernel, dims)
    stride = _each(stride, dims) if stride not in (None, (), []) else kernel
    return kernel, stride, _each(padding, dims), _each(dilation, dims)


def _real_elements(x, out, kernel, stride, padding, dilation):
    """``(T, Z)``: the input elements the windows of the pooling read, and the windows that read
    at least one, summed over windows and channels."""
    dims = len(kernel) if isinstance(kernel, (tuple, list)) else len(x) - 2
    spatial, outs = x[-dims:], out[-dims:]
    kernel, stride, padding, dilation = _window_arguments(kernel, stride, padding, dilation, dims)
    arithmetic = arithmetic_of(x, out)
    taps = covered = numel(x[:-dims])
    for n, o, k, s, p, d in zip(spatial, outs, kernel, stride, padding, dilation, strict=True):
        counted = window_counts(n, o, k, s, p, d, True, arithmetic.lattice, arithmetic.positive)
        taps, covered = taps * counted.taps_kept, covered * counted.covered_positions
    return taps, covered


#: the pooling modules of each family, as the tools key them
_MAX_MODULES = ("MaxPool1d", "MaxPool2d", "MaxPool3d")
_AVG_MODULES = ("AvgPool1d", "AvgPool2d", "AvgPool3d")
_ADAPTIVE_AVG_MODULES = ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")
_ADAPTIVE_MAX_MODULES = ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")


def _ptflops(x, module, modules):
    """ptflops: a pooling module's hook counts the input's elements, and so does its patched
    functional pooling, which the module calls: twice in a module, once as a functional call."""
    return numel(x) * (2 if module_is(module, *modules) else 1)


def _moduleprofiler_outputs(out, module, undocumented):
    """moduleprofiler documents max pooling (and, with its formula, adaptive average pooling) as
    one operation per output, in 1-d and 2-d."""
    return numel(out) if not module_is(module, *undocumented) and len(out) <= 4 else 0


@register_formula("aten::max_pool1d_with_indices", "aten::max_pool2d_with_indices", "aten::max_pool3d_with_indices",
                  "aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d")
def max_pool(x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False, *, out_shape=None, module=None):
    """Maximum pooling: ``T - Z`` comparisons (a window of ``w`` elements needs ``w - 1``; a window
    of padding alone, possible with a dilation, none)."""
    out = out_shape[0] if isinstance(out_shape[0], tuple) else out_shape
    taps, covered = _real_elements(x, out, kernel_size, stride, padding, dilation)
    return counts(taps - covered,
                  moduleprofiler=_moduleprofiler_outputs(out, module, ("MaxPool3d",)),
                  ptflops=_ptflops(x, module, _MAX_MODULES), deepspeed=numel(x))


@register_formula("aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d")
def average_pool(x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None,
                 *, out_shape=None, module=None):
    """Average pooling: ``T`` additions and divisions."""
    exact = _real_elements(x, out_shape, kernel_size, stride, padding, 1)[0]
    dims = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else len(x) - 2
    documented = len(x) <= 4  # outputs times the kernel's taps, in 1-d and 2-d
    return counts(exact, moduleprofiler=numel(out_shape) * numel(_each(kernel_size, dims)) if documented else 0,
                  ptflops=_ptflops(x, module, _AVG_MODULES), thop=numel(out_shape), deepspeed=numel(x))


def _adaptive_elements(x, out):
    """Elements of every adaptive window, summed: ``n + o - gcd(n, o)`` per dimension, a product."""
    dims = len(out)
    gcd = arithmetic_of(x, out).gcd
    total = numel(x[:-dims])
    for n, o in zip(x[-dims:], out, strict=True):
        total = total * (n + o - gcd(n, o))
    return total


def _thop_adaptive(x, out_shape, dims):
    """thop's adaptive average pooling: ``int((prod(n / o) + 1) * outputs)`` in floating point."""
    kernel = 1.0
    for n, o in zip(x[-dims:], out_shape[-dims:], strict=True):
        kernel *= n / o
    if all(isinstance(v, int) for v in (*x, *out_shape)):
        return int((kernel + 1) * numel(out_shape))
    sympy = sys.modules["sympy"]  # symbolic sizes: SymPy is loaded; the kernel as an exact quotient
    whole, part = numel(x[-dims:]), numel(out_shape[-dims:])
    kernel = sympy.Rational(whole, part) if isinstance(whole, int) and isinstance(part, int) else whole / part
    return sympy.floor((kernel + 1) * numel(out_shape))


@register_formula("aten::_adaptive_avg_pool2d", "aten::_adaptive_avg_pool3d", "aten::adaptive_avg_pool1d")
def adaptive_average(x, output_size, *, out_shape=None, module=None):
    """Adaptive average pooling: every window's elements added and divided."""
    dims = len(output_size)
    exact = _adaptive_elements(x, tuple(out_shape[-dims:]))
    adaptive_1d = module_is(module, "AdaptiveAvgPool1d")
    fvcore = numel(x) if dims == 2 and not adaptive_1d else 0  # its handle is for the 2-d operator only
    documented = dims == 2 and not adaptive_1d  # moduleprofiler documents AdaptiveAvgPool2d only
    return counts(exact, moduleprofiler=numel(out_shape) if documented else 0,
                  macs=fvcore, ptflops=_ptflops(x, module, _ADAPTIVE_AVG_MODULES),
                  thop=_thop_adaptive(x, out_shape, dims), deepspeed=numel(x))


@register_formula("aten::adaptive_max_pool2d", "aten::adaptive_max_pool3d", "aten::adaptive_max_pool1d")
def adaptive_maximum(x, output_size, *, out_shape=None, module=None):
    """Adaptive maximum pooling: every window's elements compared."""
    out = out_shape[0] if isinstance(out_shape[0], tuple) else out_shape
    dims = len(output_size)
    return counts(_adaptive_elements(x, tuple(out[-dims:])) - numel(out),
                  moduleprofiler=numel(out) if module_is(module, "AdaptiveMaxPool1d") else 0,
                  ptflops=_ptflops(x, module, _ADAPTIVE_MAX_MODULES), deepspeed=numel(x))
