"""``tapcount count``: every convention side by side, for one layer or a file of layers."""

from __future__ import annotations

import json
from pathlib import Path

from ..core.conventions import CONVENTIONS
from ..core.tables import table, to_json
from ..core.validation import as_int, at_least
from ..layers import Conv1d, ConvTranspose1d, Linear

__all__ = ["LAYER_KEYS", "INTERMEDIATE", "load_layers", "count", "render"]

#: keys of one layer config (torch's keywords, then the input)
LAYER_KEYS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
              "groups", "bias", "dilation", "length", "batch")
INTERMEDIATE = ("output_length", "psi", "lambda", "gamma", "additions_per_filter",
                "exact_additions_per_filter", "taps_kept", "covered_positions",
                "exact_multiplications", "exact_additions")
#: the layer types of a layer file: (class, its keys, the keys required)
TYPES = {
    "ConvTranspose1d": (ConvTranspose1d, LAYER_KEYS, ("kernel_size", "length")),
    "Conv1d": (Conv1d, ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                        "bias", "padding_mode", "length", "batch"), ("kernel_size", "length")),
    "Linear": (Linear, ("in_features", "out_features", "bias", "batch"), ("in_features", "out_features")),
}
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
        kind = layer.get("type", "ConvTranspose1d")
        if not isinstance(kind, str) or kind not in TYPES:
            raise ValueError(f"{path}: layer {i}: type ({kind!r}) must be one of {', '.join(TYPES)}")
        keys, required = TYPES[kind][1:]
        unknown = set(layer) - set(keys) - {"name", "type"}
        if unknown:
            raise ValueError(f"{path}: layer {i}: unknown key(s) {sorted(unknown)} for {kind};"
                             f" known: {', '.join(keys)}")
        for key in required:
            if key not in layer:
                raise ValueError(f"{path}: layer {i}: {key} is required")
    return layers


def count(configs: list[dict]) -> list[tuple[str, dict, dict[str, int]]]:
    """``(name, config, breakdown)`` per layer; ``ValueError`` naming the layer on bad values.
    A config's ``type`` (default ``ConvTranspose1d``) is one of :data:`TYPES`."""
    out = []
    for i, config in enumerate(configs):
        name = str(config.get("name", f"layer {i}" if len(configs) > 1 else "layer"))
        kind = config.get("type", "ConvTranspose1d")
        spec = {k: v for k, v in config.items() if k not in ("name", "type", "length", "batch")}
        try:
            if not isinstance(kind, str) or kind not in TYPES:
                raise ValueError(f"type ({kind!r}) must be one of {', '.join(TYPES)}")
            batch, length = (as_int(key, config.get(key, 1)) for key in ("batch", "length"))
            at_least("batch", batch, 1)
            at_least("length", length, 1)
            if kind == "Linear":  # a batch of rows
                layer = Linear(**spec)
                result = layer.breakdown((batch, layer.in_features))
            else:
                layer = TYPES[kind][0](**({"in_channels": 1, "out_channels": 1} | spec))
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
            document["total"] = {k: sum(r.get(k, 0) for _, _, r in results) for k in ADDITIVE}
        return to_json(document)
    several = len(results) > 1
    headers = ["quantity", *(name for name, _, _ in results)] + (["total"] if several else [])
    rows = []
    for key in (*CONVENTIONS, *INTERMEDIATE):
        if not any(key in r for _, _, r in results):
            continue
        row = [key, *(r.get(key) for _, _, r in results)]  # a quantity another layer type has not: blank
        if several:
            row.append(sum(r[key] for _, _, r in results) if key in ADDITIVE else None)
        rows.append(row)
    return table(headers, rows, {"table": "text"}.get(fmt, fmt))
