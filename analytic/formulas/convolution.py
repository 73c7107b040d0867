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
from ..core.filters import combine, exact_counts
from ..core.forward import conv_filter_counts, conv_module_counts, window_counts
from ..core.geometry import conv_output_length, transposed_output_length
from ..core.transposed import collisions_kept, module_counts, valid_filter_counts
from ..symbolic.arithmetic import arithmetic_of
from .registry import counts, numel, register_formula
from .shapes import ratio

__all__ = ["convolution", "convolution_backward", "convolution_breakdown", "fold", "overlap_add", "tap_grid"]


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


def tap_grid(A, W, k, s, p, d, arithmetic) -> tuple:
    """The tap lattice of one dimension of a convolution, as its gradients read it: positions
    ``a`` of ``[0, A)`` and kernel taps ``m`` of ``[0, k)``, tap ``(a, m)`` landing at
    ``a*s + m*d - p`` and kept inside ``[0, W)`` (a forward convolution: ``a`` its outputs, ``W``
    its input; a transposed one: ``a`` its inputs, ``W`` its output).  Returns the taps kept
    ``T``, the positions ``a`` with a tap kept, the positions of ``[0, W)`` a tap lands on, and
    the kernel taps ``m`` with a tap kept (each a weight element its gradient sums into).

    >>> from analytic.core.arithmetic import INTEGERS
    >>> tap_grid(5, 5, 3, 1, 1, 1, INTEGERS)  # Conv1d(k=3, padding=1), 5 long: 2 taps on the padding
    (13, 5, 5, 3)
    """
    G, positive = arithmetic.lattice, arithmetic.positive
    grid = window_counts(W, A, k, s, p, d, True, G, positive)
    extra = W - transposed_output_length(A, k, s, p, 0, d)  # the output_padding that makes the window W long
    window = valid_filter_counts(A, k, s, p, extra, d, G=G, positive=positive)
    used = 0
    for m in range(int(k)):  # the kernel is static: its size is an int on every pass
        hits = G(p + W - m * d, A, 1, s, 1) - G(p - m * d, A, 1, s, 1)
        used = used + hits - positive(hits - 1)  # min(hits, 1)
    return grid.taps_kept, grid.covered_positions, window.covered_positions, used


@register_formula("aten::convolution_backward")
def convolution_backward(grad_out, x, w, bias_sizes, stride, padding, dilation, transposed, output_padding, groups,
                         output_mask, *, out_shape=None):
    """The gradients of a convolution, by the tap lattice of its forward call
    (:func:`tap_grid`): of the input, each kept tap scattered back (a forward convolution's: a
    transposed convolution of the output's gradient) or gathered (a transposed one's: a forward
    convolution), one product a tap and one addition fewer than products at each input position;
    of the weight, each weight element the sum over the batch of its kept taps' products; of the
    bias, the sum of the output's gradient.  ``flops`` as torch's counter, which counts the
    weight's gradient as a convolution of all channels whatever the groups."""
    arithmetic = arithmetic_of(grad_out, x)
    batch, kernel = x[0], w[2:]
    grid_sizes, window_sizes = (x[2:], grad_out[2:]) if transposed else (grad_out[2:], x[2:])
    dims = [tap_grid(A, W, k, s, p, d, arithmetic)
            for A, W, k, s, p, d in zip(grid_sizes, window_sizes, kernel, stride, padding, dilation, strict=True)]
    taps, grid, window, used = (numel(column) for column in zip(*dims, strict=True))
    in_channels, out_channels = x[1], grad_out[1]
    pairs = w[0] * w[1]  # (output, input) channel pairs of a group, over the groups: the weight's
    exact = flops = 0
    if output_mask[0]:
        covered = grid if transposed else window
        multiplications, additions = exact_counts(batch, in_channels, pairs // in_channels, taps, covered, 0)
        exact += multiplications + additions
        flops += 2 * batch * numel(w) * numel(grid_sizes)
    if output_mask[1]:
        exact += pairs * (2 * batch * taps - used)
        flops += 2 * batch * in_channels * out_channels * numel(kernel) * numel(grid_sizes)
    if output_mask[2]:
        exact += out_channels * (batch * numel(grad_out[2:]) - 1)
    return counts(exact, moduleprofiler=0, flops=flops, macs=flops // 2)


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


@register_formula("aten::col2im")
def fold(columns, output_size, kernel_size, dilation, padding, stride, *, out_shape=None):
    """``nn.Fold`` (and ``nn.Unfold``'s gradient): the values of the blocks, ``(N, C k_1 k_2, L)``,
    summed into the output where blocks overlap.  Along each dimension block ``a``'s value ``m``
    lands at ``a s + m d - p``: the tap lattice of :func:`tap_grid`, whose product over the
    dimensions gives the values kept ``T`` and the positions they cover; a position's first
    value is placed, each other one added: ``T - covered`` additions per channel."""
    arithmetic = arithmetic_of(columns, out_shape)
    taps = covered = 1
    for W, k, d, p, s in zip(output_size, kernel_size, dilation, padding, stride, strict=True):
        blocks = conv_output_length(W, k, s, p, p, d)
        kept, _, landed, _ = tap_grid(blocks, W, k, s, p, d, arithmetic)
        taps, covered = taps * kept, covered * landed
    channels = ratio(numel(columns[:-1]), numel(kernel_size))  # N C of the output's planes
    return counts(channels * (taps - covered), moduleprofiler=0)
