"""The ``tapcount`` command line: ``count``, ``derive``, ``verify``, ``figure``, ``profile``.

Invalid values print one line naming the option and the rule and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.conventions import CONVENTIONS

__all__ = ["main", "build_parser"]

HIFI = "--in-channels 512 --out-channels 256 --kernel-size 16 --stride 8 --padding 4 --length 100"
EXAMPLES = {
    "count": f"""examples:
  tapcount count {HIFI}
  tapcount count {HIFI} --format json
  tapcount count --layers model.toml --format markdown   # [[layers]] tables with a length each""",
    "derive": """examples:
  tapcount derive                                  # moduleprofiler's additions per filter, in LaTeX
  tapcount derive --quantity exact_additions_per_filter --format c
  tapcount derive --convention exact --kernel-size 16 --stride 8 --padding 4 --format text
  tapcount derive --out derivations                # regenerate the derivation documents""",
    "verify": """examples:
  tapcount verify --samples 500 --seed 1
  tapcount verify --stride 8 --kernel-size 16 --length 1:64 --padding 0:8 --exhaustive""",
    "profile": """examples:
  tapcount profile tests/models.py:hifigan_generator --input-shape 1,80,100
  tapcount profile model.py:build --input-shape 1,4,5,6 --input-shape 2,3,9 --format csv   # two inputs
  tapcount profile tests/models.py:resnet --input-shape 1,3,224,224 --depth 2   # totals per module
  tapcount profile tests/models.py:language_model --input-shape 1,T --dtype long   # token ids, a formula in T
  tapcount profile tests/models.py:conditioned_vocoder --input-shape 1,8,F --input-shape 1,1,16*F-32   # related
  tapcount profile tests/models.py:hifigan_generator --input-shape 1,80,L --backward   # a training step's cost""",
    "figure": """examples:
  tapcount figure --length 2 --kernel-size 3 --out taps.png       # the tap diagram of the documentation's example
  tapcount figure --length 4 --kernel-size 3 --stride 2 --padding 1 --output-padding 1 --out fig.tex""",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no traceback
        self.exit(2, f"tapcount {self.prog.split()[-1]}: error: {message}\n")


