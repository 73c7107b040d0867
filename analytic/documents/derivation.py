"""Generate ``derivations/`` (Markdown and LaTeX) from the derivation — never edited by hand.

    python -m analytic.documents [OUT_DIR]     # default: derivations

Every formula in the documents is printed from the SymPy expressions of
:mod:`analytic.symbolic.derivation`; every number of the worked examples is the SymPy expression
evaluated at that configuration (the tests check each against torch).
"""

from __future__ import annotations

from pathlib import Path

from sympy import Add, Expr, Mul, Symbol

from ..symbolic import symbols
from ..symbolic.convolution import conv_filter
from ..symbolic.derivation import PER_FILTER, L_out, T, Z, expand, module_total, step, steps
from ..symbolic.export.latex import latex
from ..symbolic.expressions import evaluate, quantity
from ..symbolic.paper import lattice_definition
from ..symbolic.regimes import REGIMES, specialise
from .figure import layout, tikz

__all__ = ["EXAMPLES", "EXAMPLE_COLUMNS", "example_rows", "markdown", "tex", "write"]

#: worked examples: (label, keyword values); the remaining keywords take torch's defaults
EXAMPLES: tuple[tuple[str, dict[str, int]], ...] = (
    ("documented example (Figure 1)", {"length": 2, "kernel_size": 3}),
    ("gaps (stride > kernel)", {"length": 3, "kernel_size": 2, "stride": 5}),
    ("dilation holes", {"length": 1, "kernel_size": 2, "dilation": 3}),
    ("padding >= stride", {"length": 5, "kernel_size": 4, "stride": 2, "padding": 3}),
    ("output_padding, no padding", {"length": 3, "kernel_size": 2, "stride": 3, "output_padding": 2}),
    ("L_out = 1", {"length": 1, "kernel_size": 3, "padding": 1}),
    ("stride and dilation share 2", {"length": 9, "kernel_size": 7, "stride": 4, "dilation": 6,
                                     "padding": 9, "output_padding": 3}),
    ("HiFi-GAN upsampler filter", {"length": 100, "kernel_size": 16, "stride": 8, "padding": 4}),
)

#: the quantities of the worked-examples table, in order
EXAMPLE_COLUMNS = ("output_length", "taps_kept", "covered_positions", "additions_per_filter",
                   "exact_additions_per_filter")
_HEADERS = (r"L_{\mathrm{out}}", "T", "Z", "A", "E")
_FILTER_KEYS = tuple(s.name for s in symbols.FILTER_SYMBOLS)


def example_rows() -> list[tuple[str, dict[str, int], dict[str, int]]]:
    """``(label, full keyword values, {quantity: value})`` for each worked example."""
    rows = []
    for label, values in EXAMPLES:
        full = {key: values.get(key, 0 if "padding" in key else 1) for key in _FILTER_KEYS}
        counts = {col: int(evaluate(quantity(col), **full)) for col in EXAMPLE_COLUMNS}
        rows.append((label, full, counts))
    return rows


def _lines(expr: Expr) -> str:
    """LaTeX of ``expr`` broken after each top-level term, for an ``align*`` environment."""
    if not isinstance(expr, Add) or len(latex(expr)) < 150:
        return latex(expr)
    terms = [latex(t) for t in Add.make_args(expr)]
    out = terms[0]
    for term in terms[1:]:
        out += (r" \\ &\quad " + term) if term.startswith("-") else (r" \\ &\quad + " + term)
    return out


def _in_keywords(key: str) -> Expr:
    """A quantity in torch's keywords, but with ``L_out`` kept by name (it is shown first)."""
    return expand(step(key).symbol, keep=("output_length",) if key != "output_length" else ())


def _nd_items() -> list[tuple[str, str]]:
    """ConvTranspose2d/3d: the per-dimension quantities combine by product (shown for 2-d)."""
    items = [("p", "A tap of a 2-d (3-d) layer is a pair (triple) of 1-d taps and lands where each of its "
                   "coordinates lands: taps per position multiply, so output positions, taps kept and "
                   "covered positions are products of the 1-d quantities of each dimension $i$ (the 1-d "
                   "formulas above, with that dimension's sizes):")]
    names: dict[Symbol, str] = {}
    products = {}
    for base, name, indexed in ((L_out, r"L_{\mathrm{out}}", r"L_{{\mathrm{{out}},{i}}}"),
                                (T, "T", "T_{{{i}}}"), (Z, "Z", "Z_{{{i}}}"),
                                (symbols.kernel_size, "k", "k_{{{i}}}"), (symbols.length, r"L_{\mathrm{in}}",
                                                                          r"L_{{\mathrm{{in}},{i}}}")):
        per_dim = {Symbol(f"{base.name}_dim{i}"): indexed.format(i=i) for i in range(2)}
        names.update(per_dim)
        products[base] = Mul(*per_dim)
        items.append(("m", f"{name} = {latex(products[base], symbol_names=per_dim)}"))
    items.append(("p", "so that the additions are $A = T - L_{\\mathrm{out}}$ and $E = T - Z$ as in 1-d, "
                       "and each module total is the 1-d one with these products, e.g."))
    items.append(("m", f"A = {latex(products[T] - products[L_out], symbol_names=names)}"))
    items.append(("m", f"E = {latex(products[T] - products[Z], symbol_names=names)}"))
    for key, name in (("moduleprofiler", r"O_{\mathrm{mp}}"), ("exact", r"O_{\mathrm{exact}}")):
        expr = module_total(key, products[L_out], products[T], products[Z], products[symbols.kernel_size],
                            products[symbols.length])
        items.append(("m", f"{name} = {latex(expr, symbol_names=names)}"))
    items.append(("p", "(`analytic.symbolic.ops(convention, dims=2)` gives them in torch's keywords, "
                       "with per-dimension symbols `length_0`, `kernel_size_0`, ...)."))
    return items


