"""``analytic.profile``: every convolution and matrix product a model executes, counted exactly.

Counting happens at the level of ATen operators, the way ``torch.utils.flop_counter.FlopCounterMode``
does: a ``TorchDispatchMode`` sees every operator call of one forward pass, looks its name up in
the formulas of :mod:`analytic.operators`, and charges the call to the innermost module that ran
it.  Module calls, functional calls, subclasses, weight parametrizations, ``output_size=`` and any
trimming are therefore counted exactly as executed.  Every other operator is listed by name with its
number of calls, never dropped.

The forward pass runs on a copy of the model on the ``meta`` device (no arithmetic, no memory for
activations or weights; the user's model is never touched).  When an operator has no meta kernel
(``torch.istft``, for one), the pass is run again on a CPU copy with real values, with one warning
naming the operator; ``device="cpu"`` asks for that pass from the start.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .counts import CONVENTIONS
from .operators import FORMULAS
from .tables import table

__all__ = ["Profile", "ProfileRow", "profile", "COVERED"]

#: what the counted rows cover, as the total row says
COVERED = "convolutions and matrix products"


@dataclass(frozen=True)
class ProfileRow:
    """One counted operator call: the innermost module that ran it (qualified name, ``""`` for
    the model itself or a call outside any module, and type), the operator, its input and output
    shapes, and its counts under every convention."""

    name: str
    type: str
    op: str
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    counts: dict[str, int] = field(default_factory=dict)
    #: the operator's arguments as its formula read them (shapes, stride, padding, groups, ...)
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def counted(self) -> bool:
        return True


def _shape(shape: tuple[int, ...] | None) -> str:
    return "" if shape is None else "×".join(map(str, shape))


@dataclass(frozen=True)
class Profile:
    """The counted operator calls of one forward pass, what was not counted (operator -> calls),
    and the total, with Markdown, LaTeX, CSV, JSON, text and pandas exports."""

    rows: tuple[ProfileRow, ...]
    uncounted: dict[str, int] = field(default_factory=dict)
    conventions: tuple[str, ...] = CONVENTIONS
    device: str = "meta"

    @property
    def counted(self) -> tuple[ProfileRow, ...]:
        return self.rows

    @property
    def total(self) -> dict[str, int]:
        """Each convention summed over the counted operator calls (the convolutions and matrix
        products of the forward pass)."""
        return {c: sum(r.counts[c] for r in self.rows) for c in self.conventions}

    @property
    def coverage(self) -> dict[str, dict[str, int]]:
        """``{"counted": {operator: calls}, "uncounted": {operator: calls}}``."""
        return {"counted": dict(Counter(r.op for r in self.rows)), "uncounted": dict(self.uncounted)}

    def shares(self, convention: str = "flops") -> dict[str, float]:
        """The share of the total of ``convention`` by layer type (module type of the rows)."""
        total = self.total[convention] or 1
        by_type: Counter[str] = Counter()
        for r in self.rows:
            by_type[r.type] += r.counts[convention]
        return {kind: value / total for kind, value in by_type.most_common()}

    def _table(self) -> tuple[list[str], list[list[object]]]:
        headers = ["layer", "type", "input", "output", *self.conventions]
        rows: list[list[object]] = [[r.name or "(model)", r.type, _shape(r.input_shape), _shape(r.output_shape),
                                     *(r.counts[c] for c in self.conventions)] for r in self.rows]
        for op, calls in sorted(self.uncounted.items()):
            rows.append([f"not counted: {op}", f"{calls} call{'s' * (calls != 1)}", "", "",
                         *([None] * len(self.conventions))])
        total = self.total
        rows.append([f"total ({COVERED})", "", "", "", *(total[c] for c in self.conventions)])
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
        writer.writerow(["layer", "type", "op", "input_shape", "output_shape", *self.conventions, "parameters"])
        for r in self.rows:
            writer.writerow([r.name, r.type, r.op, _shape(r.input_shape), _shape(r.output_shape),
                             *(r.counts[c] for c in self.conventions), json.dumps(r.parameters, sort_keys=True)])
        writer.writerow([f"total ({COVERED})", "", "", "", "", *self.total.values(), ""])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps({
            "format": "tapcount-profile", "version": 2, "conventions": list(self.conventions),
            "covers": COVERED, "device": self.device,
            "rows": [{"name": r.name, "type": r.type, "op": r.op, "input_shape": r.input_shape,
                      "output_shape": r.output_shape, "parameters": r.parameters, "counts": r.counts}
                     for r in self.rows],
            "uncounted": self.uncounted, "total": self.total,
        }, indent=2, sort_keys=True)

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (``pip install pandas``), one column per convention."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Profile.to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame([{"layer": r.name, "type": r.type, "op": r.op, "input_shape": r.input_shape,
                                  "output_shape": r.output_shape, **r.counts, "parameters": r.parameters}
                                 for r in self.rows])

    def __str__(self) -> str:
        return self.to_text()


def meta_copy(model, make=None):
    """A deep copy of ``model`` whose parameters and buffers are new meta tensors (no data
    copied), or what ``make`` makes of each tensor (fake tensors, for a symbolic profile)."""
    import torch

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


def has_named_sizes(input_shape: object, example_inputs: object) -> bool:
    """Whether a shape (or one of several) holds a name (a string): a request for a formula."""
    def names(value: object) -> bool:
        return isinstance(value, str) or (isinstance(value, (tuple, list)) and any(names(v) for v in value))

    return names(input_shape) or names(example_inputs)


class _MissingKernel(Exception):
    """An operator without a kernel for the device of the pass (the meta device, usually)."""

    def __init__(self, op: str, module: str, error: BaseException):
        super().__init__(op)
        self.op, self.module, self.error = op, module, error


def _read(op: str, args, kwargs, size=int) -> dict[str, object]:
    """The formula's arguments of an operator call: shapes (each size read by ``size``: an int, or
    the SymPy expression of a symbolic size) and hyper-parameters as plain ints."""
    import torch

    def shape(t):
        return tuple(size(v) for v in t.shape)

    if op in ("aten.convolution", "aten._convolution"):
        x, w, bias, stride, padding, dilation, transposed, output_padding, groups = args[:9]
        return {"x": shape(x), "w": shape(w), "bias": isinstance(bias, torch.Tensor), "stride": tuple(stride),
                "padding": tuple(padding), "dilation": tuple(dilation), "transposed": bool(transposed),
                "output_padding": tuple(output_padding), "groups": int(groups)}
    if op in ("aten.addmm", "aten.baddbmm"):
        return {"bias": None, "a": shape(args[1]), "b": shape(args[2])}
    if "attention" in op:
        return {"q": shape(args[0]), "k": shape(args[1]), "v": shape(args[2])}
    return {"a": shape(args[0]), "b": shape(args[1])}


def count_calls(model, inputs, conventions, internals, size=int, cache=None,
                watch=None) -> tuple[list[ProfileRow], Counter]:
    """One forward pass of ``model`` on ``inputs`` under the counting mode; ``size`` reads a size
    (``int``, or the SymPy expression of a symbolic size: then a kernel that wants concrete sizes
    runs torch's decomposition); ``cache`` (a dict) keeps each formula's result for calls with the
    same arguments; ``watch(op, args, kwargs, calls)``, called before each call, may stop the pass
    by raising."""
    import torch
    from torch._decomp import decomposition_table as decompositions
    from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
    from torch.utils._python_dispatch import TorchDispatchMode

    names = {id(m): name for name, m in model.named_modules()}
    stack: list[torch.nn.Module] = []
    rows: list[ProfileRow] = []
    uncounted: Counter[str] = Counter()

    def enter(module, args):
        if id(module) in names and id(module) not in internals:
            stack.append(module)

    def leave(module, args, output):
        if stack and stack[-1] is module:
            stack.pop()

    def owner() -> tuple[str, str]:
        if not stack:
            return "", type(model).__name__
        module = stack[-1]
        # weight_norm makes a dynamic subclass (ParametrizedConv1d): name the module's own class
        kind = type(module).__bases__[0] if torch.nn.utils.parametrize.is_parametrized(module) else type(module)
        return names[id(module)], kind.__name__

    calls = [0]
    symbolic = size is not int

    class Counting(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            namespace, _, base = func._schema.name.partition("::")
            op = f"aten.{base}"
            calls[0] += 1
            if watch is not None:
                watch(op, args, kwargs, calls[0])
            try:
                out = func(*args, **kwargs)
            except NotImplementedError as error:
                raise _MissingKernel(op, owner()[0], error) from error
            except RuntimeError:
                # on symbolic sizes a kernel may want concrete ones (F.pad by an amount computed
                # from the size): run torch's decomposition instead, its operators counted as any
                decomposition = decompositions.get(func) if symbolic else None
                if decomposition is None:
                    raise
                with self:
                    return decomposition(*args, **kwargs)
            formula = FORMULAS.get(op)
            if formula is None:
                if namespace != "prim":  # prim: metadata queries (a fake tensor's device), no arithmetic
                    uncounted[op] += 1
                return out
            name, kind = owner()
            parameters = _read(op, args, kwargs, size)
            if cache is None:
                counts = formula(**parameters)
            else:
                key = (op, *sorted(parameters.items()))
                if key not in cache:
                    cache[key] = formula(**parameters)
                counts = cache[key]
            first = args[0] if op not in ("aten.addmm", "aten.baddbmm") else args[1]
            result = out[0] if isinstance(out, (tuple, list)) else out  # attention kernels return a tuple
            rows.append(ProfileRow(name, kind, op, tuple(map(size, first.shape)), tuple(map(size, result.shape)),
                                   {c: counts[c] for c in conventions}, parameters))
            return out

    handles = [register_module_forward_pre_hook(enter), register_module_forward_hook(leave)]
    try:
        with torch.no_grad(), Counting():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return rows, uncounted


def internal_modules(model) -> set[int]:
    """The modules that compute a parametrized weight (weight_norm's): they belong to their layer."""
    from torch.nn.utils.parametrize import is_parametrized

    return {id(m) for owner in model.modules() if is_parametrized(owner) for m in owner.parametrizations.modules()}


def _real_inputs(inputs) -> tuple:
    """CPU inputs of the shapes and dtypes of ``inputs`` (meta tensors), with values (a seeded normal)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(tuple(t.shape), generator=generator, dtype=t.dtype) if isinstance(t, torch.Tensor)
                 and t.dtype.is_floating_point else torch.zeros(tuple(t.shape), dtype=t.dtype)
                 if isinstance(t, torch.Tensor) else t for t in inputs)


def profile(model, input_shape: Sequence[int | str] | None = None, *, example_inputs=None,
            conventions: Sequence[str] = CONVENTIONS, device: str = "meta",
            hints: dict[str, int] | None = None) -> Profile:
    """Count every convolution and matrix product of one forward pass of ``model`` on an input of
    ``input_shape`` (or on ``example_inputs``: a tensor, a shape, or a tuple of them for a model
    with several inputs).

    A string in a shape names a symbolic size (``(1, 80, "L")``, ``(1, 3, "H", "W")``): the
    result is then a :class:`analytic.symbolic_profile.SymbolicProfile`, whose counts are
    formulas of the sizes, with the conditions they hold under and a simplified form for large
    sizes; ``hints`` gives a size's example value where the model branches on it (see
    :mod:`analytic.symbolic_profile`).

    ``device="meta"`` (the default) runs the pass on a meta copy of the model and falls back to a
    CPU copy, with one warning, when an operator has no meta kernel; ``device="cpu"`` runs on a CPU
    copy from the start.  The user's model, its weights and hooks are never touched.
    """
    import torch

    from .counts import check_convention

    conventions = tuple(check_convention(c) for c in conventions)
    if device not in ("meta", "cpu"):
        raise ValueError(f"device ({device!r}) must be 'meta' or 'cpu'")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if has_named_sizes(input_shape, example_inputs):
        from .symbolic_profile import symbolic_profile

        if device != "meta":
            raise ValueError(f"device ({device!r}) must be 'meta' for a shape with named sizes: a formula is"
                             f" derived on fake tensors, never on values")
        return symbolic_profile(model, input_shape, example_inputs=example_inputs, conventions=conventions,
                                hints=hints)
    if hints is not None:
        raise ValueError("hints name sizes: give them with a shape that holds names, e.g. (1, 80, 'L')")
    inputs = _meta_inputs(model, input_shape, example_inputs)
    passes = ["meta", "cpu"] if device == "meta" else ["cpu"]
    for attempt in passes:
        copied = meta_copy(model) if attempt == "meta" else copy.deepcopy(model).to("cpu")
        given = inputs if attempt == "meta" else _real_inputs(inputs)
        try:
            rows, uncounted = count_calls(copied, given, conventions, internal_modules(copied))
        except _MissingKernel as missing:
            if attempt == "meta":
                warnings.warn(f"{missing.op} has no meta kernel (in module {missing.module or '(model)'!r}):"
                              f" counting on a real CPU forward instead", RuntimeWarning, stacklevel=2)
                continue
            raise RuntimeError(f"the model's forward pass on the CPU failed at {missing.op} in module"
                               f" {missing.module or '(model)'!r}: {missing.error}") from missing.error
        except Exception as error:  # the user's forward: report it, nothing to clean up (a copy)
            raise RuntimeError(f"the model's forward pass on the {attempt} device failed: "
                               f"{type(error).__name__}: {error}") from error
        return Profile(tuple(rows), dict(uncounted), conventions, attempt)
    raise AssertionError("unreachable")
