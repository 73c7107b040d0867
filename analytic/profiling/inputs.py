"""A profile's inputs, read once for both passes: shapes (ints, and names of symbolic sizes) or
tensors, one dtype each.

>>> input_specs((1, 80, "L"), None)
[(1, 80, 'L')]
>>> input_specs(None, ((1, 4, 5, 6), (2, 3, 9)))
[(1, 4, 5, 6), (2, 3, 9)]
>>> input_specs(None, (1, 2, 47))  # one shape alone is one input, not three
[(1, 2, 47)]

A size may be an expression of other names (the samples of a vocoder fed F frames of hop 200,
less its 800-sample warm-up); it is read as integer arithmetic, never run as Python:

>>> spec_names((1, "200*F - 800"))
['F']
>>> spec_sizes((1, "200*F - 800"), {"F": 10})
(1, 1200)
"""

from __future__ import annotations

import ast
import keyword
import operator
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

__all__ = ["check_storage", "has_named_sizes", "input_specs", "input_dtypes", "input_tensors", "spec_names",
           "spec_sizes"]

#: the most bytes one tensor may hold: torch computes its storage in int64
MAX_STORAGE_BYTES = 2**63 - 1

#: the longest expression a size may be (a relation between a few names, not a program)
MAX_EXPRESSION_LENGTH = 200

#: the integer arithmetic a size expression may use, as Python writes it
_OPERATORS: dict[type, Callable] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                                    ast.FloorDiv: operator.floordiv}


def _rule(text: str, why: str) -> ValueError:
    return ValueError(f"size {text!r} must be a name or an expression of names and integers with + - * //"
                      f" and parentheses (e.g. '200*F - 800'): {why}")


@lru_cache(maxsize=256)
def _parsed(text: str) -> ast.expr:
    """The syntax tree of a size, checked node by node (nothing is evaluated)."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _rule(text[:40] + "...", f"longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise _rule(text, "it does not parse") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise _rule(text, f"{type(node.op).__name__} is not allowed (sizes are integers: use //)")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise _rule(text, f"{type(node.op).__name__} is not allowed")
        elif isinstance(node, ast.Constant):
            if type(node.value) is not int or node.value > 2**62:
                raise _rule(text, f"{node.value!r} is not an integer up to 2**62")
        elif isinstance(node, ast.Name):
            if keyword.iskeyword(node.id):
                raise _rule(text, f"{node.id!r} is a Python keyword")
        elif not isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
            raise _rule(text, f"{type(node).__name__} is not allowed")
    return tree


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(n.id for n in ast.walk(_parsed(text)) if isinstance(n, ast.Name)))


def _value(node: ast.expr, sizes: Mapping[str, object]):
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_value(node.left, sizes), _value(node.right, sizes))
    if isinstance(node, ast.UnaryOp):
        return -_value(node.operand, sizes)
    if isinstance(node, ast.Constant):
        return node.value
    return sizes[node.id]


def spec_names(spec: Sequence) -> list[str]:
    """The names a shape's sizes use, in their order of first appearance."""
    return list(dict.fromkeys(n for v in spec if isinstance(v, str) for n in _names(v)))


def spec_sizes(spec: Sequence, sizes: Mapping[str, object]) -> tuple:
    """A shape with its named sizes and expressions evaluated at ``sizes`` (ints, torch's
    symbolic sizes or SymPy symbols alike)."""
    return tuple(_value(_parsed(v), sizes) if isinstance(v, str) else v for v in spec)


def has_named_sizes(input_shape: object, example_inputs: object) -> bool:
    """Whether a shape (or one of several) holds a name (a string): a request for a formula."""
    return _holds_name(input_shape) or _holds_name(example_inputs)


def _holds_name(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, (tuple, list)) and any(map(_holds_name, value)))


def _is_size(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) or (
        hasattr(value, "__index__") and not isinstance(value, bool) and type(value).__name__ != "Tensor")


