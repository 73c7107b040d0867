"""torch's rules for a transposed convolution, in one place and one message style.

A configuration is valid here exactly when ``torch.nn.ConvTranspose1d`` (and its forward pass)
accepts it, with two deliberate tightenings that the API contract asks for: sizes must be real
integers (``bool`` is rejected, although torch would take ``True`` as 1), and channels must be
positive (torch builds a zero-channel module and only fails in its forward pass).

Every error names the parameter, its value and the rule::

    ValueError: output_padding (2) must be smaller than stride (2) or dilation (1)
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence

from .geometry import transposed_output_length

__all__ = [
    "as_bias",
    "as_int",
    "at_least",
    "plain_output_length",
    "as_single",
    "as_tuple",
    "check_device_dtype",
    "check_keywords",
    "keywords_ok",
    "KEYWORDS",
    "FILTER_KEYWORDS",
    "check_conv_filter",
    "check_filter",
    "check_input_shape",
    "filter_ok",
    "layer_ok",
    "check_kernel",
    "check_layer",
    "check_length",
]


def as_int(name: str, value: object) -> int:
    """Return ``value`` as a Python ``int``; ``TypeError`` naming ``name`` unless it is an integer.

    Anything with ``__index__`` (``int``, NumPy integers, 0-d integer tensors) is accepted;
    ``bool`` and floats are not, even when they hold a whole number.

    >>> as_int("stride", 2)
    2
    >>> as_int("stride", 2.0)
    Traceback (most recent call last):
    ...
    TypeError: stride must be an int, got float (2.0)
    """
    if type(value) is int:
        return value
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        raise TypeError(f"{name} must be an int, got bool ({value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} ({value!r})") from None


def _entries(name: str, value: object) -> tuple | None:
    """The entries of a size given as an iterable (tuple, list, 1-d array, ``torch.Size``), like
    torch's ``_ntuple``; ``None`` for a single value.  Text is not a size."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(value).__name__} ({value!r})")
    if not isinstance(value, Iterable):
        return None
    try:
        return tuple(value)
    except TypeError:  # a 0-d array is "iterable" but has no entries: torch refuses it too
        raise TypeError(f"{name} must be an int or a tuple of ints, got a 0-d {type(value).__name__}") from None


def as_single(name: str, value: object) -> int:
    """Accept an int or a 1-tuple of an int (any iterable of one, as torch's ``_single``), and
    return the int.

    >>> as_single("kernel_size", (3,))
    3
    """
    entries = _entries(name, value)
    if entries is not None:
        if len(entries) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple for a 1-d layer, got {value!r}")
        value = entries[0]
    return as_int(name, value)


def as_tuple(name: str, value: object, dims: int) -> tuple[int, ...]:
    """Accept an int (repeated) or a ``dims``-tuple of ints (any iterable, as torch's
    ``_pair``/``_triple``).

    >>> as_tuple("stride", 2, 3), as_tuple("stride", (1, 2), 2)
    ((2, 2, 2), (1, 2))
    """
    entries = _entries(name, value)
    if entries is not None:
        if len(entries) != dims:
            raise ValueError(f"{name} must be an int or a {dims}-tuple for a {dims}-d layer, got {value!r}")
        return tuple(as_int(f"{name}[{i}]", v) for i, v in enumerate(entries))
    return (as_int(name, value),) * dims


def as_bias(value: object) -> bool:
    """Whether a layer has a bias: ``bool``, NumPy ``bool_``, ``None`` (no bias) or an integer,
    read as torch reads it (``if bias:``).  Text and floats are refused: torch would take
    ``bias="False"`` as a bias, surely not what was meant.

    >>> as_bias(None), as_bias(1), as_bias(False)
    (False, True, False)
    """
    if value is None or type(value).__name__ in ("bool", "bool_"):  # NumPy's is bool_ before NumPy 2
        return bool(value)
    try:
        return bool(operator.index(value))
    except TypeError:
        raise TypeError(f"bias must be a bool (or None, 0, 1), got {type(value).__name__} ({value!r})") from None


def at_least(name: str, value: int, minimum: int) -> None:
    """``ValueError`` naming ``name`` unless ``value >= minimum`` (``minimum`` 0 or 1)."""
    if value < minimum:
        rule = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} ({value}) must be {rule} (at least {minimum})")


def _names(dim: int | None, *names: str) -> list[str]:
    return [name if dim is None else f"{name}[{dim}]" for name in names]


