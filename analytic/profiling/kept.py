"""Meta copies kept for a model's next profile.

A model is usually profiled more than once in a process (at several input sizes, under several
conventions, in a loop over configurations), and copying it to the meta device costs about as much
as the whole counting pass of a small CNN (MobileNetV2: 198 modules, 314 tensors, about 2 ms).  The
numeric forward pass on the meta device therefore keeps the copy it ran, with a record of what the
copy was made from, and the next profile of the same model runs that copy again when a fresh copy
would be the same:

- the model holds the same modules at the same names (shared ones shared the same way), each of
  the same class with the same attributes: the same numbers, strings and tuples of them, classes
  and functions, plain data equal to theirs (a configuration dictionary, a list of sizes: the
  same values of the same types), its hook dictionaries still empty, the same
  parameters and buffers (shared the same way) of the same shapes, strides, dtypes and
  ``requires_grad``;
- the copy is as it was made, checked after each pass: a forward that writes into its own module
  (a counter, a cache, a hook, a tensor resized) makes the copy differ from a fresh one, and it is
  not kept.

A model holding anything else in a module (a list of tensors, a configuration object, a lazy
module's tensor not made yet, a class that copies itself its own way) is copied afresh for every profile, as is any
pass but the forward pass on the meta device.  Copies are kept for :data:`KEPT` models at most; a
copy never keeps its model alive (it holds no reference to it, and is dropped when the model is
freed).  :func:`clear` drops them all.

>>> import torch
>>> model = torch.nn.Sequential(torch.nn.Linear(3, 2))
>>> record = ModelRecord.of(list(model.named_modules()))
>>> record.matches(model)
True
>>> model[0].weight = torch.nn.Parameter(torch.zeros(2, 4))  # another shape: a fresh copy differs
>>> record.matches(model)
False
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from enum import Enum
from functools import partial
from itertools import chain
from operator import attrgetter, call, is_, methodcaller
from types import BuiltinFunctionType, FunctionType
from typing import NamedTuple

import torch

from .copying import ATOMIC, EMPTY, REGISTERED, copies_the_standard_way, immutable

__all__ = ["DATA_DEPTH", "DATA_ELEMENTS", "KEPT", "Kept", "ModelRecord", "clear", "keep", "take"]

#: models whose meta copy is kept (the least recently profiled dropped first)
KEPT = 4

_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
#: what a function a copy shares may hold beside numbers, strings and tuples of them
_SHARED_KINDS = (FunctionType, BuiltinFunctionType, type)
_MODULE_STATE = torch.nn.Module.__getstate__
_SHAPE, _DTYPE, _REQUIRES_GRAD, _LAYOUT = (attrgetter(name) for name in ("shape", "dtype", "requires_grad", "layout"))
_STRIDE = methodcaller("stride")
_STRIDED = torch.strided
_DICT = attrgetter("__dict__")


class ModelRecord(NamedTuple):
    """What a copy of a model's modules (:func:`.modules.named_modules`) depends on, in flat lists
    (each checked in one pass):

    - ``modules``: a weak reference to each module, the model first (the same objects);
    - ``lengths``, ``keys``, ``values``: each module's number of attributes, then their names and
      values, module after module (the very objects: numbers, strings and tuples of them cannot
      change, a container's contents are checked apart);
    - ``empty``: the containers that were empty (a module's hook dictionaries), ``data``: each
      container of plain data (a configuration dictionary, a list of sizes, the set of
      non-persistent buffers' names) with its :func:`_form`;
    - ``holders``: the registered dictionaries (parameters, buffers, submodules), ``plain``: the
      plain tensor attributes as ``(module position, name)``; ``held_keys``, ``held_ids``: the names
      in those dictionaries, and the ``id`` of every value held there or in a plain attribute (a
      tensor, a submodule or ``None``: which are the same object), in order;
    - ``tensors``: the positions of the tensors among those values, and ``facts``: of each, its
      type, shape, strides, dtype, ``requires_grad`` and layout, one list each: what its copy on
      the meta device is made of.
    """

    modules: list
    lengths: list
    keys: list
    values: list
    empty: list
    data: list
    holders: list
    plain: list
    held_keys: list
    held_ids: list
    tensors: list
    facts: tuple

    @classmethod
    def of(cls, modules) -> ModelRecord | None:
        """The record of ``modules`` (a model's named modules), or ``None`` if one of them holds
        something a record cannot follow (a list of tensors, a configuration object of a class of
        its own, a lazy module's tensor not made yet, a class that copies itself its own way)."""
        empty, data, holders, plain = [], [], [], []
        for position, (_, module) in enumerate(modules):
            kind = type(module)
            if not copies_the_standard_way(kind) or kind.__getstate__ is not _MODULE_STATE:
                return None
            for name, value in module.__dict__.items():
                kind = type(value)
                if kind in EMPTY and not value:
                    empty.append(value)
                elif immutable(value) or _shared(value) or isinstance(value, Enum):  # shared with the original
                    continue
                elif kind is dict and name in REGISTERED:
                    holders.append(value)
                elif kind in _TENSOR_TYPES:  # a plain tensor attribute (what old-style weight_norm computes)
                    plain.append((position, name))
                else:  # plain data (a configuration dictionary, a list of sizes), or nothing a record can follow
                    form = _form(value)
                    if form is None:
                        return None
                    data.append((value, form))
        dicts = [module.__dict__ for _, module in modules]
        held = _held(holders, dicts, plain)
        tensors = [position for position, value in enumerate(held) if isinstance(value, torch.Tensor)]
        if modules and any(v is modules[0][1] for v in held):  # a record holding the model would keep it alive
            return None
        if not all(v is None or isinstance(v, torch.nn.Module) or (type(v) in _TENSOR_TYPES and v.layout is _STRIDED)
                   for v in held):
            return None
        return cls([weakref.ref(module) for _, module in modules],
                   list(map(len, dicts)), list(chain.from_iterable(dicts)),
                   list(chain.from_iterable(map(dict.values, dicts))), empty, data, holders, plain,
                   list(chain.from_iterable(holders)), list(map(id, held)), tensors,
                   _facts(list(map(held.__getitem__, tensors))))

    def matches(self, model: torch.nn.Module) -> bool:
        """Whether a fresh copy of ``model`` would be the same as a copy of the model recorded:
        the recorded modules alive and ``model`` the first, each holding what it held (its
        submodules the same objects at the same names: the same structure)."""
        current = list(map(call, self.modules))
        if current[0] is not model or None in current:
            return False
        dicts = list(map(_DICT, current))
        if (list(map(len, dicts)) != self.lengths or list(chain.from_iterable(dicts)) != self.keys
                or not all(map(is_, chain.from_iterable(map(dict.values, dicts)), self.values))
                or any(self.empty) or any(_form(value) != form for value, form in self.data)
                or list(chain.from_iterable(self.holders)) != self.held_keys):
            return False
        held = _held(self.holders, dicts, self.plain)
        if list(map(id, held)) != self.held_ids:
            return False
        try:
            return _facts(list(map(held.__getitem__, self.tensors))) == self.facts
        except (AttributeError, TypeError, IndexError):  # something else now where a tensor was
            return False


#: the most elements and nesting of plain data a record compares (more: copied afresh every time)
DATA_ELEMENTS, DATA_DEPTH = 10_000, 32


def _form(value, budget: list | None = None, depth: int = 0):
    """``value`` as plain data: nested tuples of each element's type and its form, equal for two
    values a copy cannot tell apart (``1``, ``1.0`` and ``True`` differ), or ``None`` if it holds
    anything but numbers, strings, classes, enumeration members and functions that hold only such
    values, in dictionaries, lists, tuples and sets, or more than :data:`DATA_ELEMENTS` of them or
    :data:`DATA_DEPTH` levels (a container holding itself)."""
    budget = [DATA_ELEMENTS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0 or depth > DATA_DEPTH:
        return None
    kind = type(value)
    if kind in ATOMIC or isinstance(value, Enum) or _shared(value):
        return kind, value
    if kind is list or kind is tuple or isinstance(value, tuple):
        parts = tuple(_form(v, budget, depth + 1) for v in value)
    elif kind is dict or kind is OrderedDict:
        parts = tuple(_form(v, budget, depth + 1) for v in chain.from_iterable(value.items()))
    elif kind is set or kind is frozenset:
        parts = frozenset(_form(v, budget, depth + 1) for v in value)
    else:
        return None
    return None if None in parts else (kind, parts)


def _shared(value) -> bool:
    """Whether a copy shares ``value`` with its original and it keeps nothing alive: a class, or a
    function whose defaults and closure hold only numbers, strings, tuples of them and functions
    (``copy.deepcopy`` copies neither)."""
    kind = type(value)
    if kind is type or kind is BuiltinFunctionType:
        return True
    if kind is not FunctionType:
        return False
    try:
        cells = [cell.cell_contents for cell in value.__closure__ or ()]
    except ValueError:  # a cell not filled yet
        return False
    return all(immutable(v) or type(v) in _SHARED_KINDS
               for v in (*cells, *(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values()))


def _held(holders: list, dicts: list, plain: list) -> list:
    """The values of the registered dictionaries ``holders``, then the plain tensor attributes
    ``plain`` (``(position, name)`` in ``dicts``, the modules' attributes)."""
    return [*chain.from_iterable(map(dict.values, holders)), *(dicts[position][name] for position, name in plain)]


def _facts(tensors: list) -> tuple:
    """Of each of ``tensors``: its type, shape, strides, dtype, ``requires_grad`` and layout, one
    list each."""
    return (list(map(type, tensors)), list(map(_SHAPE, tensors)), list(map(_STRIDE, tensors)),
            list(map(_DTYPE, tensors)), list(map(_REQUIRES_GRAD, tensors)), list(map(_LAYOUT, tensors)))


class Kept(NamedTuple):
    """A meta copy kept for its model's next profile: ``record``, the model's when it was copied;
    ``copied``, the copy, and ``modules``, its named modules; ``copy_record``, the copy's as made;
    ``parameters``, its modules' parameters (:func:`.modules.module_parameters`); ``leaves``, the
    records of its layers' calls, by the call cache they were counted in
    (:meth:`.replay.FunctionReplay.module_call`)."""

    record: ModelRecord
    copied: torch.nn.Module
    modules: list
    copy_record: ModelRecord
    parameters: dict | None = None
    leaves: dict | None = None


#: ``id(model) -> (a weak reference to the model, its Kept)``, the least recently kept first; read
#: and changed by single dictionary operations only (no lock: a model freed by the garbage collector
#: drops its entry from within any of them)
_KEPT: dict[int, tuple[weakref.ref, Kept]] = {}


def take(model: torch.nn.Module) -> Kept | None:
    """The copy kept for ``model`` if a fresh copy would be the same, else ``None``; the copy is
    the caller's until it is kept again (a profile running meanwhile in another thread makes its
    own)."""
    found = _KEPT.pop(id(model), None)
    if found is None:
        return None
    owner, kept = found
    return kept if owner() is model and kept.record.matches(model) else None


def keep(model: torch.nn.Module, kept: Kept) -> None:
    """Keeps ``kept`` for ``model``'s next profile, unless its pass changed the copy."""
    if not kept.copy_record.matches(kept.copied):
        return
    key = id(model)
    _KEPT.pop(key, None)
    _KEPT[key] = (weakref.ref(model, partial(_forget, _KEPT, key)), kept)
    while len(_KEPT) > KEPT:
        try:
            _KEPT.pop(next(iter(_KEPT)), None)
        except (StopIteration, RuntimeError):  # emptied or changed meanwhile
            break


def _forget(kept: dict, key: int, owner: weakref.ref) -> None:
    """Drops the copy of a model just freed from ``kept`` (``owner``: the reference to the model that
    was kept; the dictionary is given, not read from the module: at the interpreter's exit the
    module's names may be gone)."""
    if kept.get(key, (None,))[0] is owner:
        kept.pop(key, None)


def clear() -> None:
    """Drops every kept copy: the next profile of each model copies it afresh."""
    _KEPT.clear()