def _size(value: object, shape: object) -> int | str:
    """One size of a shape: a non-negative int (NumPy integers accepted) or a name."""
    if isinstance(value, str):
        if not _names(value):
            raise _rule(value, "it names no size (give a number as an int)")
        return value
    try:
        size = value.__index__()  # ints, NumPy integers
    except (AttributeError, TypeError):
        raise TypeError(f"shape {shape!r} must hold ints and size names (strings), got {type(value).__name__}"
                        f" ({value!r})") from None
    if size < 0:
        raise ValueError(f"shape {shape!r} must hold non-negative ints and size names, got {size}")
    if size > MAX_STORAGE_BYTES:
        raise ValueError(f"shape {shape!r} holds {size:.3e}, more than int64: torch's sizes are int64")
    return size


def check_storage(shape: tuple[int, ...], itemsize: int, where: str = "") -> None:
    """``ValueError`` unless a tensor of ``shape`` (elements of ``itemsize`` bytes) fits in the
    storage torch can address (:data:`MAX_STORAGE_BYTES`).

    >>> check_storage((1, 2, 2**62), 4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: input shape (1, 2, 4611686018427387904) holds 9.223e+18 elements of 4 bytes, more than torch ...
    """
    elements = 1
    for size in shape:
        elements *= size
    if elements * itemsize > MAX_STORAGE_BYTES:
        raise ValueError(f"input shape {shape!r}{where} holds {elements:.3e} elements of {itemsize} bytes, more than"
                         f" torch can store (2**63 - 1 bytes)")


def input_specs(input_shape: object, example_inputs: object) -> list:
    """The inputs, one entry each: a shape (a tuple of ints and names), or a value given as is
    (a tensor, or anything else the model takes)."""
    if (input_shape is None) == (example_inputs is None):
        raise ValueError("give exactly one of input_shape and example_inputs")
    if input_shape is not None:
        if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) or not input_shape:
            raise TypeError(f"input_shape must be a non-empty tuple of ints and size names, got {input_shape!r}")
        return [tuple(_size(v, input_shape) for v in input_shape)]
    given = example_inputs
    if isinstance(given, (tuple, list)) and given and all(_is_size(v) for v in given):
        given = (given,)  # one shape alone is one input
    elif not isinstance(given, tuple):
        given = (given,)
    specs = []
    for value in given:
        if isinstance(value, (tuple, list)) and all(_is_size(v) for v in value):
            specs.append(tuple(_size(v, value) for v in value))
        else:
            specs.append(value)
    return specs


def input_dtypes(specs: list, dtypes: object, model) -> list:
    """One ``torch.dtype`` per input: ``dtypes`` (one per input, as torchinfo's ``summary(...,
    dtypes=[torch.long])``), else the model's first floating-point parameter's, else torch's
    default.  A tensor given as an input keeps its own."""
    import torch

    first = next(iter(model.parameters()), None)
    default = first.dtype if first is not None and first.dtype.is_floating_point else torch.get_default_dtype()
    if dtypes is None:
        return [default] * len(specs)
    if isinstance(dtypes, torch.dtype):
        dtypes = [dtypes]
    if isinstance(dtypes, (str, bytes)) or not isinstance(dtypes, Sequence):
        raise TypeError(f"dtypes must be a list of torch dtypes, one per input, got {type(dtypes).__name__}")
    if len(dtypes) != len(specs):
        raise ValueError(f"dtypes gives {len(dtypes)} dtype(s) for {len(specs)} input(s): give one per input")
    for i, dtype in enumerate(dtypes):
        if not isinstance(dtype, torch.dtype):
            raise TypeError(f"dtypes[{i}] must be a torch.dtype (e.g. torch.long), got {type(dtype).__name__}"
                            f" ({dtype!r})")
    return list(dtypes)


def input_tensors(specs: list, dtypes: list, device: str = "meta") -> tuple:
    """The inputs as tensors on ``device`` (no data on ``meta``): a shape becomes an empty tensor
    of its dtype, a tensor its copy on ``device``; anything else is passed as it is."""
    import torch

    def tensor(spec, dtype):
        if isinstance(spec, torch.Tensor):  # (a gradient wanted for it too, for a backward pass)
            return torch.empty_like(spec, device=device).requires_grad_(spec.requires_grad)
        if isinstance(spec, tuple):
            return torch.empty(spec, dtype=dtype, device=device)
        return spec

    return tuple(tensor(s, d) for s, d in zip(specs, dtypes, strict=True))
