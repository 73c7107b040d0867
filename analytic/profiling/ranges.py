"""The values of index tensors a forward makes from its sizes, where a pass without values needs them.

On the meta device (and on symbolic sizes) no tensor holds values, so a kernel's check of its
indices never runs: an embedding of 128 positions looked up at ``torch.arange(T)`` counts for any
``T``, where a real forward fails from ``T = 129`` on.  Positions are the one index a model makes
from its sizes, so this follows them: the bounds of what ``aten::arange`` makes, carried through
views, broadcasts and shifts by a number, and checked where an embedding (or ``index_select``)
reads them.  Bounds are ints on a numeric pass and torch's symbolic sizes on a symbolic one.
"""

from __future__ import annotations

import torch
from torch.utils.weak import WeakIdKeyDictionary

__all__ = ["IndexRanges", "LOOKUPS"]

#: operators whose output holds the values of their first input, rearranged
_SAME_VALUES = frozenset({
    "aten::view", "aten::_unsafe_view", "aten::reshape", "aten::unsqueeze", "aten::squeeze", "aten::expand",
    "aten::slice", "aten::select", "aten::clone", "aten::contiguous", "aten::_to_copy", "aten::alias",
    "aten::t", "aten::transpose", "aten::permute", "aten::repeat", "aten::lift_fresh", "aten::detach",
    "aten::flatten",
})
#: lookups: operator -> (index of the table argument, of the index argument, dimension indexed)
LOOKUPS = {"aten::embedding": (0, 1, 0), "aten::index_select": (0, 2, None)}


class IndexRanges:
    """Lowest and highest value of the integer tensors made by ``aten::arange`` in a pass, and of
    those made from them by the operators of :data:`_SAME_VALUES` or by adding a number."""

    #: the operators :meth:`record` reads
    TRACKED = _SAME_VALUES | {"aten::arange", "aten::add", "aten::sub"}

    def __init__(self):
        self._bounds = WeakIdKeyDictionary()  # by identity: tensors compare element-wise

    def record(self, op: str, args, kwargs, out) -> None:
        """Note the bounds of ``out`` where ``op`` gives them from its arguments' or its own."""
        if not isinstance(out, torch.Tensor) or out.dtype.is_floating_point or out.dtype.is_complex:
            return
        if op == "aten::arange":
            numbers = [a for a in args if not isinstance(a, torch.Tensor)][:3]
            start, end, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], numbers[2] if len(
                numbers) == 3 else 1)
            if isinstance(step, int) and step >= 1 and all(isinstance(v, (int, torch.SymInt)) for v in (start, end)):
                self._bounds[out] = (start, start + step * ((end - start - 1) // step))
            return
        if not args or not isinstance(args[0], torch.Tensor):
            return
        bounds = self._bounds.get(args[0])
        if bounds is None:
            return
        if op in _SAME_VALUES:
            self._bounds[out] = bounds
        elif op in ("aten::add", "aten::sub") and len(args) > 1 and isinstance(args[1], int) and (
                kwargs.get("alpha", 1) == 1):
            shift = args[1] if op == "aten::add" else -args[1]
            self._bounds[out] = (bounds[0] + shift, bounds[1] + shift)

    def highest(self, tensor) -> object:
        """The highest value of ``tensor`` if known (an int or a symbolic size), else ``None``."""
        bounds = self._bounds.get(tensor) if isinstance(tensor, torch.Tensor) else None
        return None if bounds is None else bounds[1]
