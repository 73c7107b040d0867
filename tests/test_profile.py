"""analytic.profile: whole models on the meta device, checked against real forwards on torch."""

import copy
import json

import pytest
import torch

import analytic
import empirical
from tests import models
from tests.test_derivations import _pdflatex


def _measured_on_a_real_forward(model, *inputs):
    """(module, input shape) of every transposed-convolution call of a real forward."""
    calls = []
    handles = [m.register_forward_hook(lambda mod, args, out: calls.append((mod, tuple(args[0].shape))))
               for m in model.modules()
               if isinstance(m, (torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d, torch.nn.ConvTranspose3d))]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return calls


@pytest.fixture(scope="module")
def hifigan():
    return models.hifigan_generator()


def test_hifigan_profile_equals_empirical_ops_of_a_real_forward(hifigan):
    shape = (1, 80, 100)
    prof = analytic.profile(hifigan, shape)
    calls = _measured_on_a_real_forward(hifigan, torch.randn(shape))
    assert [r.name for r in prof.counted] == ["ups.0", "ups.1", "ups.2", "ups.3"]
    for convention in analytic.CONVENTIONS:
        measured = sum(empirical.ops(module, s, convention) for module, s in calls)
        assert prof.total[convention] == measured, convention
    # shapes: 100 frames upsampled by 8, 8, 2, 2
    assert [r.output_shape for r in prof.counted] == [(1, 256, 800), (1, 128, 6400), (1, 64, 12800),
                                                      (1, 32, 25600)]
    # every other leaf module is listed, not dropped: conv_pre, 12 resblocks x 6 convs, conv_post
    not_counted = [r for r in prof.rows if not r.counted]
    assert len(not_counted) == 1 + 12 * 6 + 1
    assert {r.type for r in not_counted} == {"Conv1d"}


def test_weight_normalised_generator_is_counted_like_the_plain_one(hifigan):
    # the published HiFi-GAN wraps every convolution in weight_norm: a parametrized module with
    # children; it must still be counted, and the weight-norm internals must not become rows
    normalised = models.hifigan_generator_weight_norm()
    prof = analytic.profile(normalised, (1, 80, 100))
    plain = analytic.profile(hifigan, (1, 80, 100))
    assert prof.total == plain.total
    assert [(r.name, r.type) for r in prof.counted] == [(f"ups.{i}", "ConvTranspose1d") for i in range(4)]
    assert [(r.name, r.type) for r in prof.rows] == [(r.name, r.type) for r in plain.rows]
    calls = _measured_on_a_real_forward(normalised, torch.randn(1, 80, 100))
    assert sum(empirical.ops(m, s, "exact") for m, s in calls) == prof.total["exact"]
    with pytest.warns(FutureWarning, match="deprecated"):  # the old style, still common in the wild
        old_style = torch.nn.utils.weight_norm(torch.nn.ConvTranspose1d(8, 4, 16, 8, padding=4))
    assert analytic.profile(torch.nn.Sequential(old_style), (1, 8, 10)).total["exact"] == empirical.ops(
        old_style, (1, 8, 10), "exact")


def test_profile_leaves_the_model_untouched(hifigan):
    before = copy.deepcopy(hifigan.state_dict())
    hooks = sum(len(m._forward_hooks) for m in hifigan.modules())
    analytic.profile(hifigan, (2, 80, 30))
    assert all(torch.equal(before[k], v) for k, v in hifigan.state_dict().items())
    assert all(p.device.type == "cpu" for p in hifigan.parameters())
    assert sum(len(m._forward_hooks) for m in hifigan.modules()) == hooks


def test_profile_with_several_inputs_2d_and_output_size():
    model = models.two_inputs()
    image, signal = torch.randn(1, 4, 5, 6), torch.randn(2, 3, 9)
    prof = analytic.profile(model, example_inputs=(image, signal))
    assert [r.name for r in prof.counted] == ["up", "up", "up1d"]
    assert [r.name for r in prof.rows if not r.counted] == ["act"]
    calls = _measured_on_a_real_forward(model, image, signal)
    # the second call's output_size raises output_padding to 1: counted with it
    assert prof.counted[1].output_shape == (1, 2, 10, 12) != prof.counted[0].output_shape
    for convention in analytic.CONVENTIONS:
        per_call = [empirical.ops(m, s, convention) for m, s in calls[:1] + calls[2:]]
        assert prof.counted[0].counts[convention] == per_call[0]
        assert prof.counted[2].counts[convention] == per_call[1]
    resized = analytic.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert prof.counted[1].counts["exact"] == resized.ops((1, 4, 5, 6), "exact")
    # shapes instead of tensors work too
    again = analytic.profile(model, example_inputs=((1, 4, 5, 6), (2, 3, 9)))
    assert again.total == prof.total
    # one shape alone is one input, not four
    single = analytic.profile(models.broken(), example_inputs=(1, 2, 47))  # 2 x 49 outputs: view works
    assert single.total == analytic.profile(models.broken(), (1, 2, 47)).total
    assert single.counted[0].input_shape == (1, 2, 47)


def test_profile_reports_a_failing_forward_and_leaves_the_model_alone():
    model = models.broken()
    with pytest.raises(RuntimeError, match="forward pass on the meta device failed"):
        analytic.profile(model, (1, 2, 10))
    assert model.up.weight.device.type == "cpu" and not model.up._forward_hooks


def test_profile_argument_errors():
    model = models.broken()
    with pytest.raises(ValueError, match="exactly one of input_shape and example_inputs"):
        analytic.profile(model)
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got int"):
        analytic.profile(42, (1, 2, 3))
    with pytest.raises(ValueError, match="convention"):
        analytic.profile(model, (1, 2, 3), conventions=("nope",))


def test_profile_exports(hifigan, tmp_path):
    prof = analytic.profile(hifigan, (1, 80, 100))
    document = json.loads(prof.to_json())
    assert document["total"] == prof.total and len(document["rows"]) == len(prof.rows)
    csv_lines = prof.to_csv().splitlines()
    assert csv_lines[0].startswith("layer,type,input_shape,output_shape,counted,moduleprofiler")
    assert csv_lines[-1].startswith("total,") and csv_lines[-1].endswith(str(prof.total["torchinfo"]))
    markdown = prof.to_markdown()
    assert "| ups.0 | ConvTranspose1d | 1×512×100 | 1×256×800 |" in markdown
    assert "not counted" in markdown
    _pdflatex(tmp_path, "profile", "\\documentclass{article}\n\\usepackage[a3paper,landscape]{geometry}\n"
              "\\usepackage{booktabs}\n\\begin{document}\n\\tiny\n" + prof.to_latex() + "\n\\end{document}\n")
