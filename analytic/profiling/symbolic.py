r"""The symbolic pass: one forward pass on fake tensors whose named sizes are torch's symbolic sizes.

``analytic.profile(model, (1, 80, "L"))`` runs the model on fake tensors
(``torch._subclasses.FakeTensorMode``) whose named sizes are symbolic
(``torch.fx.experimental.symbolic_shapes``), under the same counting mode as the numeric pass with
a :class:`SymbolicStrategy`: every size a formula receives is a SymPy expression of the user's
sizes, and the operator formulas — the very functions of the numeric pass — give each row as a
SymPy expression.  What torch assumed about the sizes on the way (every guard: a minimum size, a
divisibility, an equality) becomes the result's ``conditions``.
"""

from __future__ import annotations

import keyword
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace

import sympy
import torch
from sympy import Symbol
from torch._decomp import decomposition_table
from torch._dispatch.python import enable_python_dispatcher
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode
from torch.fx.experimental.symbolic_shapes import DimDynamic, ShapeEnv, StatelessSymbolicContext

from ..core.coercion import as_int
from ..formulas import Registry
from ..symbolic.asymptotic import quasi_linear, simplify_conditions
from .copying import meta_copy
from .formula import SymbolicProfile, leaves
from .inputs import check_storage, spec_names, spec_sizes
from .mode import CountingMode, LossError, Strategy
from .modules import lazy_modules, module_parameters, named_modules
from .numeric import numeric_profile
from .outputs import STRICTER_THAN_CPU
from .result import ProfileRow
from .scripted import python_source, scripted_modules

__all__ = ["DEFAULT_HINT", "MAX_SYMBOLIC_CALLS", "SymbolicStrategy", "size_symbol", "symbolic_profile"]

#: the example value a named size takes where the model branches on a size (highly divisible,
#: so that a model needing a multiple of 2**k, 3, 5 or 7 runs; ``hints=`` chooses another)
DEFAULT_HINT = 40320

#: the most operator calls a pass on symbolic sizes runs (a loop over a symbolic size, an RNN's
#: over its time steps, would otherwise run as many times as the size's example value)
MAX_SYMBOLIC_CALLS = 10_000

#: operators whose number of outputs is a size of their input (a tensor per step or per chunk):
#: on a symbolic size they fix it, and make as many tensors as its example value
_SPLITS = ("aten::unbind", "aten::split", "aten::unsafe_split")


def _check_name(name: str) -> str:
    if not (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not keyword.iskeyword(name)):
        raise ValueError(f"size name ({name!r}) must be an identifier (letters, digits, _), not a Python keyword")
    return name


def size_symbol(name: str) -> Symbol:
    """The SymPy symbol of a named size: a positive integer."""
    return Symbol(_check_name(name), integer=True, positive=True)


def _check_hints(hints: Mapping[str, int] | None, names: Sequence[str]) -> dict[str, int]:
    """The example values the user gave, checked."""
    if hints is not None and not isinstance(hints, Mapping):
        raise TypeError(f"hints must be a mapping of size name -> int (e.g. {{'L': 1000}}), got {type(hints).__name__}")
    hints = dict(hints or {})
    unknown = set(hints) - set(names)
    if unknown:
        raise ValueError(f"hints name sizes the shapes do not have: {', '.join(sorted(map(repr, unknown)))}")
    for name, value in hints.items():
        value = hints[name] = as_int(f"hints[{name!r}]", value)
        if not 2 <= value < 2**63:
            raise ValueError(f"hints[{name!r}] ({value!r}) must be an int from 2 (torch fixes sizes 0 and 1) to"
                             f" 2**63 - 1")
    return hints


def _mod(x, q):  # x mod q = x - q floor(x / q): floors are what the simplification reads
    return x - q * sympy.floor(x / q) if q.is_Integer and q > 0 else sympy.Mod(x, q)


#: torch's own integer functions, by class name, as SymPy's
_TORCH_FUNCTIONS = {
    "FloorDiv": lambda a, b: sympy.floor(a / b), "CleanDiv": lambda a, b: a / b, "IntTrueDiv": lambda a, b: a / b,
    "PythonMod": _mod, "Mod": _mod, "Identity": lambda a: a, "Max": sympy.Max, "Min": sympy.Min,
    "FloorToInt": sympy.floor, "CeilToInt": sympy.ceiling,
}


