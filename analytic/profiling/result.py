"""What a profile holds: one row per operator call that computes, the operators that only move
data, those tapcount has no formula for, the model's parameters, and the exports.

Nothing here imports torch or SymPy: a profile is plain data once counted.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field

from ..core.conventions import CONVENTIONS
from ..core.tables import table

__all__ = ["COVERED", "ModuleTotals", "Profile", "ProfileRow", "shape_text"]

#: what the counted rows cover, as the total row says
COVERED = "every operator that computes"


@dataclass(frozen=True)
class ProfileRow:
    """One operator call that computes: the innermost module that ran it (qualified name, ``""``
    for the model itself or a call outside any module, and type), the operator, its input and output
    shapes, its counts under every convention, the arguments its formula read, the modules active
    during the call (outermost first), and the bytes of the tensors it produced."""

    name: str
    type: str
    op: str
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    counts: dict[str, int] = field(default_factory=dict)
    #: the operator's arguments as its formula read them (shapes, stride, padding, groups, ...)
    parameters: dict[str, object] = field(default_factory=dict)
    #: the qualified names of the modules running when the call happened, outermost first
    stack: tuple[str, ...] = ()
    #: bytes of the tensors the call produced (0 for an in-place operator or a view)
    output_bytes: int = 0
    #: ``"forward"``, or ``"backward"`` for a call of the backward pass
    phase: str = "forward"
    #: in the backward pass, the autograd node the call runs (``"ConvolutionBackward0"``: the
    #: gradient of a convolution); the module is the one whose forward made that node
    differentiates: str = ""

    @property
    def counted(self) -> bool:
        return True

    def charged(self, name: str, kind: str, stack: tuple[str, ...], **changes) -> ProfileRow:
        """This call's row charged to module ``name`` of type ``kind`` under ``stack``, with its own
        copies of the counts and arguments, and ``changes`` to other fields: what
        ``dataclasses.replace`` gives, for a fraction of its cost (a profile makes one for every
        call answered from a record)."""
        new = _NEW(ProfileRow)
        fields = new.__dict__
        fields.update(self.__dict__, name=name, type=kind, stack=stack, counts=dict(self.counts),
                      parameters=dict(self.parameters))
        if changes:
            fields.update(changes)
        return new


_NEW = object.__new__


@dataclass(frozen=True)
class ModuleTotals:
    """A module's share of a profile: the counts of every call made while it ran (its submodules'
    included), its parameters (trainable and frozen, its submodules' included), and the bytes its
    calls produced."""

    name: str
    type: str
    depth: int
    counts: dict[str, int]
    calls: int
    trainable: int
    frozen: int
    output_bytes: int

    @property
    def parameters(self) -> int:
        return self.trainable + self.frozen


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "" if shape is None else "×".join(map(str, shape))


@dataclass(frozen=True)
class Profile:
    """The operator calls of one forward pass that compute (:attr:`rows`), the operators that only
    move data (:attr:`data_movement`: operator -> calls) and those tapcount has no formula for
    (:attr:`uncounted`), the model's parameters by module, and the total, with Markdown, LaTeX,
    CSV, JSON, text and pandas exports."""

    rows: tuple[ProfileRow, ...]
    uncounted: dict[str, int] = field(default_factory=dict)
    conventions: tuple[str, ...] = CONVENTIONS
    device: str = "meta"
    data_movement: dict[str, int] = field(default_factory=dict)
    #: module name -> (type, trainable parameters, frozen parameters) it holds itself
    modules: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: bytes produced by the data-movement calls, by module stack (outermost first)
    movement_bytes: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def counted(self) -> tuple[ProfileRow, ...]:
        return self.rows

    @property
    def total(self) -> dict[str, int]:
        """Each convention summed over the operator calls of the pass."""
        return {c: sum(r.counts[c] for r in self.rows) for c in self.conventions}

    def _phase_names(self) -> tuple[str, ...]:
        return ("forward", "backward") if any(r.phase == "backward" for r in self.rows) else ("forward",)

    @property
    def phases(self) -> dict[str, dict[str, int]]:
        """The totals of each phase: ``{"forward": ..., "backward": ...}`` (the backward pass's
        with ``backward=True``; the loss is part of the forward pass).

        >>> import torch, analytic
        >>> p = analytic.profile(torch.nn.Linear(4, 3), (5, 4), backward=True)
        >>> p.phases["forward"]["flops"], p.phases["backward"]["flops"]  # the input needs no gradient
        (120, 120)
        """
        return {phase: {c: sum(r.counts[c] for r in self.rows if r.phase == phase) for c in self.conventions}
                for phase in self._phase_names()}

    @property
    def coverage(self) -> dict[str, dict[str, int]]:
        """``{"counted": ..., "data movement": ..., "uncounted": ...}``, each operator -> calls."""
        return {"counted": dict(Counter(r.op for r in self.rows)), "data movement": dict(self.data_movement),
                "uncounted": dict(self.uncounted)}

    @property
    def parameters(self) -> dict[str, int]:
        """The model's parameters: ``{"trainable": ..., "frozen": ..., "total": ...}`` (a parameter
        shared by several modules counted once)."""
        trainable = sum(t for _, t, _ in self.modules.values())
        frozen = sum(f for _, _, f in self.modules.values())
        return {"trainable": trainable, "frozen": frozen, "total": trainable + frozen}

    @property
    def activation_bytes(self) -> int:
        """Bytes of every tensor the pass produced (the outputs of every call, computing or moving
        data; views and in-place calls produce none), from the shapes and dtypes."""
        return sum(r.output_bytes for r in self.rows) + sum(self.movement_bytes.values())

    def by_module(self, depth: int | None = None) -> list[ModuleTotals]:
        """Totals per module, every call charged to each module running at the time and to the
        containers that hold it (a ``ModuleList`` is never called): a module's totals include its
        submodules', as ``torch.utils.flop_counter``'s table does.  The model (``""``, depth 0)
        and the modules down to ``depth`` levels below it (all with ``None``), in the order of the
        model's modules.

        >>> import torch, analytic
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sequential(torch.nn.Linear(3, 2)))
        >>> [(m.name, m.counts["flops"]) for m in analytic.profile(model, (5, 4)).by_module(1)]
        [('', 180), ('0', 120), ('1', 60)]
        """
        if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
            raise ValueError(f"depth ({depth!r}) must be a non-negative int or None")

        def level(name: str) -> int:
            return 0 if not name else name.count(".") + 1

        totals: dict[str, list] = {}
        for name in self.modules:
            if depth is None or level(name) <= depth:
                totals[name] = [Counter(), 0, 0]
        charged: dict[tuple[str, ...], set[str]] = {}  # a stack -> its modules and their containers

        def owners(stack: tuple[str, ...]) -> set[str]:
            if stack not in charged:
                names = {""}
                for name in stack:
                    parts = name.split(".")
                    names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
                charged[stack] = names
            return charged[stack]

        for r in self.rows:
            for name in owners(r.stack):
                entry = totals.get(name)
                if entry is not None:
                    entry[0].update(r.counts)
                    entry[1] += 1
                    entry[2] += r.output_bytes
        for stack, size in self.movement_bytes.items():
            for name in owners(stack):
                if name in totals:
                    totals[name][2] += size
        result = []
        for name, (summed, calls, size) in totals.items():
            inside = [v for key, v in self.modules.items() if not name or key == name or key.startswith(name + ".")]
            result.append(ModuleTotals(name, self.modules[name][0], level(name),
                                       {c: summed.get(c, 0) for c in self.conventions}, calls,
                                       sum(v[1] for v in inside), sum(v[2] for v in inside), size))
        return result

    def convention(self, convention: object) -> str:
        """``convention`` if this profile counted it, else ``ValueError`` naming the rule."""
        if convention not in self.conventions:
            which = "the conventions this profile counted: " if convention in CONVENTIONS else ""
            raise ValueError(f"convention ({convention!r}) must be one of {which}{', '.join(self.conventions)}")
        return convention  # type: ignore[return-value]

    def shares(self, convention: str = "flops") -> dict[str, float]:
        """The share of the total of ``convention`` by layer type (module type of the rows)."""
        convention = self.convention(convention)
        total = self.total[convention] or 1
        by_type: Counter[str] = Counter()
        for r in self.rows:
            by_type[r.type] += r.counts[convention]
        return {kind: value / total for kind, value in by_type.most_common()}

    def _table(self) -> tuple[list[str], list[list[object]]]:
        phased = len(self._phase_names()) > 1  # a backward pass: each row says its phase

        def phase(r: ProfileRow) -> list[str]:
            return [r.phase + (f" ({r.differentiates})" if r.differentiates else "")] if phased else []

        headers = ["layer", "type", *(["phase"] if phased else []), "input", "output", *self.conventions]
        blank = [""] * (3 + phased)
        rows: list[list[object]] = [[r.name or "(model)", r.type, *phase(r), shape_text(r.input_shape),
                                     shape_text(r.output_shape), *(r.counts[c] for c in self.conventions)]
                                    for r in self.rows]
        for label, calls_by_op in (("data movement", self.data_movement), ("not counted", self.uncounted)):
            for op, calls in sorted(calls_by_op.items()):
                rows.append([f"{label}: {op}", f"{calls} call{'s' * (calls != 1)}", *blank[1:],
                             *([None] * len(self.conventions))])
        if phased:
            for name, totals in self.phases.items():
                rows.append([f"total of the {name} pass", *blank, *(totals[c] for c in self.conventions)])
        total = self.total
        rows.append([f"total ({COVERED})", *blank, *(total[c] for c in self.conventions)])
        return headers, rows

    def module_table(self, depth: int | None = 1, fmt: str = "text") -> str:
        """:meth:`by_module` as a table (``text``, ``markdown`` or ``latex``): each module's counts,
        its parameters and the bytes its calls produced (in text, names indented by depth)."""
        headers = ["module", "type", *self.conventions, "parameters", "output bytes"]
        indent = "  " if fmt == "text" else ""
        rows = [[indent * m.depth + (m.name or "(model)"), m.type, *(m.counts[c] for c in self.conventions),
                 m.parameters, m.output_bytes] for m in self.by_module(depth)]
        return table(headers, rows, fmt)

    def to_markdown(self) -> str:
        return table(*self._table(), "markdown")

    def to_latex(self) -> str:
        """A ``tabular`` with ``booktabs`` rules."""
        return table(*self._table(), "latex").replace("×", r"$\times$")

    def to_text(self) -> str:
        return table(*self._table(), "text")

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["layer", "type", "op", "input_shape", "output_shape", *self.conventions, "output_bytes",
                         "parameters", "phase", "differentiates"])
        for r in self.rows:
            writer.writerow([r.name, r.type, r.op, shape_text(r.input_shape), shape_text(r.output_shape),
                             *(r.counts[c] for c in self.conventions), r.output_bytes,
                             json.dumps(_plain(r.parameters), sort_keys=True), r.phase, r.differentiates])
        if len(self._phase_names()) > 1:
            for name, totals in self.phases.items():
                writer.writerow([f"total of the {name} pass", "", "", "", "", *totals.values(), "", "", name, ""])
        writer.writerow([f"total ({COVERED})", "", "", "", "", *self.total.values(), self.activation_bytes, "", "",
                         ""])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(_plain({
            "format": "tapcount-profile", "version": 4, "conventions": list(self.conventions),
            "covers": COVERED, "device": self.device,
            "rows": [{"name": r.name, "type": r.type, "op": r.op, "input_shape": r.input_shape,
                      "output_shape": r.output_shape, "parameters": r.parameters, "counts": r.counts,
                      "stack": list(r.stack), "output_bytes": r.output_bytes, "phase": r.phase,
                      "differentiates": r.differentiates} for r in self.rows],
            "data_movement": self.data_movement, "uncounted": self.uncounted, "total": self.total,
            "phases": self.phases,
            "parameters": self.parameters, "activation_bytes": self.activation_bytes,
            "modules": {name: {"type": kind, "trainable": t, "frozen": f}
                        for name, (kind, t, f) in self.modules.items()},
        }), indent=2, sort_keys=True)

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (``pip install pandas``), one column per convention."""
        try:
            import pandas
        except ImportError:
            raise ImportError("Profile.to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame([{"layer": r.name, "type": r.type, "op": r.op, "input_shape": r.input_shape,
                                  "output_shape": r.output_shape, **r.counts, "output_bytes": r.output_bytes,
                                  "parameters": r.parameters, "phase": r.phase, "differentiates": r.differentiates}
                                 for r in self.rows])

    def __str__(self) -> str:
        return self.to_text()

    def plot(self, convention: str = "flops", by: str = "module", depth: int | None = 1, top: int = 20, ax=None):
        """A horizontal bar chart of where ``convention`` goes, by module (at ``depth``), layer
        type or operator (``by``): :func:`analytic.profiling.plots.plot_profile` (matplotlib:
        ``pip install tapcount[plot]``)."""
        try:
            from .plots import plot_profile  # matplotlib, only for a picture
        except ImportError:
            raise ImportError("Profile.plot needs matplotlib: pip install tapcount[plot]") from None
        return plot_profile(self, convention, by, depth, top, ax)

    #: the rows a notebook shows before it folds the rest into one line
    HTML_ROWS = 30

    def _repr_html_(self) -> str:
        """The profile as an HTML table in a notebook: the first :attr:`HTML_ROWS` rows (the rest
        folded into one line saying how many), the data-movement and uncounted operators, the
        totals."""
        headers, rows = self._table()
        counted = len(self.rows)
        shown = rows[:self.HTML_ROWS] if counted > self.HTML_ROWS else rows[:counted]
        summary = rows[counted:]

        def cell(value, tag="td") -> str:
            if isinstance(value, int):
                return f'<{tag} style="text-align:right">{value:,}</{tag}>'
            return f"<{tag}>{html.escape('' if value is None else str(value))}</{tag}>"

        lines = ["<table>", "<thead><tr>" + "".join(cell(h, "th") for h in headers) + "</tr></thead>", "<tbody>"]
        lines += ["<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in shown]
        if counted > self.HTML_ROWS:
            hidden = counted - self.HTML_ROWS
            lines.append(f'<tr><td colspan="{len(headers)}"><i>… {hidden:,} more row{"s" * (hidden != 1)}'
                         f" (to_text(), to_pandas() show every row)</i></td></tr>")
        lines += ["<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in summary]
        lines += ["</tbody>", "</table>"]
        return "\n".join(lines)


def _plain(value: object) -> object:
    """``value`` with every number JSON can hold as it is and anything else (a SymPy expression of
    a formula's sizes) as its text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return str(value)
