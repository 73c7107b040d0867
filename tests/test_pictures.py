"""Pictures and notebook displays: the bars and curves show the profile's numbers, the HTML is a
valid table, the LaTeX compiles, and the README's pictures show what tapcount counts today."""

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sympy
import torch

import analytic
from tests import models
from tests.helpers import pdflatex, tapcount

pytest.importorskip("matplotlib")
ROOT = Path(__file__).resolve().parents[1]


def _pictures_script():
    spec = importlib.util.spec_from_file_location("pictures", ROOT / "docs" / "pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["profile.svg", "formula.svg"])
def test_the_readme_pictures_show_what_tapcount_counts(name):
    pictures = _pictures_script()
    committed = (ROOT / "docs" / "pictures" / name).read_text()
    stored = re.search(r"tapcount-data ([0-9a-f]{64})", committed)
    assert stored, f"docs/pictures/{name} carries no data hash: regenerate with python docs/pictures.py"
    assert stored.group(1) == pictures.plotted(pictures.PICTURES[name]()), (
        f"docs/pictures/{name} is stale: regenerate with python docs/pictures.py")
    assert f"docs/pictures/{name}" in (ROOT / "README.md").read_text()


def test_a_profile_plot_shows_each_module_and_the_rest():
    profile = analytic.profile(models.hifigan_generator(), (1, 80, 20))
    figure = profile.plot("exact", by="module", depth=2, top=5)
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    # the modules two levels down, and those with no module below them (conv_pre, conv_post)
    modules = {f"{m.name} ({m.type})": m.counts["exact"] for m in profile.by_module(2)
               if m.depth == 2 or m.name in ("conv_pre", "conv_post")}
    modules["(model)"] = sum(r.counts["exact"] for r in profile.rows if not r.stack or not r.stack[-1])  # its own
    ranked = sorted(modules.values(), reverse=True)
    assert sum(ranked) == profile.total["exact"]
    assert labels[-1] in modules and widths[-1] == ranked[0]  # the largest on top
    assert labels[0] == f"{len(modules) - 4} others" and widths[0] == sum(ranked[4:])
    assert figure.get_size_inches()[0] <= 3.5  # a paper's column
    assert ax.get_xlabel().startswith("exact (total ")
    by_type = profile.plot("flops", by="type").axes[0]
    assert {t.get_text() for t in by_type.get_yticklabels()} == {"Conv1d", "ConvTranspose1d"}
    for options, message in (({"by": "layer"}, "by"), ({"top": 0}, "top"), ({"convention": "nope"}, "convention")):
        with pytest.raises(ValueError, match=message):
            profile.plot(**options)


def test_a_formula_plot_draws_the_formula_the_simplified_form_and_the_profile():
    model = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 5, stride=2), torch.nn.ReLU(), torch.nn.Conv1d(4, 2, 3))
    formula = analytic.profile(model, (1, 2, "L"))
    figure = formula.plot("exact", model=model, L=range(1, 40))
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    exact, simple, points = (lines[f"exact: {k}"] for k in ("formula", "simplified form", "profile of the model"))
    for x, y in zip(exact.get_xdata(), exact.get_ydata(), strict=True):
        assert y == formula.evaluate(L=int(x)).total["exact"]
    threshold = formula.simplified().thresholds[formula.sizes[0]]
    assert min(simple.get_xdata()) == threshold
    for x, y in zip(points.get_xdata(), points.get_ydata(), strict=True):  # the model's own profile there
        assert y == analytic.profile(model, (1, 2, int(x))).total["exact"]
    with pytest.raises(ValueError, match="one as a range"):
        formula.plot(L=5)


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.rows, self.cells = [], 0, []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        self.rows += tag == "tr"

    def handle_endtag(self, tag):
        assert self.open.pop() == tag, f"</{tag}> closes <{self.open[-1] if self.open else ''}>"

    def handle_data(self, data):
        self.cells.append(data)


def test_a_profile_shows_as_an_html_table_in_a_notebook():
    model = torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(40)])
    model.add_module("a<b>&c", torch.nn.ReLU())
    profile = analytic.profile(model, (2, 4))
    parser = _Table()
    parser.feed(profile._repr_html_())
    parser.close()
    assert not parser.open  # every tag closed
    text = "".join(parser.cells)
    assert "… 11 more rows" in text and "a<b>&c" not in "".join(parser.cells[:40 * 12])
    assert f"{profile.total['flops']:,}" in text and "data movement: aten::t" in text
    assert parser.rows == 1 + profile.HTML_ROWS + 1 + 1 + 1  # header, rows, the fold, movement, total


def test_formulas_show_as_latex_that_compiles(tmp_path):
    formula = analytic.profile(models.melgan_generator(), (1, 80, "L"))
    shown = formula._repr_latex_()
    assert shown.startswith("$$") and r"\text{flops}" in shown and "where" in shown
    assert formula._repr_html_() is None  # a notebook shows the LaTeX
    step = analytic.profile(torch.nn.Conv1d(1, 1, 3), (1, 1, "L"), backward=True)._repr_latex_()
    from analytic import symbolic
    expression = symbolic.ops("exact", True)._repr_latex_()  # SymPy's own, with the paper names
    body = "\n\n".join(s.strip("$").replace(r"\displaystyle", "") for s in (shown, step, expression))
    pdflatex(tmp_path, "shown", "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
             + "\n\n".join(f"\\[{part}\\]" for part in body.split("\n\n")) + "\n\\end{document}\n")
    assert isinstance(formula.formula("flops"), sympy.Expr)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_the_command_line_draws_both_pictures(tmp_path, suffix):
    target = f"{ROOT / 'tests' / 'models.py'}:melgan_generator"
    numeric, named = tmp_path / f"profile{suffix}", tmp_path / f"formula{suffix}"
    tapcount("profile", target, "--input-shape", "1,80,10", "--plot", str(numeric))
    tapcount("profile", target, "--input-shape", "1,80,L", "--plot", str(named), "--plot-range", "L=4:40")
    assert numeric.stat().st_size > 1000 and named.stat().st_size > 1000
    for options, message in ((("--plot", str(tmp_path / "x.txt")), "must name a .png, .svg or .pdf"),
                             (("--plot", str(named), "--plot-range", "M=1:4"), "must be NAME=START:STOP"),
                             (("--plot-range", "L=1:4"), "needs --plot")):
        result = tapcount("profile", target, "--input-shape", "1,80,L", *options, check=False)
        assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