def _plain(expr: sympy.Expr) -> sympy.Expr:
    """torch's own integer functions (``FloorDiv``, ``CleanDiv``, ``PythonMod``, its ``Max``, ...)
    as SymPy's; ``x mod q`` as ``x - q floor(x/q)``."""
    def torch_function(e) -> bool:
        name = type(e).__name__
        return not e.is_Atom and name in _TORCH_FUNCTIONS and (
            name not in ("Max", "Min") or type(e).__module__.startswith("torch"))

    return expr.replace(torch_function, lambda e: _TORCH_FUNCTIONS[type(e).__name__](*e.args))


class _TooManyCalls(Exception):
    pass


class _Fixed(Exception):
    def __init__(self, names):
        super().__init__(names)
        self.names = names


class _Pinned(Exception):
    """torch fixed an expression of the sizes to the value it has at the example sizes."""

    def __init__(self, condition: sympy.Eq, where: str):
        super().__init__(condition)
        self.condition, self.where = condition, where


def _pins(condition) -> bool:
    """Whether ``condition`` holds for finitely many values of a size: an equality in one size
    whose sides differ by a function of it that grows with it.  (An equality between sizes, two
    inputs that must match, is a relation the formula keeps as a condition.)"""
    if not isinstance(condition, sympy.Eq) or len(condition.free_symbols) != 1:
        return False
    (size,) = condition.free_symbols
    form = quasi_linear(condition.lhs - condition.rhs, size)
    return form is not None and form[0] != 0


class SymbolicStrategy(Strategy):
    """Sizes read as SymPy expressions (torch's, of its internal symbols); a pass stopped before a
    loop over a symbolic size or when torch fixes a size; a kernel that wants concrete sizes
    replaced by torch's decomposition."""

    symbolic = True

    def __init__(self, env: ShapeEnv, sizes: dict[str, torch.SymInt], fake: FakeTensorMode | None = None):
        self.env = env
        self.sizes = sizes
        self.fake = fake
        #: the bounds of indices made from the sizes (torch's symbols), as conditions
        self.index_conditions: list[sympy.Basic] = []
        #: torch's symbol of each size -> the user's symbol
        self.symbols = {size.node.expr: size_symbol(name) for name, size in sizes.items()}
        self._guards = 0

    def check_guards(self) -> None:
        """Raise :class:`_Pinned` for a guard torch added since the last check that fixes an
        expression of the sizes to a constant (the formula would hold near the example value only)."""
        guards = self.env.guards
        for guard in guards[self._guards:]:
            condition = _plain(guard.expr).xreplace(self.symbols)
            if _pins(condition):
                raise _Pinned(condition, str(guard.sloc).strip())
        self._guards = len(guards)

    def size(self, value) -> object:
        if isinstance(value, torch.SymInt):
            expr = value.node.expr
            return int(expr) if expr.is_Integer else expr
        return int(value)

    def shape(self, sizes) -> tuple:
        return tuple(map(self.size, sizes))

    def before(self, op, func, args, kwargs, calls) -> None:
        self.check_guards()
        # a size torch fixes to its example value: stop before a loop over it (a split into pieces
        # of a fixed size; pieces of a size that grows with it, as chunk's, are as many at any size)
        if op in _SPLITS and isinstance(args[0], torch.Tensor):
            dim = (args[2] if len(args) > 2 else kwargs.get("dim", 0)) if op != "aten::unbind" else (
                args[1] if len(args) > 1 else kwargs.get("dim", 0))
            piece = None if op == "aten::unbind" else (args[1] if len(args) > 1 else kwargs.get("split_size"))
            if isinstance(args[0].shape[dim], torch.SymInt) and not isinstance(piece, torch.SymInt):
                free = args[0].shape[dim].node.expr.free_symbols
                raise _Fixed([name for name, size in self.sizes.items() if size.node.expr in free] or list(self.sizes))
        if calls % 64 == 0:
            fixed = [name for name, size in self.sizes.items() if self.env.replace(size.node.expr).is_Integer]
            if fixed:
                raise _Fixed(fixed)
        if calls > MAX_SYMBOLIC_CALLS:
            raise _TooManyCalls

    def kernel_failed(self, func, error):
        stricter = STRICTER_THAN_CPU.get(func._schema.name)
        if stricter is not None:  # a meta kernel stricter than the CPU's (grouped products in float32)
            def made(*args, **kwargs):
                out = stricter(*args, **kwargs)
                if out is None:
                    raise error
                return out

            return made
        replacement = decomposition_table.get(func)
        if replacement is None and func.__name__.split(".")[0] in _SIZED_BY_ARGUMENT:
            position = _SIZED_BY_ARGUMENT[func.__name__.split(".")[0]]
            return lambda *args, **kwargs: args[0].new_empty(args[position])
        return replacement

    def kernel(self):
        # torch's Python meta kernels on symbolic sizes (as torch.compile runs them)
        return enable_python_dispatcher()

    def check_index(self, highest, rows: int, op: str, module: str) -> None:
        # at the example sizes as on a numeric pass; for every size, a condition of the formula
        expr = highest.node.expr if isinstance(highest, torch.SymInt) else sympy.Integer(highest)
        super().check_index(int(highest.node.hint) if isinstance(highest, torch.SymInt) else int(highest), rows, op,
                            module)
        self.index_conditions.append(sympy.Le(expr, rows - 1))

    def of_pass(self, tensor) -> bool:
        return isinstance(tensor, FakeTensor) and tensor.device.type == "meta"

    def adopt(self, tensor):
        made = super().adopt(tensor)  # a fake tensor where the fake mode is running
        return made if isinstance(made, FakeTensor) else self.fake.from_tensor(made, static_shapes=True)


