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

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext

import torch
from torch.nn.modules import module as _module_module
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from ..core.conventions import BACKWARD_CONVENTIONS
from ..formulas import DATA_MOVEMENT, FORMULAS, Registry, Shape, TorchFunction
from .functions import RoutedFunctions
from .modules import internal_modules, module_kind, named_modules
from .outputs import output_maker
from .ranges import LOOKUPS, IndexRanges
from .replay import CACHES, FunctionReplay, call_cache, call_key, new_outputs, output_specs
from .result import ProfileRow

__all__ = ["CountingMode", "LossError", "MissingKernel", "Strategy", "count_calls"]

#: a pass running longer than this many seconds shows a progress bar on a terminal, updated every
#: :data:`PROGRESS_EVERY` operator calls
PROGRESS_AFTER = 2.0
PROGRESS_EVERY = 2048


class LossError(TypeError):
    """The loss of a backward pass is not a scalar (the user's ``loss``, or an output with nothing
    to differentiate)."""


class MissingKernel(Exception):
    """An operator the meta device cannot run: one without a meta kernel, or a query of a tensor's
    values (``Tensor.item()`` for a Python branch, ``aten::equal``); ``reason`` says which."""

    NO_KERNEL = "has no meta kernel"
    NEEDS_VALUES = "needs tensor values"

    def __init__(self, op: str, module: str, error: BaseException, reason: str = NO_KERNEL):
        super().__init__(op)
        self.op, self.module, self.error, self.reason = op, module, error, reason


class Strategy:
    """How a pass reads sizes and guards its calls; this base is the numeric pass (plain ints)."""

    symbolic = False

    def size(self, value) -> object:
        """A size of a tensor of the pass, as a formula receives it."""
        return int(value)

    def shape(self, sizes: torch.Size) -> tuple:
        """A tensor's sizes, as a formula receives them (ints: as torch gives them)."""
        return sizes

    def before(self, op: str, func, args, kwargs, calls: int) -> None:
        """Called before each operator call (the ``calls``-th); may stop the pass by raising."""

    def kernel_failed(self, func, error: RuntimeError) -> Callable | None:
        """What to run instead of a kernel that failed on this pass's tensors (``None``: re-raise)."""
        return None

    def kernel(self):
        """The context an operator's kernel runs in."""
        return nullcontext()

    def check_index(self, highest, rows: int, op: str, module: str) -> None:
        """An index up to ``highest`` (made from the input's sizes) read from a table of ``rows``:
        on a numeric pass, ``IndexError`` where a real forward fails."""
        if highest >= rows:
            raise IndexError(f"{op} in module {module or '(model)'!r} reads row {highest} of a table of {rows} rows"
                             f" (positions made from the input's size): index out of range")

    def of_pass(self, tensor: torch.Tensor) -> bool:
        """Whether ``tensor`` is one of the pass (on the meta device, for the numeric pass there)."""
        return tensor.is_meta

    def adopt(self, tensor: torch.Tensor) -> torch.Tensor:
        """A tensor of the pass with ``tensor``'s shape, strides and dtype."""
        return torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype, device="meta")


def _makes_tensors(schema) -> bool:
    """Whether an operator returns tensors; one that does not (``aten::size``, ``prim::device``)
    queries metadata: no arithmetic, no data, nothing to list."""
    return any("Tensor" in str(r.type) for r in schema.returns)


def _written(argument) -> bool:
    """Whether a schema's argument or result is a tensor written in place (``Tensor(a!)``)."""
    return argument.alias_info is not None and argument.alias_info.is_write


def _composite(func) -> bool:
    """Whether torch can decompose the operator into others (a CompositeImplicitAutograd kernel)."""
    try:
        return torch._C._dispatch_has_kernel_for_dispatch_key(func.name(),
                                                                 torch._C.DispatchKey.CompositeImplicitAutograd)
    except RuntimeError:  # an operator the dispatcher does not know by that name
        return False


