"""Reading the values a user gives as torch reads them: ints (any ``__index__``, never a bool or a
float), sizes given as an int or a tuple, a bias, a device and a dtype.  Each error names the
parameter, its value and what it must be.

>>> as_int("stride", 2), as_tuple("stride", 2, 3)
(2, (2, 2, 2))
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

from .rules import at_least as _rule

__all__ = ["as_bias", "as_int", "as_single", "as_tuple", "at_least", "check_device_dtype"]


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
    """``ValueError`` naming ``name`` unless ``value >= minimum`` (``minimum`` 0 or 1), in the
    words of :func:`analytic.core.rules.at_least`."""
    rule = _rule(name, minimum)
    if not rule.predicate(value):
        raise ValueError(rule.message((name,), value))


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
