"""The numeric pass: one forward pass on a copy of the model on the ``meta`` device (no arithmetic,
no memory for activations or weights; the user's model is never touched), counted by the counting
mode with plain-int sizes.  When an operator has no meta kernel (``torch.istft``, for one), the pass
runs again on a CPU copy with real values, with one warning naming the operator; ``device="cpu"``
asks for that pass from the start.
"""

from __future__ import annotations

import copy
import gc
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

import torch

from ..formulas import Registry
from .copying import meta_copy
from .inputs import input_tensors
from .kept import Kept, ModelRecord, keep, take
from .mode import LossError, MissingKernel, count_calls
from .modules import copied_modules, module_parameters, named_modules
from .result import Profile
from .scripted import scripted_modules

__all__ = ["numeric_profile"]


def _cpu_copy(model, memo: dict):
    """A deep copy of ``model`` on the CPU (moved only if it is elsewhere; ``memo``: filled as
    ``copy.deepcopy``'s)."""
    copied = copy.deepcopy(model, memo)
    on_cpu = all(t.device.type == "cpu" for t in (*copied.parameters(), *copied.buffers()))
    return copied if on_cpu else copied.to("cpu")


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration (as ``timeit`` pauses it), then
    restored as it was.  A meta pass allocates thousands of small objects that live until its end
    (the copy's modules, the rows) and leaves no cycles; with the collector running, they make it
    scan every object of the process every few profiles: a profile of MobileNetV2 took 8–10 ms on
    average, 6 ms without those scans."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _real(inputs, given: Sequence) -> tuple:
    """CPU inputs of the shapes and dtypes of ``inputs`` (meta tensors), with values: an integer
    or boolean tensor the user gave (``given``: the inputs as given) with its own (token ids, an
    attention mask), else a seeded normal for floating-point inputs, zeros (valid indices, e.g. token
    ids) for integer ones."""
    generator = torch.Generator().manual_seed(0)

    def real(t, spec):
        if not isinstance(t, torch.Tensor):
            return t
        if isinstance(spec, torch.Tensor) and not spec.is_meta and not (spec.is_floating_point() or spec.is_complex()):
            return spec.detach().to("cpu", copy=True)
        if t.dtype.is_floating_point:
            return torch.randn(tuple(t.shape), generator=generator, dtype=t.dtype).requires_grad_(t.requires_grad)
        return torch.zeros(tuple(t.shape), dtype=t.dtype)

    return tuple(real(t, spec) for t, spec in zip(inputs, given, strict=True))


def _one_pass(attempt: str, model, modules: list | None, inputs: tuple, shapes: Sequence, conventions: Sequence[str],
              registry: Registry, backward: bool, loss, kept: Kept | None = None) -> Profile | None:
    """The profile of one pass on the ``attempt`` device (``None``: the meta device cannot run the
    model, warned), on the ``kept`` copy if given (``modules``, the model's named modules, are then
    not needed)."""
    reuse = attempt == "meta"  # on the meta device an identical call reuses its row; on the CPU its counts
    if kept is not None:
        copied, copied_list = kept.copied, kept.modules
    else:
        keeping = reuse and not backward  # a forward pass on meta keeps its copy for the model's next one
        record = ModelRecord.of(modules) if keeping else None
        memo: dict = {}
        copied = meta_copy(model, modules=modules, memo=memo) if reuse else _cpu_copy(model, memo)
        copied_list = copied_modules(modules, memo, copied)
        if record is not None:
            copy_record = ModelRecord.of(copied_list)
            kept = None if copy_record is None else Kept(record, copied, copied_list, copy_record, leaves={})
    given = inputs if reuse else _real(inputs, shapes)
    try:
        mode = count_calls(copied, given, conventions, registry, cache=None if reuse else {}, reuse=reuse,
                           backward=backward, loss=loss, modules=copied_list,
                           leaves=kept.leaves if kept is not None else None)
    except MissingKernel as missing:
        if attempt == "meta":
            values = (" (the count may depend on the values: inputs drawn from a seeded normal, integer ones"
                      " zeros)" if missing.reason == MissingKernel.NEEDS_VALUES else "")
            warnings.warn(f"{missing.op} {missing.reason} (in module {missing.module or '(model)'!r}):"
                          f" counting on a real CPU forward instead{values}", RuntimeWarning, stacklevel=5)
            return None
        raise RuntimeError(f"the model's forward pass on the CPU failed at {missing.op} in module"
                           f" {missing.module or '(model)'!r}: {missing.error}") from missing.error
    except LossError:
        raise
    except Exception as error:  # the user's forward: report it, nothing to clean up (a copy)
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        advice = ("; if the model runs on real tensors (a branch or a size that depends on values, tensors made"
                  " on another device), device='cpu' (--device cpu) counts on a real CPU forward"
                  if attempt == "meta" else "")
        raise RuntimeError(f"the model's forward pass on the {attempt} device failed: "
                           f"{type(error).__name__}: {text}{advice}") from error
    # the parameters of the copy that ran: a lazy module's exist once its first forward made them
    parameters = module_parameters(mode.modules) if kept is None or kept.parameters is None else kept.parameters
    if kept is not None:
        keep(model, kept._replace(parameters=parameters))
    return Profile(tuple(mode.rows), dict(mode.uncounted), tuple(conventions), attempt,
                   dict(mode.data_movement), dict(parameters), dict(mode.movement_bytes))


def numeric_profile(model, shapes: Sequence, dtypes: Sequence, conventions: Sequence[str], device: str,
                    registry: Registry, backward: bool = False, loss=None) -> Profile:
    """The profile of one forward pass on inputs of ``shapes`` (ints) or given tensors and
    ``dtypes`` (see :func:`analytic.profile`)."""
    inputs = input_tensors(shapes, dtypes, "meta")
    passes = ["meta", "cpu"] if device == "meta" else ["cpu"]
    # a forward pass on meta runs the copy kept from the model's last one if a fresh copy would be the
    # same: the model is then as it was (its modules known, none of them TorchScript)
    kept = take(model) if device == "meta" and not backward else None
    modules = named_modules(model) if kept is None else None
    scripted = scripted_modules(modules) if kept is None else []
    if scripted and device == "meta":  # a TorchScript module copies its tensors as they are
        warnings.warn(f"module {scripted[0]!r} is TorchScript, whose tensors do not move to the meta device: counting"
                      f" on a real CPU forward instead", RuntimeWarning, stacklevel=4)
        passes = ["cpu"]
    for attempt in passes:
        if modules is None and attempt == "cpu":
            modules = named_modules(model)
        # the meta pass without the cyclic collector's scans: it leaves no cycles, and what it made
        # is freed, by reference counting, before the collector runs again
        with _collection_paused() if attempt == "meta" else nullcontext():
            found = _one_pass(attempt, model, modules, inputs, shapes, conventions, registry, backward, loss,
                              kept if attempt == "meta" else None)
        if found is not None:
            return found
    raise AssertionError("unreachable")