def check_kernel(
    kernel_size: object,
    stride: object,
    padding: object,
    output_padding: object,
    dilation: object,
    dim: int | None = None,
) -> tuple[int, int, int, int, int]:
    """Validate the geometry torch checks before it sees an input; return the values as ints.

    Rules (torch's): ``kernel_size``, ``stride``, ``dilation`` >= 1; ``padding``,
    ``output_padding`` >= 0; ``output_padding < max(stride, dilation)``.  With ``dim``, the
    messages name the dimension (``stride[1]``) of an n-d layer.

    >>> check_kernel(3, 2, 0, 2, 1)
    Traceback (most recent call last):
    ...
    ValueError: output_padding (2) must be smaller than stride (2) or dilation (1)
    >>> check_kernel(3, 0, 0, 0, 1, dim=1)
    Traceback (most recent call last):
    ...
    ValueError: stride[1] (0) must be positive (at least 1)
    """
    nk, ns, np_, no, nd = _names(dim, "kernel_size", "stride", "padding", "output_padding", "dilation")
    k = as_int(nk, kernel_size)
    s = as_int(ns, stride)
    p = as_int(np_, padding)
    o = as_int(no, output_padding)
    d = as_int(nd, dilation)
    at_least(nk, k, 1)
    at_least(ns, s, 1)
    at_least(nd, d, 1)
    at_least(np_, p, 0)
    at_least(no, o, 0)
    if o >= s and o >= d:
        raise ValueError(f"{no} ({o}) must be smaller than {ns} ({s}) or {nd} ({d})")
    return k, s, p, o, d


def check_length(length: object, k: int, s: int, p: int, o: int, d: int, dim: int | None = None) -> int:
    """Validate an input length against a checked kernel: ``length >= 1`` and output length >= 1.

    >>> check_length(1, 1, 1, 1, 0, 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: output length (-1) must be at least 1: (length-1)*stride - 2*padding + ...
    """
    (nn,) = _names(dim, "length")
    n = as_int(nn, length)
    at_least(nn, n, 1)
    out = transposed_output_length(n, k, s, p, o, d)
    if out < 1:
        where = "" if dim is None else f" in dimension {dim}"
        raise ValueError(
            f"output length ({out}){where} must be at least 1: (length-1)*stride - 2*padding"
            f" + dilation*(kernel_size-1) + output_padding + 1 with length={n},"
            f" kernel_size={k}, stride={s}, padding={p}, output_padding={o}, dilation={d};"
            f" padding is too large"
        )
    return n


def filter_ok(n, k, s, p, o, d):
    """Whether integer values satisfy every rule of :func:`check_filter` (no messages).

    Written with ``&``/``|`` only, so it works element-wise on NumPy arrays (``analytic.sweep``);
    for plain ints :func:`plain_output_length` is the fast test.  The tests hold both equal to
    the checks that raise.
    """
    return (
        (n > 0) & (k > 0) & (s > 0) & (d > 0) & (p >= 0) & (o >= 0) & ((o < s) | (o < d))
        & (transposed_output_length(n, k, s, p, o, d) >= 1)
    )


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
    g_safe = g * (g > 0) + (g <= 0)  # never divide by zero; g <= 0 is invalid anyway
    return (c_in > 0) & (c_out > 0) & (g > 0) & (c_in % g_safe == 0) & (c_out % g_safe == 0)


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


def check_conv_filter(n: int, k: int, s: int, pl: int, pr: int, d: int, padding_mode: str = "zeros",
                      dim: int | None = None) -> None:
    """torch's rules for one dimension of a forward convolution whose sizes are checked ints:
    the padded input reaches the kernel's extent, and a reflected (circular) padding is shorter
    than (at most) the input.

    >>> check_conv_filter(2, 5, 1, 0, 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: padded input (2) is shorter than the kernel's reach dilation*(kernel_size-1)+1 = 5
    """
    where = "" if dim is None else f" in dimension {dim}"
    if n + pl + pr < d * (k - 1) + 1:
        raise ValueError(f"padded input ({n + pl + pr}){where} is shorter than the kernel's reach"
                         f" dilation*(kernel_size-1)+1 = {d * (k - 1) + 1}")
    if padding_mode == "reflect" and max(pl, pr) >= n:
        raise ValueError(f"padding ({max(pl, pr)}){where} must be smaller than the input ({n})"
                         f" with padding_mode='reflect'")
    if padding_mode == "circular" and max(pl, pr) > n:
        raise ValueError(f"padding ({max(pl, pr)}){where} must be at most the input ({n})"
                         f" with padding_mode='circular'")


