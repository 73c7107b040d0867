"""The counting mode: one ``TorchDispatchMode`` that sees every operator call of a pass and counts
it by the registry, naming no operator itself (the shape of ``torch.utils.flop_counter``).

For each call the mode runs the operator, reads the call through one generic adapter (every
tensor argument becomes its :class:`~analytic.formulas.Shape`, sizes read by the pass's strategy:
ints on a numeric pass, SymPy expressions on a symbolic one), looks the operator up in the
registry, and records a row charged to the modules running at the time.  An operator without a
formula is decomposed when torch can (a composite operator), and its parts counted; otherwise it is
listed as not counted, never dropped.

The numeric and the symbolic pass are two :class:`Strategy` objects of the same mode: how a size
is read, what to check before each call, and what to do when a kernel wants concrete sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import torch
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from ..formulas import DATA_MOVEMENT, FORMULAS, Registry, Shape
from .result import ProfileRow

__all__ = ["CountingMode", "MissingKernel", "Strategy", "count_calls", "internal_modules", "module_parameters"]


class MissingKernel(Exception):
    """An operator without a kernel for the device of the pass (the meta device, usually)."""

    def __init__(self, op: str, module: str, error: BaseException):
        super().__init__(op)
        self.op, self.module, self.error = op, module, error


class Strategy:
    """How a pass reads sizes and guards its calls; this base is the numeric pass (plain ints)."""

    symbolic = False

    def size(self, value) -> object:
        """A size of a tensor of the pass, as a formula receives it."""
        return int(value)

    def before(self, op: str, func, args, kwargs, calls: int) -> None:
        """Called before each operator call (the ``calls``-th); may stop the pass by raising."""

    def kernel_failed(self, func, error: RuntimeError) -> Callable | None:
        """What to run instead of a kernel that failed on this pass's tensors (``None``: re-raise)."""
        return None


def _makes_tensors(schema) -> bool:
    """Whether an operator returns tensors; one that does not (``aten::size``, ``prim::device``)
    queries metadata: no arithmetic, no data, nothing to list."""
    return any("Tensor" in str(r.type) for r in schema.returns)


def internal_modules(model) -> set[int]:
    """The modules that compute a parametrized weight (weight_norm's): they belong to their layer."""
    from torch.nn.utils.parametrize import is_parametrized

    return {id(m) for owner in model.modules() if is_parametrized(owner) for m in owner.parametrizations.modules()}


def _fused_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                     enable_gqa=False):
    """``F.scaled_dot_product_attention`` as its fused kernel, or ``None`` where that kernel does
    not apply (grouped heads, not 4-d, values of another width, a boolean mask)."""
    if enable_gqa or query.dim() != 4 or key.dim() != 4 or value.dim() != 4 or key.shape[1] != query.shape[1]:
        return None
    if value.shape[-1] != query.shape[-1] or key.shape[-1] != query.shape[-1]:
        return None
    if attn_mask is not None and attn_mask.dtype == torch.bool:
        return None
    return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
        query, key, value, dropout_p, is_causal, attn_mask=attn_mask, scale=scale)[0]


#: functions that torch runs as a fused kernel on one device and as its parts on another (the
#: reference path on ``meta``): run as the fused kernel on every device, so that one model has one
#: count, and the kernel's formula sees what the parts hide (a causal mask)
FUSED_FUNCTIONS = {torch.nn.functional.scaled_dot_product_attention: _fused_attention}


