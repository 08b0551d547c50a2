"""artgan.testing's contract checks over every installed plugin, and the checks themselves."""

import io
import json
import random
import re
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from artgan import registry
from artgan.outputs import Output
from artgan.plugin import Graph, Verb, Writer
from artgan.testing import check_declaration, check_losses, check_plugin, make_test_source, output_difference
from lazy_plugin import GenerateOptions as Options
from lazy_plugin import generate as draw

PLUGINS = sorted(name for name, record in registry.discover(refresh=True).items() if record.ok)


@pytest.mark.parametrize("name", PLUGINS)
def test_every_installed_plugin_fulfils_the_contract(name, tmp_path):
    check_plugin(registry.get_plugin(name), tmp_path)


def test_checks_catch_a_broken_plugin(tmp_path):
    from fake_plugins import noloss

    with pytest.raises(AssertionError, match="missing method `loss`"):
        check_declaration(noloss)


def test_checks_catch_a_loss_that_trains_nothing(tmp_path):
    from lazy_plugin import LazyPlugin

    class Detached(LazyPlugin):
        def loss(self, phase, nets, batch, config):
            loss, logs = super().loss(phase, nets, batch, config)
            return loss.detach().requires_grad_(), logs

    plugin = Detached()
    source = make_test_source(plugin, tmp_path, plugin.tiny_config())
    with pytest.raises(AssertionError, match="gives no gradient"):
        check_losses(plugin, plugin.tiny_config(), source)


BROKEN = [
    ("NoTanh", r"outside \[-1, 1\] \(a missing tanh\?\)"),
    ("WrongSize", r"returned \(4, 4\) \(H, W\) but its `size` declares \(8, 8\)"),
    ("WrongChannels", r"returned 1 channel\(s\) but declares channels=\(3,\)"),
    ("IntegerPixels", "must be floating point"),
    ("WrongType", "returned str, but declares output=Images"),
    ("IgnoresSeed", "same seed must give the same output"),
    ("CrashesOnNonsense", "with n=-1 raised RuntimeError"),
    ("BuildsTooLittle", r"build\(\) returns roles \['D', 'G'\] but the plugin declares roles"),
    ("CrashesOnMissingData", "raised FileNotFoundError"),
    ("BadWriter", r"writer for '\.txt' must return non-empty bytes"),
]


@pytest.mark.parametrize("name, message", BROKEN)
def test_check_plugin_fails_each_broken_plugin(name, message, tmp_path):
    import kit_plugins

    with pytest.raises(AssertionError, match=message):
        check_plugin(getattr(kit_plugins, name)(), tmp_path)


def test_check_plugin_passes_the_good_one(tmp_path):
    from kit_plugins import good

    check_plugin(good, tmp_path)


# --------------------------------------------------------------------------- export_graphs
def test_check_plugin_exports_the_graphs_as_torchscript_and_onnx_on_request(tmp_path):
    check_plugin(registry.get_plugin("mlp"), tmp_path, onnx=True)
    for manifest in ("torchscript/torchscript.json", "onnx/onnx.json"):
        graphs = json.loads((tmp_path / "export" / manifest).read_text())["graphs"]
        assert [(g["verb"], g["name"]) for g in graphs] == [("generate", "G")]


def _graph(model, **changes):
    """The kit's good plugin's ``G`` as a graph (noise N×z_dim → images N×1×4×4), with ``changes``."""
    z_dim = model.config.z_dim
    fields = {"module": model.nets["G"], "inputs": (torch.randn(4, z_dim),), "input_names": ("z",),
              "output_names": ("images",), "dynamic_axes": {"z": {0: "batch"}, "images": {0: "batch"}},
              "parity_inputs": ((torch.randn(1, z_dim),), (torch.randn(7, z_dim),)), **changes}
    return Graph("G", **fields)


class _Twice(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, z):
        images = self.net(z)
        return images, -images