def _sub(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _filter_options(parser: argparse.ArgumentParser, required: bool, default_none: bool = False) -> None:
    add = parser.add_argument
    none = default_none
    add("--kernel-size", type=int, required=required, default=None, metavar="K")
    add("--stride", type=int, default=None if none else 1)
    add("--padding", type=int, default=None if none else 0)
    add("--output-padding", type=int, default=None if none else 0)
    add("--dilation", type=int, default=None if none else 1)
    add("--length", type=int, required=required, default=None, help="input length L_in")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tapcount",
                     description="Exact operation counts of torch.nn.ConvTranspose1d: closed forms, "
                                 "derivations, verification against torch, figures.",
                     epilog=f"example:\n  tapcount count {HIFI}",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    count = _sub(sub, "count", "Count the operations of a layer (or a file of layers) under every convention.")
    count.add_argument("--in-channels", type=int, default=1, metavar="C_IN")
    count.add_argument("--out-channels", type=int, default=1, metavar="C_OUT")
    _filter_options(count, required=False)
    count.add_argument("--groups", type=int, default=1)
    count.add_argument("--bias", action=argparse.BooleanOptionalAction, default=True)
    count.add_argument("--batch", type=int, default=1)
    count.add_argument("--layers", metavar="FILE", help="JSON or TOML file of layer configs (with a length each)")
    count.add_argument("--format", choices=("table", "json", "markdown", "latex"), default="table")

    derive = _sub(sub, "derive", "Print the closed forms, optionally with numbers substituted.")
    from .derive import FORMATS, QUANTITIES

    derive.add_argument("--quantity", choices=QUANTITIES, default=None,
                        help="default additions_per_filter; ops with --convention")
    derive.add_argument("--convention", choices=CONVENTIONS, help="a module total (implies --quantity ops)")
    derive.add_argument("--bias", action=argparse.BooleanOptionalAction, default=None)
    derive.add_argument("--format", choices=FORMATS, default="latex")
    _filter_options(derive, required=False, default_none=True)
    for name in ("--in-channels", "--out-channels", "--groups", "--batch"):
        derive.add_argument(name, type=int, default=None)
    derive.add_argument("--out", metavar="DIR", help="regenerate the derivation documents into DIR")

    verify = _sub(sub, "verify", "Check the closed form against torch's all-ones method over a grid.")
    verify.add_argument("--samples", type=int, default=200)
    verify.add_argument("--seed", type=int, default=0)
    verify.add_argument("--exhaustive", action="store_true", help="every valid configuration of the ranges")
    for option, key in (("--length", "length"), ("--kernel-size", "kernel_size"), ("--stride", "stride"),
                        ("--dilation", "dilation"), ("--padding", "padding")):
        from .verify import RANGES

        lo, hi = RANGES[key]
        verify.add_argument(option, default=f"{lo}:{hi}", metavar="N|LO:HI", help=f"default {lo}:{hi}")
    verify.add_argument("--output-padding", default=None, metavar="N|LO:HI",
                        help="default: every value below max(stride, dilation)")
    verify.add_argument("--no-progress", action="store_true")

    figure = _sub(sub, "figure", "Draw the tap diagram of a configuration (TikZ, PNG or SVG).")
    _filter_options(figure, required=True)
    figure.add_argument("--out", required=True, metavar="FILE", help=".tex (TikZ document), .png or .svg")
    prof = _sub(sub, "profile", "Count every operator a model runs (built by a factory in a Python file), under"
                                " every convention, per call or per module.")
    prof.add_argument("target", metavar="FILE.py:FACTORY", help="a file and a function of it returning the model")
    prof.add_argument("--input-shape", action="append", required=True, metavar="N,C,L",
                      help="shape of the model's input (a name, e.g. 1,80,L, makes the size symbolic: the counts"
                           " become formulas of it); repeat for a model with several inputs")
    prof.add_argument("--format", choices=("table", "markdown", "latex", "csv", "json", "python", "c"),
                      default="table", help="python and c: a function of the named sizes (with names only)")
    prof.add_argument("--device", choices=("meta", "cpu"), default="meta",
                      help="meta (default; falls back to cpu for an operator without a meta kernel) or cpu")
    prof.add_argument("--convention", default="flops",
                      help="with named sizes: the convention of the latex, python and c formulas (default flops)")
    prof.add_argument("--form", choices=("simplified", "exact"), default="simplified",
                      help="with named sizes: the simplified form beyond its threshold (default) or the exact one")
    prof.add_argument("--multiple-of", action="append", default=[], metavar="NAME=Q",
                      help="with named sizes: the simplified form for multiples of Q (its floors become linear)")
    prof.add_argument("--hint", action="append", default=[], metavar="NAME=VALUE",
                      help="the example value of a named size where the model branches on it (default 40320)")
    prof.add_argument("--dtype", action="append", default=[], metavar="NAME",
                      help="the dtype of each input, in the order of --input-shape (long for token ids; default: the"
                           " model's floating-point dtype)")
    prof.add_argument("--depth", type=int, default=None, metavar="N",
                      help="totals per module down to N levels below the model (with table, markdown, latex)")
    prof.add_argument("--plot", metavar="FILE",
                      help="also draw the profile (the cost per module, at --depth) or, with named sizes, the cost"
                           " against a size, into FILE (.png, .svg or .pdf; pip install tapcount[plot])")
    prof.add_argument("--plot-range", metavar="NAME=START:STOP", default=None,
                      help="with named sizes and --plot: the sizes to plot against (default the formula's smallest"
                           " size to 8 times its threshold; other sizes take their --hint)")
    prof.add_argument("--backward", action="store_true",
                      help="count a training step: the forward pass and the backward pass of the sum of the output")
    return parser


@contextlib.contextmanager
def _imported_like_python(file: Path) -> Iterator[None]:
    """While the block runs, ``file``'s own directory is first on ``sys.path``, as when Python runs
    the file; afterwards ``sys.path`` is exactly what it was."""
    saved = list(sys.path)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        yield
    finally:
        sys.path[:] = saved


def _first_line(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    return f"{type(error).__name__}: {_message(error)}"


def _build_model(target: str):
    """Import ``FILE.py`` as Python would and call ``FACTORY()``; errors name the file."""
    import importlib.util

    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"target ({target!r}) must be FILE.py:FACTORY")
    file = Path(path)
    if file.suffix != ".py":
        raise ValueError(f"target file {path!r} must be a Python file (FILE.py:FACTORY)")
    if not file.is_file():
        raise ValueError(f"target file {path!r} does not exist or is not a regular file")
    if not name.isidentifier():
        raise ValueError(f"FACTORY ({name!r}) must be a Python name")
    module_name = f"tapcount_profile_{file.stem}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    with _imported_like_python(file):
        sys.modules[module_name] = module
        try:
            try:
                spec.loader.exec_module(module)
            except Exception as error:  # the user's file: one line naming it
                raise ValueError(f"importing {path} failed: {_first_line(error)}") from None
            factory = getattr(module, name, None)
            if not callable(factory):
                raise ValueError(f"{path} has no function {name!r}")
            try:
                return factory()
            except Exception as error:
                raise ValueError(f"{path}:{name}() raised {_first_line(error)}") from None
        finally:
            sys.modules.pop(module_name, None)


def _torch(command: str):
    """torch, or exit with one line saying how to install it."""
    try:
        import torch
    except ImportError:
        raise SystemExit(f"tapcount {command} needs torch: pip install 'tapcount[torch]'") from None
    return torch


def _profile(args) -> str:
    torch = _torch("profile")
    from ..core.conventions import check_convention
    from ..profiling import profile

    shapes = [_shape(text) for text in args.input_shape]
    named = any(isinstance(v, str) for shape in shapes for v in shape)
    hints = dict(_name_value(text, "--hint") for text in args.hint)
    multiples = dict(_name_value(text, "--multiple-of") for text in args.multiple_of)
    if not named and (hints or multiples or args.format in ("python", "c")):
        option = "--hint" if hints else "--multiple-of" if multiples else f"--format {args.format}"
        raise ValueError(f"{option} needs a named size in --input-shape, e.g. 1,80,L")
    convention = check_convention(args.convention)
    if args.plot is not None and Path(args.plot).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--plot ({args.plot!r}) must name a .png, .svg or .pdf file")
    if args.plot_range is not None and not (named and args.plot):
        raise ValueError("--plot-range needs --plot and a named size in --input-shape")
    model = _build_model(args.target)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{args.target} returned {type(model).__name__}, not a torch.nn.Module")
    dtypes = [_dtype(torch, name) for name in args.dtype] or None
    if dtypes is not None and len(dtypes) != len(shapes):
        raise ValueError(f"--dtype is given {len(dtypes)} time(s) for {len(shapes)} --input-shape: one per input")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        result = profile(model, example_inputs=tuple(shapes), dtypes=dtypes, device=args.device, hints=hints or None,
                         backward=args.backward)
    for warning in caught:  # the meta-kernel fallback: one line each, no source location
        print(f"tapcount profile: warning: {warning.message}", file=sys.stderr)
    if args.plot is not None:
        _plot(result, args, model, convention, hints)
    if args.depth is not None:
        if args.depth < 0:
            raise ValueError(f"--depth ({args.depth}) must be a non-negative int")
        if named or args.format not in ("table", "markdown", "latex"):
            raise ValueError("--depth gives totals per module of a numeric profile: --format table, markdown or latex")
        return result.module_table(args.depth, "text" if args.format == "table" else args.format)
    if named:
        return _formulas(result, args.format, convention, args.form, multiples).rstrip("\n")
    return {"table": result.to_text, "markdown": result.to_markdown, "latex": result.to_latex,
            "csv": result.to_csv, "json": result.to_json}[args.format]().rstrip("\n")


def _plot(result, args, model, convention: str, hints: dict[str, int]) -> None:
    """``--plot``: the profile's bars, or the formula against one size, written to ``args.plot``."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install 'tapcount[plot]'") from None
    from ..profiling.formula import _lower_bound

    if not hasattr(result, "sizes"):
        figure = result.plot(convention, "module", 1 if args.depth is None else args.depth)
    else:
        names = [s.name for s in result.sizes]
        if args.plot_range is not None:
            name, _, span = args.plot_range.partition("=")
            start, _, stop = span.partition(":")
            if name not in names or not (start.isdigit() and stop.isdigit() and 1 <= int(start) < int(stop)):
                raise ValueError(f"--plot-range ({args.plot_range!r}) must be NAME=START:STOP with a size of the"
                                 f" formula ({', '.join(names)}) and 1 <= START < STOP, e.g. {names[0]}=1:200")
            span = range(int(start), int(stop) + 1)
        else:
            name = names[0]
            size = result.sizes[0]
            lowest = max((_lower_bound(c, size) for c in result.conditions), default=1)
            threshold = int(result.simplified().thresholds[size])
            span = range(lowest, max(8 * threshold, lowest + 64) + 1)
        others = [n for n in names if n != name]
        missing = [n for n in others if n not in hints]
        if missing:
            raise ValueError(f"--plot against {name} needs the other sizes' values: --hint {missing[0]}=...")
        figure = result.plot((convention,), model, **{name: span}, **{n: hints[n] for n in others})
    figure.savefig(args.plot, dpi=200)


def _dtype(torch, name: str):
    """``long`` -> ``torch.long``: a dtype by torch's name for it."""
    dtype = getattr(torch, name, None) if name.isidentifier() else None
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"--dtype ({name!r}) must be a torch dtype, e.g. long, int32, float32, float16, bfloat16")
    return dtype