class _Operator:
    """What the mode needs to know of an operator overload, read once from its schema."""

    __slots__ = ("arguments", "composite", "formula", "fresh", "maker", "makes_tensors", "name", "reshapes",
                 "restrides", "reusable", "writes_first")

    def __init__(self, func, registry: Registry):
        schema = func._schema
        self.name = schema.name
        self.formula = registry.get(schema.name)
        self.makes_tensors = _makes_tensors(schema)
        self.arguments = tuple(a.name for a in schema.arguments)
        # outputs that are new tensors (not views, not an input written in place): their bytes count,
        # and on the meta device a repeated call's outputs can be made from their shapes alone
        self.fresh = tuple(not func.is_view and r.alias_info is None for r in schema.returns)
        self.reusable = all(self.fresh)
        #: an element-wise operator writing into its first argument and returning it (``add_``,
        #: ``relu_``): its output is that argument, its shape unchanged
        self.writes_first = (torch.Tag.pointwise in func.tags and len(schema.returns) == 1 and bool(schema.arguments)
                             and _written(schema.arguments[0]) and _written(schema.returns[0])
                             and schema.arguments[0].alias_info.before_set == schema.returns[0].alias_info.before_set)
        #: it writes into a tensor it is given otherwise (``unsqueeze_``, ``resize_``, an ``out=``,
        #: running statistics): that tensor's shape may change, or its writes are not element-wise
        self.reshapes = not self.writes_first and any(map(_written, schema.arguments))
        #: it may change a tensor's shape, strides or dtype in place (``unsqueeze_``, ``resize_``,
        #: ``set_``, an ``out=`` it resizes)
        self.restrides = torch.Tag.inplace_view in func.tags or any(a.is_out for a in schema.arguments)
        self.composite = self.formula is None and self.makes_tensors and _composite(func)
        #: its outputs' maker from the inputs' metadata on the meta device (or None: run it)
        self.maker = output_maker(func)


_CALL_IMPL = torch.nn.Module._call_impl


def _global_hooks() -> tuple:
    """The process's global module hooks (``register_module_forward_hook`` and its kin)."""
    m = _module_module
    return (m._global_forward_pre_hooks, m._global_forward_hooks, m._global_backward_hooks,
            m._global_backward_pre_hooks, m._global_forward_hooks_always_called)


