"""Draws the README's pictures into docs/pictures/: ``python docs/pictures.py``.

Each SVG carries the hash of the numbers it plots (the bars, the curves and the points), so that a
test can tell a picture that no longer shows what tapcount counts (``tests/test_pictures.py``)
without depending on how a matplotlib version draws it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import analytic  # noqa: E402
from tests import models  # noqa: E402

OUT = ROOT / "docs" / "pictures"


def profile_picture():
    """Where HiFi-GAN V1's flops go, per module two levels down, on 100 mel frames."""
    profile = analytic.profile(models.hifigan_generator(), (1, 80, 100))
    return profile.plot("flops", by="module", depth=2, top=12)


def formula_picture():
    """A language model's training step against its sequence length: formula, simplified form and
    the numeric profile of the model at five lengths, in two conventions."""
    model = models.language_model()
    formula = analytic.profile(model, (1, "T"), dtypes=[torch.long], backward=True)
    return formula.plot(("flops", "exact"), model=model, T=range(1, 129))


PICTURES = {"profile.svg": profile_picture, "formula.svg": formula_picture}


def plotted(figure) -> str:
    """The hash of what ``figure`` plots: its bars' lengths and labels, its lines' points."""
    data = []
    for ax in figure.axes:
        data.append([[float(p.get_width()), float(p.get_height())] for p in ax.patches])
        data.append([t.get_text() for t in ax.get_yticklabels()] if ax.patches else [])
        data.append([[list(map(float, line.get_xdata())), list(map(float, line.get_ydata()))]
                     for line in ax.get_lines()])
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in PICTURES.items():
        figure = draw()
        figure.savefig(OUT / name, metadata={"Description": f"tapcount-data {plotted(figure)}", "Date": None},
                       dpi=150)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
