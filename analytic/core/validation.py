"""torch's rules for a layer, checked on the values a user gives: the rule tables of
:mod:`analytic.core.rules`, with the values read by :mod:`analytic.core.coercion`.

A configuration is valid here exactly when torch's layer (and its forward pass) accepts it, with
two deliberate tightenings that the API contract asks for: sizes must be real integers (``bool``
is rejected, although torch would take ``True`` as 1), and channels must be positive (torch builds
a zero-channel module and only fails in its forward pass).

Every error names the parameter, its value and the rule::

    ValueError: output_padding (2) must be smaller than stride (2) or dilation (1)
"""

from __future__ import annotations

from collections.abc import Sequence

from . import rules
from .coercion import as_bias, as_int, as_single, as_tuple, at_least, check_device_dtype
from .geometry import transposed_output_length

__all__ = [
    "FILTER_KEYWORDS",
    "KEYWORDS",
    "as_bias",
    "as_int",
    "as_single",
    "as_tuple",
    "at_least",
    "check_conv_filter",
    "check_device_dtype",
    "check_filter",
    "check_input_shape",
    "check_kernel",
    "check_keywords",
    "check_layer",
    "check_length",
    "filter_ok",
    "keywords_ok",
    "layer_ok",
    "plain_output_length",
]

_KERNEL = ("kernel_size", "stride", "padding", "output_padding", "dilation")


def _name(name: str, dim: int | None) -> str:
    return name if dim is None else f"{name}[{dim}]"


def check_kernel(
    kernel_size: object,
    stride: object,
    padding: object,
    output_padding: object,
    dilation: object,
    dim: int | None = None,
) -> tuple[int, int, int, int, int]:
    """Validate the geometry torch checks before it sees an input; return the values as ints.

    Rules (torch's, :data:`analytic.core.rules.TRANSPOSED`): ``kernel_size``, ``stride``,
    ``dilation`` >= 1; ``padding``, ``output_padding`` >= 0; ``output_padding < max(stride,
    dilation)``.  With ``dim``, the messages name the dimension (``stride[1]``) of an n-d layer.

    >>> check_kernel(3, 2, 0, 2, 1)
    Traceback (most recent call last):
    ...
    ValueError: output_padding (2) must be smaller than stride (2) or dilation (1)
    >>> check_kernel(3, 0, 0, 0, 1, dim=1)
    Traceback (most recent call last):
    ...
    ValueError: stride[1] (0) must be positive (at least 1)
    """
    values = {name: as_int(_name(name, dim), value)
              for name, value in zip(_KERNEL, (kernel_size, stride, padding, output_padding, dilation), strict=True)}
    rules.check(rules.TRANSPOSED, values, dim)
    return tuple(values.values())  # type: ignore[return-value]


def check_length(length: object, k: int, s: int, p: int, o: int, d: int, dim: int | None = None) -> int:
    """Validate an input length against a checked kernel: ``length >= 1`` and output length >= 1.

    >>> check_length(1, 1, 1, 1, 0, 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: output length (-1) must be at least 1: (length-1)*stride - 2*padding + ...
    """
    n = as_int(_name("length", dim), length)
    rules.check(rules.TRANSPOSED, {"length": n, "kernel_size": k, "stride": s, "padding": p, "output_padding": o,
                                   "dilation": d}, dim)
    return n


def filter_ok(n, k, s, p, o, d):
    """Whether integer values satisfy every rule of :func:`check_filter` (no messages): the same
    table, element-wise on NumPy arrays (``analytic.sweep``) as on ints."""
    return rules.holds(rules.TRANSPOSED, {"length": n, "kernel_size": k, "stride": s, "padding": p,
                                          "output_padding": o, "dilation": d})


def plain_output_length(n, k, s, p, o, d) -> int:
    r"""The output length if the six values are plain ``int``\ s satisfying every rule of
    :func:`check_filter`, else 0: the fast path of validation, one frame for the common case.

    Anything else (NumPy integers, bools, invalid values) gives 0 and is left to
    :func:`check_filter`, which converts or raises the error that names the rule.

    >>> plain_output_length(100, 16, 8, 4, 0, 1), plain_output_length(1, 1, 1, 1, 0, 1)
    (800, 0)
    """
    if (
        n.__class__ is k.__class__ is s.__class__ is p.__class__ is o.__class__ is d.__class__ is int
        and n > 0 and k > 0 and s > 0 and d > 0 and p >= 0 and o >= 0 and (o < s or o < d)
        and (out := transposed_output_length(n, k, s, p, o, d)) > 0
    ):
        return out
    return 0


