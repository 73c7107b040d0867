"""``analytic.sweep``: every count for arrays of configurations at once (NumPy, exact int64).

The formulas are those of :mod:`analytic.counts` (written to work on arrays as on ints) with the
vectorized lattice count of :mod:`analytic.vectorized`; the validity rules are those of
:mod:`analytic.validation`.  Results are exact: a result that would not fit in int64 raises
``OverflowError`` before anything wraps around.
"""

from __future__ import annotations

import math

import numpy as np

from . import vectorized
from .counts import FilterCounts, _collisions_kept, _output_length, _taps_kept, module_counts
from .layers import ConvTranspose1d
from .validation import filter_ok, layer_ok

__all__ = ["sweep"]

_INT64_MAX = np.iinfo(np.int64).max
# float64 estimates are compared against a margin well below 2**63 (their relative error is ~1e-15)
_SAFE = 2.0**62
_SIZES = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
          "groups", "dilation", "length", "batch")


def _as_int_array(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == np.bool_:
        raise TypeError(f"{name} must hold integers, got booleans")
    if array.dtype.kind == "O":
        try:
            return np.array([int(v) for v in array.ravel()], dtype=np.int64).reshape(array.shape)
        except OverflowError:
            raise OverflowError(f"{name} has values that do not fit in int64") from None
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold integers") from None
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.size and array.max() > _INT64_MAX:
        raise OverflowError(f"{name} has values that do not fit in int64")
    return array.astype(np.int64, copy=False)


def _as_bool_array(name: str, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != np.bool_:
        raise TypeError(f"{name} must hold booleans, got dtype {array.dtype}")
    return array


def _row_error(index: tuple[int, ...], row: dict[str, object]) -> str:
    """The scalar API's message for an invalid row (the same layer, the same rules and words)."""
    layer = {k: v for k, v in row.items() if k not in ("length", "batch")}
    try:
        ConvTranspose1d(**layer).breakdown((row["batch"], row["in_channels"], row["length"]))
    except (ValueError, TypeError) as error:
        return f"row {index}: {error}"
    raise AssertionError(f"row {index} was flagged invalid but passes the scalar checks: {row}")


def _check_overflow(p: dict[str, np.ndarray]) -> None:
    """Raise OverflowError if any count, or any intermediate of the validity rules and of the
    lattice count, could leave int64 (float64 estimates on the magnitudes, before any int64
    arithmetic is done)."""
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
    too_big = bound >= _SAFE
    if too_big.any():
        index = tuple(int(i) for i in np.argwhere(too_big)[0])
        row = {name: int(p[name][index]) for name in _SIZES}
        culprit = max(factors, key=lambda name: factors[name][index])
        raise OverflowError(
            f"counts could exceed int64 (conservative bound ~{bound[index]:.3g} >= 2**62) at row {index},"
            f" driven by {culprit}={row[culprit]}: {row}; use the scalar API (exact Python ints)"
        )


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
    message, or with ``on_invalid="mask"`` are reported in ``valid`` and hold 0.  A count that
    would not fit in int64 raises ``OverflowError`` naming the row and the parameter driving it.

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
    p = dict(zip(names, np.broadcast_arrays(*arrays.values()), strict=True))
    _check_overflow(p)
    geometry = ("length", "kernel_size", "stride", "padding", "output_padding", "dilation")
    valid = filter_ok(*(p[name] for name in geometry)) & layer_ok(p["in_channels"], p["out_channels"], p["groups"])
    valid &= p["batch"] > 0
    if not valid.all():
        if on_invalid == "raise":
            bad = np.argwhere(~valid)
            shown = [_row_error(tuple(int(i) for i in idx),
                                {name: p[name][tuple(idx)].item() for name in names})
                     for idx in bad[:5]]
            more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise ValueError(f"{len(bad)} of {valid.size} configurations are invalid: "
                             + "; ".join(shown) + more)
        # neutral values keep the arithmetic of invalid rows harmless; their results are zeroed
        safe = {"length": 1, "kernel_size": 1, "stride": 1, "padding": 0, "output_padding": 0,
                "dilation": 1, "in_channels": 1, "out_channels": 1, "groups": 1, "batch": 1}
        for name, neutral in safe.items():
            p[name] = np.where(valid, p[name], neutral)
    n, k, s, pad, o, d = (p[name] for name in geometry)
    G = vectorized.lattice_count
    taps = _taps_kept(n, k, s, pad, o, d, G=G)
    collisions = _collisions_kept(n, k, s, pad, o, d, G=G, gcd=np.gcd)
    result = module_counts(
        batch=p["batch"], in_channels=p["in_channels"], out_channels=p["out_channels"],
        groups=p["groups"], bias=p["bias"], input_size=n, kernel_size=k,
        filter=FilterCounts(_output_length(n, k, s, pad, o, d), taps, taps - collisions),
    )
    out = {key: np.where(valid, np.asarray(value, dtype=np.int64), 0) for key, value in result.items()}
    out["valid"] = valid
    return out