class CountingMode(TorchDispatchMode):
    """Counts every operator call under it into :attr:`rows`, :attr:`data_movement` and
    :attr:`uncounted`, charging each to the modules of ``model`` running at the time.

    ``reuse`` (the numeric pass on the meta device): an operator or torch function call identical
    to an earlier one, of this pass or an earlier one (the same operator or function, input shapes,
    strides, dtypes and arguments, in a module of the same type), gets its outputs made from the
    earlier call's shapes and its rows from the earlier rows, without running torch's function, the
    operator's meta kernel or its formula again (:mod:`analytic.profiling.replay`), as torch's
    fake-tensor dispatch cache does; and the outputs of frequent operators are made from their
    inputs' shapes (:mod:`analytic.profiling.outputs`) instead of by torch's meta kernels."""

    def __init__(self, model, registry: Registry = FORMULAS, strategy: Strategy | None = None,
                 conventions: Sequence[str] | None = None, cache: dict | None = None, reuse: bool = False,
                 modules: list | None = None, leaves: dict | None = None):
        super().__init__()
        self.registry = registry
        self.strategy = strategy or Strategy()
        self.conventions = tuple(conventions) if conventions is not None else None
        self.cache = cache
        self.reuse = reuse
        self.rows: list[ProfileRow] = []
        self.data_movement: Counter[str] = Counter()
        self.uncounted: Counter[str] = Counter()
        self.movement_bytes: Counter[tuple[str, ...]] = Counter()
        self.calls = 0
        self._model = model
        #: the model's modules (:func:`.modules.named_modules`), if not given
        self.modules = modules = named_modules(model) if modules is None else modules
        internal = internal_modules(modules)
        #: each module of the model (but weight_norm's parts) as the stack holds it
        self._entries = {id(m): (name, module_kind(m), m) for name, m in modules if id(m) not in internal}
        #: the modules running, as (name, type name, module) of each, outermost first
        self._stack: list[tuple[str, str, object]] = []
        #: the names of the modules running, outermost first (a row's stack)
        self._path: tuple[str, ...] = ()
        #: what earlier passes of the process learnt of the calls (a numeric pass on meta)
        self._seen = call_cache(registry.state, self.conventions) if reuse else None
        self._ops: dict = self._seen.overloads if reuse else {}
        #: the records of torch's layers' calls on a copy kept with them (``leaves``: a dict of them
        #: per call cache), answered from them in a forward pass (see :meth:`.FunctionReplay.module_call`)
        self._leaves = None
        if reuse and leaves is not None:
            if self._seen not in leaves and len(leaves) >= CACHES:  # those of the caches no longer kept
                leaves.pop(next(iter(leaves)))
            self._leaves = leaves.setdefault(self._seen, {})
        #: a tensor's shape, strides or dtype changed in place during the pass (``unsqueeze_``,
        #: ``resize_``, ``t.data = ...``): a layer's tensors may differ from its record's
        self.tensors_changed = False
        self._calls: dict = self._seen.operators if reuse else {}
        #: while a torch function call is recorded: its operators' rows, the ids of the tensors
        #: they made anew, and whether all of them can be replayed
        self.recording: list | None = None
        self.fresh: set[int] = set()
        self.replayable = True
        #: the torch function running and its arguments, ``None`` outside any
        self.function_call: tuple | None = None
        #: modules entered so far (a function that runs one is not replayed)
        self.modules_entered = 0
        self.ranges = IndexRanges()
        self._started = 0.0
        self._progress = None
        #: the pass runs a backward pass too: each autograd node's module, by :class:`GradientOwners`
        self._owners: dict = {}
        self._backward = False
        self._phase, self._differentiates = "forward", ""

    # -- modules ------------------------------------------------------------------------------------
    def _enter(self, module, args) -> None:
        self.modules_entered += 1
        entry = self._entries.get(id(module))
        if entry is not None:
            self._stack.append(entry)
            self._path = (*self._path, entry[0])

    def _leave(self, module, args, output) -> None:
        if self._stack and self._stack[-1][2] is module:
            self._stack.pop()
            self._path = self._path[:-1]

    def _track_calls(self, replay: FunctionReplay | None = None) -> bool:
        """Tracks the modules running by each module's own call where that is what global module
        hooks would see (no hook of its own or of the process, no compiled or TorchScript call,
        torch's ``_call_impl``): each module of the model (a copy, the pass's own) gets a
        ``_call_impl`` that enters it, runs its forward and leaves it, without the hooks' slow path
        of ``nn.Module.__call__``.  Returns whether it did; else the pass registers global hooks."""
        if any(_global_hooks()):
            return False
        for _, module in self.modules:
            state = module.__dict__
            if (type(module)._call_impl is not _CALL_IMPL or "_call_impl" in state or isinstance(
                    module, torch.jit.ScriptModule) or state.get("_compiled_call_impl") is not None
                    or state.get("_forward_pre_hooks") or state.get("_forward_hooks") or state.get("_backward_hooks")
                    or state.get("_backward_pre_hooks")):
                return False
        layers = replay.module_call if replay is not None and self._leaves is not None else None
        for _, module in self.modules:
            module.__dict__["_call_impl"] = self._call_of(module, layers)
        return True

    def _call_of(self, module, layers: Callable | None = None) -> Callable:
        """The call of ``module`` in the pass; ``layers``: what answers a layer's call from a
        record (:meth:`.FunctionReplay.module_call`), if the pass does."""
        enter, leave = self._enter, self._leave
        hooks = module.__dict__.get  # its hook dictionaries, read at each call (a forward may replace one)
        g1, g2, g3, g4, g5 = _global_hooks()

        def call(*args, **kwargs):
            enter(module, args)
            if (hooks("_forward_pre_hooks") or hooks("_forward_hooks") or hooks("_backward_hooks")
                    or hooks("_backward_pre_hooks") or g1 or g2 or g3 or g4 or g5):
                # hooks registered during the pass (transformers registers its output-capturing hooks on a
                # model's first forward): torch's own call, which runs them
                output = _CALL_IMPL(module, *args, **kwargs)
            elif layers is not None:
                output = layers(module, args, kwargs)
            else:
                output = module.forward(*args, **kwargs)
            leave(module, args, output)
            return output

        return call

    def _context(self, formula, kind: str) -> tuple:
        """What a call's counts depend on beyond its arguments: the running module's type and
        torch function, each where its formula reads it (else ``None``)."""
        if formula is None:
            return None, None
        return (kind if formula.wants_module else None,
                self.torch_function() if formula.wants_torch_function else None)

    def torch_function(self) -> TorchFunction | None:
        """The torch function running, as formulas see it (``None`` outside any)."""
        if self.function_call is None:
            return None
        func, args = self.function_call
        first = args[0] if args else None
        leading = (self.strategy.size(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() >= 2
                   else None)
        return TorchFunction(getattr(func, "__name__", None), leading)

    def running_module(self) -> str:
        """The qualified name of the innermost module running (``""``: the model itself)."""
        return self._owner()[0]

    def _owner(self) -> tuple[str, str]:
        if not self._stack:
            return "", type(self._model).__name__
        return self._stack[-1][:2]

    def running_kind(self) -> str:
        """The type name of the innermost module running (the model's for a call outside any)."""
        return self._owner()[1]

    def running_path(self) -> tuple[str, ...]:
        """The names of the modules running, outermost first."""
        return self._path

    def replay(self, records) -> None:
        """Count again the operator calls of ``records`` (``(op, formula, row)`` each, as a
        recorded function call made them), in the modules running now."""
        name, kind = self._owner()
        stack = self._path
        before = self.calls
        self.calls += len(records)
        for op, formula, row in records:
            self._record(op, formula, row, stack, name, kind)
        if before // PROGRESS_EVERY != self.calls // PROGRESS_EVERY:
            self._report_progress()

    def run(self, *inputs, backward: bool = False, loss: Callable | None = None):
        """One forward pass of the model on ``inputs`` under this mode (no gradients); with
        ``backward``, the backward pass of a scalar loss too (``loss(output)``, by default the sum
        of the output's floating-point tensors), gradients as autograd makes them."""
        functions = None
        if not backward:
            functions = FunctionReplay(self, self._seen, self._leaves) if self.reuse else RoutedFunctions(self)
        tracked = self._track_calls(functions if isinstance(functions, FunctionReplay) else None)
        handles = [] if tracked else [register_module_forward_pre_hook(self._enter),
                                      register_module_forward_hook(self._leave)]
        self._started = time.perf_counter()
        try:
            if not backward:
                with torch.no_grad(), functions, self:
                    return self._model(*inputs)
            self._backward = True
            owners = GradientOwners(self)
            with torch.enable_grad(), RoutedFunctions(self), owners, self:
                output = self._model(*inputs)
                value = loss(output) if loss is not None else _summed(output)
                if not isinstance(value, torch.Tensor) or value.numel() != 1:
                    got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
                    raise LossError(f"loss must give a tensor of one element, got {got}")
                if value.requires_grad:  # else nothing needs a gradient: no backward pass
                    value.backward()
            return output
        finally:
            for handle in handles:
                handle.remove()
            for _, module in self.modules if tracked else ():
                module.__dict__.pop("_call_impl", None)
            if self._progress is not None:
                self._progress.close()
                self._progress = None

    def _current(self):
        """The owner of a module stack to record: the running modules' entries and path."""
        return tuple(self._stack), self._path

    def _in_backward(self) -> None:
        """Before a call: in the backward pass (an autograd node running), the module stack is
        the one whose forward made the node, and the phase ``"backward"``."""
        node = torch._C._current_autograd_node()
        if node is None:
            if self._phase != "forward":
                self._stack, self._path = [], ()
                self._phase, self._differentiates = "forward", ""
            return
        entries, path = self._owners.get(node, ((), ()))
        self._stack, self._path = list(entries), path
        self._phase, self._differentiates = "backward", node.name()

    def _report_progress(self) -> None:
        """A progress bar of the operator calls counted, on a terminal, once a pass runs longer
        than :data:`PROGRESS_AFTER` seconds (a forward of millions of small operators)."""
        if self._progress is None:
            if time.perf_counter() - self._started < PROGRESS_AFTER or not sys.stderr.isatty():
                return
            from tqdm import tqdm  # a dependency of the profile, loaded only for a long pass

            self._progress = tqdm(desc="profiling", unit=" operator calls", file=sys.stderr, leave=False)
        self._progress.update(self.calls - self._progress.n)

    # -- the adapter --------------------------------------------------------------------------------
    def _read(self, value):
        """A call's argument as a formula receives it: a tensor as its :class:`Shape`, a symbolic
        size as the strategy reads it, lists as tuples (hashable)."""
        kind = type(value)
        if kind in _ATOMIC:
            return value
        if kind is list or kind is tuple:
            return tuple(map(self._read, value))
        if isinstance(value, torch.Tensor):
            return Shape(self.strategy.shape(value.shape), _dtype_name(value.dtype))
        if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
            return self.strategy.size(value)
        if isinstance(value, (torch.dtype, torch.device, torch.memory_format, torch.layout)):
            return str(value)
        return value

    def _bytes(self, operator: _Operator, out) -> object:
        """Bytes of the tensors a call produced: none for a view or an in-place call (its outputs
        alias an input)."""
        outputs = out if isinstance(out, (tuple, list)) else (out,)
        fresh = operator.fresh
        total = 0
        for i, t in enumerate(outputs):
            if isinstance(t, torch.Tensor) and (fresh[i] if i < len(fresh) else fresh[-1]):
                total = total + self.strategy.size(t.numel()) * t.element_size()
        return total

    # -- dispatch -----------------------------------------------------------------------------------
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        operator = self._ops.get(func)
        if operator is None:
            operator = self._ops[func] = _Operator(func, self.registry)
        op, formula = operator.name, operator.formula
        if not operator.makes_tensors:
            try:
                return func(*args, **kwargs)
            except (NotImplementedError, RuntimeError) as error:  # a query of values (item(), aten::equal)
                if self.strategy.symbolic or not any(isinstance(a, torch.Tensor) and a.is_meta for a in args):
                    raise
                raise MissingKernel(op, self._owner()[0], error, MissingKernel.NEEDS_VALUES) from error
        if operator.composite:  # no formula, and torch can decompose it: count its parts
            decomposed = func.decompose(*args, **kwargs)
            if decomposed is not NotImplemented:
                return decomposed
        if operator.restrides:
            self.tensors_changed = True
        if self._backward:
            self._in_backward()
        self.calls += 1
        if not self.calls % PROGRESS_EVERY:
            self._report_progress()
        self.strategy.before(op, func, args, kwargs, self.calls)
        lookup = LOOKUPS.get(op)
        if lookup is not None:
            highest = self.ranges.highest(args[lookup[1]] if len(args) > lookup[1] else None)
            if highest is not None:
                table = args[lookup[0]]
                self.strategy.check_index(highest, table.shape[lookup[2] if lookup[2] is not None else args[1]], op,
                                          self._owner()[0])
        stack = self._path
        key = None
        if self.reuse and (operator.reusable or operator.writes_first):
            name, kind = self._owner()
            key = call_key(func, self._context(formula, kind), args, kwargs)
            known = self._calls.get(key) if key is not None else None
            if known is not None:  # an identical call ran before: its outputs' shapes and its row
                specs, row = known
                if specs is None:  # written into its first argument: that argument, as the call returns it
                    out = args[0]
                    if self.recording is not None:
                        self._note(op, lookup, (out,), False)
                else:
                    out = new_outputs(specs)
                    if self.recording is not None:
                        self._note(op, lookup, out, True)
                    out = out[0] if len(out) == 1 and not isinstance(specs, list) else out
                self._record(op, formula, row, stack, name, kind)
                if op in IndexRanges.TRACKED:
                    self.ranges.record(op, args, kwargs, out)
                return out
        try:
            out = operator.maker(args, kwargs) if self.reuse and operator.maker is not None else None
            if out is None:
                with self.strategy.kernel():
                    out = self._kernel(func, args, kwargs)
        except NotImplementedError as error:
            # a boolean mask among the arguments (x[mask]): the output's shape is its count of true values
            masked = any(t.dtype == torch.bool for t in _tensors((args, kwargs)))
            raise MissingKernel(op, self._owner()[0], error,
                                MissingKernel.NEEDS_VALUES if masked else MissingKernel.NO_KERNEL) from error
        except RuntimeError as error:
            # on symbolic sizes a kernel may want concrete ones (F.pad by an amount computed from
            # the size): the strategy runs torch's decomposition instead; an operator with a formula
            # is counted by it (its outputs made by the decomposition), one without by its parts
            replacement = self.strategy.kernel_failed(func, error)
            if replacement is None:
                raise
            if formula is None:
                with self:
                    return replacement(*args, **kwargs)
            out = replacement(*args, **kwargs)
        row = self._row(operator, func, args, kwargs, out)
        if key is not None:
            specs = output_specs(out) if operator.reusable else None
            if specs is not None or out is args[0]:
                self._calls[key] = (specs, row)
        if self.recording is not None:
            self._note(op, lookup, out if isinstance(out, (tuple, list)) else (out,),
                       key is not None and operator.reusable, operator.reshapes)
        name, kind = self._owner()
        self._record(op, formula, row, stack, name, kind)
        if op in IndexRanges.TRACKED:
            self.ranges.record(op, args, kwargs, out)
        return out

    def _note(self, op: str, lookup, outputs, fresh: bool, reshapes: bool = False) -> None:
        """While a function call is recorded, an operator call it made: its outputs (``fresh``:
        new tensors, of a call that can be answered from its shapes), and whether the function
        call can be replayed (not after a write that may change a tensor's shape, a lookup whose
        indices are checked, or an operator that carries index values)."""
        if fresh:
            self.fresh.update(id(t) for t in outputs)
        if reshapes or lookup is not None or (op in IndexRanges.TRACKED and not all(
                isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex()) for t in outputs)):
            self.replayable = False

    def _kernel(self, func, args, kwargs):
        """``func(*args, **kwargs)``; where it fails on a tensor that is not of the pass (a CPU
        tensor the forward made from Python data: ``torch.tensor([...])``, an index list), again with
        each such tensor made one of the pass (its shape, strides and dtype: what a kernel on the meta
        device reads)."""
        try:
            return func(*args, **kwargs)
        except (RuntimeError, AssertionError):
            foreign = [t for t in _tensors((args, kwargs)) if not self.strategy.of_pass(t)]
            if not foreign or len(foreign) == len(_tensors((args, kwargs))):
                raise
            adopted = {id(t): self.strategy.adopt(t) for t in foreign}
            return func(*_swap(args, adopted), **_swap(kwargs, adopted))

    def _row(self, operator: _Operator, func, args, kwargs, out):
        """What a call counts: for an operator without a formula, one that moves data or a call its
        formula says only moves data (it returns ``None``), only its bytes; else its row without
        its place (module, stack)."""
        output_bytes = self._bytes(operator, out)
        formula = operator.formula
        if formula is None or formula.kind == DATA_MOVEMENT:
            return output_bytes
        kind = self._owner()[1]
        read = self._read
        shapes = tuple(map(read, args))
        options = {k: read(v) for k, v in kwargs.items()}
        out_shape = read(out)
        context = self._context(formula, kind)
        key = None
        if self.cache is not None:
            key = (operator.name, context, _dtyped(shapes),
                   tuple(sorted(options.items())), _dtyped(out_shape if isinstance(out_shape, tuple) else (out_shape,)))
            counts = self.cache.get(key)
        if key is None or counts is None:
            counts = formula(*shapes, out_shape=out_shape, module=kind, torch_function=context[1], **options)
            if counts is None:  # this call only moves data (an index_put that writes, not adds)
                return output_bytes
            if self.conventions is not None:
                counts = {c: counts[c] for c in self.conventions}
            if key is not None:
                self.cache[key] = counts
        first = next((s for s in shapes if isinstance(s, Shape)), None)
        output = out_shape[0] if isinstance(out_shape, tuple) and out_shape and isinstance(
            out_shape[0], Shape) else out_shape
        values = dict(zip(operator.arguments, shapes, strict=False))
        values.update(options)
        parameters = {k: _plain(v) for k, v in values.items()}
        return ProfileRow("", "", operator.name, _tuple(_input(formula, shapes, first)), _tuple(output), counts,
                          parameters, (), output_bytes)

    def _record(self, op: str, formula, row, stack: tuple[str, ...], name: str, kind: str) -> None:
        if self.recording is not None:
            self.recording.append((op, formula, row))
        if formula is None:
            self.uncounted[op] += 1
            self.movement_bytes[stack] += row
        elif formula.kind == DATA_MOVEMENT or not isinstance(row, ProfileRow):  # (its formula said so)
            self.data_movement[op] += 1
            self.movement_bytes[stack] += row
        elif self._phase == "forward":
            self.rows.append(row.charged(name, kind, stack))
        else:  # a tool that counts no backward pass counts none of its calls
            counts = {c: v if c in BACKWARD_CONVENTIONS else 0 for c, v in row.counts.items()}
            self.rows.append(row.charged(name, kind, stack, counts=counts, phase="backward",
                                         differentiates=self._differentiates))


