"""torch's rules for a layer, as data: one table per layer family.

A :class:`Rule` names the keywords it reads, holds as an element-wise predicate written with
comparisons, ``&`` and ``|`` only — so the same rule checks Python ints, NumPy arrays (the batch
sweep, the exported NumPy functions) and SymPy symbols (a formula's conditions) — and says the error
of values that break it.  :func:`check` raises the first broken rule's error for the values given
(a rule is checked as soon as every keyword it reads is given), :func:`holds` evaluates every rule
it can, element-wise.

The tables: :data:`TRANSPOSED` (a transposed convolution's filter), :data:`FORWARD` (a forward
convolution's, with its padding on each side), :data:`CHANNELS` (channels and groups, both
directions) and :data:`LINEAR`.

>>> check(TRANSPOSED, {"stride": 2, "output_padding": 2, "dilation": 1})
Traceback (most recent call last):
...
ValueError: output_padding (2) must be smaller than stride (2) or dilation (1)
>>> holds(TRANSPOSED, {"stride": 2, "output_padding": 1, "dilation": 1})
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .geometry import transposed_output_length

__all__ = ["CHANNELS", "CIRCULAR", "FORWARD", "LINEAR", "REFLECT", "Rule", "TRANSPOSED", "at_least", "check", "holds",
           "minimum_of"]


class Rule(NamedTuple):
    """One of torch's rules: the keywords it reads (in the order of ``predicate``'s arguments),
    the predicate, and the error of values that break it (from the keywords' displayed names and
    the values)."""

    names: tuple[str, ...]
    predicate: Callable[..., object]
    message: Callable[..., str]


def at_least(name: str, minimum: int) -> Rule:
    """``name >= minimum`` (``minimum`` 0 or 1): "must be non-negative" or "must be positive"."""
    rule = "positive" if minimum == 1 else "non-negative"
    return Rule((name,), lambda v: v >= minimum,
                lambda names, v: f"{names[0]} ({v}) must be {rule} (at least {minimum})")


def _where(names) -> str:
    """`` in dimension i`` for the keywords of dimension ``i`` of an n-d layer (``length[i]``)."""
    name = names[0]
    return f" in dimension {name[name.index('[') + 1:-1]}" if name.endswith("]") else ""


def _transposed_length_message(names, n, k, s, p, o, d) -> str:
    out = transposed_output_length(n, k, s, p, o, d)
    return (f"output length ({out}){_where(names)} must be at least 1: (length-1)*stride - 2*padding"
            f" + dilation*(kernel_size-1) + output_padding + 1 with length={n}, kernel_size={k}, stride={s},"
            f" padding={p}, output_padding={o}, dilation={d}; padding is too large")


def _reach_message(names, n, pl, pr, k, d) -> str:
    return (f"padded input ({n + pl + pr}){_where(names)} is shorter than the kernel's reach"
            f" dilation*(kernel_size-1)+1 = {d * (k - 1) + 1}")


def _safe(g):
    """An array ``g`` where it is positive, 1 elsewhere (a divisor never 0 in an element-wise check;
    ``g <= 0`` is refused anyway); an int or a symbol as it is (checked positive first)."""
    if isinstance(g, int):
        return g if g > 0 else 1
    return g * (g > 0) + (g <= 0) if hasattr(g, "dtype") else g


#: a transposed convolution's filter (torch's rules, in the order torch reports them)
TRANSPOSED: tuple[Rule, ...] = (
    at_least("kernel_size", 1), at_least("stride", 1), at_least("dilation", 1), at_least("padding", 0),
    at_least("output_padding", 0),
    Rule(("output_padding", "stride", "dilation"), lambda o, s, d: (o < s) | (o < d),
         lambda names, o, s, d: f"{names[0]} ({o}) must be smaller than {names[1]} ({s}) or {names[2]} ({d})"),
    at_least("length", 1),
    Rule(("length", "kernel_size", "stride", "padding", "output_padding", "dilation"),
         lambda n, k, s, p, o, d: transposed_output_length(n, k, s, p, o, d) >= 1, _transposed_length_message),
)

#: a forward convolution's filter, padded by ``padding_left`` and ``padding_right`` (zeros)
FORWARD: tuple[Rule, ...] = (
    at_least("kernel_size", 1), at_least("stride", 1), at_least("dilation", 1), at_least("padding_left", 0),
    at_least("padding_right", 0), at_least("length", 1),
    Rule(("length", "padding_left", "padding_right", "kernel_size", "dilation"),
         lambda n, pl, pr, k, d: n + pl + pr >= d * (k - 1) + 1, _reach_message),
)

#: a padding by reflection, and a circular one, on top of :data:`FORWARD`
REFLECT: tuple[Rule, ...] = tuple(
    Rule((side, "length"), lambda p, n: p < n, lambda names, p, n: f"padding ({p}){_where(names)} must be smaller"
         f" than the input ({n}) with padding_mode='reflect'") for side in ("padding_left", "padding_right"))
CIRCULAR: tuple[Rule, ...] = tuple(
    Rule((side, "length"), lambda p, n: p <= n, lambda names, p, n: f"padding ({p}){_where(names)} must be at most"
         f" the input ({n}) with padding_mode='circular'") for side in ("padding_left", "padding_right"))

#: channels and groups of a convolution in either direction
CHANNELS: tuple[Rule, ...] = (
    at_least("in_channels", 1), at_least("out_channels", 1), at_least("groups", 1),
    Rule(("in_channels", "groups"), lambda c, g: c % _safe(g) < 1,
         lambda names, c, g: f"{names[0]} ({c}) must be divisible by {names[1]} ({g})"),
    Rule(("out_channels", "groups"), lambda c, g: c % _safe(g) < 1,
         lambda names, c, g: f"{names[0]} ({c}) must be divisible by {names[1]} ({g})"),
)

#: a linear layer
LINEAR: tuple[Rule, ...] = (at_least("in_features", 1), at_least("out_features", 1))


def _name(name: str, dim: int | None, renamed: Mapping[str, str] | None) -> str:
    shown = (renamed or {}).get(name, name)
    return shown if dim is None else f"{shown}[{dim}]"


def check(rules: Sequence[Rule], values: Mapping[str, object], dim: int | None = None,
          renamed: Mapping[str, str] | None = None) -> None:
    """``ValueError`` with the first broken rule's message, for the values given (ints); a rule is
    checked once every keyword it reads is given.  ``dim`` names the dimension of an n-d layer
    (``stride[1]``); ``renamed`` shows a keyword under another name (``padding_left`` as ``padding``)."""
    for rule in rules:
        if all(name in values for name in rule.names):
            arguments = [values[name] for name in rule.names]
            if not rule.predicate(*arguments):
                raise ValueError(rule.message(tuple(_name(n, dim, renamed) for n in rule.names), *arguments))


def holds(rules: Sequence[Rule], values: Mapping[str, object]):
    """Whether the values given satisfy every rule they complete, element-wise (ints, NumPy arrays)."""
    result = True
    for rule in rules:
        if all(name in values for name in rule.names):
            result = result & rule.predicate(*(values[name] for name in rule.names))
    return result


def minimum_of(rules: Sequence[Rule], name: str) -> int:
    """The least value a keyword may take by its own rule (0 or 1), 1 if it has none."""
    for rule in rules:
        if rule.names == (name,):
            return 0 if rule.predicate(0) else 1
    return 1

