"""The tapcount command line, end to end: this tree's ``analytic.cli.main`` run in-process (and once
through ``python -m analytic``), never whatever ``tapcount`` happens to be first on PATH."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import analytic
from analytic import symbolic
from tests.helpers import pdflatex as _pdflatex
from tests.helpers import tapcount

ROOT = Path(__file__).resolve().parents[1]
HIFI = ["--in-channels", "512", "--out-channels", "256", "--kernel-size", "16", "--stride", "8",
        "--padding", "4", "--length", "100"]


def test_the_module_entry_point_runs_this_tree():
    result = subprocess.run([sys.executable, "-m", "analytic", "count", *HIFI, "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["layers"][0]["counts"]["exact"] == 417_333_248


def test_count_table_shows_every_convention_and_quantity():
    out = tapcount("count", *HIFI).stdout
    expected = analytic.ConvTranspose1d(512, 256, 16, stride=8, padding=4).breakdown((1, 512, 100))
    for key, value in expected.items():
        assert any(line.split()[0] == key and line.split()[-1] == f"{value:,}" for line in out.splitlines()), key


def test_count_json_is_machine_readable():
    document = json.loads(tapcount("count", *HIFI, "--no-bias", "--batch", "3", "--format", "json").stdout)
    assert document["format"] == "tapcount-count" and document["version"] == 1
    assert document["conventions"] == list(analytic.CONVENTIONS)
    (layer,) = document["layers"]
    spec = analytic.ConvTranspose1d(512, 256, 16, stride=8, padding=4, bias=False)
    assert layer["counts"] == spec.breakdown((3, 512, 100))
    assert layer["config"]["bias"] is False


def test_count_markdown_and_latex(tmp_path):
    markdown = tapcount("count", *HIFI, "--format", "markdown").stdout
    assert markdown.splitlines()[0] == "| quantity | layer |"
    assert "| exact | 417,333,248 |" in markdown
    latex = tapcount("count", *HIFI, "--format", "latex").stdout
    assert r"\begin{tabular}" in latex
    _pdflatex(tmp_path, "count", "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
              + latex + "\n\\end{document}\n")


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_count_several_layers_from_a_file_with_a_total(tmp_path, suffix):
    layers = [dict(name="up1", in_channels=512, out_channels=256, kernel_size=16, stride=8, padding=4, length=100),
              dict(name="up2", in_channels=256, out_channels=128, kernel_size=4, stride=2, padding=1,
                   length=800, bias=False, batch=2)]
    path = tmp_path / f"model{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps({"layers": layers}))
    else:
        path.write_text("\n".join(
            "[[layers]]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in layer.items()) for layer in layers))
    document = json.loads(tapcount("count", "--layers", str(path), "--format", "json").stdout)
    specs = [analytic.ConvTranspose1d(512, 256, 16, stride=8, padding=4).ops((1, 512, 100), "exact"),
             analytic.ConvTranspose1d(256, 128, 4, stride=2, padding=1, bias=False).ops((2, 256, 800), "exact")]
    assert [layer["counts"]["exact"] for layer in document["layers"]] == specs
    assert document["total"]["exact"] == sum(specs)
    table = tapcount("count", "--layers", str(path)).stdout
    assert table.splitlines()[0].split() == ["quantity", "up1", "up2", "total"]
    assert f"{sum(specs):,}" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["count", "--kernel-size", "3", "--length", "2", "--padding", "5"], "output length (-6) must be at least 1"),
        (["count", "--kernel-size", "3", "--length", "4", "--stride", "2", "--output-padding", "2"],
         "output_padding (2) must be smaller than stride (2) or dilation (1)"),
        (["count", "--kernel-size", "3", "--length", "4", "--groups", "2", "--in-channels", "3"],
         "in_channels (3) must be divisible by groups (2)"),
        (["count", "--kernel-size", "x", "--length", "4"], "argument --kernel-size: invalid int value: 'x'"),
        (["count", "--length", "4"], "--kernel-size and --length are required"),
        (["derive", "--kernel-size", "0"], "kernel_size (0) must be positive"),
        (["derive", "--padding", "-1", "--format", "text"], "padding (-1) must be non-negative"),
        (["verify", "--length", "5:2"], "range '5:2' is empty"),
        (["figure", "--kernel-size", "3", "--length", "2", "--out", "x.pdf"], "must end in .tex, .png or .svg"),
        (["figure", "--kernel-size", "3", "--length", "500", "--out", "x.png"], "a figure draws at most"),
        (["count", "--layers", "/nonexistent/model.json"], "--layers /nonexistent/model.json: no such regular file"),
        (["count", "--layers", "/dev/zero"], "--layers /dev/zero: no such regular file"),
        (["verify", "--output-padding", "3:1"], "--output-padding: range '3:1' is empty"),
        (["verify", "--length", "10000000", "--stride", "8"], "verify runs torch on outputs of at most 10,000,000"),
        (["figure", "--kernel-size", "30", "--length", "20", "--out", "x.png"], "and 400 taps; this configuration"),
        (["figure", "--kernel-size", "3", "--length", "2", "--out", "/nonexistent/dir/x.tex"], "No such file"),
    ],
)
def test_errors_are_one_line_with_status_2(args, message, tmp_path):
    result = tapcount(*args, check=False, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("command", ["count", "derive", "verify", "figure", "profile"])
def test_help_shows_an_example(command):
    out = tapcount(command, "--help").stdout
    assert "example" in out and f"tapcount {command}" in out


def test_derive_prints_the_closed_forms_in_every_format(tmp_path):
    assert tapcount("derive").stdout.strip() == symbolic.latex(symbolic.additions_per_filter())
    text = tapcount("derive", "--quantity", "exact_additions_per_filter", "--format", "text").stdout.strip()
    assert text == str(symbolic.exact_additions_per_filter())
    js = tapcount("derive", "--convention", "exact", "--no-bias", "--format", "json").stdout
    assert symbolic.from_json(js) == symbolic.ops("exact", bias=False)
    # specialised: kernel_size 16, stride 8, padding 4 substituted, the rest symbolic
    special = tapcount("derive", "--kernel-size", "16", "--stride", "8", "--padding", "4",
                       "--format", "json").stdout
    expr = symbolic.from_json(special)
    assert {s.name for s in expr.free_symbols} == {"length", "output_padding", "dilation"}
    assert symbolic.evaluate(expr, length=100) == analytic.additions_per_filter(100, 16, 8, 4)
    source = tapcount("derive", "--quantity", "exact_additions_per_filter", "--format", "python").stdout
    namespace = {}
    exec(compile(source, "<derive>", "exec"), namespace)
    assert namespace["exact_additions_per_filter"](9, 7, 4, 9, 3, 6) == analytic.exact_additions_per_filter(
        9, 7, 4, 9, 3, 6)
    c = tapcount("derive", "--quantity", "exact_additions_per_filter", "--format", "c").stdout
    (tmp_path / "e.c").write_text(c + "\n#include <stdio.h>\nint main(void) { printf(\"%lld\\n\", "
                                  "(long long)exact_additions_per_filter(9, 7, 4, 9, 3, 6)); return 0; }\n")
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-o", str(tmp_path / "e"), str(tmp_path / "e.c")],
                   check=True)
    run = subprocess.run([str(tmp_path / "e")], capture_output=True, text=True, check=True)
    assert int(run.stdout) == analytic.exact_additions_per_filter(9, 7, 4, 9, 3, 6)


def test_derive_out_regenerates_the_documents(tmp_path):
    printed = tapcount("derive", "--out", str(tmp_path)).stdout.split()
    assert sorted(Path(p).name for p in printed) == ["derivation.md", "derivation.tex", "figure1.tex"]
    for name in ("derivation.md", "derivation.tex", "figure1.tex"):
        assert (tmp_path / name).read_text() == (ROOT / "derivations" / name).read_text()


def test_verify_passes_and_summarises():
    result = tapcount("verify", "--samples", "300", "--seed", "3")
    assert result.stdout.startswith("checked 300 configurations, 0 mismatches")
    exhaustive = tapcount("verify", "--exhaustive", "--length", "1:6", "--kernel-size", "1:4", "--stride", "1:3",
                          "--dilation", "1:3", "--padding", "0:3", "--no-progress")
    assert ", 0 mismatches" in exhaustive.stdout


@pytest.mark.slow
def test_verify_reports_a_mismatch_as_pasteable_options():
    # A deliberately wrong closed form (off by one whenever padding > 0) must be caught.
    code = (
        "import sys, analytic.core.transposed as c\n"
        "right = c.additions_per_filter\n"
        "c.additions_per_filter = lambda *a: right(*a) + (a[3] > 0)\n"
        "from analytic.cli import main\n"
        "sys.exit(main(['verify', '--samples', '200', '--no-progress']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("first mismatch: "))
    options = line.removeprefix("first mismatch: ").split()
    assert int(options[options.index("--padding") + 1]) > 0
    pasted = tapcount("count", *options, "--format", "json")  # the options paste back
    assert json.loads(pasted.stdout)["layers"][0]["counts"]["output_length"] >= 1


def test_verify_without_torch_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from analytic.cli import main\nsys.exit(main(['verify']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == "tapcount verify needs torch: pip install 'tapcount[torch]'"


def test_figure_tikz_compiles(tmp_path):
    out = tmp_path / "figure.tex"
    tapcount("figure", "--length", "4", "--kernel-size", "3", "--stride", "2", "--padding", "2",
             "--output-padding", "1", "--dilation", "2", "--out", str(out))
    _pdflatex(tmp_path, "figure", out.read_text())


def test_figure_png_and_svg_are_valid_images(tmp_path):
    import matplotlib.image

    png = tmp_path / "taps.png"
    printed = tapcount("figure", "--length", "2", "--kernel-size", "3", "--out", str(png)).stdout.strip()
    assert printed == str(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(png)
    assert image.shape[0] > 200 and image.shape[1] > 400
    assert image.std() > 0.05  # not a blank canvas
    svg = tmp_path / "gap.svg"
    tapcount("figure", "--length", "3", "--kernel-size", "2", "--stride", "3", "--output-padding", "2",
             "--out", str(svg))
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_profile_command_prints_the_table_in_every_format(tmp_path):
    target = f"{ROOT / 'tests' / 'models.py'}:hifigan_generator"
    document = json.loads(tapcount("profile", target, "--input-shape", "1,80,100", "--format", "json").stdout)
    from tests.models import hifigan_generator

    expected = analytic.profile(hifigan_generator(), (1, 80, 100))
    assert document["total"] == expected.total
    text = tapcount("profile", target, "--input-shape", "1,80,100").stdout
    assert text.splitlines()[0].split()[:4] == ["layer", "type", "input", "output"]
    assert f"{expected.total['exact']:,}" in text.splitlines()[-1]
    assert tapcount("profile", target, "--input-shape", "1,80,100", "--format", "csv").stdout == expected.to_csv()
    assert "| ups.3 | ConvTranspose1d |" in tapcount("profile", target, "--input-shape", "1,80,100",
                                                     "--format", "markdown").stdout
    latex = tapcount("profile", target, "--input-shape", "1,80,100", "--format", "latex").stdout
    _pdflatex(tmp_path, "profile", "\\documentclass{article}\n\\usepackage[a3paper,landscape]{geometry}\n"
              "\\usepackage{booktabs}\n\\begin{document}\n\\tiny\n" + latex + "\n\\end{document}\n")
    two = tapcount("profile", f"{ROOT / 'tests' / 'models.py'}:two_inputs", "--input-shape", "1,4,5,6",
                   "--input-shape", "2,3,9", "--format", "json").stdout
    rows = json.loads(two)["rows"]
    assert [r["name"] for r in rows if r["op"] == "aten::convolution"] == ["up", "up", "up1d"]
    assert [r["op"] for r in rows if r["name"] == "act"] == ["aten::relu"] and json.loads(two)["uncounted"] == {}


@pytest.mark.parametrize(
    ("target", "shape", "status", "message"),
    [
        ("models.py:not_a_model", "1,2", 2, "returned int, not a torch.nn.Module"),
        ("models.py:broken", "1,2,10", 2, "forward pass on the meta device failed"),
        ("models.py:nothing_here", "1,2", 2, "has no function 'nothing_here'"),
        ("missing.py:f", "1,2", 2, "does not exist"),
        ("models.py", "1,2", 2, "must be FILE.py:FACTORY"),
        ("models.py:broken", "1,2.5", 2, "must be comma-separated integers, size names or expressions of them"),
        ("models.py:broken", "1,2,L", 2, "forward pass on symbolic sizes failed"),
        ("models.py:energy_gate", "1,4,T", 2, "profile the model at a numeric size instead"),
    ],
)
def test_profile_command_errors(target, shape, status, message):
    result = tapcount("profile", target, "--input-shape", shape, check=False, cwd=ROOT / "tests")
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_derive_refuses_a_quantity_with_a_convention():
    result = tapcount("derive", "--quantity", "taps_kept", "--convention", "macs", check=False)
    assert result.returncode == 2
    assert "--convention gives a module total (--quantity ops), not --quantity taps_kept" in result.stderr
    assert tapcount("derive", "--quantity", "ops", "--convention", "macs", "--format", "text").stdout.strip() == str(
        symbolic.ops("macs"))


def _model_file(tmp_path, text, name="user_model.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("def build():\n    return {}['missing']\n", "build", "build() raised KeyError: 'missing'"),
        ("def build(:\n", "build", "importing {path} failed: SyntaxError"),
        ("x = 1\0\n", "build", "importing {path} failed:"),
        ("raise RuntimeError('line one\\nline two')\n", "build", "failed: RuntimeError: line one"),
        ("import torch\ndef build():\n    return torch.nn.Conv1d(3, 4, 5)\n", "build",
         "forward pass on the meta device failed"),  # the model rejects the input shape 1,2,10
    ],
)
def test_profile_errors_in_the_users_file_are_one_line_with_status_2(tmp_path, source, target, message):
    path = _model_file(tmp_path, source)
    result = tapcount("profile", f"{path}:{target}", "--input-shape", "1,2,10", check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message.format(path=path) in result.stderr


def test_profile_target_must_be_a_python_file(tmp_path):
    path = _model_file(tmp_path, "def build(): pass\n", name="model.txt")
    result = tapcount("profile", f"{path}:build", "--input-shape", "1,2", check=False)
    assert result.returncode == 2 and "must be a Python file" in result.stderr


def test_profile_imports_the_factory_file_like_python_and_restores_the_path(tmp_path):
    # a factory next to its model code imports it as Python would when running the file
    (tmp_path / "my_layers.py").write_text(
        "import torch\n\ndef upsampler():\n    return torch.nn.ConvTranspose1d(4, 2, 8, stride=4, padding=2)\n")
    path = _model_file(tmp_path, "import my_layers\n\ndef build():\n    return my_layers.upsampler()\n")
    before = list(sys.path)
    document = json.loads(tapcount("profile", f"{path}:build", "--input-shape", "1,4,10", "--format", "json").stdout)
    assert sys.path == before
    assert document["total"]["exact"] == analytic.ConvTranspose1d(4, 2, 8, stride=4, padding=2).ops((1, 4, 10),
                                                                                                      "exact")


def test_a_closed_pipe_exits_quietly():
    # `tapcount count ... | head -1`: the reader leaves after one line
    result = subprocess.run(f"{sys.executable} -m analytic count {' '.join(HIFI)} | head -1",
                            shell=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.startswith("quantity") and result.stderr == ""


def test_layer_file_errors_name_its_keys(tmp_path):
    path = tmp_path / "layers.json"
    path.write_text(json.dumps([{"kernel_size": 3, "length": 0}]))
    result = tapcount("count", "--layers", str(path), check=False)
    assert result.returncode == 2 and "length (0) must be positive" in result.stderr, result.stderr
    path.write_text(json.dumps([{"kernel_size": 3, "length": 4, "batch": -1}]))
    assert "batch (-1) must be positive" in tapcount("count", "--layers", str(path), check=False).stderr


def test_layer_names_are_escaped_in_latex_and_markdown(tmp_path):
    path = tmp_path / "layers.json"
    names = ["a|b", "c\\d^e~f_g"]
    path.write_text(json.dumps([{"name": n, "kernel_size": 3, "length": 4} for n in names]))
    markdown = tapcount("count", "--layers", str(path), "--format", "markdown").stdout
    assert markdown.splitlines()[0] == r"| quantity | a\|b | c\\d^e~f_g | total |"
    assert all(line.count("|") - line.count(r"\|") == 5 for line in markdown.splitlines())
    latex = tapcount("count", "--layers", str(path), "--format", "latex").stdout
    assert r"a$|$b & c\textbackslash{}d\textasciicircum{}e\textasciitilde{}f\_g" in latex
    _pdflatex(tmp_path, "names", "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
              + latex + "\n\\end{document}\n")


def test_verify_streams_its_configurations():
    # a billion samples would take hours: the first configurations are checked as they are drawn
    from analytic.cli.verify import configurations

    stream = configurations({"length": (1, 10), "kernel_size": (1, 4), "stride": (1, 3), "dilation": (1, 2),
                             "padding": (0, 2)}, samples=10**9, seed=0, exhaustive=False, output_padding=None)
    first = [next(stream) for _ in range(3)]
    assert len(first) == 3 and all(c["length"] >= 1 for c in first)


@pytest.mark.parametrize(("values", "message"), [
    # once every value of a rule is given (the others stay symbolic, and could still make it valid)
    (["--length", "1", "--kernel-size", "1", "--padding", "5", "--stride", "1", "--output-padding", "0",
      "--dilation", "1"], "output length (-9) must be at least 1"),
    (["--length", "3", "--kernel-size", "2", "--stride", "2", "--output-padding", "2", "--padding", "0",
      "--dilation", "1"], "output_padding (2) must be smaller than stride (2)"),
    (["--in-channels", "3", "--out-channels", "4", "--groups", "2"], "in_channels (3) must be divisible by groups (2)"),
    (["--stride", "0"], "stride (0) must be positive"),
])
def test_derive_refuses_the_configurations_torch_refuses(values, message):
    result = tapcount("derive", "--convention", "exact", "--format", "text", *values, check=False)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_profile_command_prints_totals_per_module_to_a_depth():
    target = f"{ROOT / 'tests' / 'models.py'}:resnet"
    text = tapcount("profile", target, "--input-shape", "1,3,32,32", "--depth", "1").stdout.splitlines()
    from tests.models import resnet

    expected = analytic.profile(resnet(), (1, 3, 32, 32)).by_module(1)
    assert text[0].split()[:3] == ["module", "type", "moduleprofiler"]
    assert [line.split()[0] for line in text[2:]] == ["(model)"] + [m.name for m in expected[1:]]
    assert f"{expected[0].counts['flops']:,}" in text[2]
    markdown = tapcount("profile", target, "--input-shape", "1,3,32,32", "--depth", "2", "--format", "markdown").stdout
    assert "| layers.0 | Sequential |" in markdown
    for options, message in ((("--depth", "-1"), "must be a non-negative int"),
                             (("--depth", "1", "--format", "json"), "--format table, markdown or latex")):
        result = tapcount("profile", target, "--input-shape", "1,3,32,32", *options, check=False)
        assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_profile_command_falls_back_to_the_cpu_with_a_one_line_warning():
    target = f"{ROOT / 'tests' / 'models.py'}:frame_selector"
    result = tapcount("profile", target, "--input-shape", "1,4,30", "--format", "json")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tapcount profile: warning: aten::")
    assert "needs tensor values" in result.stderr
    document = json.loads(result.stdout)
    assert document["device"] == "cpu"
    assert [r["name"] for r in document["rows"] if r["op"] == "aten::convolution"] == ["conv", "out"]
    direct = tapcount("profile", target, "--input-shape", "1,4,30", "--format", "json", "--device", "cpu")
    assert direct.stderr == "" and json.loads(direct.stdout)["total"] == document["total"]


def test_count_layer_files_of_every_type(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text('[[layers]]\nname = "pre"\ntype = "Conv1d"\nin_channels = 80\nout_channels = 512\n'
                    'kernel_size = 7\npadding = 3\nlength = 100\n\n'
                    '[[layers]]\nname = "up"\nin_channels = 512\nout_channels = 256\nkernel_size = 16\nstride = 8\n'
                    'padding = 4\nlength = 100\n\n'
                    '[[layers]]\nname = "head"\ntype = "Linear"\nin_features = 256\nout_features = 10\nbatch = 800\n')
    document = json.loads(tapcount("count", "--layers", str(path), "--format", "json").stdout)
    expected = [analytic.Conv1d(80, 512, 7, padding=3).ops((1, 80, 100), "exact"),
                analytic.ConvTranspose1d(512, 256, 16, stride=8, padding=4).ops((1, 512, 100), "exact"),
                analytic.Linear(256, 10).ops((800, 256), "exact")]
    assert [layer["counts"]["exact"] for layer in document["layers"]] == expected
    assert document["total"]["exact"] == sum(expected)
    table = tapcount("count", "--layers", str(path)).stdout
    assert table.splitlines()[0].split() == ["quantity", "pre", "up", "head", "total"]
    path.write_text('[[layers]]\ntype = "Conv5d"\nkernel_size = 3\nlength = 4\n')
    result = tapcount("count", "--layers", str(path), check=False)
    assert result.returncode == 2 and "type ('Conv5d') must be one of ConvTranspose1d, Conv1d, Linear" in result.stderr


@pytest.mark.slow
def test_profile_command_prints_the_formula_of_a_named_size():
    """The Python function the command prints, evaluated, equals torch's counter on a real forward;
    the conditions are checked."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    target = f"{ROOT / 'tests' / 'models.py'}:melgan_generator"
    source = tapcount("profile", target, "--input-shape", "1,80,L", "--format", "python").stdout
    namespace = {}
    exec(source, namespace)  # the command's own output
    model = __import__("tests.models", fromlist=["melgan_generator"]).melgan_generator()
    for frames in (4, 9):
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.randn(1, 80, frames))
        assert namespace["count"](L=frames) == counter.get_total_flops()
    with pytest.raises(ValueError, match="holds where"):
        namespace["count"](L=3)  # reflection padding 3 needs 4 frames
    table = tapcount("profile", target, "--input-shape", "1,80,L", "--hint", "L=100").stdout
    assert table.startswith("formulas of L; they hold where L >= 4\nsimplified form where L >= 4")
    even = tapcount("profile", target, "--input-shape", "1,80,L", "--multiple-of", "L=2").stdout
    assert even.splitlines()[1] == "simplified form where L >= 4, L % 2 == 0"
    exact = tapcount("profile", target, "--input-shape", "1,80,L", "--format", "c", "--form", "exact",
                     "--convention", "exact").stdout
    assert "int64_t count(int64_t L)" in exact and "count_invalid" in exact
    for options, message in ((("--format", "python"), "needs a named size"), (("--hint", "L=3"), "needs a named size"),
                             (("--hint", "L"), "must be NAME=VALUE"),
                             (("--multiple-of", "L=2", "--form", "exact"), "needs --form simplified")):
        shape = "1,80,20" if "named" in message else "1,80,L"
        result = tapcount("profile", target, "--input-shape", shape, *options, check=False)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_derive_states_the_conditions_a_partial_configuration_leaves():
    # --stride 2 --output-padding 5: torch needs output_padding < max(stride, dilation), so dilation >= 6
    text = tapcount("derive", "--stride", "2", "--output-padding", "5", "--format", "text").stdout
    assert text.splitlines()[-1].startswith("# holds where dilation >= 6")
    latex = tapcount("derive", "--stride", "2", "--output-padding", "5").stdout
    assert latex.splitlines()[-1].startswith("% holds where dilation >= 6")
    document = json.loads(tapcount("derive", "--stride", "2", "--output-padding", "5", "--format", "json").stdout)
    assert document["conditions"][0] == {"op": "GreaterThan", "args": [{"symbol": "dilation"}, {"int": "6"}]}
    # values that no completion makes valid are refused, one line, status 2
    for options, message in ((("--stride", "2", "--output-padding", "5", "--dilation", "1"),
                              "output_padding (5) must be smaller than stride (2) or dilation (1)"),
                             (("--length", "1", "--kernel-size", "1", "--padding", "5", "--output-padding", "0"),
                              "whatever stride, dilation")):
        result = tapcount("derive", *options, check=False)
        assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_profile_command_takes_a_size_as_an_expression_of_another():
    import torch

    from tests.models import conditioned_vocoder

    target = f"{ROOT / 'tests' / 'models.py'}:conditioned_vocoder"
    shapes = ("--input-shape", "1,8,F", "--input-shape", "1,1,16*F-32")
    source = tapcount("profile", target, *shapes, "--format", "python").stdout
    namespace = {}
    exec(source, namespace)  # the command's own output
    frames = 6
    inputs = (torch.randn(1, 8, frames), torch.randn(1, 1, 16 * frames - 32))
    assert namespace["count"](F=frames) == analytic.profile(conditioned_vocoder(), example_inputs=inputs).total["flops"]
    table = tapcount("profile", target, *shapes).stdout
    assert table.startswith("formulas of F; they hold where F >= 3")
    result = tapcount("profile", target, "--input-shape", "1,8,F", "--input-shape", "1,1,F**2", check=False)
    assert result.returncode == 2 and "--input-shape ('1,1,F**2')" in result.stderr
    assert "size 'F**2' must be a name or an expression" in result.stderr
    assert result.stderr.count("\n") == 1
