"""Pictures of a profile (where the cost goes) and of a formula (the cost against an input size),
with matplotlib (``pip install tapcount[plot]``), sized for a paper's column.

>>> import torch, analytic
>>> model = torch.nn.Sequential(torch.nn.Conv1d(4, 8, 3), torch.nn.ReLU(), torch.nn.Conv1d(8, 2, 3))
>>> figure = analytic.profile(model, (1, 4, 100)).plot("flops")
>>> [label.get_text() for label in figure.axes[0].get_yticklabels()]
['2 (Conv1d)', '0 (Conv1d)']
>>> readable(1_841_741_824), readable(52_890), readable(3)
('1.84 G', '52.9 k', '3')
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..core.conventions import check_convention

__all__ = ["COLUMN_WIDTH", "plot_formula", "plot_profile", "readable"]

#: a paper's column, in inches (a two-column layout's 3.3 in, with a little room)
COLUMN_WIDTH = 3.4
#: the longest label a bar gets (a longer module name is cut in the middle)
LABEL_CHARACTERS = 28
_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def readable(value: float) -> str:
    """A count with an SI prefix and three significant digits: ``1.84 G``."""
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}"
    return f"{value:.3g}"


def _label(text: str) -> str:
    if len(text) <= LABEL_CHARACTERS:
        return text
    half = (LABEL_CHARACTERS - 1) // 2
    return text[:half] + "…" + text[-(LABEL_CHARACTERS - 1 - half):]


def plot_profile(profile, convention: str = "flops", by: str = "module", depth: int | None = 1, top: int = 20,
                 ax=None):
    """A horizontal bar chart of where ``convention`` goes: per module ``depth`` levels below the
    model (``by="module"``), per layer type (``"type"``) or per operator (``"op"``),
    the ``top`` largest, the rest in one bar; the axis in k, M, G.  A ``matplotlib`` figure (a
    notebook shows it; ``figure.savefig("cost.pdf")`` writes it), or the figure of ``ax``."""
    convention = profile.convention(convention)
    if by not in ("module", "type", "op"):
        raise ValueError(f"by ({by!r}) must be 'module', 'type' or 'op'")
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ValueError(f"top ({top!r}) must be a positive int")
    values: dict[str, float] = {}
    if by == "module":
        if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
            raise ValueError(f"depth ({depth!r}) must be a non-negative int or None")
        for r in profile.rows:  # each call charged to its innermost module, cut to ``depth`` levels
            name = ".".join(r.stack[-1].split(".")[:depth]) if r.stack and depth != 0 else ""
            kind = profile.modules.get(name, (r.type,))[0] if name else ""
            key = f"{name} ({kind})" if name else "(model)"
            values[key] = values.get(key, 0) + r.counts[convention]
    else:
        for r in profile.rows:
            key = r.type if by == "type" else r.op
            values[key] = values.get(key, 0) + r.counts[convention]
    ranked = sorted(((k, v) for k, v in values.items() if v), key=lambda kv: -kv[1])
    if len(ranked) > top:
        rest = ranked[top - 1:]
        ranked = [*ranked[:top - 1], (f"{len(rest)} others", sum(v for _, v in rest))]
    ranked.reverse()  # the largest on top
    if ax is None:
        figure = Figure(figsize=(COLUMN_WIDTH, 0.6 + 0.22 * max(len(ranked), 1)), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    labels = [_label(k) for k, _ in ranked]
    ax.barh(range(len(ranked)), [float(v) for _, v in ranked], color="#4c72b0")
    ax.set_yticks(range(len(ranked)), labels, fontsize=7)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: readable(v)))
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(f"{convention} (total {readable(float(profile.total[convention]))})", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def _integer_function(formula, convention: str):
    """``formula``'s total of ``convention`` as a function of the sizes that gives ``None`` where
    a condition does not hold."""
    compute = formula.to_python(convention)

    def value(**sizes):
        try:
            return compute(**sizes)
        except ValueError:  # a condition broken: the formula says nothing there
            return None

    return value


def plot_formula(formula, conventions: Sequence[str] = ("flops",), measure=None, points: int = 5, ax=None,
                 **sizes):
    """A formula's cost against one size (``L=range(4, 200)``; the others given as ints): the
    exact formula as a line, the simplified form from its threshold (dashed, the threshold
    marked), and at ``points`` sizes the numeric profile as dots: ``measure(convention, sizes)``
    when it is given (the model's own profile there, an independent count), else the formula
    evaluated there."""
    if isinstance(conventions, str):
        conventions = (conventions,)
    conventions = [formula.convention(check_convention(c)) for c in conventions]
    names = [s.name for s in formula.sizes]
    ranges = {k: v for k, v in sizes.items() if not isinstance(v, int)}
    if set(sizes) != set(names) or len(ranges) != 1:
        raise ValueError(f"give every size of the formula ({', '.join(names)}): one as a range of values to plot"
                         f" against (e.g. {names[0]}=range(1, 200)), the others as ints")
    (name, span), = ranges.items()
    span = [int(v) for v in span]
    if not span or min(span) < 1:
        raise ValueError(f"{name} must range over positive sizes, got {sizes[name]!r}")
    fixed = {k: v for k, v in sizes.items() if k != name}
    simple = formula.simplified() if formula.thresholds is None else formula
    threshold = int(simple.thresholds[next(s for s in formula.sizes if s.name == name)])
    if ax is None:
        figure = Figure(figsize=(COLUMN_WIDTH, 2.4), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.figure
    chosen = sorted({span[round(i * (len(span) - 1) / max(points - 1, 1))] for i in range(points)}) if points else []
    for i, convention in enumerate(conventions):
        color = f"C{i}"
        exact, simplified = _integer_function(formula, convention), _integer_function(simple, convention)
        xs = [v for v in span if exact(**fixed, **{name: v}) is not None]
        ax.plot(xs, [float(exact(**fixed, **{name: v})) for v in xs], color=color, lw=2.6, alpha=0.35,
                label=f"{convention}: formula")
        beyond = [v for v in xs if v >= threshold and simplified(**fixed, **{name: v}) is not None]
        ax.plot(beyond, [float(simplified(**fixed, **{name: v})) for v in beyond], color=color, lw=0.9, ls="--",
                label=f"{convention}: simplified form")
        dots = [v for v in chosen if v in xs]
        if measure is not None:
            measured = [measure(convention, {**fixed, name: v}) for v in dots]
            label = f"{convention}: profile of the model"
        else:
            measured = [formula.evaluate(**fixed, **{name: v}).total[convention] for v in dots]
            label = f"{convention}: formula evaluated"
        ax.plot(dots, [float(m) for m in measured], "o", color=color, ms=3.5, label=label)
    if min(span) < threshold <= max(span):  # (a threshold at the first size marks nothing)
        ax.axvline(threshold, color="0.5", lw=0.8, ls=":")
        ax.annotate(f"{name} ≥ {threshold}", (threshold, 1), xycoords=("data", "axes fraction"), fontsize=7,
                    xytext=(3, -10), textcoords="offset points", color="0.35")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: readable(v)))
    ax.tick_params(labelsize=7)
    ax.set_xlabel(name, fontsize=8)
    ax.set_ylabel("operations", fontsize=8)
    ax.legend(fontsize=6, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    if fixed:
        ax.set_title(", ".join(f"{k} = {v}" for k, v in fixed.items()), fontsize=7)
    return figure
