"""``tapcount figure``: the tap diagram (Figure 1 of moduleprofiler's documentation) for any
configuration, as TikZ or PNG/SVG.

Each input position's kernel taps are drawn at the uncropped output positions they land on
(``t = i*stride + m*dilation``), with the number of taps per position underneath, the positions
that ``padding`` crops and those that ``output_padding`` adds marked.  A drawing enumerates taps,
so it is limited to small configurations (``MAX_POSITIONS``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core.geometry import transposed_output_length
from ..core.transposed import filter_counts
from ..core.validation import check_filter

__all__ = ["Layout", "layout", "tikz", "draw", "MAX_POSITIONS", "MAX_INPUTS", "MAX_TAPS"]

#: a drawing stays readable (and quick: each tap is a labelled box) within these limits
MAX_POSITIONS = 160
MAX_INPUTS = 40
MAX_TAPS = 400


@dataclass(frozen=True)
class Layout:
    length: int
    kernel_size: int
    stride: int
    padding: int
    output_padding: int
    dilation: int
    uncropped: int  #: F
    output_length: int  #: L_out
    taps: tuple[tuple[int, int, int], ...]  #: (i, m, t)
    counts: tuple[int, ...]  #: taps per uncropped position, for every drawn position

    @property
    def width(self) -> int:
        """Drawn positions: the uncropped ones and those output_padding adds past them."""
        return max(self.uncropped, self.padding + self.output_length)

    def kind(self, t: int) -> str:
        """``"kept"``, ``"cropped"`` (by padding) or ``"added"`` (by output_padding, past F)."""
        if self.padding <= t < self.padding + self.output_length:
            return "added" if t >= self.uncropped else "kept"
        return "cropped"

    def caption(self) -> tuple[str, str]:
        """(the configuration, the counts) as two lines of plain text."""
        f = filter_counts(self.length, self.kernel_size, self.stride, self.padding, self.output_padding,
                          self.dilation)
        return (f"length={self.length}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, output_padding={self.output_padding}, dilation={self.dilation}",
                f"L_out={f.output_length}, taps kept T={f.taps_kept}, covered Z={f.covered_positions}, "
                f"all-ones additions A={f.additions_per_filter}, exact additions E={f.exact_additions_per_filter}")


def layout(length, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> Layout:
    """Where every tap lands; ``ValueError`` for invalid or too large configurations."""
    n, k, s, p, o, d = check_filter(length, kernel_size, stride, padding, output_padding, dilation)
    uncropped = (n - 1) * s + d * (k - 1) + 1
    out = transposed_output_length(n, k, s, p, o, d)
    width = max(uncropped, p + out)
    if width > MAX_POSITIONS or n > MAX_INPUTS or n * k > MAX_TAPS:
        raise ValueError(f"a figure draws at most {MAX_POSITIONS} positions, {MAX_INPUTS} inputs and {MAX_TAPS}"
                         f" taps; this configuration has {width} positions, {n} inputs and {n * k} taps")
    taps = tuple((i, m, i * s + m * d) for i in range(n) for m in range(k))
    hits = Counter(t for _, _, t in taps)
    return Layout(n, k, s, p, o, d, uncropped, out, taps, tuple(hits.get(t, 0) for t in range(width)))


def tikz(lay: Layout, standalone: bool = True) -> str:
    """TikZ source: a ``tikzpicture``, wrapped in a compilable document when ``standalone``."""
    u = 0.55  # cm per position
    rows = lay.length
    lines = [rf"\begin{{tikzpicture}}[x={u:.2f}cm,y={u:.2f}cm,font=\scriptsize]"]
    top, bottom = 1.2, -rows - 1.6
    for t in range(lay.width):
        kind = lay.kind(t)
        if kind != "kept":
            colour = "red!12" if kind == "cropped" else "green!15"
            lines.append(rf"\fill[{colour}] ({t},{bottom}) rectangle ({t + 1},{top});")
    for t in range(lay.width):
        lines.append(rf"\node at ({t + 0.5},{top - 0.4}) {{{t}}};")
        j = t - lay.padding
        if lay.kind(t) != "cropped":
            lines.append(rf"\node[gray] at ({t + 0.5},{bottom + 0.3}) {{$y_{{{j}}}$}};")
    for i, m, t in lay.taps:
        shade = 15 + (55 * m) // max(lay.kernel_size - 1, 1)
        lines.append(rf"\draw[fill=blue!{shade}] ({t + 0.08},{-i - 0.42}) rectangle ({t + 0.92},{-i + 0.42});")
        lines.append(rf"\node at ({t + 0.5},{-i}) {{$w_{{{m}}}$}};")
    for i in range(rows):
        lines.append(rf"\node[anchor=east] at (-0.1,{-i}) {{$x_{{{i}}}$}};")
    y = -rows - 0.3
    for t, c in enumerate(lay.counts):
        lines.append(rf"\node at ({t + 0.5},{y}) {{\textbf{{{c}}}}};")
    lines.append(rf"\node[anchor=east] at (-0.1,{y}) {{taps}};")
    lines.append(rf"\draw[gray] (0,{y + 0.45}) -- ({lay.width},{y + 0.45});")
    legend = (r"\textcolor{red!60}{$\blacksquare$} cropped by padding\quad "
              r"\textcolor{green!50!black}{$\blacksquare$} added by output\_padding")
    config, result = (line.replace("_", r"\_") for line in lay.caption())
    lines.append(rf"\node[anchor=north west,align=left] at (0,{bottom - 0.2}) {{{legend}\\ "
                 rf"{config}\\ {result}}};")
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines)
    if not standalone:
        return picture
    paper = max(17.0, lay.width * u + 3)
    return "\n".join([
        r"\documentclass{article}",
        rf"\usepackage[paperwidth={paper:.1f}cm,paperheight={(rows + 6) * u + 3:.1f}cm,margin=1cm]{{geometry}}",
        r"\usepackage{tikz,amssymb}",
        r"\pagestyle{empty}",
        r"\begin{document}",
        r"\noindent",
        picture,
        r"\end{document}",
        "",
    ])


_SUBSCRIPT = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")


def _indexed(letter: str, index: int) -> str:
    """``w₃``: a label with a Unicode subscript (hundreds of mathtext labels took seconds to lay out)."""
    return letter + str(index).translate(_SUBSCRIPT)


def draw(lay: Layout, path: str | Path) -> Path:
    """Draw the figure with matplotlib (``pip install 'tapcount[plot]'``) to PNG or SVG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch, Rectangle
    except ImportError:
        raise ImportError("PNG/SVG figures need matplotlib: pip install 'tapcount[plot]'") from None
    path = Path(path)
    rows = lay.length
    fig_w = min(18.0, max(7.0, 0.42 * lay.width + 1.6))
    fig_h = 0.42 * (rows + 3.2) + 1.1
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=150)
    cmap = plt.get_cmap("Blues")
    for t in range(lay.width):
        kind = lay.kind(t)
        if kind != "kept":
            colour, edge, hatch = (("#fbe3e1", "#e8a49d", "//") if kind == "cropped"
                                   else ("#e3f2e4", "#8fc493", "\\\\"))
            ax.add_patch(Rectangle((t, -rows - 1.3), 1, rows + 1.8, facecolor=colour, edgecolor=edge,
                                   linewidth=0, hatch=hatch, zorder=0))
    for i, m, t in lay.taps:
        level = 0.25 + 0.55 * m / max(lay.kernel_size - 1, 1)
        ax.add_patch(Rectangle((t + 0.08, -i - 0.42), 0.84, 0.84, facecolor=cmap(level), edgecolor="#1f3b73",
                               linewidth=0.8, zorder=2))
        ax.text(t + 0.5, -i, _indexed("w", m), ha="center", va="center", fontsize=8, zorder=3,
                color="white" if level > 0.55 else "black")
    y = -rows - 0.35
    ax.axhline(y + 0.5, color="0.5", linewidth=0.8)
    for t, c in enumerate(lay.counts):
        ax.text(t + 0.5, y, str(c), ha="center", va="center", fontsize=9, fontweight="bold",
                color="#b00020" if c == 0 and lay.kind(t) != "cropped" else "black")
        if lay.kind(t) != "cropped":
            ax.text(t + 0.5, y - 0.65, _indexed("y", t - lay.padding), ha="center", va="center",
                    fontsize=7, color="0.45")
    ax.set_xlim(-0.2, lay.width + 0.2)
    ax.set_ylim(-rows - 1.3, 0.8)
    ax.set_aspect("equal")  # square taps, whatever the number of positions
    ax.set_yticks([-i for i in range(rows)] + [y], [_indexed("x", i) for i in range(rows)] + ["taps"])
    ax.set_xticks([t + 0.5 for t in range(lay.width)], [str(t) for t in range(lay.width)], fontsize=7)
    ax.set_xlabel("uncropped output position $t = i\\cdot s + m\\cdot d$; kept positions are $y_{t-p}$",
                  fontsize=9)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.legend(handles=[Patch(facecolor="#fbe3e1", edgecolor="#e8a49d", hatch="//", label="cropped by padding"),
                       Patch(facecolor="#e3f2e4", edgecolor="#8fc493", hatch="\\\\",
                             label="added by output_padding"),
                       Patch(facecolor=cmap(0.5), edgecolor="#1f3b73", label="tap $w_m$ of input $x_i$")],
              loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8, frameon=False)
    ax.set_title("\n".join(lay.caption()), fontsize=8, loc="left", pad=24)
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)  # never clip the title or legend
    plt.close(fig)
    return path