def _conv_items() -> list[tuple[str, str]]:
    """Conv1d (padding ``p`` on both sides, zeros): the counts from the same lattice count."""
    f = conv_filter()
    short = {f.output_length: L_out}  # shown by name once it is defined
    taps = f.taps_kept.xreplace(short)
    return [
        ("p", "Output $j$ of a convolution reads input $j s + m d - p$ with kernel tap $m$: the taps $(j, m)$ "
              "form the lattice of a transposed convolution with input and output swapped, and the same "
              "lattice count $G$, over the $L_{\\mathrm{out}} \\times k$ taps, counts them:"),
        ("m", rf"L_{{\mathrm{{out}}}} = {latex(f.output_length)}"),
        ("p", "Taps that read the input, not the zero padding (the exact count's multiplications):"),
        ("m", rf"T = {latex(taps)}"),
        ("p", "The real taps of one output read consecutive positions, so its additions, one fewer than its "
              "real taps, are its pairs of consecutive real taps, counted over the $L_{\\mathrm{out}} \\times "
              "(k - 1)$ grid (none when $L_{\\mathrm{in}} \\le d$: a window shorter than the dilation holds one "
              "tap of an output at most):"),
        ("m", rf"P = {latex((f.taps_kept - f.covered_positions).xreplace(short))}"),
        ("p", "and the outputs with a real tap number"),
        ("m", r"Z = T - P"),
        ("p", "(`analytic.symbolic.conv_ops(convention)` gives each module total; another `padding_mode` "
              "reads real values through the padding: $T = L_{\\mathrm{out}} k$, $Z = L_{\\mathrm{out}}$)."),
    ]