#: operators whose kernel fails on symbolic sizes (torch 2.13 reads their size list as plain
#: ints) but whose output is a tensor of a size they are given: the interpolations' gradients,
#: of the input's size (their third argument)
_SIZED_BY_ARGUMENT = {f"{name}_backward": 2 for name in (
    "upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "_upsample_nearest_exact1d",
    "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "upsample_linear1d", "upsample_bilinear2d",
    "upsample_bicubic2d", "upsample_trilinear3d")}


def _pinned_message(pinned: _Pinned, module: str, hints: Mapping[str, int]) -> str:
    where = pinned.where.strip("()")
    place = f"at {where} (module {module or '(model)'!r})"
    lhs, rhs = pinned.condition.lhs, pinned.condition.rhs
    if isinstance(lhs, Symbol) and lhs.name in hints:
        return (f"no formula: the model fixes {lhs} = {rhs}, the example value, {place}: a Python loop over it or"
                f" code that reads it as a number; give that size as a number")
    example = ", ".join(f"{s} = {hints[s.name]}" for s in sorted(pinned.condition.free_symbols, key=str)
                        if s.name in hints)
    return (f"no formula: torch fixes {lhs} = {rhs} (its value at the example size {example}) {place}, so a formula"
            f" would hold near that size only; profile the model at a numeric size instead")


def _fixed_message(names, hints) -> str:
    fixed = ", ".join(f"{name} = {hints[name]}" for name in names)
    return (f"no formula: the model fixes {fixed}, the example value (torch specialised the size: a float"
            f" computation such as F.interpolate's scale_factor, or a loop over it as in an RNN); give that size"
            f" as a number")


#: attributes that hold the longest sequence a model accepts (its positions, its causal mask)
_LIMITS = ("max_position_embeddings", "n_positions", "n_ctx", "max_len", "max_length", "max_seq_len",
           "max_seq_length", "max_sequence_length", "block_size", "context_length", "context", "max_positions",
           "seq_len", "num_positions")
#: example values tried after the default where a forward fails at it: small multiples of large
#: powers of two, as real models accept
_FALLBACK_HINTS = (4096, 1024, 256, 64, 16)
_ATTEMPTS = 8


class _ForwardFailed(Exception):
    """The forward pass failed at these example values (another may work)."""


def _limits(model) -> list[int]:
    """The sequence lengths a model states it accepts at most: attributes such as ``block_size``
    or ``max_position_embeddings`` (of a module or its ``config``), and the size of an embedding
    of positions."""
    found = []
    for name, module in model.named_modules():
        for holder in (module, getattr(module, "config", None)):
            for attribute in _LIMITS:
                value = getattr(holder, attribute, None) if holder is not None else None
                if isinstance(value, int) and not isinstance(value, bool):
                    found.append(value)
        if isinstance(module, torch.nn.Embedding) and "pos" in name.rsplit(".", 1)[-1].lower():
            found.append(module.num_embeddings)
    return found


def _example_values(model, names: Sequence[str], given: Mapping[str, int]) -> list[dict[str, int]]:
    """The example values to try, in order: the default, the model's own limits (and half of
    each), then :data:`_FALLBACK_HINTS`; a size the user gave a hint keeps it."""
    if all(name in given for name in names):
        return [dict(given)]
    values = [DEFAULT_HINT]
    for limit in sorted(set(_limits(model)), reverse=True):  # (at the limit itself torch may fix the size)
        values += [limit // 2, limit]
    values += list(_FALLBACK_HINTS)
    values = [v for v in dict.fromkeys(values) if v >= 2][:_ATTEMPTS]
    return [{name: given.get(name, v) for name in names} for v in values]


def symbolic_profile(model, specs: list, dtypes: list, conventions: Sequence[str], registry: Registry,
                     hints: Mapping[str, int] | None = None, backward: bool = False, loss=None) -> SymbolicProfile:
    """:func:`analytic.profile` when a shape names a size: the counts as formulas of the sizes.

    The pass runs at example values of the sizes (where the model branches on a size, the branch
    taken is theirs); where the forward fails at the default, the model's own limits and smaller
    values are tried before giving up."""
    for spec in specs:
        if not isinstance(spec, tuple):
            raise TypeError(f"with named sizes every input must be a shape, got {type(spec).__name__}")
    names = list(dict.fromkeys(n for spec in specs for n in spec_names(spec)))
    for name in names:
        _check_name(name)
    given = _check_hints(hints, names)
    if given and all(name in given for name in names):
        for spec, dtype in zip(specs, dtypes, strict=True):
            check_storage(spec_sizes(spec, given), dtype.itemsize, f" at the hints {given}")
    modules = named_modules(model)
    lazy = lazy_modules(modules)
    if lazy:
        raise RuntimeError(f"no formula: module {lazy[0]!r} is lazy, its parameters not made yet: their shapes come"
                           f" from its first input, so its parameters would depend on the sizes; run the model once"
                           f" on an example input, or profile it at a numeric size")
    scripted = scripted_modules(modules)
    if scripted:
        raise RuntimeError(f"no formula: module {scripted[0]!r} is TorchScript (torch.jit.script or trace), whose"
                           f" interpreter reads sizes as numbers and keeps no Python source; profile the model at a"
                           f" numeric size, or with its Python modules")
    first = None
    tried = []
    for example in _example_values(model, names, given):
        try:
            derived = _derive(model, specs, dtypes, conventions, registry, names, example, backward, loss)
            return _admitted(derived, model, specs, dtypes, conventions, registry, backward, loss)
        except _ForwardFailed as failed:
            first = first or str(failed)
            tried.append(example)
    values = "; ".join(", ".join(f"{n} = {v}" for n, v in example.items()) for example in tried)
    hint = ", ".join(f"{n!r}: ..." for n in names if n not in given) or ", ".join(f"{n!r}: ..." for n in names)
    related = (" or, where one size follows from others, give it as their expression (e.g. '4*F - 3' in its"
               " shape)") if len(names) > 1 else ""
    raise RuntimeError(f"{first} (example values tried: {values}; hints={{{hint}}} gives sizes the model"
                       f" accepts{related})")


#: how many sizes below its smallest one (and the excluded single sizes) a size is checked at
_ADMISSION_CHECKS = 32


def _admitted(derived: tuple[SymbolicProfile, list], model, specs: list, dtypes: list, conventions: Sequence[str],
              registry: Registry, backward: bool = False, loss=None) -> SymbolicProfile:
    """The formula with its conditions widened to the sizes torch's guards leave out but where
    the model runs and the formula gives its count (its total in every convention, from as many
    calls), each checked by a numeric pass.

    torch specialises sizes 0 and 1 (of the input and of every intermediate size): at example
    values of thousands it guards that they are not 1, and a batch of one, or an image whose last
    feature map is 1 wide, is left out.  Each size is checked below its smallest one (other sizes
    at their example values) and at a single value a guard excludes; where torch runs and the
    formula (its conditions aside) gives the numeric profile's rows, the guards that point breaks
    are dropped, unless dropping them would admit a size checked where torch fails.  Guards on
    several sizes (a product of two) are checked at small sizes all equal."""
    formula, raw = derived
    by_name = {s.name: s for s in formula.sizes}
    points: list[tuple[dict, bool]] = []

    def check(symbol: Symbol | None, value: int) -> None:  # one size at value, or (None) every size
        sizes = {name: formula.hints[name] if symbol is not None else value for name in by_name}
        if symbol is not None:
            sizes[symbol.name] = value
        point = {by_name[n]: sympy.Integer(v) for n, v in sizes.items()}
        if all(c.xreplace(point) is sympy.true for c in raw):
            return  # nothing to learn there
        shapes = [spec_sizes(spec, sizes) for spec in specs]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                numeric = numeric_profile(model, shapes, dtypes, conventions, "meta", registry, backward, loss)
            runs = len(numeric.rows) == len(formula.rows) and all(
                formula.total[c].xreplace(point) == numeric.total[c] for c in conventions)
        except Exception:  # torch refuses the size
            runs = False
        points.append((point, runs))

    for condition in formula.conditions:
        symbols = condition.free_symbols
        if len(symbols) != 1:
            continue
        (symbol,) = symbols
        if isinstance(condition, sympy.GreaterThan) and condition.lhs == symbol and condition.rhs.is_Integer:
            lowest = int(condition.rhs)
            for value in sorted({1, *range(max(1, lowest - _ADMISSION_CHECKS), lowest)}):
                check(symbol, value)
        elif isinstance(condition, sympy.Ne) and symbol in (condition.lhs, condition.rhs):
            value = condition.rhs if condition.lhs == symbol else condition.lhs
            if value.is_Integer and value >= 1:
                check(symbol, int(value))

    if len(by_name) > 1 and any(len(c.free_symbols) > 1 for c in raw):
        for value in range(1, _ADMISSION_CHECKS + 1):  # small images: guards on products of sizes
            check(None, value)

    def holds(condition, point) -> bool:
        return condition.xreplace(point) is sympy.true

    broken = {c for point, runs in points if runs for c in raw if not holds(c, point)}
    kept = [c for c in raw if c not in broken]
    if not broken or any(all(holds(c, point) for c in kept) for point, runs in points if not runs):
        return formula
    return replace(formula, conditions=simplify_conditions(kept))


def _derive(model, specs: list, dtypes: list, conventions: Sequence[str], registry: Registry, names: list[str],
            hints: dict[str, int], backward: bool = False, loss=None) -> tuple[SymbolicProfile, list]:
    """One symbolic pass at the example values ``hints``: the formula, and torch's guards as they
    came (the formula states them simplified); :class:`_ForwardFailed` where the forward fails in
    a way another example value may avoid, ``RuntimeError`` where none can."""
    env = ShapeEnv(duck_shape=False)
    mode = FakeTensorMode(shape_env=env)
    sizes: dict[str, torch.SymInt] = {}
    for name in names:  # one symbolic size per name, shared by every shape naming it
        probe = mode.from_tensor(torch.empty(hints[name], device="meta"),
                                 symbolic_context=StatelessSymbolicContext(dynamic_sizes=[DimDynamic.DYNAMIC]))
        sizes[name] = probe.shape[0]
    with mode:
        inputs = tuple(torch.empty(spec_sizes(spec, sizes), dtype=dtype, device="meta")
                       for spec, dtype in zip(specs, dtypes, strict=True))
    symbols = {name: size_symbol(name) for name in names}
    internal = {sizes[name].node.expr: symbols[name] for name in names}
    # fake meta tensors of static shapes (on the meta device torch's convolutions pick no backend
    # by size, so the pass adds no condition of its own)
    copied = meta_copy(model, lambda t: mode.from_tensor(torch.empty_like(t, device="meta"), static_shapes=True))
    strategy = SymbolicStrategy(env, sizes, mode)
    counting = CountingMode(copied, registry, strategy, conventions, cache={})
    quiet = logging.getLogger("torch._subclasses.fake_tensor")  # it logs a kernel's failure we recover from
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with mode, python_source(copied):
            counting.run(*inputs, backward=backward, loss=loss)
        strategy.check_guards()
    except _Pinned as pinned:  # at its limit a model may fix a size that a smaller example leaves free
        raise _ForwardFailed(_pinned_message(pinned, counting.running_module(), hints)) from None
    except _Fixed as error:
        raise _ForwardFailed(_fixed_message(error.names, hints)) from None
    except LossError:
        raise
    except _TooManyCalls:
        raise RuntimeError(f"no formula: the forward pass ran more than {MAX_SYMBOLIC_CALLS:,} operator calls on"
                           f" symbolic sizes (a loop over a size, as an RNN's over its time steps); profile the"
                           f" model at a numeric size instead") from None
    except Exception as error:  # the user's forward, or an operator that needs values
        kind = type(error).__name__
        module = counting.running_module() or "(model)"
        if "DataDependent" in kind or "Unsupported" in kind:
            raise RuntimeError(f"no formula: the forward pass needs tensor values in module {module!r} (a Python"
                               f" branch on a tensor, .item(), or a size that depends on values); profile the"
                               f" model at a numeric size instead") from error
        text = str(error).splitlines()[0] if str(error) else ""
        for name, size in sizes.items():  # torch's symbols (s26) in the user's names
            text = re.sub(rf"\b{size.node.expr}\b", name, text)
        raise _ForwardFailed(f"no formula: the model's forward pass on symbolic sizes failed in module {module!r}:"
                             f" {kind}: {text}") from error
    finally:
        quiet.setLevel(level)

    final = {s: _plain(env.replace(s)).xreplace(internal) for s in internal}
    fixed = [internal[s].name for s, v in final.items() if v.is_Integer]
    if fixed:
        raise _ForwardFailed(_fixed_message(fixed, hints))

    plain: dict = {}

    def user(expr):  # in the user's symbols, once per distinct expression
        if expr not in plain:
            plain[expr] = _plain(expr.xreplace(final))
        return plain[expr]

    rows = [ProfileRow(r.name, r.type, r.op, leaves(r.input_shape, user), leaves(r.output_shape, user),
                       {c: sympy.sympify(leaves(v, user)) for c, v in r.counts.items()}, leaves(r.parameters, user),
                       r.stack, sympy.sympify(leaves(r.output_bytes, user)), r.phase, r.differentiates)
            for r in counting.rows]
    conditions = []
    for name in names:
        value = final[sizes[name].node.expr]
        if value != symbols[name]:  # torch found it equal to an expression of other sizes (inputs that must match)
            conditions.append(sympy.Eq(symbols[name], value))
        bounds = env.var_to_range.get(sizes[name].node.expr)
        if bounds is not None and bounds.lower.is_Integer and int(bounds.lower) > 1:
            conditions.append(sympy.Ge(symbols[name], int(bounds.lower)))
        if bounds is not None and bounds.upper.is_Integer:
            conditions.append(sympy.Le(symbols[name], int(bounds.upper)))
    for condition in [_plain(guard.expr) for guard in env.guards] + strategy.index_conditions:
        condition = _plain(condition).xreplace(final)
        if condition is not sympy.true and condition not in conditions:
            conditions.append(condition)
    allowed = set(symbols.values())
    for r in rows:
        stray = set().union(*(v.free_symbols for v in r.counts.values())) - allowed
        if stray:
            raise RuntimeError(f"no formula: the sizes of {r.name or '(model)'}'s {r.op} depend on tensor values"
                               f" ({', '.join(sorted(map(str, stray)))}); profile it at a numeric size instead")
    movement = {stack: sympy.sympify(leaves(v, user)) for stack, v in counting.movement_bytes.items()}
    return SymbolicProfile(tuple(rows), dict(counting.uncounted), tuple(conventions), "meta",
                           dict(counting.data_movement), module_parameters(named_modules(model)), movement,
                           sizes=tuple(symbols.values()), conditions=simplify_conditions(conditions),
                           hints=hints, inputs=tuple(zip(specs, dtypes, strict=True)), backward=backward), conditions
