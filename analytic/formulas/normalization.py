"""Normalizations: batch norm (both modes; instance norm runs as it), layer norm, group norm, and
weight normalisation's weight.

Exact counts (``M`` elements per statistic, the defining formula ``y = (x - mean) / sqrt(var + eps)
* w + b`` with ``var = mean((x - mean)^2)``):

- statistics of ``M`` elements: the mean ``M`` (``M - 1`` additions, a division), the deviations
  ``M``, their squares ``M``, their sum ``M - 1`` and its division ``1``; ``var + eps`` and the
  square root ``2``; then each element's division ``M``: ``5 M + 2`` per statistic;
- from running statistics (batch norm in evaluation): ``2`` per channel (``var + eps``, the square
  root) and ``2`` per element (the deviation and the division);
- the affine step: one multiplication per element with a weight, one addition with a bias;
- batch norm in training with running statistics also updates them: ``(1 - m) r + m s`` is
  ``3`` per channel and statistic, plus the unbiased factor ``M / (M - 1)`` applied to the
  variance, ``1``: ``7`` per channel;
- weight normalisation ``w = g v / ||v||``: per slice of ``M`` elements the norm ``2 M`` (squares,
  additions, a square root), ``g / ||v||`` ``1`` and the scaling ``M``: ``3 M + 1``.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::native_layer_norm"]((2, 3, 8), (8,), (8,), (8,), 1e-5, out_shape=((2, 3, 8),))["exact"]
348
"""

from __future__ import annotations

from .peers import module_is
from .registry import counts, numel, register_formula
from .shapes import ratio

__all__ = ["batch_norm", "group_norm", "layer_norm", "weight_norm"]

_INSTANCE_NORMS = ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")


def _affine(elements, weight, bias):
    return elements * ((weight is not None) + (bias is not None))


def _torchinfo(x, weight, bias):
    """torchinfo: a module with ``weight``/``bias`` parameters counts the output's first size times
    their elements."""
    return x[0] * (numel(weight) if weight is not None else 0) + x[0] * (numel(bias) if bias is not None else 0)


def _statistics(groups, size):
    """The mean, variance and normalisation of ``groups`` statistics of ``size`` elements each."""
    return groups * (5 * size + 2)


@register_formula("aten::native_batch_norm", "aten::_native_batch_norm_legit",
                  "aten::_native_batch_norm_legit_functional")
def batch_norm(x, weight, bias, running_mean=None, running_var=None, training=False, momentum=0.1, eps=1e-5,
               *, out_shape=None, module=None):
    """Batch normalisation of ``x`` ``(N, C, *)`` per channel, with batch statistics (training,
    instance norm) or running ones."""
    if isinstance(running_mean, bool):  # the no-stats overload: (x, w, b, training, momentum, eps)
        running_mean, training = None, running_mean
    elements, channels = numel(x), x[1]
    size = ratio(elements, channels)
    if training:
        exact = _statistics(channels, size) + (7 * channels if running_mean is not None else 0)
    else:
        exact = 2 * channels + 2 * elements
    exact = exact + _affine(elements, weight, bias)
    affine = weight is not None
    # moduleprofiler documents BatchNorm1d and BatchNorm2d (not 3d, not instance norm)
    documented = not module_is(module, "BatchNorm3d", *_INSTANCE_NORMS) and len(x) <= 4
    estimate = elements * ((5 if affine else 4) if training else (2 if affine else 1))  # fvcore's and DeepSpeed's
    return counts(exact, moduleprofiler=channels * ((7 if affine else 5) * size + 4) if documented else 0,
                  macs=estimate, ptflops=elements * (2 if affine else 1), thop=2 * elements * (2 if affine else 1),
                  torchinfo=_torchinfo(x, weight, bias), deepspeed=estimate)


@register_formula("aten::_native_batch_norm_legit_no_training")
def batch_norm_inference(x, weight, bias, running_mean, running_var, momentum=0.1, eps=1e-5, *, out_shape=None,
                         module=None):
    """Batch normalisation with running statistics (the evaluation mode's kernel)."""
    return batch_norm(x, weight, bias, running_mean, running_var, False, momentum, eps, out_shape=out_shape,
                      module=module)


@register_formula("aten::native_layer_norm")
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5, *, out_shape=None, module=None):
    """Layer normalisation over the last ``len(normalized_shape)`` sizes of ``x``."""
    elements, size = numel(x), numel(normalized_shape)
    rows = ratio(elements, size)
    exact = _statistics(rows, size) + _affine(elements, weight, bias)
    affine = weight is not None
    return counts(exact, moduleprofiler=rows * ((5 + (weight is not None) + (bias is not None)) * size + 4),
                  macs=elements * (5 if affine else 4),
                  ptflops=elements,  # ptflops reads `affine`, which LayerNorm has not: never doubled
                  thop=2 * elements * (2 if affine else 1), torchinfo=_torchinfo(x, weight, bias),
                  deepspeed=elements * (5 if affine else 4))


@register_formula("aten::native_group_norm")
def group_norm(x, weight, bias, batch, channels, spatial, group, eps=1e-5, *, out_shape=None, module=None):
    """Group normalisation: ``batch * group`` statistics of ``channels / group * spatial`` elements."""
    elements = numel(x)
    exact = _statistics(batch * group, ratio(elements, batch * group)) + _affine(elements, weight, bias)
    affine = weight is not None
    return counts(exact, moduleprofiler=0, macs=elements * (5 if affine else 4),
                  ptflops=elements * (2 if affine else 1), torchinfo=_torchinfo(x, weight, bias),
                  deepspeed=elements * (5 if affine else 4))


@register_formula("aten::_weight_norm_interface")
def weight_norm(v, g, dim=0, *, out_shape=None, module=None):
    """The weight ``g v / ||v||`` of weight normalisation, the norm over every dimension but ``dim``."""
    slices = numel(g)
    return counts(slices * (3 * ratio(numel(v), slices) + 1), moduleprofiler=0)
