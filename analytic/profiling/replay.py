"""Calls seen before, answered from what they gave: the cost of a profile on the meta device.

On the meta device what a call gives (its outputs' shapes, strides and dtypes) and what it counts
depend only on the call: the operator or torch function, the shapes, strides and dtypes of its
tensor arguments, its other arguments, and the type of the module running it.  A call identical to
one seen before, in this profile or an earlier one of the process, is answered from that one: new
meta tensors of its outputs' shapes and the rows it counted, without running torch's function, its
meta kernels or the formulas again, as torch's fake-tensor dispatch cache does for operators.  On
two levels:

- an operator call (``aten::convolution``): its outputs and its row (:attr:`CallCache.operators`);
- a torch function call (``F.batch_norm``, ``torch.conv2d``, ``Tensor.add``), by
  :class:`FunctionReplay`: its outputs and the rows of every operator call it made
  (:attr:`CallCache.functions`), which skips torch's Python entry points and argument checks, the
  dispatcher and the decomposition of composite operators too.

A function call is answered this way only when what is summarised is all it depends on and all it
does: gradients off (the numeric forward pass), every tensor argument a meta ``Tensor`` or
``Parameter``, every output a new meta tensor made by one of its operator calls (not a view, not a
tensor written in place, not an input handed back), no module run within it, its arguments as they were
(a list it appends to, a tensor it reshapes), no write into a tensor but an element-wise one into
the operator's first argument (another may change a shape), no
operator whose index values a later lookup checks (:mod:`.ranges`), a function that keeps nothing
alive (see :func:`_static`).  The first call of each kind runs and is recorded; a call not of this kind always
runs, and a function that gave no tensor (``Tensor.dim``, ``Tensor.shape``) is a query, passed
straight through from then on.  The caches are bounded (:data:`CACHE_ENTRIES` calls each, the oldest
forgotten first), and kept apart per registry state, conventions, routed functions, default dtype
and deterministic-algorithms setting; :func:`clear` empties them.

>>> import torch
>>> argument_key(torch.empty(2, 3, device="meta"))
(torch.Size([2, 3]), (3, 1), torch.float32)
>>> argument_key([1, 2.0, True])
(1, (<class 'float'>, 2.0), (<class 'bool'>, True))
"""

from __future__ import annotations

from collections import OrderedDict
from operator import eq, is_
from types import (
    BuiltinFunctionType,
    ClassMethodDescriptorType,
    FunctionType,
    GetSetDescriptorType,
    MemberDescriptorType,
    MethodDescriptorType,
    MethodWrapperType,
    ModuleType,
    WrapperDescriptorType,
)
from typing import NamedTuple

import torch

from .copying import EMPTY, immutable
from .functions import ROUTED_FUNCTIONS, RoutedFunctions
from .outputs import META

__all__ = ["CACHE_ENTRIES", "CallCache", "FunctionReplay", "LeafState", "argument_key", "call_cache", "call_key",
           "clear", "leaf_state", "new_outputs", "output_specs"]

#: calls each cache remembers by function and by operator (the oldest forgotten first): a bound on
#: the memory of a long process (a call's record takes about 2.3 KB: at most about 20 MB a cache)
CACHE_ENTRIES = 4096
#: caches kept, one per registry state, conventions and global settings (the oldest dropped first)
CACHES = 2

_PARAMETER = torch.nn.Parameter
_PYTHON = torch._C.DispatchKeySet(torch._C.DispatchKey.Python)
_TENSOR_DICTS = frozenset({"_parameters", "_buffers"})
_NO_TORCH_FUNCTIONS = torch._C.DisableTorchFunction
_HASHABLE = (int, float, bool, str, type(None), torch.dtype, torch.device, torch.memory_format, torch.layout)


