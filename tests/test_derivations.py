"""derivations/ is what the generator makes now, its numbers match torch, and the LaTeX compiles."""

from pathlib import Path

import pytest

import analytic
import empirical
from analytic import documents, symbolic
from tests.helpers import pdflatex

ROOT = Path(__file__).resolve().parents[1]


def test_committed_documents_are_fresh(tmp_path):
    for generated in documents.write(tmp_path):
        committed = ROOT / "derivations" / generated.name
        assert committed.exists(), f"{committed} is missing: python -m analytic.documents"
        assert committed.read_text() == generated.read_text(), (
            f"{committed} is stale: regenerate with python -m analytic.documents"
        )


@pytest.mark.parametrize("row", documents.example_rows(), ids=lambda row: row[0])
def test_worked_examples_match_torch(row):
    _label, config, counts = row
    y = empirical.all_ones_output(**config)
    assert counts["output_length"] == y.shape[-1]
    assert counts["additions_per_filter"] == empirical.additions_per_filter(**config)
    assert counts["exact_additions_per_filter"] == empirical.exact_additions_per_filter(**config)
    assert counts["taps_kept"] == int(y.sum())
    assert counts["covered_positions"] == int((y > 0).sum())
    assert counts["taps_kept"] == analytic.filter_counts(**config).taps_kept


def test_generated_derivation_document_compiles(tmp_path):
    pdflatex(tmp_path, "derivation", (ROOT / "derivations" / "derivation.tex").read_text())


def test_generated_figure_source_compiles(tmp_path):
    pdflatex(tmp_path, "figure1", (ROOT / "derivations" / "figure1.tex").read_text())


def test_standalone_document_compiles(tmp_path):
    pdflatex(tmp_path, "standalone", symbolic.standalone_document())


def test_every_exported_equation_compiles(tmp_path):
    equations = [symbolic.latex(symbolic.quantity(st.key)) for st in symbolic.steps()]
    equations += [symbolic.latex(symbolic.ops(c, bias=b)) for c in analytic.CONVENTIONS for b in (True, False)]
    equations += [symbolic.latex(symbolic.ops("exact", bias=None))]
    equations += [symbolic.latex(symbolic.ops(c, bias=None, dims=d)) for c in analytic.CONVENTIONS for d in (2, 3)]
    equations += [symbolic.latex(symbolic.filter_quantity(key, 2))
                  for key in ("additions_per_filter", "exact_additions_per_filter")]
    equations += [symbolic.latex(symbolic.specialise(symbolic.quantity(key), regime))
                  for regime in symbolic.REGIMES
                  for key in ("additions_per_filter", "exact_additions_per_filter")]
    body = "\n".join(
        "\\begin{equation*}\\resizebox{\\linewidth}{!}{$\\displaystyle " + eq + "$}\\end{equation*}"
        for eq in equations
    )
    source = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,graphicx}\n\\begin{document}\n"
              f"{symbolic.align_block()}\n{symbolic.align_block(starred=True)}\n{body}\n\\end{{document}}\n")
    pdflatex(tmp_path, "equations", source)


def test_the_derivation_derives_the_expressions_the_numeric_functions_give():
    # the public expressions are the integer core's functions evaluated on symbols; the derivation
    # (SymPy doing the sums, step by step) must arrive at the same expressions: identical after
    # expansion, the exact quotients C_in/g and C_in*C_out/g read as the fractions they are
    import sympy

    from analytic.symbolic import derivation
    from analytic.symbolic.expressions import GENERATED, quantity
    from analytic.symbolic.functions import ExactQuotient

    for key in GENERATED:
        derived = derivation.expand(derivation.step(key).symbol)
        difference = (derived - quantity(key)).replace(lambda e: isinstance(e, ExactQuotient),
                                                       lambda e: e.args[0] / e.args[1])
        assert sympy.expand(difference) == 0, key
