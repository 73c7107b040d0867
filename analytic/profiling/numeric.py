"""The numeric pass: one forward pass on a copy of the model on the ``meta`` device (no arithmetic,
no memory for activations or weights; the user's model is never touched), counted by the counting
mode with plain-int sizes.  When an operator has no meta kernel (``torch.istft``, for one), the pass
runs again on a CPU copy with real values, with one warning naming the operator; ``device="cpu"``
asks for that pass from the start.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence

import torch

from ..formulas import Registry
from .inputs import input_tensors
from .mode import MissingKernel, count_calls, module_parameters
from .result import Profile

__all__ = ["meta_copy", "numeric_profile"]


def meta_copy(model, make=None):
    """A deep copy of ``model`` whose parameters and buffers are new meta tensors (no data
    copied), or what ``make`` makes of each tensor (fake tensors, for a symbolic profile)."""
    def meta(t):
        return torch.empty_like(t, device="meta")

    make = make or meta
    memo = {}
    for p in model.parameters():
        memo[id(p)] = torch.nn.Parameter(make(p), requires_grad=p.requires_grad)
    for b in model.buffers():
        memo[id(b)] = make(b)
    for module in model.modules():  # plain tensor attributes, e.g. the weight old-style weight_norm computes
        for value in vars(module).values():
            if isinstance(value, torch.Tensor) and id(value) not in memo:
                memo[id(value)] = make(value)
    return copy.deepcopy(model, memo)


def _real(inputs) -> tuple:
    """CPU inputs of the shapes and dtypes of ``inputs`` (meta tensors), with values: a seeded normal
    for floating-point inputs, zeros (valid indices, e.g. token ids) for integer ones."""
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(tuple(t.shape), generator=generator, dtype=t.dtype) if isinstance(t, torch.Tensor)
                 and t.dtype.is_floating_point else torch.zeros(tuple(t.shape), dtype=t.dtype)
                 if isinstance(t, torch.Tensor) else t for t in inputs)


def numeric_profile(model, shapes: Sequence, dtypes: Sequence, conventions: Sequence[str], device: str,
                    registry: Registry) -> Profile:
    """The profile of one forward pass on inputs of ``shapes`` (ints) or given tensors and
    ``dtypes`` (see :func:`analytic.profile`)."""
    inputs = input_tensors(shapes, dtypes, "meta")
    passes = ["meta", "cpu"] if device == "meta" else ["cpu"]
    for attempt in passes:
        copied = meta_copy(model) if attempt == "meta" else copy.deepcopy(model).to("cpu")
        given = inputs if attempt == "meta" else _real(inputs)
        try:
            mode = count_calls(copied, given, conventions, registry, cache={}, reuse=attempt == "meta")
        except MissingKernel as missing:
            if attempt == "meta":
                warnings.warn(f"{missing.op} has no meta kernel (in module {missing.module or '(model)'!r}):"
                              f" counting on a real CPU forward instead", RuntimeWarning, stacklevel=3)
                continue
            raise RuntimeError(f"the model's forward pass on the CPU failed at {missing.op} in module"
                               f" {missing.module or '(model)'!r}: {missing.error}") from missing.error
        except Exception as error:  # the user's forward: report it, nothing to clean up (a copy)
            raise RuntimeError(f"the model's forward pass on the {attempt} device failed: "
                               f"{type(error).__name__}: {error}") from error
        return Profile(tuple(mode.rows), dict(mode.uncounted), tuple(conventions), attempt, dict(mode.data_movement),
                       module_parameters(model), dict(mode.movement_bytes))
    raise AssertionError("unreachable")