class _Fused(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        fused = FUSED_FUNCTIONS.get(func)
        if fused is not None:
            out = fused(*args, **kwargs)
            if out is not None:
                return out
        return func(*args, **kwargs)


class CountingMode(TorchDispatchMode):
    """Counts every operator call under it into :attr:`rows`, :attr:`data_movement` and
    :attr:`uncounted`, charging each to the modules of ``model`` running at the time."""

    def __init__(self, model, registry: Registry = FORMULAS, strategy: Strategy | None = None,
                 conventions: Sequence[str] | None = None, cache: dict | None = None):
        super().__init__()
        self.registry = registry
        self.strategy = strategy or Strategy()
        self.conventions = tuple(conventions) if conventions is not None else None
        self.cache = cache
        self.rows: list[ProfileRow] = []
        self.data_movement: Counter[str] = Counter()
        self.uncounted: Counter[str] = Counter()
        self.movement_bytes: Counter[tuple[str, ...]] = Counter()
        self.calls = 0
        self._model = model
        self._names = {id(m): name for name, m in model.named_modules()}
        self._internal = internal_modules(model)
        self._stack: list[torch.nn.Module] = []
        #: operator overload -> (qualified name, formula or None, whether it makes tensors)
        self._ops: dict = {}

    # -- modules ------------------------------------------------------------------------------------
    def _enter(self, module, args) -> None:
        if id(module) in self._names and id(module) not in self._internal:
            self._stack.append(module)

    def _leave(self, module, args, output) -> None:
        if self._stack and self._stack[-1] is module:
            self._stack.pop()

    def _owner(self) -> tuple[str, str]:
        if not self._stack:
            return "", type(self._model).__name__
        module = self._stack[-1]
        # weight_norm makes a dynamic subclass (ParametrizedConv1d): name the module's own class
        kind = type(module).__bases__[0] if torch.nn.utils.parametrize.is_parametrized(module) else type(module)
        return self._names[id(module)], kind.__name__

    def run(self, *inputs):
        """One forward pass of the model on ``inputs`` under this mode (no gradients)."""
        handles = [register_module_forward_pre_hook(self._enter), register_module_forward_hook(self._leave)]
        try:
            with torch.no_grad(), _Fused(), self:
                return self._model(*inputs)
        finally:
            for handle in handles:
                handle.remove()

    # -- the adapter --------------------------------------------------------------------------------
    def _read(self, value):
        """A call's argument as a formula receives it: a tensor as its :class:`Shape`, a symbolic
        size as the strategy reads it, lists as tuples (hashable)."""
        if isinstance(value, torch.Tensor):
            return Shape(tuple(map(self.strategy.size, value.shape)), str(value.dtype).removeprefix("torch."))
        if isinstance(value, (list, tuple)):
            return tuple(self._read(v) for v in value)
        if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
            return self.strategy.size(value)
        if isinstance(value, (torch.dtype, torch.device, torch.memory_format, torch.layout)):
            return str(value)
        return value

    def _bytes(self, func, out) -> object:
        """Bytes of the tensors a call produced: none for a view or an in-place call (its outputs
        alias an input)."""
        if func.is_view:
            return 0
        returns = func._schema.returns
        outputs = out if isinstance(out, (tuple, list)) else (out,)
        total = 0
        for i, t in enumerate(outputs):
            if isinstance(t, torch.Tensor) and not (i < len(returns) and returns[i].alias_info is not None):
                size = t.element_size()
                for v in t.shape:
                    size = size * self.strategy.size(v)
                total = total + size
        return total

    # -- dispatch -----------------------------------------------------------------------------------
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        known = self._ops.get(func)
        if known is None:
            schema = func._schema
            known = self._ops[func] = (schema.name, self.registry.get(schema.name), _makes_tensors(schema))
        op, formula, makes_tensors = known
        if not makes_tensors:
            try:
                return func(*args, **kwargs)
            except NotImplementedError as error:  # a query that needs values (aten::equal on meta)
                raise MissingKernel(op, self._owner()[0], error) from error
        if formula is None and torch._C._dispatch_has_kernel_for_dispatch_key(
                func.name(), torch._C.DispatchKey.CompositeImplicitAutograd):  # a composite: count its parts
            decomposed = func.decompose(*args, **kwargs)
            if decomposed is not NotImplemented:
                return decomposed
        self.calls += 1
        self.strategy.before(op, func, args, kwargs, self.calls)
        try:
            out = func(*args, **kwargs)
        except NotImplementedError as error:
            raise MissingKernel(op, self._owner()[0], error) from error
        except RuntimeError as error:
            # on symbolic sizes a kernel may want concrete ones (F.pad by an amount computed from
            # the size): the strategy runs torch's decomposition instead, its operators counted
            replacement = self.strategy.kernel_failed(func, error)
            if replacement is None:
                raise
            with self:
                return replacement(*args, **kwargs)
        stack = tuple(self._names[id(m)] for m in self._stack)
        if formula is None:
            self.uncounted[op] += 1
            self.movement_bytes[stack] += self._bytes(func, out)
            return out
        if formula.kind == DATA_MOVEMENT:
            self.data_movement[op] += 1
            self.movement_bytes[stack] += self._bytes(func, out)
            return out
        name, kind = self._owner()
        shapes = tuple(self._read(a) for a in args)
        options = {k: self._read(v) for k, v in kwargs.items()}
        out_shape = self._read(out)
        key = None
        if self.cache is not None:
            key = (op, kind if formula.wants_module else None, _dtyped(shapes), tuple(sorted(options.items())),
                   _dtyped(out_shape if isinstance(out_shape, tuple) else (out_shape,)))
            counts = self.cache.get(key)
        if key is None or counts is None:
            counts = formula(*shapes, out_shape=out_shape, module=kind, **options)
            if self.conventions is not None:
                counts = {c: counts[c] for c in self.conventions}
            if key is not None:
                self.cache[key] = counts
        first = next((s for s in shapes if isinstance(s, Shape)), None)
        output = out_shape[0] if isinstance(out_shape, tuple) and out_shape and isinstance(
            out_shape[0], Shape) else out_shape
        parameters = _parameters(func._schema, shapes, options)
        self.rows.append(ProfileRow(name, kind, op, _tuple(_input(formula, shapes, first)), _tuple(output), counts,
                                    parameters, stack, self._bytes(func, out)))
        return out


def _dtyped(values: tuple) -> tuple:
    """``values`` with each :class:`Shape` among them paired with its dtype (a cache key)."""
    return tuple((v, v.dtype) if isinstance(v, Shape) else v for v in values)


def _tuple(shape) -> tuple | None:
    return tuple(shape) if isinstance(shape, Shape) else None


def _input(formula, shapes, first):
    index = getattr(formula.function, "input_argument", None)
    return shapes[index] if index is not None and index < len(shapes) else first


def _parameters(schema, shapes, options) -> dict[str, object]:
    """The call's arguments by their names in the operator's schema (shapes as tuples)."""
    names = [a.name for a in schema.arguments]
    values = dict(zip(names, shapes, strict=False))
    values.update(options)
    return {k: _plain(v) for k, v in values.items()}


def _plain(value):
    if isinstance(value, Shape):
        return tuple(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def count_calls(model, inputs, conventions: Sequence[str], registry: Registry = FORMULAS,
                strategy: Strategy | None = None, cache: dict | None = None) -> CountingMode:
    """One forward pass of ``model`` on ``inputs`` under a :class:`CountingMode`; the mode, with
    what it counted."""
    mode = CountingMode(model, registry, strategy, conventions, cache)
    mode.run(*inputs)
    return mode


def module_parameters(model) -> dict[str, tuple[str, int, int]]:
    """Each module's own parameters (not its submodules'): ``name -> (type, trainable, frozen)``,
    a parameter shared by several modules counted at its first one."""
    from torch.nn.utils.parametrize import is_parametrized

    internal = internal_modules(model)
    seen: set[int] = set()
    result: dict[str, tuple[str, int, int]] = {}
    for name, module in model.named_modules():
        if id(module) in internal:  # weight_norm's parts: their parameters are the layer's
            continue
        own = list(module.parameters(recurse=False))
        if is_parametrized(module):
            own += list(module.parametrizations.parameters())
        trainable = frozen = 0
        for p in own:
            if id(p) in seen:
                continue
            seen.add(id(p))
            if p.requires_grad:
                trainable += p.numel()
            else:
                frozen += p.numel()
        kind = type(module).__bases__[0] if is_parametrized(module) else type(module)
        result[name] = (kind.__name__, trainable, frozen)
    return result

