"""tapcount's benchmark: every speed figure of the README, measured side by side in one run.

    python benchmarks/run.py            # needs the test extra (torch, numpy)

Prints a Markdown table of medians.  Timing is not asserted anywhere (the tests assert the
structural facts instead: see tests/test_cost.py).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import torch

import analytic
import empirical

LAYER = dict(kernel_size=16, stride=8, padding=4)


def median_seconds(statement, number: int, repeat: int = 7, **names) -> float:
    """Median over ``repeat`` runs of the time per call, each run averaging ``number`` calls.

    ``statement`` is a string (timed as written, with ``names`` as globals: no wrapper call) or
    a callable."""
    times = timeit.repeat(statement, number=number, repeat=repeat, globals=names or None)
    return statistics.median(times) / number


def fresh_interpreter(code: str, runs: int = 11) -> float:
    """Median wall time of ``python -c code`` in a fresh interpreter."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    torch.set_num_threads(1)
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, target: str = "") -> None:
        rows.append((what, value, target))
        print(f"{what:<70} {value:>16}  {target}", file=sys.stderr)

    # 1. single counts, at a short and a long input
    for name in ("additions_per_filter", "exact_additions_per_filter"):
        for n in (16, 10**6):
            t = median_seconds("f(n, 16, 8, 4)", number=200_000, f=getattr(analytic, name), n=n)
            row(f"analytic.{name} (k16 s8 p4), length {n:,}", f"{t * 1e9:,.0f} ns", "<= 1 µs")
    layer = analytic.ConvTranspose1d(512, 256, **LAYER)
    for convention in analytic.CONVENTIONS:
        t = median_seconds("layer.ops(shape, c)", number=50_000, layer=layer, shape=(1, 512, 100), c=convention)
        row(f"layer.ops(..., {convention!r})", f"{t * 1e6:,.2f} µs", "<= 5 µs")

    # 2. the torch all-ones method against the closed form
    for n in (16, 1024, 65_536, 1_048_576):
        a = median_seconds("f(n, 16, 8, 4)", number=50_000, f=analytic.additions_per_filter, n=n)
        calls = max(3, 2000 // max(1, n // 256))
        e = median_seconds(lambda n=n: empirical.additions_per_filter(n, **LAYER), number=calls, repeat=5)
        assert analytic.additions_per_filter(n, **LAYER) == empirical.additions_per_filter(n, **LAYER)
        row(f"torch all-ones / analytic, length {n:,}", f"{e / a:,.0f}x",
            f"({e * 1e6:,.0f} µs / {a * 1e9:,.0f} ns) >= 100x at 16, linear in length")

    # 3. measuring a real HiFi-GAN upsampler layer against counting it
    module = torch.nn.ConvTranspose1d(512, 256, **LAYER)
    e = median_seconds(lambda: empirical.ops(module, (1, 512, 100)), number=3, repeat=5)
    a = median_seconds("layer.ops(shape)", number=50_000, layer=layer, shape=(1, 512, 100))
    assert empirical.ops(module, (1, 512, 100)) == layer.ops((1, 512, 100))
    row("empirical.ops(real 512->256 k16 s8 p4, length 100) / layer.ops", f"{e / a:,.0f}x",
        f"({e * 1e3:,.1f} ms / {a * 1e6:,.2f} µs) >= 1000x")

    # 4. the vectorized sweep on 10**6 random configurations
    rng = np.random.default_rng(0)
    size = 10**6
    s = rng.integers(1, 13, size)
    d = rng.integers(1, 13, size)
    k = rng.integers(1, 17, size)
    g = rng.integers(1, 5, size)
    config = dict(in_channels=g * rng.integers(1, 65, size), out_channels=g * rng.integers(1, 65, size),
                  groups=g, kernel_size=k, stride=s, dilation=d,
                  output_padding=(rng.random(size) * np.maximum(s, d)).astype(np.int64),
                  padding=rng.integers(0, 41, size), length=rng.integers(1, 10**5, size),
                  batch=rng.integers(1, 9, size), bias=rng.random(size) < 0.5)
    analytic.sweep(**config, on_invalid="mask")  # warm-up
    t = median_seconds(lambda: analytic.sweep(**config, on_invalid="mask"), number=1, repeat=5)
    row("analytic.sweep, 10**6 random configurations", f"{size / t:,.0f} configs/s", ">= 10**6/s")

    # 5. the model level: per operator call against torch's own counter on a real forward (5,000
    # additions of small tensors, where the call's overhead is all there is), then a whole-model
    # profile (meta device, warm) against a real forward, for every model of tests/models.py at
    # the sizes it is run at (the published widths where the test model is reduced)
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from torch.utils.flop_counter import FlopCounterMode

    from analytic.profiling import kept, replay
    from tests import models

    class Additions(torch.nn.Module):
        def forward(self, x):
            for _ in range(5000):
                x = x + 1
            return x

    adds, small = Additions(), torch.ones(4, 4)

    def counted():
        with FlopCounterMode(display=False), torch.no_grad():
            adds(small)

    analytic.profile(adds, (4, 4))
    ours = median_seconds(lambda: analytic.profile(adds, (4, 4)), number=1, repeat=5) / 5000
    theirs = median_seconds(counted, number=1, repeat=5) / 5000
    row("per operator call: analytic.profile (meta) / FlopCounterMode (real forward)",
        f"{ours * 1e6:,.1f} µs / {theirs * 1e6:,.1f} µs ({ours / theirs:.2f})", "<= 2")
    torch.set_num_threads(2)
    cases = [
        ("HiFi-GAN V1", models.hifigan_generator(), (1, 80, 100), None),
        ("HiFi-GAN V1, weight-normalised", models.hifigan_generator_weight_norm(), (1, 80, 100), None),
        ("MelGAN", models.melgan_generator(), (1, 80, 100), None),
        ("DCGAN generator", models.dcgan_generator(), (16, 100, 1, 1), None),
        ("U-Net (ConvTranspose2d)", models.unet(), (1, 1, 256, 256), None),
        ("filterbank decoder", models.filterbank_decoder(), (1, 512, 2000), None),
        ("ResNet-18", models.ResNet(widths=(64, 128, 256, 512)).eval(), (1, 3, 224, 224), None),
        ("MobileNetV2", models.mobilenet_v2(), (1, 3, 224, 224), None),
        ("MobileNet (test widths)", models.mobilenet(), (1, 3, 224, 224), None),
        ("U-Net (bilinear upsampling)", models.InterpolatingUNet(base=32).eval(), (1, 1, 256, 256), None),
        ("language model (4 x 256, fused attention)", models.LanguageModel(5000, 256, 4, 4, 1024).eval(), (1, 512),
         torch.long),
        ("bidirectional LSTM", models.recurrent(), (1, 500, 40), None),
        ("spectrogram masker (istft)", models.spectrogram_masker(), (1, 2, 257, 100), None),
    ]
    for label, model, shape, dtype in cases:
        x = torch.zeros(shape, dtype=dtype) if dtype is not None else torch.randn(shape)
        dtypes = [dtype] if dtype is not None else None
        analytic.profile(model, shape, dtypes=dtypes)  # the first meta operation of a process costs more
        profile_s = median_seconds(lambda model=model, shape=shape, dtypes=dtypes: analytic.profile(
            model, shape, dtypes=dtypes), number=1, repeat=9)

        def cold(model=model, shape=shape, dtypes=dtypes):  # no call seen before, no copy kept
            replay.clear()
            kept.clear()
            analytic.profile(model, shape, dtypes=dtypes)

        cold_s = median_seconds(cold, number=1, repeat=9)

        def forward(model=model, x=x):
            with torch.no_grad():
                model(x)

        def torch_counter(model=model, x=x):
            with FlopCounterMode(display=False), torch.no_grad():
                model(x)

        forward(model)
        forward_s = median_seconds(forward, number=1, repeat=9)
        counter_s = median_seconds(torch_counter, number=1, repeat=9)
        size = "x".join(map(str, shape))
        row(f"analytic.profile({label}, {size}), warm / real CPU forward",
            f"{profile_s * 1e3:,.1f} ms / {forward_s * 1e3:,.1f} ms ({profile_s / forward_s:.2f})",
            f"<= 1/3; no call seen before: {cold_s * 1e3:,.1f} ms ({cold_s / forward_s:.2f});"
            f" FlopCounterMode on the forward: {counter_s / forward_s:.2f}")
    # a training step: the forward and backward profile against a real forward and backward
    training = [
        ("HiFi-GAN V1", models.hifigan_generator(), (1, 80, 100), None),
        ("U-Net (ConvTranspose2d)", models.unet(), (1, 1, 256, 256), None),
        ("ResNet-18, training mode", models.ResNet(widths=(64, 128, 256, 512)).train(), (8, 3, 224, 224), None),
        ("U-Net (bilinear upsampling)", models.InterpolatingUNet(base=32).train(), (2, 1, 256, 256), None),
        ("language model (4 x 256, fused attention)", models.LanguageModel(5000, 256, 4, 4, 1024), (1, 512),
         torch.long),
        ("bidirectional LSTM", models.recurrent(), (1, 500, 40), None),
    ]
    for label, model, shape, dtype in training:
        x = torch.zeros(shape, dtype=dtype) if dtype is not None else torch.randn(shape)
        dtypes = [dtype] if dtype is not None else None
        analytic.profile(model, shape, dtypes=dtypes, backward=True)
        profile_s = median_seconds(lambda model=model, shape=shape, dtypes=dtypes: analytic.profile(
            model, shape, dtypes=dtypes, backward=True), number=1, repeat=5)

        def step(model=model, x=x):
            model.zero_grad(set_to_none=True)
            out = model(x)
            (out if isinstance(out, torch.Tensor) else out[0]).sum().backward()

        step()
        step_s = median_seconds(step, number=1, repeat=5)
        size = "x".join(map(str, shape))
        row(f"analytic.profile({label}, {size}, backward=True), warm / real CPU forward and backward",
            f"{profile_s * 1e3:,.1f} ms / {step_s * 1e3:,.1f} ms ({profile_s / step_s:.2f})", "<= 1/3")
    torch.set_num_threads(1)
    # the command line in a fresh process: torch's import and its first meta operation included
    command = [sys.executable, "-m", "analytic", "profile", f"{root / 'tests' / 'models.py'}:hifigan_generator",
               "--input-shape", "1,80,100", "--format", "json"]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=root)
        times.append(time.perf_counter() - start)
    torch_import = fresh_interpreter("import torch", runs=3)
    row("tapcount profile (HiFi-GAN V1, 1x80x100), cold process", f"{statistics.median(times):.2f} s",
        f"of which import torch {torch_import:.2f} s")

    # the cost as a formula of the input's sizes, derived in a fresh process (torch imported before
    # the clock starts): the symbolic pass, the admission of small sizes, the exact formulas and the
    # simplified form
    derive = ("import sys, time, torch; sys.path.insert(0, {root!r}); import analytic; from tests import models; "
              "m = models.{factory}(); t = time.perf_counter(); "
              "f = analytic.profile(m, {shape!r}, dtypes={dtypes}); "
              "s = f.simplified(); print(time.perf_counter() - t, s.formula('flops'))")
    for label, factory, shape, dtypes in (
            ("HiFi-GAN V1", "hifigan_generator", (1, 80, "L"), None),
            ("HiFi-GAN V1, weight-normalised", "hifigan_generator_weight_norm", (1, 80, "L"), None),
            ("MobileNetV2 (published width)", "mobilenet_v2", (1, 3, "H", "W"), None),
            ("ResNet-18", "resnet", (1, 3, "H", "W"), None),
            ("transformer language model, token ids", "language_model", (1, "T"), "[torch.long]"),
            ("U-Net upsampling bilinearly", "interpolating_unet", (1, 1, "H", "W"), None)):
        code = derive.format(root=str(root), factory=factory, shape=shape, dtypes=dtypes)
        runs = [subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                               cwd=root).stdout.split(" ", 1) for _ in range(3)]
        seconds = statistics.median(float(r[0]) for r in runs)
        formula = runs[0][1].strip()
        if len(formula) > 60:
            formula = formula[:57] + "..."
        row(f"formula of {label}, {'x'.join(map(str, shape))}, derived and simplified, fresh process",
            f"{seconds:.2f} s ({formula})", "<= 10 s")

    # 6. import cost, in fresh interpreters
    bare = fresh_interpreter("pass")
    imported = fresh_interpreter("import analytic")
    row("import analytic, above a bare interpreter", f"{(imported - bare) * 1e3:,.1f} ms", "<= 50 ms")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, analytic; print([m for m in ('torch', 'sympy', 'numpy') "
         "if m in sys.modules])"], capture_output=True, text=True, check=True).stdout.strip()
    row("modules loaded by import analytic (torch, sympy, numpy)", loaded, "[]")

    # 7. every symbolic expression, built in a fresh interpreter after the import
    code = ("import time, analytic.symbolic as S; t = time.perf_counter();"
            "[S.quantity(st.key) for st in S.steps()];"
            "[S.ops(c, b) for c in ('moduleprofiler','exact','macs','flops','ptflops','thop','torchinfo')"
            " for b in (True, False, None)];"
            "[S.specialise(S.quantity(q), r) for r in S.REGIMES for q in"
            " ('additions_per_filter', 'exact_additions_per_filter')];"
            "print(time.perf_counter() - t)")
    builds = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   check=True).stdout) for _ in range(5)]
    row("build every symbolic expression (after import)", f"{statistics.median(builds) * 1e3:,.0f} ms",
        "<= 2 s")

    print("| measurement | median | target |")
    print("|---|---:|---|")
    for what, value, target in rows:
        print(f"| {what} | {value} | {target} |")


if __name__ == "__main__":
    main()