class GradientOwners(TorchFunctionMode):
    """Each autograd node a torch function makes, with the modules running then: the backward
    pass charges the node's work to them (as the forward charged the function's)."""

    def __init__(self, counting: CountingMode):
        super().__init__()
        self.counting = counting

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if torch.is_grad_enabled():
            owners = self.counting._owners
            owner = None
            for t in _tensors(out):
                node = t.grad_fn
                if node is None or node in owners:
                    continue
                owner = owner or self.counting._current()
                pending = [node]
                while pending:  # the nodes this call made, back to those made before
                    node = pending.pop()
                    if node is not None and node not in owners:
                        owners[node] = owner
                        pending.extend(next_node for next_node, _ in node.next_functions)
        return out


def _summed(output) -> torch.Tensor:
    """The default loss: the sum of every floating-point tensor of the output (in a tuple, a list
    or a dict too)."""
    tensors = [t for t in _tensors(output) if t.is_floating_point() or t.is_complex()]
    if not tensors:
        raise LossError("the model's output holds no floating-point tensor to differentiate; give loss=")
    total = tensors[0].real.sum() if tensors[0].is_complex() else tensors[0].sum()
    for t in tensors[1:]:
        total = total + (t.real.sum() if t.is_complex() else t.sum())
    return total


_ATOMIC = frozenset({int, float, bool, str, type(None)})
_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    """torch's name of a dtype, ``"float32"``."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def _tensors(value) -> list:
    """The tensors in nested arguments."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _swap(value, replacements: dict):
    """Nested arguments with each tensor whose id is a key of ``replacements`` replaced."""
    if isinstance(value, torch.Tensor):
        return replacements.get(id(value), value)
    if isinstance(value, (list, tuple)):
        return type(value)(_swap(v, replacements) for v in value)
    if isinstance(value, dict):
        return {k: _swap(v, replacements) for k, v in value.items()}
    return value


