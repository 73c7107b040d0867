"""``analytic.sweep``: every count for arrays of configurations at once (NumPy, exact int64).

The formulas are those of :mod:`analytic.core.transposed` (written to work on arrays as on ints) with the
vectorized lattice count of :mod:`analytic.core.vectorized`; the validity rules are those of
:mod:`analytic.core.validation`.  Results are exact: rows whose int64 arithmetic could overflow (a
float64 bound says which) are counted by the scalar API in Python ints instead, and a count that
does not fit in int64 raises ``OverflowError``; nothing wraps around.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import vectorized
from ..core.filters import FilterCounts
from ..core.geometry import transposed_output_length
from ..core.transposed import collisions_kept, module_counts, taps_kept
from ..core.validation import as_int, filter_ok, layer_ok
from ..layers.transposed import ConvTranspose1d

__all__ = ["sweep"]

_INT64_MAX = np.iinfo(np.int64).max
# float64 estimates are compared against a margin well below 2**63 (their relative error is ~1e-15)
_SAFE = 2.0**62
#: A valid configuration with small counts: what stands in for rows counted elsewhere.
_NEUTRAL = {"length": 1, "kernel_size": 1, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 1,
            "in_channels": 1, "out_channels": 1, "groups": 1, "batch": 1, "bias": True}
_SIZES = tuple(name for name in _NEUTRAL if name != "bias")


def _as_int_array(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == np.bool_:
        raise TypeError(f"{name} must hold integers, got booleans")
    if array.dtype.kind == "O":  # Python ints (maybe huge): exactly, never a float or text turned into one
        try:
            values = [as_int(name, v) for v in array.ravel()]
            return np.array(values, dtype=np.int64).reshape(array.shape)
        except OverflowError:
            raise OverflowError(f"{name} has values that do not fit in int64") from None
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.size and array.max() > _INT64_MAX:
        raise OverflowError(f"{name} has values that do not fit in int64")
    return array.astype(np.int64, copy=False)


def _as_bool_array(name: str, value: object) -> np.ndarray:
    """Booleans, or integers 0 and 1 (a scalar ``None`` is no bias, as for the layers)."""
    array = np.asarray(False if value is None else value)
    if array.dtype.kind in "iu" and ((array == 0) | (array == 1)).all():
        return array.astype(np.bool_)
    if array.dtype != np.bool_:
        raise TypeError(f"{name} must hold booleans (or 0 and 1), got dtype {array.dtype}")
    return array


def _scalar_breakdown(row: dict[str, object]) -> dict[str, int]:
    """One row through the scalar API: its rules (and words), its exact Python-int counts."""
    layer = {k: v for k, v in row.items() if k not in ("length", "batch")}
    return ConvTranspose1d(**layer).breakdown((row["batch"], row["in_channels"], row["length"]))


def _row_error(index: tuple[int, ...], row: dict[str, object]) -> str:
    """The scalar API's message for an invalid row (the same layer, the same rules and words)."""
    try:
        _scalar_breakdown(row)
    except (ValueError, TypeError) as error:
        return f"row {index}: {error}"
    raise AssertionError(f"row {index} was flagged invalid but passes the scalar checks: {row}")


