"""``analytic.profile``: per-layer operation counts of a whole model, without arithmetic.

Shapes come from one forward pass on a copy of the model on the ``meta`` device (no arithmetic,
no memory for activations or weights).  The copy shares nothing with the user's model: its
parameters and buffers are fresh meta tensors, so the user's weights, hooks and devices are never
touched, even when the forward pass raises.  Every transposed convolution call becomes a row with
every convention; every other leaf module is listed as "not counted", never dropped.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .counts import CONVENTIONS
from .layers import spec_from_module
from .tables import table

__all__ = ["Profile", "ProfileRow", "profile"]


@dataclass(frozen=True)
class ProfileRow:
    """One module call: qualified name, type, shapes, and its counts (``None``: not counted)."""

    name: str
    type: str
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    counts: dict[str, int] | None = field(default=None, compare=True)

    @property
    def counted(self) -> bool:
        return self.counts is not None


def _shape(shape: tuple[int, ...] | None) -> str:
    return "" if shape is None else "×".join(map(str, shape))


@dataclass(frozen=True)
class Profile:
    """The rows of a profile and their total, with Markdown, LaTeX, CSV, JSON and text exports."""

    rows: tuple[ProfileRow, ...]
    conventions: tuple[str, ...] = CONVENTIONS

    @property
    def counted(self) -> tuple[ProfileRow, ...]:
        return tuple(r for r in self.rows if r.counted)

    @property
    def total(self) -> dict[str, int]:
        """Each convention summed over the counted rows."""
        return {c: sum(r.counts[c] for r in self.counted) for c in self.conventions}

    def _table(self) -> tuple[list[str], list[list[object]]]:
        headers = ["layer", "type", "input", "output", *self.conventions]
        rows: list[list[object]] = []
        total = self.total
        for r in self.rows:
            values = [r.counts[c] for c in self.conventions] if r.counted else ["not counted"] + [None] * (
                len(self.conventions) - 1)
            rows.append([r.name or "(model)", r.type, _shape(r.input_shape), _shape(r.output_shape), *values])
        rows.append(["total", "", "", "", *(total[c] for c in self.conventions)])
        return headers, rows

    def to_markdown(self) -> str:
        return table(*self._table(), "markdown")

    def to_latex(self) -> str:
        """A ``tabular`` with ``booktabs`` rules."""
        return table(*self._table(), "latex").replace("×", r"$\times$")

    def to_text(self) -> str:
        return table(*self._table(), "text")

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["layer", "type", "input_shape", "output_shape", "counted", *self.conventions])
        for r in self.rows:
            writer.writerow([r.name, r.type, _shape(r.input_shape), _shape(r.output_shape), r.counted,
                             *([r.counts[c] for c in self.conventions] if r.counted else [""] * len(self.conventions))])
        writer.writerow(["total", "", "", "", "", *self.total.values()])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps({
            "format": "tapcount-profile", "version": 1, "conventions": list(self.conventions),
            "rows": [{"name": r.name, "type": r.type, "input_shape": r.input_shape, "output_shape": r.output_shape,
                      "counted": r.counted, "counts": r.counts} for r in self.rows],
            "total": self.total,
        }, indent=2, sort_keys=True)

    def __str__(self) -> str:
        return self.to_text()


def _meta_copy(model):
    """A deep copy of ``model`` whose parameters and buffers are new meta tensors (no data copied)."""
    import torch

    memo = {}
    for p in model.parameters():
        memo[id(p)] = torch.nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=p.requires_grad)
    for b in model.buffers():
        memo[id(b)] = torch.empty_like(b, device="meta")
    for module in model.modules():  # plain tensor attributes, e.g. the weight old-style weight_norm computes
        for value in vars(module).values():
            if isinstance(value, torch.Tensor) and id(value) not in memo:
                memo[id(value)] = torch.empty_like(value, device="meta")
    return copy.deepcopy(model, memo)


def _meta_inputs(model, input_shape, example_inputs) -> tuple:
    import torch

    if (input_shape is None) == (example_inputs is None):
        raise ValueError("give exactly one of input_shape and example_inputs")
    first = next(iter(model.parameters()), None)
    dtype = first.dtype if first is not None and first.dtype.is_floating_point else torch.get_default_dtype()
    if input_shape is not None:
        shape = tuple(input_shape)
        if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in shape):
            raise ValueError(f"input_shape ({input_shape!r}) must be a tuple of non-negative ints")
        return (torch.empty(shape, dtype=dtype, device="meta"),)
    single_shape = isinstance(example_inputs, (tuple, torch.Size)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in example_inputs)
    several = isinstance(example_inputs, tuple) and not single_shape
    inputs = example_inputs if several else (example_inputs,)

    def to_meta(value):
        if isinstance(value, torch.Tensor):
            return torch.empty_like(value, device="meta")
        if isinstance(value, (tuple, torch.Size)) and all(isinstance(v, int) for v in value):
            return torch.empty(tuple(value), dtype=dtype, device="meta")
        return value

    return tuple(to_meta(v) for v in inputs)


def profile(model, input_shape: Sequence[int] | None = None, *, example_inputs=None,
            conventions: Sequence[str] = CONVENTIONS) -> Profile:
    """Profile ``model`` on an input of ``input_shape`` (or on ``example_inputs``: a tensor, a
    shape, or a tuple of them for a model with several inputs).

    One row per call of a leaf module, in execution order: transposed convolutions
    (``ConvTranspose1d/2d/3d``) with every convention, the others marked "not counted".
    """
    import torch

    from .counts import check_convention

    conventions = tuple(check_convention(c) for c in conventions)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    inputs = _meta_inputs(model, input_shape, example_inputs)
    meta = _meta_copy(model)
    calls: list[tuple[str, object, tuple | None, tuple | None]] = []

    def hook(name):
        def record(module, args, output):
            shape_in = tuple(args[0].shape) if args and isinstance(args[0], torch.Tensor) else None
            shape_out = tuple(output.shape) if isinstance(output, torch.Tensor) else None
            calls.append((name, module, shape_in, shape_out))
        return record

    # A row for every transposed convolution and every other leaf module.  The modules that compute
    # a parametrized weight (weight_norm's) belong to their layer: they are neither rows nor do
    # they make their layer a non-leaf.
    from torch.nn.utils.parametrize import is_parametrized

    internals = {id(m) for owner in meta.modules() if is_parametrized(owner)
                 for m in owner.parametrizations.modules()}
    for name, module in meta.named_modules():
        if id(module) in internals:
            continue
        leaf = all(id(child) in internals for child in module.children())
        if leaf or spec_from_module(module) is not None:
            module.register_forward_hook(hook(name))
    try:
        with torch.no_grad():
            meta(*inputs)
    except Exception as error:  # the user's forward: report it, nothing to clean up (a copy)
        raise RuntimeError(f"the model's forward pass on the meta device failed: "
                           f"{type(error).__name__}: {error}") from error
    rows = []
    for name, module, shape_in, shape_out in calls:
        spec = spec_from_module(module)
        if spec is None or shape_in is None or shape_out is None:
            # weight_norm makes a dynamic subclass (ParametrizedConv1d): name the module's own class
            kind = type(module).__bases__[0] if is_parametrized(module) else type(module)
            rows.append(ProfileRow(name, kind.__name__, shape_in, shape_out))
            continue
        expected = spec.output_shape(shape_in)
        if expected != shape_out:  # forward(..., output_size=...) chose another output_padding
            extra = [a - e for a, e in zip(shape_out[-spec.DIMS:], expected[-spec.DIMS:], strict=True)]
            base = spec.output_padding if spec.DIMS > 1 else (spec.output_padding,)
            padding = tuple(o + x for o, x in zip(base, extra, strict=True))
            spec = replace(spec, output_padding=padding if spec.DIMS > 1 else padding[0])
        counts = spec.breakdown(shape_in)
        assert math.prod(shape_out[-spec.DIMS:]) == counts["output_length"]
        # the torch class counted (not a dynamic subclass such as weight_norm's ParametrizedConvTranspose1d)
        rows.append(ProfileRow(name, type(spec).__name__, shape_in, shape_out,
                               {c: counts[c] for c in conventions}))
    return Profile(tuple(rows), conventions)
