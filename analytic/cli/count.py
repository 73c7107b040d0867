"""``tapcount count``: every convention side by side, for one layer or a file of layers."""

from __future__ import annotations

import json
from pathlib import Path

from ..counts import CONVENTIONS
from ..layers import ConvTranspose1d
from ..tables import table, to_json
from ..validation import as_int, at_least

__all__ = ["LAYER_KEYS", "INTERMEDIATE", "load_layers", "count", "render"]

#: keys of one layer config (torch's keywords, then the input)
LAYER_KEYS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
              "groups", "bias", "dilation", "length", "batch")
INTERMEDIATE = ("output_length", "psi", "lambda", "gamma", "additions_per_filter",
                "exact_additions_per_filter", "taps_kept", "covered_positions",
                "exact_multiplications", "exact_additions")
#: quantities that add up over layers (the total column)
ADDITIVE = (*CONVENTIONS, "exact_multiplications", "exact_additions")


#: the largest layer file read (a file of a million layers is far below it)
MAX_FILE_BYTES = 64 * 2**20


def load_layers(path: str | Path) -> list[dict]:
    """Layer configs from a JSON file (a list, or ``{"layers": [...]}``) or a TOML file
    (``[[layers]]`` tables).  Each config holds ``LAYER_KEYS`` (``kernel_size`` and ``length``
    required, the rest defaulting like torch; ``in_channels``/``out_channels`` default to 1) and
    optionally a ``name``.  Only a regular file of at most ``MAX_FILE_BYTES`` is read."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--layers {path}: no such regular file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"--layers {path}: larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"--layers {path}: not UTF-8 text") from None
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ModuleNotFoundError:
                raise ValueError(f"{path}: reading TOML needs Python 3.11 or `pip install tomli`") from None
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from None
    else:
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    layers = document.get("layers") if isinstance(document, dict) else document
    if not isinstance(layers, list) or not layers or not all(isinstance(x, dict) for x in layers):
        raise ValueError(f"{path}: expected a non-empty list of layer tables under 'layers'")
    for i, layer in enumerate(layers):
        unknown = set(layer) - set(LAYER_KEYS) - {"name"}
        if unknown:
            raise ValueError(f"{path}: layer {i}: unknown key(s) {sorted(unknown)}; known: {', '.join(LAYER_KEYS)}")
        for key in ("kernel_size", "length"):
            if key not in layer:
                raise ValueError(f"{path}: layer {i}: {key} is required")
    return layers


def count(configs: list[dict]) -> list[tuple[str, dict, dict[str, int]]]:
    """``(name, config, breakdown)`` per layer; ``ValueError`` naming the layer on bad values."""
    out = []
    for i, config in enumerate(configs):
        name = str(config.get("name", f"layer {i}" if len(configs) > 1 else "layer"))
        spec = {k: v for k, v in config.items() if k not in ("name", "length", "batch")}
        spec.setdefault("in_channels", 1)
        spec.setdefault("out_channels", 1)
        try:
            layer = ConvTranspose1d(**spec)
            batch, length = (as_int(key, config.get(key, 1)) for key in ("batch", "length"))
            at_least("batch", batch, 1)
            at_least("length", length, 1)
            result = layer.breakdown((batch, layer.in_channels, length))
        except (ValueError, TypeError) as error:
            prefix = f"{name}: " if len(configs) > 1 else ""
            raise type(error)(f"{prefix}{error}") from None
        out.append((name, {k: config[k] for k in config if k != "name"}, result))
    return out


def render(results: list[tuple[str, dict, dict[str, int]]], fmt: str) -> str:
    """Conventions first, then the intermediate quantities; one column per layer, plus a total
    column for several layers."""
    if fmt == "json":
        document = {
            "format": "tapcount-count", "version": 1, "conventions": list(CONVENTIONS),
            "layers": [{"name": n, "config": c, "counts": r} for n, c, r in results],
        }
        if len(results) > 1:
            document["total"] = {k: sum(r[k] for _, _, r in results) for k in ADDITIVE}
        return to_json(document)
    several = len(results) > 1
    headers = ["quantity", *(name for name, _, _ in results)] + (["total"] if several else [])
    rows = []
    for key in (*CONVENTIONS, *INTERMEDIATE):
        row = [key, *(r[key] for _, _, r in results)]
        if several:
            row.append(sum(r[key] for _, _, r in results) if key in ADDITIVE else None)
        rows.append(row)
    return table(headers, rows, {"table": "text"}.get(fmt, fmt))