def _near_int64(p: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Rows whose counts, or intermediates of the validity rules and of the lattice count, could
    leave int64 (a float64 bound on the magnitudes, computed before any int64 arithmetic), and
    the factors of that bound (to name the parameter driving an overflow)."""
    f = {name: np.abs(p[name].astype(np.float64)) for name in _SIZES}
    out = (f["length"] - 1) * f["stride"] + f["dilation"] * (f["kernel_size"] - 1) + f["output_padding"] + 1
    per_group = f["in_channels"] / np.maximum(f["groups"], 1)
    factors = {  # the largest result is below batch * out * per_group * k * (L_in + L_out) * 2 + ...
        "batch": f["batch"], "out_channels": f["out_channels"], "in_channels": per_group,
        "kernel_size": f["kernel_size"], "length": np.maximum(out, f["length"]) + 1,
    }
    bound = 4.0 * math.prod(factors.values()) * (1 + 1 / np.maximum(per_group, 1))
    # intermediates of the lattice count: positions up to F + 2p, pairs up to n * k
    bound = np.maximum(bound, 4 * (out + 2 * f["padding"] + f["stride"] * f["dilation"]) * f["kernel_size"])
    return bound >= _SAFE, factors


def _exact_row(index: tuple[int, ...], row: dict[str, object], factors: dict[str, np.ndarray]) -> dict[str, int] | None:
    """The scalar breakdown of a row near int64 (Python ints, exact): ``None`` if the row is
    invalid, ``OverflowError`` naming the quantity and the parameter driving it if a count does
    not fit in int64."""
    try:
        counts = _scalar_breakdown(row)
    except (ValueError, TypeError):
        return None
    for key, value in counts.items():
        if not -_INT64_MAX <= value <= _INT64_MAX:
            culprit = max(factors, key=lambda name: factors[name][index])
            raise OverflowError(
                f"{key} ({value}) does not fit in int64 at row {index}, driven by {culprit}={row[culprit]}:"
                f" {row}; use the scalar API (exact Python ints)"
            )
    return counts


def sweep(
    *,
    in_channels,
    out_channels,
    kernel_size,
    length,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    bias=True,
    dilation=1,
    batch=1,
    on_invalid: str = "raise",
) -> dict[str, np.ndarray]:
    """Every quantity of :meth:`analytic.ConvTranspose1d.breakdown`, for arrays of configurations.

    The keywords are those of :class:`analytic.ConvTranspose1d` plus ``length`` and ``batch``;
    each is a scalar or an array, all broadcast together.  Returns one int64 array per quantity
    and per convention (keys: ``analytic.CONVENTIONS`` and the intermediate quantities), plus
    ``valid`` (bool).

    Invalid rows (the scalar API's rules) raise ``ValueError`` listing them with the scalar
    message, or with ``on_invalid="mask"`` are reported in ``valid`` and hold 0.  Rows whose
    counts come near 2**63 are counted by the scalar API in Python ints (a few µs each) and kept
    when they fit; a count that does not fit in int64 raises ``OverflowError`` naming the
    quantity, the row and the parameter driving it.

    >>> import numpy as np
    >>> out = sweep(in_channels=512, out_channels=256, kernel_size=16, stride=8, padding=4,
    ...             length=np.array([16, 100, 10**6]))
    >>> out["moduleprofiler"].tolist()
    [300941312, 1886388224, 18874366951424]
    """
    if on_invalid not in ("raise", "mask"):
        raise ValueError(f"on_invalid ({on_invalid!r}) must be 'raise' or 'mask'")
    values = {"in_channels": in_channels, "out_channels": out_channels, "kernel_size": kernel_size,
              "stride": stride, "padding": padding, "output_padding": output_padding,
              "groups": groups, "dilation": dilation, "length": length, "batch": batch}
    arrays = {name: _as_int_array(name, value) for name, value in values.items()}
    arrays["bias"] = _as_bool_array("bias", bias)
    names = list(arrays)
    try:
        broadcast = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{name} {array.shape}" for name, array in arrays.items() if array.ndim)
        raise ValueError(f"the arrays do not broadcast together: {shapes}") from None
    p = given = dict(zip(names, broadcast, strict=True))
    # Rows whose int64 arithmetic could overflow are counted exactly by the scalar API (Python
    # ints), one by one, and stand in the arrays with neutral values meanwhile; an OverflowError
    # is raised only for a count that really does not fit.
    near, factors = _near_int64(p)
    exact = {}
    if near.any():
        for where in np.argwhere(near):
            index = tuple(int(i) for i in where)
            exact[index] = _exact_row(index, {name: p[name][index].item() for name in names}, factors)
        p = {name: np.where(near, _NEUTRAL[name], value) for name, value in p.items()}
    geometry = ("length", "kernel_size", "stride", "padding", "output_padding", "dilation")
    valid = np.asarray(filter_ok(*(p[name] for name in geometry))
                       & layer_ok(p["in_channels"], p["out_channels"], p["groups"]) & (p["batch"] > 0))
    for index, counts in exact.items():
        valid[index] = counts is not None
    if not valid.all():
        if on_invalid == "raise":
            bad = np.argwhere(~valid)
            shown = [_row_error(tuple(int(i) for i in idx),
                                {name: given[name][tuple(idx)].item() for name in names})
                     for idx in bad[:5]]
            more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise ValueError(f"{len(bad)} of {valid.size} configurations are invalid: "
                             + "; ".join(shown) + more)
        # neutral values keep the arithmetic of invalid rows harmless; their results are zeroed
        p = {name: np.where(valid, value, _NEUTRAL[name]) for name, value in p.items()}
    n, k, s, pad, o, d = (p[name] for name in geometry)
    G = vectorized.lattice_count
    taps = taps_kept(n, k, s, pad, o, d, G=G)
    collisions = collisions_kept(n, k, s, pad, o, d, G=G, gcd=np.gcd)
    result = module_counts(
        batch=p["batch"], in_channels=p["in_channels"], out_channels=p["out_channels"],
        groups=p["groups"], bias=p["bias"], input_size=n, kernel_size=k,
        filter=FilterCounts(transposed_output_length(n, k, s, pad, o, d), taps, taps - collisions),
    )
    out = {key: np.where(valid, np.asarray(value, dtype=np.int64), 0) for key, value in result.items()}
    for index, counts in exact.items():
        for key, value in (counts or {}).items():
            out[key][index] = value
    out["valid"] = valid
    return out