class _Bounded(OrderedDict):
    """A dictionary that forgets its oldest entry beyond ``limit`` entries."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        if len(self) > self.limit:
            self.popitem(last=False)


class CallCache:
    """What the calls of one kind of pass gave: by operator call (``key -> (output specs, row)``),
    by function call (``key -> (output specs, structure, records)``, or ``None`` for a call that
    always runs), and each operator overload's summary (``func -> what the counting mode reads of
    its schema``)."""

    def __init__(self, limit: int = CACHE_ENTRIES):
        self.operators = _Bounded(limit)
        self.functions = _Bounded(limit)
        self.overloads: dict = {}
        #: functions that gave something other than tensors (``Tensor.dim``, ``Tensor.shape``):
        #: metadata queries, never answered from a record
        self.queries: set = set()


_CACHES: OrderedDict[tuple, CallCache] = OrderedDict()


def call_cache(registry_state: object, conventions: tuple | None) -> CallCache:
    """The cache of the passes counted by a registry in ``registry_state`` (its token: it changes
    with each formula registered) under ``conventions``, with the functions routed now
    (:data:`.functions.ROUTED_FUNCTIONS`), torch's default dtype and deterministic-algorithms
    setting (all change what a call gives)."""
    key = (registry_state, conventions, tuple(ROUTED_FUNCTIONS.items()), torch.get_default_dtype(),
           torch.are_deterministic_algorithms_enabled())
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = CallCache()
        while len(_CACHES) > CACHES:
            _CACHES.popitem(last=False)
    return cache


def clear() -> None:
    """Forget every call seen: what a torch function patched since gives is then seen anew (the
    caches know a function by the object called, not by what it calls)."""
    _CACHES.clear()


def argument_key(value):
    """A hashable summary of one argument of a call (a meta tensor's shape, strides and dtype, its
    conjugate and negative bits where it is complex), or ``TypeError`` for one that has none (a
    tensor off the meta device or of a subclass, an object of another kind)."""
    kind = type(value)
    if kind is torch.Tensor or kind is _PARAMETER:
        if not value.is_meta:
            raise TypeError("not a meta tensor")
        dtype = value.dtype
        if dtype.is_complex:
            return value.shape, value.stride(), dtype, value.is_conj(), value.is_neg()
        return value.shape, value.stride(), dtype
    if kind is int or kind is str or value is None:
        return value
    if kind is tuple or kind is list:
        return tuple(map(argument_key, value))
    if kind is float or kind is bool:  # 1, 1.0 and True are equal keys but make different dtypes
        return kind, value
    if isinstance(value, torch.Tensor):
        raise TypeError(f"a tensor of the subclass {kind.__name__}")
    if isinstance(value, _HASHABLE):
        return value
    raise TypeError(kind.__name__)


def call_key(func, kind, args, kwargs) -> tuple | None:
    """What determines a call's outputs and counts on the meta device (``kind``: what else it
    depends on, the running module's type), or ``None`` if something in it cannot be summarised;
    hashable if ``func`` is.  Keyword arguments in the order given (a call site gives them in one
    order; another order is another key, recorded apart)."""
    try:
        return (func, kind, tuple(map(argument_key, args)),
                tuple([(k, argument_key(v)) for k, v in kwargs.items()]) if kwargs else ())
    except TypeError:
        return None


def output_specs(out):
    """``(shape, stride, dtype)`` of each output tensor (a tuple; a list for a list of them), or
    ``None`` for outputs that are not all tensors."""
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(t, torch.Tensor) and t.is_meta for t in outputs):
        return None
    specs = [(tuple(t.shape), t.stride(), t.dtype) for t in outputs]
    return specs if isinstance(out, list) else tuple(specs)


def new_outputs(specs) -> tuple:
    """New meta tensors of ``specs`` (:func:`output_specs`), as a tuple."""
    return tuple(torch.empty_strided(shape, stride, dtype=dtype, device=META) for shape, stride, dtype in specs)


def _fresh_outputs(out, fresh: set[int]) -> tuple | None:
    """``(specs, structure)`` of a function's outputs if each is a new plain tensor made by one of
    its operator calls (``fresh``: their ids), none twice; else ``None``.  ``structure`` rebuilds
    the container: ``None`` for a single tensor, else ``tuple``, ``list`` or a named tuple type
    (``torch.return_types.max``)."""
    if type(out) is torch.Tensor:
        tensors, structure = (out,), None
    elif isinstance(out, (tuple, list)) and out and all(type(t) is torch.Tensor for t in out):
        tensors, structure = tuple(out), type(out)
        if structure is not tuple and structure is not list and not (
                isinstance(out, tuple) and type(out).__module__ == "torch.return_types"):
            return None
    else:
        return None
    ids = [id(t) for t in tensors]
    if len(set(ids)) != len(ids) or not all(i in fresh for i in ids):
        return None
    specs = output_specs(tensors)
    return None if specs is None else (specs, structure)


_DESCRIPTORS = (MethodDescriptorType, WrapperDescriptorType, ClassMethodDescriptorType)
_BOUND = (BuiltinFunctionType, MethodWrapperType)
_OWNERS = (ModuleType, type, GetSetDescriptorType, MemberDescriptorType, type(None))
_CONSTANTS = (FunctionType, BuiltinFunctionType, str, int, float, bool, type(None))


def _static(func) -> bool:
    """Whether ``func`` can be a key: a function of a module holding nothing but functions and
    constants, a builtin of a module or a class, a method of a class (torch's functions, a
    Python module's).  A method bound to an object (a tensor's, a model's), a partial, a closure
    over objects is not: a cache keeping it would keep those objects alive."""
    kind = type(func)
    if kind is FunctionType:
        try:
            return func.__closure__ is None or all(type(cell.cell_contents) in _CONSTANTS for cell in func.__closure__)
        except ValueError:  # a cell not filled yet
            return False
    if kind in _BOUND:
        return isinstance(func.__self__, _OWNERS)
    return kind in _DESCRIPTORS


class FunctionReplay(RoutedFunctions):
    """The pass's torch functions, routed as :class:`RoutedFunctions` routes them; a call
    identical to one recorded before is answered from that record (see the module's description),
    and the others that can be answered so are recorded.  ``counting`` is the pass's counting
    mode: while its ``recording`` is a list it adds each operator call's ``(op, formula, row)``
    to it and the ids of the call's new tensors to ``fresh``, and clears ``replayable`` for a call
    that cannot be replayed; ``replay(records)`` counts recorded rows again."""

    def __init__(self, counting, cache: CallCache, leaves: dict | None = None):
        super().__init__(counting)
        self.functions = cache.functions
        self.queries = cache.queries
        #: the records of the layers' calls (:meth:`module_call`): ``id(layer) -> (its LeafState,
        #: {call key: record})``, for a copy kept with them
        self.leaves = leaves

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        counting = self.counting
        if type(func) is MethodWrapperType and func.__name__ == "__set__":  # ``t.data = other``: a tensor's
            counting.tensors_changed = True  # shape or dtype may change in place
        key = self._key(func, args, kwargs)
        known = self.functions.get(key, False) if key is not None else None
        if known is None:  # a call that cannot be summarised, or one of a kind that always runs
            return super().__torch_function__(func, types, args, kwargs)
        if known is not False:
            specs, structure, records = known
            counting.replay(records)
            with torch._C._ExcludeDispatchKeyGuard(_PYTHON):  # new tensors, not calls of the pass
                return _outputs(counting, specs, structure)
        path, entered = counting.running_path(), counting.modules_entered
        out, records, fresh, replayable = _recorded(counting, super().__torch_function__, func, types, args, kwargs)
        if not (isinstance(out, torch.Tensor) or (
                isinstance(out, (tuple, list)) and any(isinstance(t, torch.Tensor) for t in out))):
            self.queries.add(func)  # no tensor given (a size, a dtype): a query, never recorded again
        outputs = _fresh_outputs(out, fresh) if replayable else None
        if (outputs is None or counting.modules_entered != entered or counting.running_path() != path
                or call_key(func, counting.running_kind(), args, kwargs) != key):  # it changed its arguments
            self.functions[key] = None
        else:
            self.functions[key] = (*outputs, tuple(records))
        return out

    def module_call(self, module, args, kwargs):
        """A call of ``module``, one of torch's own layers with no submodules (see
        :func:`leaf_state`), on the pass's copy kept for the model's next profile: answered from
        the record of an identical call of it in an earlier pass (the same arguments' shapes,
        strides, dtypes and values) while the layer holds what it held when its copy was made,
        without running its forward, torch's functions or their kernels; recorded where the call
        can be answered so (as a torch function call: its outputs new tensors or its first
        argument written in place, its arguments and its layer as they were, no tensor's shape
        changed in place during the pass)."""
        counting = self.counting
        entry = self.leaves.get(id(module))
        if entry is None:
            entry = self.leaves[id(module)] = (leaf_state(module), {})
        state, records = entry
        if state is None or counting.tensors_changed or torch.is_grad_enabled() or not state.matches(module):
            return module.forward(*args, **kwargs)  # (gradients on within the forward: the autograd graph is asked for)
        with _NO_TORCH_FUNCTIONS():  # reading the arguments, not calls of the pass
            key = _arguments_key(args, kwargs)
        if key is None:
            return module.forward(*args, **kwargs)
        known = records.get(key)
        if known is not None:
            specs, structure, rows = known
            counting.replay(rows)
            if specs is None:  # written into its first argument, as it was
                return args[0]
            with _NO_TORCH_FUNCTIONS(), torch._C._ExcludeDispatchKeyGuard(_PYTHON):
                return _outputs(counting, specs, structure)
        entered = counting.modules_entered
        out, rows, fresh, replayable = _recorded(counting, module.forward, *args, **kwargs)
        if (not replayable or counting.tensors_changed or counting.modules_entered != entered
                or not state.matches(module)):
            return out
        with _NO_TORCH_FUNCTIONS():
            if _arguments_key(args, kwargs) == key:  # its arguments as they were
                if args and out is args[0] and type(out) is torch.Tensor:
                    records[key] = (None, None, tuple(rows))
                else:
                    outputs = _fresh_outputs(out, fresh)
                    if outputs is not None:
                        records[key] = (*outputs, tuple(rows))
        return out

    def _key(self, func, args, kwargs) -> tuple | None:
        """The call's key, or ``None`` for a call that always runs: with gradients on (the autograd
        graph is asked for), of a metadata query, of a function that holds objects (see
        :func:`_static`), or of a function or arguments that cannot be summarised."""
        if torch.is_grad_enabled() or not _static(func):
            return None
        try:
            if func in self.queries:
                return None
        except TypeError:  # a function that cannot be a key
            return None
        return call_key(func, self.counting.running_kind(), args, kwargs)


def _arguments_key(args, kwargs) -> tuple | None:
    """The key of a call's arguments (see :func:`argument_key`), or ``None``."""
    try:
        keywords = tuple([(k, argument_key(v)) for k, v in kwargs.items()]) if kwargs else ()
        return tuple(map(argument_key, args)), keywords
    except TypeError:
        return None


