"""Copies of a model on the meta device: the profile never touches the user's model.

:func:`meta_copy` gives what ``copy.deepcopy`` gives, with every parameter, buffer and tensor
attribute replaced by a new meta tensor (no data copied).  ``copy.deepcopy`` itself walks every
attribute of every module through ``__reduce_ex__`` (a dozen hook dictionaries each, mostly empty),
which costs more than a small model's whole meta pass; a module whose class copies the standard way
is therefore copied attribute by attribute here, with the same result: values that cannot change
(numbers, strings, tuples of them) shared, empty containers made anew, submodules copied, anything
else handed to ``copy.deepcopy`` with the same memo.  A class with its own copying or pickling
(``__deepcopy__``, ``__reduce_ex__``, slots, a state that is not a dictionary) is copied by ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch.nn.parameter import is_lazy

from .modules import named_modules

__all__ = ["ATOMIC", "EMPTY", "copies_the_standard_way", "REGISTERED", "immutable", "meta_copy"]

#: values a copy shares with its original (they cannot change)
ATOMIC = frozenset({int, float, complex, bool, str, bytes, type(None), torch.dtype, torch.device})
#: containers a copy makes anew when empty (a module's hook dictionaries)
EMPTY = frozenset({dict, OrderedDict, list, set})
#: a module's registered dictionaries: its parameters, buffers and submodules
REGISTERED = frozenset({"_parameters", "_buffers", "_modules"})
_standard: dict[type, bool] = {}


def copies_the_standard_way(cls: type) -> bool:
    """Whether ``copy.deepcopy`` copies instances of ``cls`` the standard way: a new instance by
    ``__new__``, then ``__setstate__`` of a deep copy of ``__getstate__()`` (``nn.Module``'s, or a
    layer's own that mends old checkpoints)."""
    known = _standard.get(cls)
    if known is None:
        known = _standard[cls] = (
            getattr(cls, "__deepcopy__", None) is None
            and cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and not any("__slots__" in vars(base) for base in cls.__mro__[:-1]))
    return known


def immutable(value) -> bool:
    """Whether ``value`` cannot change: an atomic value or a tuple of such values."""
    kind = type(value)
    return kind in ATOMIC or (kind is tuple and all(map(immutable, value)))


class _Copier:
    """One deep copy: the memo (``id`` of an original -> its copy) and what makes a tensor's copy."""

    def __init__(self, memo: dict, make):
        self.memo, self.make = memo, make

    def copy(self, value):
        kind = type(value)
        if kind in ATOMIC:
            return value
        if kind in EMPTY and not value:
            return kind()
        found = self.memo.get(id(value))
        if found is not None:
            return found
        if isinstance(value, torch.nn.Module) and copies_the_standard_way(kind):
            return self.module(value)
        if immutable(value):
            return value
        if isinstance(value, torch.Tensor):  # a tensor in a list or a dictionary (a cache of a forward)
            return self.tensor(value)
        if kind is list or kind is dict or kind is OrderedDict:  # may hold tensors: copied here, not by deepcopy
            new = kind()
            self.memo[id(value)] = new
            if kind is list:
                new.extend(map(self.copy, value))
            else:
                new.update((key, self.copy(v)) for key, v in value.items())
            return new
        if kind is tuple:
            return tuple(map(self.copy, value))
        return copy.deepcopy(value, self.memo)

    def tensor(self, value: torch.Tensor) -> torch.Tensor:
        """The copy of a tensor that is no registered parameter or buffer (a plain tensor attribute,
        what old-style weight_norm computes, or a tensor a forward cached in a list): a new one made
        by ``make``, a parameter again if it was one.  ``copy.deepcopy`` would copy its data, and
        refuses a tensor computed with gradients."""
        found = self.memo.get(id(value))
        if found is None:
            made = self.make(value)
            if isinstance(value, torch.nn.Parameter):
                made = torch.nn.Parameter(made, requires_grad=value.requires_grad)
            found = self.memo[id(value)] = made
        return found

    def module(self, module: torch.nn.Module) -> torch.nn.Module:
        state = module.__getstate__()
        if type(state) is not dict:
            return copy.deepcopy(module, self.memo)
        new = type(module).__new__(type(module))
        memo = self.memo
        memo[id(module)] = new
        for name, value in state.items():  # a module's state: mostly numbers, strings and empty hook dictionaries
            kind = type(value)
            if kind in ATOMIC:
                continue
            if kind in EMPTY:
                if not value:
                    state[name] = kind()
                elif kind is dict and name in REGISTERED:  # parameters and buffers (in the memo), submodules
                    state[name] = {key: self.copy(v) for key, v in value.items()}
                else:
                    state[name] = self.copy(value)
            elif kind is tuple and ATOMIC.issuperset(map(type, value)):  # a kernel size, a padding
                continue
            elif isinstance(value, torch.Tensor):  # a plain tensor attribute (what old-style weight_norm computes)
                state[name] = self.tensor(value)
            else:
                state[name] = self.copy(value)
        new.__setstate__(state)
        return new


def meta_copy(model: torch.nn.Module, make=None, modules: list | None = None, memo: dict | None = None
              ) -> torch.nn.Module:
    """A deep copy of ``model`` whose parameters, buffers and tensor attributes are new meta
    tensors (no data copied), or what ``make`` makes of each tensor (fake tensors, for a symbolic
    profile); ``modules``: the model's modules if known (:func:`.modules.named_modules`); ``memo``:
    a dictionary to fill with each original's copy (by ``id``), as ``copy.deepcopy``'s.

    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    >>> copied = meta_copy(model)
    >>> copied[0].weight.device, copied[0].weight.shape, model[0].weight.device.type
    (device(type='meta'), torch.Size([2, 3]), 'cpu')
    """
    def meta(t):
        return torch.empty_like(t, device="meta")

    make = make or meta
    memo = {} if memo is None else memo
    for _, module in modules if modules is not None else named_modules(model):
        for p in module._parameters.values():
            if p is not None and id(p) not in memo:
                memo[id(p)] = _uninitialized(p) if is_lazy(p) else torch.nn.Parameter(make(p),
                                                                                      requires_grad=p.requires_grad)
        for b in module._buffers.values():
            if b is not None and id(b) not in memo:
                memo[id(b)] = _uninitialized(b) if is_lazy(b) else make(b)
    return _Copier(memo, make).copy(model)


def _uninitialized(tensor):
    """A lazy module's tensor not made yet (``nn.LazyLinear``'s weight before its first forward):
    one on the meta device, made by the copy's own first forward."""
    return type(tensor)(requires_grad=tensor.requires_grad, device="meta", dtype=tensor.dtype)