def check_layer(
    in_channels: object, out_channels: object, groups: object, bias: object
) -> tuple[int, int, int, bool]:
    """Validate the channel structure of a layer; return ``(in_channels, out_channels, groups, bias)``.

    >>> check_layer(4, 6, 4, True)
    Traceback (most recent call last):
    ...
    ValueError: out_channels (6) must be divisible by groups (4)
    """
    c_in = as_int("in_channels", in_channels)
    c_out = as_int("out_channels", out_channels)
    g = as_int("groups", groups)
    at_least("in_channels", c_in, 1)
    at_least("out_channels", c_out, 1)
    at_least("groups", g, 1)
    if c_in % g:
        raise ValueError(f"in_channels ({c_in}) must be divisible by groups ({g})")
    if c_out % g:
        raise ValueError(f"out_channels ({c_out}) must be divisible by groups ({g})")
    return c_in, c_out, g, as_bias(bias)


def check_device_dtype(device: object, dtype: object) -> None:
    """torch's rules for the ``device`` and ``dtype`` keywords of a layer: ``dtype`` a floating-point
    or complex ``torch.dtype``, ``device`` anything ``torch.device`` parses.  A count depends on
    neither, so the device need not be present on this machine.  Loads torch only when one of
    them is given.
    """
    if device is None and dtype is None:
        return
    try:
        import torch
    except ImportError:
        torch = None
    if dtype is not None:
        if torch is None or not isinstance(dtype, torch.dtype):
            raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__} ({dtype!r})")
        if not (dtype.is_floating_point or dtype.is_complex):
            raise ValueError(f"dtype ({dtype}) must be a floating-point or complex dtype, as torch's parameters are")
    if device is not None and not isinstance(device, (str, int)) and (torch is None or not isinstance(
            device, torch.device)):
        raise TypeError(f"device must be a str, int or torch.device, got {type(device).__name__} ({device!r})")
    if device is not None and torch is not None:
        try:
            torch.device(device)
        except (RuntimeError, TypeError, ValueError) as error:
            reason = (str(error).strip().splitlines() or [""])[0]
            raise ValueError(f"device ({device!r}) is not a torch device: {reason}") from None


#: the keywords of a count: a filter's (and per dimension of an n-d layer, ``length_0``, ...) and a module's
FILTER_KEYWORDS = ("length", "kernel_size", "stride", "padding", "output_padding", "dilation")
#: (dimension, its filter keywords): the 1-d names, then those of each dimension of an n-d layer
_FILTERS = ((None, FILTER_KEYWORDS), *((i, tuple(f"{key}_{i}" for key in FILTER_KEYWORDS)) for i in range(3)))
_LAYER = ("in_channels", "out_channels", "groups")
KEYWORDS = (*FILTER_KEYWORDS, "batch", *_LAYER, "bias", *(key for _, keys in _FILTERS[1:] for key in keys))


def check_keywords(values: dict[str, object]) -> dict[str, int]:
    """The numeric rules for keyword values given to a formula (a SymPy expression or an exported
    function): each value its own rule (sizes positive, paddings non-negative, bias 0 or 1), and,
    once every value a rule needs is known, torch's rules for a filter (in each dimension of an
    n-d layer: ``length_0``, ...) and for channels and groups.  Returns the values as ints.

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
        at_least(name, value, _minimum(name))
    if ints.get("bias", 0) > 1:
        raise ValueError(f"bias ({ints['bias']}) must be 0 or 1")
    for dim, keys in _FILTERS:
        if all(key in ints for key in keys):
            check_filter(*(ints[key] for key in keys), dim=dim)
    if all(key in ints for key in _LAYER):
        check_layer(*(ints[key] for key in _LAYER), True)
    return ints


def keywords_ok(values: dict[str, object]):
    """Whether integer keyword values satisfy :func:`check_keywords` (no messages).  Written with
    ``&`` only, so it works element-wise on NumPy arrays (the exported NumPy functions) as well as
    on ints; the tests hold it equal to :func:`check_keywords`."""
    ok = True
    for name, value in values.items():
        ok = ok & (value >= _minimum(name))
    if "bias" in values:
        ok = ok & (values["bias"] <= 1)
    for _, keys in _FILTERS:
        if all(key in values for key in keys):
            ok = ok & filter_ok(*(values[key] for key in keys))
    if all(key in values for key in _LAYER):
        ok = ok & layer_ok(*(values[key] for key in _LAYER))
    return ok


def _minimum(name: str) -> int:
    """The least value of keyword ``name``: 0 for paddings and the bias, 1 for every size."""
    return 0 if "padding" in name or name == "bias" else 1


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
