"""``tapcount verify``: the torch all-ones method against the closed form, over a grid."""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Iterable, Iterator

from ..core import transposed
from ..core.validation import check_filter

__all__ = ["RANGES", "MAX_OUTPUT_LENGTH", "parse_range", "check_budget", "configurations", "verify"]

#: the longest all-ones output torch is asked for (float64: 80 MB)
MAX_OUTPUT_LENGTH = 10**7

#: default ranges of the random grid, as in the property tests
RANGES = {"length": (1, 200), "kernel_size": (1, 16), "stride": (1, 12), "dilation": (1, 12),
          "padding": (0, 40)}
OPTION = {"length": "--length", "kernel_size": "--kernel-size", "stride": "--stride",
          "padding": "--padding", "output_padding": "--output-padding", "dilation": "--dilation"}


def parse_range(text: str) -> tuple[int, int]:
    """``"7"`` -> (7, 7); ``"1:200"`` -> (1, 200)."""
    lo, _, hi = text.partition(":")
    try:
        low, high = int(lo), int(hi or lo)
    except ValueError:
        raise ValueError(f"range {text!r} must be N or LO:HI with integers") from None
    if low > high:
        raise ValueError(f"range {text!r} is empty (LO > HI)")
    return low, high


def check_budget(ranges: dict[str, tuple[int, int]], output_padding: tuple[int, int] | None) -> None:
    """``ValueError`` naming the options when the ranges allow an output longer than
    ``MAX_OUTPUT_LENGTH`` (torch would have to allocate it for every such configuration)."""
    (_, n), (_, k), (_, s), (_, d) = (ranges[key] for key in ("length", "kernel_size", "stride", "dilation"))
    o = output_padding[1] if output_padding else max(s, d) - 1
    longest = (n - 1) * s + d * (k - 1) + max(o, 0) + 1
    if longest > MAX_OUTPUT_LENGTH:
        raise ValueError(
            f"--length, --stride, --kernel-size and --dilation allow outputs of {longest:,} positions;"
            f" verify runs torch on outputs of at most {MAX_OUTPUT_LENGTH:,}: narrow the ranges")


def _finish(config: dict[str, int], output_padding: int) -> dict[str, int] | None:
    """Fill output_padding; return None when the configuration is invalid."""
    config["output_padding"] = output_padding
    try:
        check_filter(*(config[k] for k in OPTION))
    except ValueError:
        return None
    return config


def configurations(ranges: dict[str, tuple[int, int]], samples: int, seed: int, exhaustive: bool,
                   output_padding: tuple[int, int] | None) -> Iterator[dict[str, int]]:
    """Valid configurations: ``samples`` random ones (output_padding drawn below max(stride,
    dilation) unless given) or, with ``exhaustive``, every valid one in the ranges."""
    if exhaustive:
        keys = list(ranges)
        grids = [range(lo, hi + 1) for lo, hi in ranges.values()]
        for values in itertools.product(*grids):
            config = dict(zip(keys, values, strict=True))
            top = max(config["stride"], config["dilation"])  # output_padding must stay below it
            low, high = output_padding if output_padding else (0, top - 1)
            for o in range(low, min(high, top - 1) + 1):
                done = _finish(dict(config), o)
                if done:
                    yield done
        return
    rng = random.Random(seed)
    produced = attempts = 0
    while produced < samples:
        attempts += 1
        if attempts > 100 * samples + 1000:
            raise ValueError("the ranges admit (almost) no valid configuration")
        config = {k: rng.randint(lo, hi) for k, (lo, hi) in ranges.items()}
        top = max(config["stride"], config["dilation"]) - 1
        o = rng.randint(*output_padding) if output_padding else rng.randint(0, max(top, 0))
        done = _finish(config, o)
        if done:
            produced += 1
            yield done


#: configurations checked before the time of the whole run is estimated
ESTIMATE_AFTER = 64


def say_estimate(total: int, checked: int, seconds: float) -> str | None:
    """One line on standard error estimating a run of ``total`` configurations from the first
    ``checked`` (``seconds``), when it would take more than a minute; the line, or ``None``.

    >>> say_estimate(10**9, 64, 0.5)  # doctest: +ELLIPSIS
    'verifying 1,000,000,000 configurations takes about 90 days here (128 per second); --samples N checks fewer'
    """
    rate = checked / max(seconds, 1e-9)
    estimate = total / rate
    if estimate <= 60:
        return None
    for unit, length in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if estimate >= 2 * length or unit == "minutes":
            break
    line = (f"verifying {total:,} configurations takes about {estimate / length:,.0f} {unit} here ({rate:,.0f} per"
            f" second); --samples N checks fewer")
    print(line, file=sys.stderr, flush=True)
    return line


def verify(configs: Iterable[dict[str, int]], progress: bool, total: int | None = None
           ) -> tuple[int, dict | None, float]:
    """Check every configuration of the stream ``configs`` as it comes (the progress bar, of
    ``total`` configurations if known, starts with the first one); return (checked, first mismatch or None,
    seconds)."""
    import empirical

    start = time.perf_counter()
    iterator = iter(configs)
    first = next(iterator, None)  # ranges that admit nothing fail here, before any progress is drawn
    if first is None:
        return 0, None, time.perf_counter() - start
    iterator = itertools.chain([first], iterator)
    if progress:
        try:
            from tqdm import tqdm

            iterator = tqdm(iterator, total=total, unit="config", file=sys.stderr)
        except ImportError:
            pass
    checked = 0
    for config in iterator:
        if checked == ESTIMATE_AFTER and total:
            say_estimate(total, checked, time.perf_counter() - start)
        args = tuple(config[k] for k in OPTION)
        measured = empirical.measure_filter(*args)  # one torch run gives the three
        expected = {"output_length": transposed.output_length(*args),
                    "additions_per_filter": transposed.additions_per_filter(*args),
                    "exact_additions_per_filter": transposed.exact_additions_per_filter(*args)}
        checked += 1
        if measured != expected:
            return checked, {"config": config, "measured": measured, "analytic": expected}, time.perf_counter() - start
    return checked, None, time.perf_counter() - start


def as_options(config: dict[str, int]) -> str:
    """A configuration as command-line options that can be pasted back."""
    return " ".join(f"{OPTION[k]} {config[k]}" for k in OPTION)
