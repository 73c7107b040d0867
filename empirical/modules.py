"""Measure a real ``torch.nn.ConvTranspose1d`` (or 2d, 3d) with the all-ones method, without
changing it.

The module's own ``forward`` runs through :func:`torch.func.functional_call` with its parameters
swapped, for that call only, for float64 ones (weight) and zeros (bias) on the CPU: the user's
weights, bias, ``requires_grad`` flags and device are never touched.  With ones as input, output
``y[b, c, j]`` equals ``(in_channels/groups) * taps(j + padding)``, so the output gives the taps
kept ``T`` (its sum), the covered positions ``Z`` (its nonzero entries) and ``L_out`` (its
shape).  The convention's formula is then applied to these measured quantities by the same
function the analytic side uses (:func:`analytic.core.transposed.module_counts`).
"""

from __future__ import annotations

import torch

from analytic.core.conventions import check_convention
from analytic.core.filters import FilterCounts
from analytic.core.validation import check_input_shape
from analytic.layers import conv_from_module, spec_from_module

from .allones import as_exact_int

__all__ = ["measure", "ops"]


def measure(module: torch.nn.Module, input_shape: tuple[int, ...]) -> dict[str, int]:
    """Run ``module`` once on ones with ones as weights; return every quantity by name.

    The keys are those of the layer's ``breakdown`` (:meth:`analytic.ConvTranspose1d.breakdown`,
    :meth:`analytic.Conv1d.breakdown`).  For a forward convolution, ones read through the padding
    are zeros with ``padding_mode='zeros'`` and ones otherwise, so the output counts the real taps.
    """
    spec = spec_from_module(module) or conv_from_module(module)  # validates the hyper-parameters
    if spec is None:
        raise TypeError(f"module must be a torch.nn.ConvTranspose1d/2d/3d or Conv1d/2d/3d, got {type(module).__name__}")
    batch, spatial = check_input_shape(input_shape, spec.in_channels, spec.DIMS)
    per_group = spec.in_channels // spec.groups
    x = torch.ones(tuple(input_shape), dtype=torch.float64)
    if torch.nn.utils.parametrize.is_parametrized(module) or module._forward_pre_hooks:
        # a weight computed from other parameters (weight_norm, old or new style) cannot be swapped
        # for ones: run a plain twin of the same class and hyper-parameters instead
        own = ({"padding_mode": spec.padding_mode} if hasattr(spec, "pads")
               else {"output_padding": spec.output_padding})
        module = type(module)(
            spec.in_channels, spec.out_channels, spec.kernel_size, stride=spec.stride, padding=spec.padding,
            groups=spec.groups, bias=spec.bias, dilation=spec.dilation, device="meta", **own,
        )
    params = {"weight": torch.ones(module.weight.shape, dtype=torch.float64)}
    if module.bias is not None:
        params["bias"] = torch.zeros(module.bias.shape, dtype=torch.float64)
    with torch.no_grad():
        y = torch.func.functional_call(module, params, (x,))
    expected = spec.output_shape(tuple(input_shape))[-spec.DIMS:]
    if tuple(y.shape[-spec.DIMS:]) != expected:  # a subclass whose forward trims or pads the output
        raise ValueError(f"{type(module).__name__}'s forward returns spatial size {tuple(y.shape[-spec.DIMS:])},"
                         f" not the {expected} its convolution computes: measure the convolution itself, or count"
                         f" the calls as executed with analytic.profile")
    y = y.reshape(-1, spec.out_channels, *y.shape[-spec.DIMS:])
    # every (sample, channel) row is the same filter's output: read one, check all
    row = y[0, 0]
    if not torch.equal(y, row.expand_as(y)):
        raise AssertionError("all-ones output differs between samples or channels")
    return spec.counts(batch, spatial, FilterCounts(
        output_length=row.numel(),
        taps_kept=as_exact_int(torch.sum(row)) // per_group,
        covered_positions=int(torch.count_nonzero(row)),
    ))


def ops(module: torch.nn.Module, input_shape: tuple[int, ...], convention: str = "moduleprofiler") -> int:
    """Operations of ``module`` on an input of ``input_shape``, measured by running it.

    >>> m = torch.nn.ConvTranspose1d(1, 1, 3, bias=False)
    >>> ops(m, (1, 1, 2))
    14
    """
    return measure(module, input_shape)[check_convention(convention)]