def _sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """Document content as (section title, [(kind, text)]) with kind "p" (prose) or "m" (math)."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    notation = [("p", "Symbols are named like torch's keywords and print as:")]
    for sym in (*symbols.FILTER_SYMBOLS, symbols.batch, symbols.in_channels, symbols.out_channels,
                symbols.groups, symbols.bias):
        notation.append(("p", f"- `{sym.name}` is ${symbols.LATEX_NAMES[sym]}$"))
    out.append(("Notation", notation))
    out.append(("The lattice count", [
        ("p", "Tap $(i, m)$ of input $i$ and kernel tap $m$ lands at uncropped position "
              "$i s + m d$. Every count below is built from the number of taps below $x$,"),
        ("m", lattice_definition()),
        ("p", "a floor sum that the Euclidean floor-sum algorithm evaluates in O(log) steps, "
              "whatever the length (SymPy evaluates it on integers with the same code)."),
    ]))
    derivation = []
    for st in steps():
        derivation.append(("p", f"**{st.key}** — {st.text}"))
        if st.origin is not None:
            derivation.append(("m", rf"{st.latex_name} = {latex(st.origin)} = {latex(st.definition)}"))
        else:
            derivation.append(("m", rf"{st.latex_name} = {latex(st.definition)}"))
    out.append(("Derivation, step by step", derivation))
    expanded = []
    for key, name in (("output_length", r"L_{\mathrm{out}}"), ("taps_kept", "T"),
                      ("additions_per_filter", "A"), ("exact_additions_per_filter", "E")):
        expanded.append(("m*", rf"{name} &= {_lines(_in_keywords(key))}"))
    out.append(("Expanded in torch's keywords", expanded))
    regimes = []
    for regime, (description, condition, _) in REGIMES.items():
        regimes.append(("p", f"**{description}** (${condition}$):"))
        for key, name in (("additions_per_filter", "A"), ("exact_additions_per_filter", "E")):
            regimes.append(("m*", rf"{name} &= {_lines(specialise(_in_keywords(key), regime))}"))
    out.append(("Regimes", regimes))
    models = [
        ("p", "moduleprofiler's model charges every output position "
              "$k$ multiplications and the all-ones additions $A$, which count $-1$ for a "
              "position no tap reaches:"),
        ("m", rf"O_{{\mathrm{{mp}}}} = {latex(expand(step('moduleprofiler').symbol, keep=PER_FILTER))}"),
        ("p", "The exact model never multiplies or adds a structural zero and never computes a "
              "cropped tap:"),
        ("m", rf"O_{{\mathrm{{exact}}}} = {latex(expand(step('exact').symbol, keep=PER_FILTER))}"),
        ("p", "Both in terms of the per-filter quantities above; with every position covered "
              "($Z = L_{\\mathrm{out}}$) the additions agree, $A = E$."),
    ]
    out.append(("moduleprofiler's model next to the exact model", models))
    out.append(("Two and three dimensions", _nd_items()))
    out.append(("Forward convolutions: the same lattice, read the other way", _conv_items()))
    return out


def _table_markdown() -> list[str]:
    head = "| example | " + " | ".join(_FILTER_KEYS) + " | " + " | ".join(f"${h}$" for h in _HEADERS) + " |"
    rows = [head, "|" + "---|" * (1 + len(_FILTER_KEYS) + len(_HEADERS))]
    for label, full, counts in example_rows():
        cells = [str(full[k]) for k in _FILTER_KEYS] + [str(counts[c]) for c in EXAMPLE_COLUMNS]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows


def markdown() -> str:
    """The derivation as Markdown (math in ``$$`` blocks)."""
    lines = ["<!-- generated by `python -m analytic.documents`; do not edit -->",
             "# Operation counts of a transposed 1-d convolution: the derivation", ""]
    for title, items in _sections():
        lines += [f"## {title}", ""]
        for kind, text in items:
            if kind == "p":
                lines += [text, ""]
            elif kind == "m":
                lines += ["$$", text, "$$", ""]
            else:
                lines += ["$$", r"\begin{aligned}", text, r"\end{aligned}", "$$", ""]
    lines += ["The tap diagram (`figure1.tex`, TikZ; `tapcount figure` draws it for any configuration) "
              "shows the taps of the first worked example below.", ""]
    lines += ["## Worked examples", "",
              "Computed from the expressions above (and checked against torch by the tests).", ""]
    lines += [*_table_markdown(), ""]
    return "\n".join(lines)


def _tex_prose(text: str) -> str:
    """Markdown-ish prose (``$math$``, ```code```, ``**bold**``) to LaTeX; math passes through."""
    out = []
    for i, part in enumerate(text.split("$")):
        if i % 2:
            out.append(f"${part}$")
            continue
        part = part.replace("_", r"\_").replace("#", r"\#").replace(">=", r"$\ge$")
        part = part.replace(" > ", r" $>$ ").replace(" < ", r" $<$ ")
        part = "".join(rf"\texttt{{{p}}}" if j % 2 else p for j, p in enumerate(part.split("`")))
        out.append("".join(rf"\textbf{{{p}}}" if j % 2 else p for j, p in enumerate(part.split("**"))))
    return "".join(out)


def tex() -> str:
    """The derivation as a standalone LaTeX document (``article``, ``amsmath``, ``booktabs``)."""
    lines = [
        "% generated by `python -m analytic.documents`; do not edit",
        r"\documentclass{article}",
        r"\usepackage[margin=2cm,landscape]{geometry}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{amsmath,amssymb,booktabs}",
        r"\title{Operation counts of a transposed 1-d convolution: the derivation}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    for title, items in _sections():
        lines.append(rf"\section*{{{title}}}")
        for kind, text in items:
            if kind == "p":
                ending = r"\\" if text.startswith("- ") else "\n"
                lines.append(_tex_prose(text.removeprefix("- ")) + ending)
            elif kind == "m":
                lines += [r"\begin{equation*}", text, r"\end{equation*}"]
            else:
                lines += [r"\begin{align*}", text, r"\end{align*}"]
    lines += [r"\section*{Worked examples}",
              "Computed from the expressions above (and checked against torch by the tests).",
              r"\begin{center}",
              r"\begin{tabular}{l" + "r" * (len(_FILTER_KEYS) + len(_HEADERS)) + "}",
              r"\toprule",
              "example & " + " & ".join(_tex_prose(f"`{k}`") for k in _FILTER_KEYS) + " & "
              + " & ".join(f"${h}$" for h in _HEADERS) + r" \\",
              r"\midrule"]
    for label, full, counts in example_rows():
        cells = [f"${full[k]}$" for k in _FILTER_KEYS] + [f"${counts[c]}$" for c in EXAMPLE_COLUMNS]
        lines.append(_tex_prose(label) + " & " + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{center}", r"\end{document}", ""]
    return "\n".join(lines)


def write(out_dir: str | Path = "derivations") -> list[Path]:
    """Write ``derivation.md``, ``derivation.tex`` and ``figure1.tex`` (the tap diagram of
    the first worked example as TikZ, the source of the figure the documents refer to) into
    ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contents = {
        "derivation.md": markdown(),
        "derivation.tex": tex(),
        "figure1.tex": "% generated by `python -m analytic.documents`; do not edit\n"
        + tikz(layout(**dict(EXAMPLES[0][1]))),
    }
    paths = []
    for name, text in contents.items():
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths
