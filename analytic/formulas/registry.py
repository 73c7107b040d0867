"""The registry of operator formulas: one formula per qualified operator (``"aten::mm"``).

A formula is a pure function of the call, the way ``torch.utils.flop_counter``'s are: every tensor
argument replaced by its shape (a :class:`Shape`, a tuple of sizes that also knows its dtype), every
other argument as given, and the output's shape as ``out_shape``.  It returns the count of the call
under every convention of :data:`analytic.core.conventions.CONVENTIONS`.  Sizes are ints, or SymPy
expressions on a symbolic pass: one definition serves both.

A formula says what kind of operator it counts: ``"arithmetic"`` (the default) or
``"data movement"`` (views, copies, concatenations, indexing: zero arithmetic, listed apart); an
arithmetic formula returns ``None`` for a call that only moves data (``index_put`` that writes
values rather than adding them).
Keys are qualified operator names, so ``mylib::mm`` is never taken for ``aten::mm``; a second
registration of the same operator is refused.

>>> registry = Registry()
>>> @registry.register("mylib::double")
... def double(x, out_shape=None):
...     return counts(exact=numel(x))
>>> registry["mylib::double"]((2, 3), out_shape=(2, 3))["exact"]
6
>>> registry.register("mylib::double")(double)
Traceback (most recent call last):
...
ValueError: a formula for mylib::double is registered already
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["ARITHMETIC", "DATA_MOVEMENT", "FORMULAS", "Formula", "Registry", "Shape", "TorchFunction", "counts",
           "numel", "qualified_name", "register_formula", "zero"]

ARITHMETIC = "arithmetic"
DATA_MOVEMENT = "data movement"
_KINDS = (ARITHMETIC, DATA_MOVEMENT)
_QUALIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*")


class Shape(tuple):
    """A tensor argument as a formula sees it: its sizes (a tuple: ints, or SymPy expressions of
    symbolic sizes) and its ``dtype`` (torch's name, ``"float32"``).  It compares and hashes as
    the tuple of its sizes."""

    def __new__(cls, sizes, dtype: str = "float32"):
        shape = super().__new__(cls, sizes)
        shape.dtype = dtype
        return shape

    def __reduce__(self):
        return (Shape, (tuple(self), self.dtype))

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.startswith(("float", "bfloat", "complex"))

    @property
    def is_complex(self) -> bool:
        return self.dtype.startswith("complex")


class TorchFunction(NamedTuple):
    """The torch function that made an operator call, as a formula reading ``torch_function=``
    sees it: its name (``"linear"`` for ``F.linear``, ``"adaptive_avg_pool2d"``) and the first size
    of its first argument (a tensor of two dimensions or more; else ``None``): ``F.linear`` on an
    input ``(N, T, C)`` runs one matrix product of ``N T`` rows, and torchinfo charges it by ``N``."""

    name: str | None
    leading: object = None


def numel(shape) -> object:
    """The number of elements of a shape (1 for a scalar's empty shape)."""
    return math.prod(shape)


def counts(exact=0, *, moduleprofiler=None, macs=0, flops=0, ptflops=0, thop=0, torchinfo=0,
           deepspeed=0) -> dict[str, object]:
    """Every convention of one call (keys in the order of ``analytic.CONVENTIONS``); ``moduleprofiler``
    defaults to ``exact``, the peer columns to 0 (a tool that has no rule for the operator counts
    nothing)."""
    return {"moduleprofiler": exact if moduleprofiler is None else moduleprofiler, "exact": exact, "macs": macs,
            "flops": flops, "ptflops": ptflops, "thop": thop, "torchinfo": torchinfo, "deepspeed": deepspeed}


def zero(*args, **kwargs) -> dict[str, object]:
    """The formula of an operator that does no arithmetic."""
    return counts()


def qualified_name(op: object) -> str:
    """``"namespace::name"`` of an operator given as that text, or as a torch operator
    (``torch.ops.aten.mm`` or one of its overloads, ``torch.ops.aten.mm.default``)."""
    if isinstance(op, str):
        if not _QUALIFIED.fullmatch(op):
            raise ValueError(f"operator ({op!r}) must be a qualified name 'namespace::name', e.g. 'aten::mm',"
                             f" or a torch operator such as torch.ops.aten.mm")
        return op
    packet = getattr(op, "_overloadpacket", op)  # an overload: its packet
    name = getattr(packet, "_qualified_op_name", None)
    if not isinstance(name, str) or not _QUALIFIED.fullmatch(name):
        raise TypeError(f"operator must be a qualified name 'namespace::name' or a torch operator"
                        f" (torch.ops.aten.mm), got {type(op).__name__} ({op!r})")
    return name


@dataclass(frozen=True)
class Formula:
    """A registered formula: the function, the kind of operator it counts, and whether it reads
    the module that ran the call (``module=``, the class name of the innermost module: the peer
    tools that count by module type need it to tell, say, an adaptive average pooling from a mean)."""

    function: Callable[..., Mapping[str, object]]
    kind: str = ARITHMETIC
    wants_module: bool = False
    #: whether it reads the torch function that made the call (``torch_function=``, a
    #: :class:`TorchFunction`; ``None`` outside any): the tools that patch functions see a pooling
    #: where the operator is a mean
    wants_torch_function: bool = False

    def __call__(self, *args, module: str | None = None, torch_function: TorchFunction | None = None,
                 **kwargs) -> Mapping[str, object]:
        if self.wants_module:
            kwargs["module"] = module
        if self.wants_torch_function:
            kwargs["torch_function"] = torch_function
        return self.function(*args, **kwargs)

    @classmethod
    def of(cls, function: Callable, kind: str = ARITHMETIC) -> Formula:
        """The formula of ``function``, reading the calling module and torch function if its
        signature names them."""
        return cls(function, kind, _reads(function, "module"), _reads(function, "torch_function"))


def _reads(function: Callable, context: str) -> bool:
    try:
        return context in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin: it takes what it is given
        return False


_STATES = itertools.count()


class Registry(Mapping[str, Formula]):
    """Operator name -> :class:`Formula`; duplicates refused.  :attr:`state` names the
    registry's contents: it is new for each registry and changes with each registration (what a
    cache of counts is kept by)."""

    def __init__(self, formulas: Mapping[str, Formula] | None = None):
        self._formulas: dict[str, Formula] = dict(formulas or {})
        self.state = next(_STATES)

    def __getitem__(self, op: object) -> Formula:
        return self._formulas[qualified_name(op)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._formulas)

    def __len__(self) -> int:
        return len(self._formulas)

    def get(self, op: object, default=None):  # type: ignore[override]
        return self._formulas.get(op if isinstance(op, str) else qualified_name(op), default)

    def register(self, *ops: object, kind: str = ARITHMETIC) -> Callable[[Callable], Callable]:
        """Decorator: register the decorated function as the formula of each of ``ops``
        (qualified names or torch operators).  ``ValueError`` for an operator registered already."""
        if kind not in _KINDS:
            raise ValueError(f"kind ({kind!r}) must be one of {', '.join(map(repr, _KINDS))}")
        if not ops:
            raise TypeError("register needs at least one operator")
        names = [qualified_name(op) for op in ops]

        def decorate(function: Callable) -> Callable:
            if not callable(function):
                raise TypeError(f"a formula must be callable, got {type(function).__name__}")
            for name in names:
                if name in self._formulas:
                    raise ValueError(f"a formula for {name} is registered already")
            formula = Formula.of(function, kind)
            for name in names:
                self._formulas[name] = formula
            self.state = next(_STATES)
            return function

        return decorate

    def with_overrides(self, formulas: Mapping[object, Callable] | None) -> Registry:
        """A copy in which ``formulas`` (operator -> function, a call's own formulas) replace or
        add to the registered ones."""
        if not formulas:
            return self
        if not isinstance(formulas, Mapping):
            raise TypeError(f"formulas must be a mapping of operator -> function, got {type(formulas).__name__}")
        merged = dict(self._formulas)
        for op, function in formulas.items():
            if not callable(function):
                raise TypeError(f"formulas[{op!r}] must be callable, got {type(function).__name__}")
            merged[qualified_name(op)] = function if isinstance(function, Formula) else Formula.of(function)
        return Registry(merged)



#: tapcount's formulas (filled by the modules of :mod:`analytic.formulas`, and by users)
FORMULAS = Registry()


def register_formula(*ops: object, kind: str = ARITHMETIC) -> Callable[[Callable], Callable]:
    """Decorator registering a formula in :data:`FORMULAS` for ``ops`` (``"namespace::name"`` or
    torch operators), as ``torch.utils.flop_counter.register_flop_formula`` does: the formula
    receives the call's shapes and arguments and ``out_shape`` and returns a count per convention
    (:func:`counts` fills the conventions it is not given).  ``ValueError`` for an operator that
    has a formula already.

    >>> @register_formula("mylib::scale")
    ... def scale(x, factor, out_shape=None):
    ...     return counts(exact=numel(x), ptflops=numel(x))
    >>> FORMULAS["mylib::scale"]((4, 5), 2.0, out_shape=(4, 5))["exact"]
    20
    """
    return FORMULAS.register(*ops, kind=kind)