def _dtyped(values: tuple) -> tuple:
    """``values`` with each :class:`Shape` among them paired with its dtype (a cache key)."""
    return tuple((v, v.dtype) if isinstance(v, Shape) else v for v in values)


def _tuple(shape) -> tuple | None:
    return tuple(shape) if isinstance(shape, Shape) else None


def _input(formula, shapes, first):
    index = getattr(formula.function, "input_argument", None)
    return shapes[index] if index is not None and index < len(shapes) else first


def _plain(value):
    if isinstance(value, Shape):
        return tuple(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def count_calls(model, inputs, conventions: Sequence[str], registry: Registry = FORMULAS,
                strategy: Strategy | None = None, cache: dict | None = None, reuse: bool = False,
                backward: bool = False, loss: Callable | None = None, modules: list | None = None,
                leaves: dict | None = None) -> CountingMode:
    """One forward pass of ``model`` on ``inputs`` (and with ``backward`` the backward pass of
    ``loss``) under a :class:`CountingMode`; the mode, with what it counted.  ``modules``: the
    model's modules if known (:func:`.modules.named_modules`); ``leaves``: the records of its
    layers' calls, per call cache, of a copy kept with them."""
    mode = CountingMode(model, registry, strategy, conventions, cache, reuse, modules, leaves)
    mode.run(*inputs, backward=backward, loss=loss)
    return mode