class _FixedBatch(nn.Module):
    """Reads the batch size as a Python number, which a trace freezes."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, z):
        return self.net(z) + torch.zeros(int(z.shape[0]), 1, 1, 1)


#: name → (what its export_graphs returns for a loaded model, the message the kit must give)
EXPORTS = {
    "good": (lambda m: [_graph(m)], None),
    "not_a_list": (lambda m: _graph(m), "returned Graph; return a list of artgan.plugin.Graph"),
    "not_a_graph": (lambda m: [{"name": "G"}], "gave a dict; give artgan.plugin.Graph objects"),
    "too_few_output_names": (lambda m: [_graph(m, module=_Twice(m.nets["G"]))],
                             r"`output_names` names 1 output\(s\) but the module returns 2 on `inputs`"),
    "too_many_input_names": (lambda m: [_graph(m, input_names=("z", "labels"))],
                             r"`input_names` names 2 input\(s\) but `inputs` holds 1 tensor\(s\)"),
    "undeclared_axis": (lambda m: [_graph(m, dynamic_axes={})], r"`parity_inputs\[0\]` changes axis 0 of 'z'"),
    "crashes_on_parity": (lambda m: [_graph(m, dynamic_axes={"z": {0: "batch", 1: "length"}},
                                            parity_inputs=((torch.randn(2, 3),),))],
                          r"its module fails on `parity_inputs\[0\]`: RuntimeError"),
    "unknown_axis_name": (lambda m: [_graph(m, dynamic_axes={"noise": {0: "batch"}})], r"`dynamic_axes` names \['noise'\]"),
    "frozen_batch": (lambda m: [_graph(m, module=_FixedBatch(m.nets["G"]))],
                     r"`artgan export --format torchscript` of the tiny model fails: .*graph fails on inputs 4×4; 1×4; 7×4 .*"
                     r"nothing was written"),
    "frozen_batch_broadcasts": (lambda m: [_graph(m, module=_FixedBatch(m.nets["G"]), parity_inputs=((torch.randn(1, 4),),))],
                                r"`artgan export --format torchscript` of the tiny model fails: .*an axis that should be dynamic"),
}


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_check_plugin_runs_and_exports_each_graph(kind, tmp_path):
    from kit_plugins import Good

    make, message = EXPORTS[kind]

    class Exports(Good):
        def export_graphs(self, model, verb):
            return make(model) if verb == "generate" else []

    if message is None:
        check_plugin(Exports(), tmp_path)
        assert (tmp_path / "export" / "torchscript" / "G.pt").is_file()
    else:
        with pytest.raises(AssertionError, match=message):
            check_plugin(Exports(), tmp_path)


# --------------------------------------------------------------------------- comparing structured outputs
@dataclass
class Layers(Output):
    """An output type of its own: named tensors, a list of them, a number and a label."""

    layers: dict[str, torch.Tensor]
    stack: list[torch.Tensor]
    scale: float
    label: str


def _encode_layers(output, suffix, metadata):
    buffer = io.BytesIO()
    np.savez(buffer, **{name: t.numpy() for name, t in output.layers.items()})
    return buffer.getvalue()


def _layered(random_mask: bool):
    def run(model, options, inputs, generator):
        images = draw(model, options, inputs, generator).pixels
        noise = torch.rand(images.shape) if random_mask else torch.rand(images.shape, generator=generator)
        return Layers(layers={"height": images, "mask": (noise > 0.5).float()}, stack=[images, images / 2],
                      scale=0.5, label="layers", report={"seconds": random.random()})
    return run


def _layered_plugin(random_mask: bool):
    from kit_plugins import Good

    class Layered(Good):
        verbs = (Verb("generate", _layered(random_mask), Options, Layers),)
        writers = (Writer((".npz",), Layers, _encode_layers, "named arrays"),)

    return Layered()


def test_check_plugin_compares_outputs_that_hold_dicts_of_tensors(tmp_path):
    check_plugin(_layered_plugin(random_mask=False), tmp_path)  # the report's timing may differ: not compared


def test_check_plugin_names_the_key_that_ignores_the_seed(tmp_path):
    with pytest.raises(AssertionError, match=r"same seed must give the same output \(output\.layers\['mask'\] differs in"):
        check_plugin(_layered_plugin(random_mask=True), tmp_path)


def test_output_difference_walks_nested_structures():
    base = {"a": [torch.ones(2), (1, "x")], "b": np.array([1.0, float("nan")]), "c": float("nan")}

    def changed(**edits):
        value = {"a": [torch.ones(2), (1, "x")], "b": np.array([1.0, float("nan")]), "c": float("nan")}
        value.update(edits)
        return value

    assert output_difference(base, changed()) is None, "equal values, NaN where NaN was, are the same"
    assert output_difference(Layers({}, [], 1.0, "a", report={"t": 1}), Layers({}, [], 1.0, "a", report={"t": 2})) is None
    cases = [
        (changed(a=[torch.tensor([1.0, 3.0]), (1, "x")]), r"output\['a'\]\[0\] differs in 1 of 2 values \(largest difference 2\)"),
        (changed(a=[torch.ones(2), (1, "y")]), r"output\['a'\]\[1\]\[1\] is 'x' the first time and 'y' the second"),
        (changed(a=[torch.ones(3), (1, "x")]), r"output\['a'\]\[0\] is torch.float32 \(2,\) the first time and torch.float32 \(3,\) the second"),
        (changed(b=np.array([2.0, float("nan")])), r"output\['b'\] differs in 1 of 2 values"),
        (changed(c=0.0), r"output\['c'\] is nan the first time and 0.0 the second"),
        ({**base, "d": 1}, r"output has 'd' only the second time"),
        (changed(a=(torch.ones(2), (1, "x"))), r"output\['a'\] is a list the first time and a tuple the second"),
    ]
    for other, message in cases:
        found = output_difference(base, other)
        assert found is not None and re.search(message, found), (message, found)
    layered = Layers({"height": torch.zeros(2)}, [torch.zeros(1)], 0.5, "a")
    assert "output.layers['height']" in output_difference(layered, Layers({"height": torch.ones(2)}, [torch.zeros(1)], 0.5, "a"))
    assert "output.stack[0]" in output_difference(layered, Layers({"height": torch.zeros(2)}, [torch.ones(1)], 0.5, "a"))
