"""Convolutions, in both directions and 1-d to 3-d, counted by the tap lattice.

``aten::convolution`` receives the input ``x`` ``(N, C_in, *spatial)``, the weight ``w`` (forward:
``(C_out, C_in/groups, *kernel)``; transposed: ``(C_in, C_out/groups, *kernel)``), the bias (a
shape, or ``None``) and the hyper-parameters as torch's kernel does.  The per-dimension filter
counts of the integer core (:mod:`analytic.core.transposed`, :mod:`analytic.core.forward`) combine
by product, and the module conventions follow from them: the very functions the layer classes use,
here on the call's shapes, without re-validating what torch accepted.  The padding of a call is
zeros (a ``padding_mode`` other than ``'zeros'`` pads with its own operator first, then convolves
without padding: every tap then reads a real value, as counted).

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::convolution"]((1, 80, 100), (512, 80, 7), (512,), (1,), (3,), (1,), False, (0,), 1,
...                               out_shape=(1, 512, 100))["flops"]
57344000
"""

from __future__ import annotations

from ..core.conventions import CONVENTIONS
from ..core.filters import combine
from ..core.forward import conv_filter_counts, conv_module_counts
from ..core.transposed import collisions_kept, module_counts, valid_filter_counts
from ..symbolic.arithmetic import arithmetic_of
from .registry import counts, numel, register_formula

__all__ = ["convolution", "convolution_breakdown", "overlap_add"]


def convolution_breakdown(x, w, bias, stride, padding, dilation, transposed, output_padding, groups) -> dict:
    """Every quantity and every convention of one convolution call (see the module's docstring):
    the breakdown of the layer it is."""
    arithmetic = arithmetic_of(x, w)
    spatial, kernel = x[2:], w[2:]
    has_bias = bias is not None and bias is not False
    if transposed:
        filters = [valid_filter_counts(n, k, s, p, o, d, G=arithmetic.lattice, positive=arithmetic.positive)
                   for n, k, s, p, o, d in zip(spatial, kernel, stride, padding, output_padding, dilation, strict=True)]
        return module_counts(batch=x[0], in_channels=x[1], out_channels=w[1] * groups, groups=groups, bias=has_bias,
                             input_size=numel(spatial), kernel_size=numel(kernel), filter=combine(filters))
    filters = [conv_filter_counts(n, k, s, p, p, d, True, arithmetic.lattice, arithmetic.positive)
               for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True)]
    return conv_module_counts(batch=x[0], in_channels=x[1], out_channels=w[0], groups=groups, bias=has_bias,
                              kernel_size=numel(kernel), filter=combine(filters))


@register_formula("aten::convolution", "aten::_convolution")
def convolution(x, w, bias, stride, padding, dilation, transposed, output_padding, groups, *rest, out_shape=None):
    """A convolution call in either direction: every convention of its breakdown."""
    breakdown = convolution_breakdown(x, w, bias, stride, padding, dilation, transposed, output_padding, groups)
    return {c: breakdown[c] for c in CONVENTIONS}


@register_formula("aten::unfold_backward")
def overlap_add(frames, input_sizes, dim, size, step, *, out_shape=None):
    """The overlap-add of frames (``torch.istft``'s, ``Tensor.unfold``'s gradient): ``n`` frames of
    ``size`` values, ``step`` apart, summed into a line: a transposed convolution of stride ``step``
    and kernel ``size`` whose taps are the frames' values, so its additions are the collisions of
    the tap lattice, ``(n - 1)^+ (size - step)^+`` per line."""
    rank = len(input_sizes)
    dim = dim % rank
    count = frames[dim]  # the frames along dim (unfold puts their values in a new last dimension)
    lines = numel(frames) // (count * size) if isinstance(count * size, int) else numel(frames) / (count * size)
    arithmetic = arithmetic_of(frames)
    additions = collisions_kept(count, size, step, 0, 0, 1, G=arithmetic.lattice, positive=arithmetic.positive)
    return counts(lines * additions, moduleprofiler=0)