def _shape(text: str) -> tuple[int | str, ...]:
    """``1,80,L`` -> ``(1, 80, "L")``: integers, and names of symbolic sizes or expressions of
    them (``1,200*F-800``, read by the profile)."""
    from ..profiling.inputs import input_specs

    entries: list[int | str] = []
    for entry in text.split(","):
        entry = entry.strip()
        entries.append(int(entry) if entry.isdigit() else entry)
    try:
        input_specs(tuple(entries), None)
    except ValueError as error:
        raise ValueError(f"--input-shape ({text!r}) must be comma-separated integers, size names or expressions"
                         f" of them, e.g. 1,80,100 or 1,80,L or 1,200*F-800: {error}") from None
    return tuple(entries)


def _name_value(text: str, option: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    if not (name.isidentifier() and value.isdigit()):
        raise ValueError(f"{option} ({text!r}) must be NAME=VALUE, e.g. L=100")
    return name, int(value)


def _formulas(result, fmt: str, convention: str, form: str, multiples: dict[str, int]) -> str:
    """A symbolic profile printed: its formulas, conditions and thresholds."""
    from ..core.tables import table
    from ..profiling import COVERED
    from ..profiling.formula import describe
    from ..symbolic import latex

    if multiples and form != "simplified":
        raise ValueError("--multiple-of needs --form simplified")
    # the table shows both forms; any other format the one asked for
    simple = result.simplified(multiple_of=multiples) if form == "simplified" or fmt == "table" else None
    chosen = simple if form == "simplified" else result
    if fmt == "python":
        return chosen.python_source(convention)
    if fmt == "c":
        return chosen.c_source(convention)
    if fmt == "json":
        return chosen.to_json()
    if fmt == "latex":
        return chosen.to_latex_formulas(convention)
    if fmt in ("markdown", "csv"):
        return chosen.to_markdown() if fmt == "markdown" else chosen.to_csv()
    sizes = ", ".join(s.name for s in result.sizes)
    def where(conditions) -> str:
        return f"where {', '.join(map(describe, conditions))}" if conditions else f"for every {sizes}"

    lines = [f"formulas of {sizes}; they hold {where(result.conditions)}",
             f"simplified form {where(simple.conditions)}", ""]
    def short(expr) -> str:
        text = str(expr)
        return text if len(text) <= 80 else f"({len(expr.args)} terms: --form exact --format latex)"

    rows = [[c, str(simple.total[c]), short(result.total[c])] for c in result.conventions]
    headers = ["convention", "simplified", "exact"]
    if "backward" in simple.phases:  # a training step: its backward pass apart
        headers.append("of which the backward pass (simplified)")
        for row, c in zip(rows, result.conventions, strict=True):
            row.append(str(simple.phases["backward"][c]))
    lines.append(table(headers, rows, "text"))
    counted = sum(result.coverage["counted"].values())
    uncounted = ", ".join(f"{op} ({n})" for op, n in sorted(result.uncounted.items()))
    lines.append(f"\n{counted} counted calls ({COVERED}); not counted: {uncounted or 'nothing'}")
    lines.append(f"LaTeX ({convention}): {latex(simple.total[convention])}")
    return "\n".join(lines)


def _count(args) -> str:
    from .count import LAYER_KEYS, count, load_layers, render

    if args.layers:
        configs = load_layers(args.layers)
    else:
        if args.kernel_size is None or args.length is None:
            raise ValueError("--kernel-size and --length are required (or --layers FILE)")
        configs = [{k: getattr(args, k) for k in LAYER_KEYS}]
    return render(count(configs), args.format)


def _derive(args) -> str:
    from .derive import derive

    if args.out:
        from .. import documents

        return "\n".join(str(p) for p in documents.write(args.out))
    keys = ("kernel_size", "stride", "padding", "output_padding", "dilation", "length",
            "in_channels", "out_channels", "groups", "batch")
    values = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    return derive(args.quantity, args.convention, args.bias, args.format, values)


def _verify(args) -> tuple[str, int]:
    _torch("verify")
    from .verify import as_options, check_budget, configurations, parse_range, verify

    ranges = {}
    for key in ("length", "kernel_size", "stride", "dilation", "padding", "output_padding"):
        text = getattr(args, key)
        try:
            ranges[key] = None if text is None else parse_range(text)
        except ValueError as error:
            raise ValueError(f"--{key.replace('_', '-')}: {error}") from None
    op = ranges.pop("output_padding")
    if args.samples < 1:
        raise ValueError(f"--samples ({args.samples}) must be positive")
    check_budget(ranges, op)
    configs = configurations(ranges, args.samples, args.seed, args.exhaustive, op)  # a stream
    total = None if args.exhaustive else args.samples
    checked, mismatch, seconds = verify(configs, progress=not args.no_progress, total=total)
    if checked == 0:
        raise ValueError("the ranges admit no valid configuration")
    summary = f"checked {checked} configurations, {0 if mismatch is None else 1} mismatches, {seconds:.2f} s"
    if mismatch is None:
        return summary, 0
    return (f"{summary}\nfirst mismatch: {as_options(mismatch['config'])}\n"
            f"  torch:    {mismatch['measured']}\n  analytic: {mismatch['analytic']}"), 1


def _figure(args) -> str:
    from pathlib import Path

    from ..documents.figure import draw, layout, tikz

    lay = layout(args.length, args.kernel_size, args.stride, args.padding, args.output_padding, args.dilation)
    out = Path(args.out)
    if out.suffix == ".tex":
        out.write_text(tikz(lay), encoding="utf-8")
    elif out.suffix in (".png", ".svg"):
        draw(lay, out)
    else:
        raise ValueError(f"--out ({args.out}) must end in .tex, .png or .svg")
    return str(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    status = 0
    try:
        if args.command == "count":
            text = _count(args)
        elif args.command == "derive":
            text = _derive(args)
        elif args.command == "verify":
            text, status = _verify(args)
        elif args.command == "profile":
            text = _profile(args)
        else:
            text = _figure(args)
    except (ValueError, TypeError, OverflowError, OSError, RuntimeError) as error:
        # what the user typed or gave (values, files, a model that rejects its input): one line, 2
        print(f"tapcount {args.command}: error: {_message(error)}", file=sys.stderr)
        return 2
    except ImportError as error:  # this machine lacks a package: not the user's input
        print(f"tapcount {args.command}: error: {_message(error)}", file=sys.stderr)
        return 1
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `tapcount ... | head -1`: the reader left; exit quietly
        with contextlib.suppress(OSError, ValueError):  # no flush at exit into the closed pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


def _message(error: BaseException) -> str:
    """One line: our messages as they are, others cut to their first line (torch appends a C++
    stack to some)."""
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0]