def layer_ok(c_in, c_out, g):
    """Whether integer channels and groups satisfy :func:`check_layer` (element-wise on arrays)."""
    return rules.holds(rules.CHANNELS, {"in_channels": c_in, "out_channels": c_out, "groups": g})


def check_filter(
    length: object,
    kernel_size: object,
    stride: object,
    padding: object,
    output_padding: object,
    dilation: object,
    dim: int | None = None,
) -> tuple[int, int, int, int, int, int]:
    """Validate one filter's geometry and input length; return the six values as ints.

    The rules of :func:`check_kernel` and :func:`check_length`: ``length >= 1`` and
    ``(length-1)*stride - 2*padding + dilation*(kernel_size-1) + output_padding + 1 >= 1``.

    >>> check_filter(2, 3, 1, 0, 0, 1)
    (2, 3, 1, 0, 0, 1)
    """
    if plain_output_length(length, kernel_size, stride, padding, output_padding, dilation):
        return length, kernel_size, stride, padding, output_padding, dilation
    k, s, p, o, d = check_kernel(kernel_size, stride, padding, output_padding, dilation, dim)
    return check_length(length, k, s, p, o, d, dim), k, s, p, o, d


_SIDES = {"padding_left": "padding", "padding_right": "padding"}
_MODE_RULES = {"zeros": (), "reflect": rules.REFLECT, "circular": rules.CIRCULAR, "replicate": ()}


def check_conv_filter(n: int, k: int, s: int, pl: int, pr: int, d: int, padding_mode: str = "zeros",
                      dim: int | None = None) -> None:
    """torch's rules for one dimension of a forward convolution whose sizes are checked ints
    (:data:`analytic.core.rules.FORWARD`): the padded input reaches the kernel's extent, and a
    reflected (circular) padding is shorter than (at most) the input.

    >>> check_conv_filter(2, 5, 1, 0, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: padded input (2) is shorter than the kernel's reach dilation*(kernel_size-1)+1 = 5
    """
    values = {"length": n, "kernel_size": k, "stride": s, "padding_left": pl, "padding_right": pr, "dilation": d}
    # another mode pads with torch's F.pad, which crops where a padding is negative: no sign rule
    forward = rules.FORWARD if padding_mode == "zeros" else tuple(
        r for r in rules.FORWARD if not (len(r.names) == 1 and r.names[0] in _SIDES))
    rules.check((*forward, *_MODE_RULES[padding_mode]), values, dim, _SIDES)


def check_layer(
    in_channels: object, out_channels: object, groups: object, bias: object
) -> tuple[int, int, int, bool]:
    """Validate the channel structure of a layer; return ``(in_channels, out_channels, groups, bias)``.

    >>> check_layer(4, 6, 4, True)
    Traceback (most recent call last):
    ...
    ValueError: out_channels (6) must be divisible by groups (4)
    """
    values = {name: as_int(name, value) for name, value in
              (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups))}
    rules.check(rules.CHANNELS, values)
    return values["in_channels"], values["out_channels"], values["groups"], as_bias(bias)


#: the keywords of a count: a filter's (and per dimension of an n-d layer, ``length_0``, ...) and a module's
FILTER_KEYWORDS = ("length", "kernel_size", "stride", "padding", "output_padding", "dilation")
#: (dimension, its filter keywords): the 1-d names, then those of each dimension of an n-d layer
_FILTERS = ((None, FILTER_KEYWORDS), *((i, tuple(f"{key}_{i}" for key in FILTER_KEYWORDS)) for i in range(3)))
_LAYER = ("in_channels", "out_channels", "groups")
KEYWORDS = (*FILTER_KEYWORDS, "batch", *_LAYER, "bias", *(key for _, keys in _FILTERS[1:] for key in keys))
#: each keyword's own rule: the rule of its base name (``stride_1`` as ``stride``), a batch >= 1, a bias 0 or 1
_OWN = {**{key: base for dim, keys in _FILTERS for key, base in zip(keys, FILTER_KEYWORDS, strict=True)},
        **{key: key for key in (*_LAYER, "batch")}}
_BIAS = rules.Rule(("bias",), lambda b: (b >= 0) & (b <= 1), lambda names, b: f"bias ({b}) must be 0 or 1")


