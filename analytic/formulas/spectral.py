"""Fast Fourier transforms (``torch.fft``, ``torch.stft``, ``torch.istft``): counted as radix-2
Cooley-Tukey transforms, the count the FFT literature quotes, since the defining formula (the
discrete Fourier transform, ``O(n^2)``) is not what any library computes.

A complex transform of length ``n`` is ``n/2`` butterflies per stage over ``ceil(log2 n)``
stages, each a complex multiplication (6 real operations) and two complex additions (4):
``5 n ceil(log2 n)``.  A transform with real input (``rfft``) or real output (``irfft``) is half
of that, rounded down.  A transform over several dimensions is one transform per line along each;
a normalisation (``norm="ortho"``, or the inverse's ``1/n``) multiplies each output element once
(twice for a complex one).  No peer tool counts Fourier transforms.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::_fft_c2c"]((4, 8), (1,), 0, True, out_shape=(4, 8))["exact"]  # 4 transforms of 5 * 8 * 3
480
"""

from __future__ import annotations

import sys

from .registry import counts, numel, register_formula
from .shapes import ratio

__all__ = ["complex_transform", "real_input_transform", "real_output_transform"]


def ceil_log2(n) -> object:
    """``ceil(log2 n)`` of an int, or of a SymPy size."""
    if isinstance(n, int):
        return (n - 1).bit_length()
    sympy = sys.modules["sympy"]  # a SymPy size: SymPy is loaded
    return sympy.ceiling(sympy.log(n, 2))


def _complex(n):
    return 5 * n * ceil_log2(n)


def _lines(shape, dim, length):
    return ratio(numel(shape), length)


def _normalised(out_shape, normalization, complex_output: bool):
    return numel(out_shape) * (2 if complex_output else 1) if normalization else 0


@register_formula("aten::_fft_c2c")
def complex_transform(x, dim, normalization, forward, *, out_shape=None):
    """A complex transform along each of ``dim``."""
    exact = 0
    for d in dim:
        n = x[d]
        exact = exact + _lines(x, d, n) * _complex(n)
    return counts(exact + _normalised(out_shape, normalization, True), moduleprofiler=0)


@register_formula("aten::_fft_r2c")
def real_input_transform(x, dim, normalization, onesided, *, out_shape=None):
    """A real-input transform along the last of ``dim``, then complex ones along the others (on the
    half spectrum when ``onesided``)."""
    last = dim[-1]
    n = x[last]
    exact = _lines(x, last, n) * (_complex(n) // 2)
    for d in dim[:-1]:
        exact = exact + _lines(out_shape, d, out_shape[d]) * _complex(out_shape[d])
    return counts(exact + _normalised(out_shape, normalization, True), moduleprofiler=0)


@register_formula("aten::_fft_c2r")
def real_output_transform(x, dim, normalization, last_dim_size, *, out_shape=None):
    """Complex transforms along all of ``dim`` but the last, then a real-output transform of
    ``last_dim_size`` along it."""
    exact = 0
    for d in dim[:-1]:
        exact = exact + _lines(x, d, x[d]) * _complex(x[d])
    exact = exact + _lines(out_shape, dim[-1], last_dim_size) * (_complex(last_dim_size) // 2)
    return counts(exact + _normalised(out_shape, normalization, False), moduleprofiler=0)