def _outputs(counting, specs, structure):
    """New meta tensors of a recorded call's outputs (``specs``, in ``structure``: see
    :func:`_fresh_outputs`), noted as new tensors of the call enclosing it if it is recorded."""
    out = new_outputs(specs)
    if counting.recording is not None:
        counting.fresh.update(map(id, out))
    return out[0] if structure is None else structure(out)


def _recorded(counting, run, *args, **kwargs) -> tuple:
    """``run(*args, **kwargs)`` recorded: its output, the operator calls it made (``(op, formula,
    row)`` each), the ids of the tensors they made anew and whether all of them can be replayed;
    all of which is also added to the record of the call enclosing it (a module call), if any."""
    outer = counting.recording, counting.fresh, counting.replayable
    counting.recording, counting.fresh, counting.replayable = [], set(), True
    try:
        out = run(*args, **kwargs)
        records, fresh, replayable = counting.recording, counting.fresh, counting.replayable
    finally:
        counting.recording, counting.fresh, counting.replayable = outer
    if outer[0] is not None:
        outer[0].extend(records)
        outer[1].update(fresh)
        counting.replayable = outer[2] and replayable
    return out, records, fresh, replayable


class LeafState(NamedTuple):
    """What one of torch's layers held when its copy was made, as a pass sees it (its call, the
    pass's own, its last attribute): its other attributes' names and values (the very objects),
    its empty containers (hook dictionaries) and its parameters and buffers (the tensors).  The
    shapes of those tensors change only in place, which a pass sees (``tensors_changed``)."""

    names: tuple
    values: tuple
    empty: tuple
    parameters: tuple
    buffers: tuple

    def matches(self, module) -> bool:
        """Whether ``module`` (running in a pass) holds what it held."""
        state = module.__dict__
        parameters, buffers = state["_parameters"], state["_buffers"]
        return (len(state) == len(self.names) + 1 and all(map(eq, state, self.names))
                and all(map(is_, state.values(), self.values)) and not any(self.empty)
                and len(parameters) == len(self.parameters) and all(map(is_, parameters.values(), self.parameters))
                and len(buffers) == len(self.buffers) and all(map(is_, buffers.values(), self.buffers)))


_LAYERS = "torch.nn.modules."
_LEAF_TENSORS = (torch.Tensor, _PARAMETER, type(None))


def leaf_state(module) -> LeafState | None:
    """The :class:`LeafState` of ``module``, running in a pass, if it is one of torch's own layers
    (its class defined in ``torch.nn.modules``, not a subclass of one) with no submodules and
    nothing but numbers, strings, tuples of them, empty containers, parameters and buffers; else
    ``None``."""
    state = module.__dict__
    if not type(module).__module__.startswith(_LAYERS) or module._modules or next(reversed(state)) != "_call_impl":
        return None
    state = dict(state)
    del state["_call_impl"]
    empty = []
    for name, value in state.items():
        kind = type(value)
        if kind in EMPTY and not value:
            empty.append(value)
        elif not (immutable(value) or (
                kind is dict and name in _TENSOR_DICTS and all(type(t) in _LEAF_TENSORS for t in value.values()))):
            return None
    return LeafState(tuple(state), tuple(state.values()), tuple(empty), tuple(state["_parameters"].values()),
                     tuple(state["_buffers"].values()))
