"""The model profile: every operator call of a model's forward pass, counted by the operator
formulas of :mod:`analytic.formulas`, as numbers or as formulas of named input sizes.

- :mod:`.result` — :class:`Profile` and its rows, totals per module, exports (plain data);
- :mod:`.inputs` — the inputs, read once for both passes;
- :mod:`.modules` — the model's modules as a profile names them (names, types, parameters);
- :mod:`.copying` — the model's copy on the meta device (the user's model is never touched), and
  :mod:`.kept` — the copy kept for the model's next profile, run again while a fresh one would be
  the same;
- :mod:`.mode` — the counting mode (a ``TorchDispatchMode``) and the strategy of a pass;
- :mod:`.replay` — calls seen before, answered from what they gave (torch functions and operators);
- :mod:`.functions` — torch functions run the way the CPU runs them (fused attention and LSTM
  kernels, ``istft``), on every device;
- :mod:`.numeric` — the numeric pass (meta device, CPU fallback);
- :mod:`.symbolic` — the symbolic pass (fake tensors with symbolic sizes), and :mod:`.formula` —
  its result, :class:`~analytic.profiling.formula.SymbolicProfile`; :mod:`.scripted` — TorchScript
  functions run as their Python source there.

torch loads when a profile is taken, SymPy when it is a formula.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

from ..core.conventions import CONVENTIONS, check_convention
from ..formulas import FORMULAS
from .inputs import check_storage, has_named_sizes, input_dtypes, input_specs
from .result import COVERED, ModuleTotals, Profile, ProfileRow

__all__ = ["COVERED", "ModuleTotals", "Profile", "ProfileRow", "profile"]


def profile(model, input_shape: Sequence[int | str] | None = None, *, example_inputs=None, dtypes=None,
            formulas: Mapping[object, Callable] | None = None, hints: Mapping[str, int] | None = None,
            conventions: Sequence[str] = CONVENTIONS, device: str = "meta", backward: bool = False,
            loss: Callable | None = None) -> Profile:
    """Count every operator call of one forward pass of ``model`` on an input of ``input_shape``
    (or on ``example_inputs``: a tensor, a shape, or a tuple of them for a model with several
    inputs), under every convention.

    ``dtypes``: one ``torch.dtype`` per input (``[torch.long]`` for token ids; default: the model's
    floating-point dtype).  ``formulas={op: f}``: this call's own formulas, replacing or adding to
    the registered ones (as ``FlopCounterMode``'s ``custom_mapping``).

    A string in a shape names a symbolic size (``(1, 80, "L")``, ``(1, 3, "H", "W")``): the
    result is then a :class:`~analytic.profiling.formula.SymbolicProfile`, whose counts are
    formulas of the sizes, with the conditions they hold under and a simplified form for large
    sizes; ``hints`` gives a size's example value where the model branches on it.  A size that
    follows from others is given as their expression, in integer arithmetic (``+ - * //`` and
    parentheses, read without running it): ``example_inputs=((1, 80, "F"), (1, 1, "256*F - 512"))``
    for a vocoder's audio of F frames.

    ``device="meta"`` (the default) runs the pass on a meta copy of the model and falls back to a
    CPU copy, with one warning, when an operator has no meta kernel; ``device="cpu"`` runs on a CPU
    copy from the start.  The user's model, its weights and hooks are never touched.

    >>> import torch, analytic
    >>> p = analytic.profile(torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()), (2, 8))
    >>> [(r.op, r.counts["flops"], r.counts["exact"]) for r in p.rows]  # exact: 8 products, 8 additions
    [('aten::addmm', 128, 128), ('aten::relu', 0, 8)]
    """
    import torch

    if isinstance(conventions, str):
        conventions = (conventions,)
    if not isinstance(conventions, Sequence) or not conventions:
        raise TypeError(f"conventions must be a non-empty list of conventions ({', '.join(CONVENTIONS)}), got"
                        f" {conventions!r}")
    conventions = tuple(check_convention(c) for c in conventions)
    device = str(device) if isinstance(device, torch.device) else device
    if device not in ("meta", "cpu"):
        raise ValueError(f"device ({device!r}) must be 'meta' or 'cpu'")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(backward, bool):
        raise TypeError(f"backward must be a bool, got {type(backward).__name__}")
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a function of the model's output, got {type(loss).__name__}")
    if loss is not None and not backward:
        raise ValueError("loss is the function the backward pass differentiates: give backward=True with it")
    step = backward and torch.is_grad_enabled()  # under torch.no_grad no gradient exists: no backward pass
    if backward and not step:
        warnings.warn("torch.no_grad() is active: no gradient is made, the backward pass counts nothing",
                      RuntimeWarning, stacklevel=3)
    registry = FORMULAS.with_overrides(formulas)
    specs = input_specs(input_shape, example_inputs)
    types = input_dtypes(specs, dtypes, model)
    for spec, dtype in zip(specs, types, strict=True):
        if isinstance(spec, tuple) and all(isinstance(v, int) for v in spec):
            check_storage(spec, dtype.itemsize)
    if has_named_sizes(input_shape, example_inputs):
        from .symbolic import symbolic_profile

        if device != "meta":
            raise ValueError(f"device ({device!r}) must be 'meta' for a shape with named sizes: a formula is"
                             f" derived on fake tensors, never on values")
        return symbolic_profile(model, specs, types, conventions, registry, hints, step, loss)
    if hints is not None:
        raise ValueError("hints name sizes: give them with a shape that holds names, e.g. (1, 80, 'L')")
    from .numeric import numeric_profile

    return numeric_profile(model, specs, types, conventions, device, registry, step, loss)