def _own_rule(name: str) -> rules.Rule:
    base = _OWN[name]
    minimum = rules.minimum_of((*rules.TRANSPOSED, *rules.CHANNELS), base)
    return rules.at_least(name, minimum)


def _per_dimension(values: dict):
    """``(dim, {filter keyword: value})`` for the 1-d keywords and each dimension's given."""
    for dim, keys in _FILTERS:
        given = {base: values[key] for key, base in zip(keys, FILTER_KEYWORDS, strict=True) if key in values}
        if given:
            yield dim, given


def check_keywords(values: dict[str, object]) -> dict[str, int]:
    """The numeric rules for keyword values given to a formula (a SymPy expression or an exported
    function): each value its own rule (sizes positive, paddings non-negative, bias 0 or 1), and
    every rule of the tables whose keywords are all given — torch's rules for a filter (in each
    dimension of an n-d layer: ``length_0``, ...) and for channels and groups.  Returns the values
    as ints.

    >>> check_keywords({"length": 1, "kernel_size": 1, "stride": 1, "padding": 5, "output_padding": 0,
    ...                 "dilation": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: output length (-9) must be at least 1: ...
    """
    unknown = set(values) - set(KEYWORDS)
    if unknown:
        raise ValueError(f"unknown keyword(s) {sorted(unknown)}; known: {', '.join(KEYWORDS)}")
    ints = {name: as_int(name, value) for name, value in values.items()}
    for name, value in ints.items():
        rules.check((_BIAS,) if name == "bias" else (_own_rule(name),), {name: value})
    for dim, given in _per_dimension(ints):
        rules.check(rules.TRANSPOSED, given, dim)
    rules.check(rules.CHANNELS, ints)
    return ints


def keywords_ok(values: dict[str, object]):
    """Whether integer keyword values satisfy :func:`check_keywords` (no messages): the same rules,
    element-wise on NumPy arrays (the exported NumPy functions) as on ints."""
    ok = True
    for name, value in values.items():
        ok = ok & ((_BIAS if name == "bias" else _own_rule(name)).predicate(value))
    for _, given in _per_dimension(values):
        ok = ok & rules.holds(rules.TRANSPOSED, given)
    return ok & rules.holds(rules.CHANNELS, values)


def check_input_shape(
    input_shape: object, in_channels: int, spatial_dims: int = 1
) -> tuple[int, tuple[int, ...]]:
    """Validate ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``; return ``(N, spatial)``.

    Unbatched input counts as one sample (``N = 1``), like torch.  The batch must be positive:
    torch skips every check of its own on an empty batch (it "accepts" a dilation of 0), so there
    is nothing meaningful to count.  Channels must match the layer and lengths be positive.

    >>> check_input_shape((8, 4, 100), in_channels=4)
    (8, (100,))
    >>> check_input_shape((3, 100), in_channels=4)
    Traceback (most recent call last):
    ...
    ValueError: input_shape (3, 100) has 3 channels, the layer expects in_channels=4
    """
    if type(input_shape) is tuple and len(input_shape) == spatial_dims + 2:
        # fast path: a batched tuple of plain positive ints with the right channels
        batch, channels, *spatial = input_shape
        if (
            type(batch) is int and batch > 0 and channels == in_channels and type(channels) is int
            and all(type(v) is int and v > 0 for v in spatial)
        ):
            return batch, tuple(spatial)
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a tuple of ints (N, C_in, L_in) or (C_in, L_in),"
            f" got {type(input_shape).__name__}"
        )
    shape = tuple(as_int("input_shape", v) for v in input_shape)
    if len(shape) not in (spatial_dims + 1, spatial_dims + 2):
        raise ValueError(
            f"input_shape {shape} must have {spatial_dims + 2} (batched) or"
            f" {spatial_dims + 1} (unbatched) dimensions"
        )
    batch = shape[0] if len(shape) == spatial_dims + 2 else 1
    channels = shape[-spatial_dims - 1]
    spatial = shape[-spatial_dims:]
    at_least("batch size (input_shape[0])", batch, 1)
    if channels != in_channels:
        raise ValueError(
            f"input_shape {shape} has {channels} channels, the layer expects in_channels={in_channels}"
        )
    for i, v in enumerate(spatial):
        index = len(shape) - spatial_dims + i
        at_least("length (input_shape[-1])" if spatial_dims == 1 else f"spatial size (input_shape[{index}])", v, 1)
    return batch, spatial
