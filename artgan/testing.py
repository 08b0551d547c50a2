"""Contract checks any plugin author can run under pytest.

>>> # tests/test_contract.py of a plugin package
>>> from artgan.testing import check_plugin
>>> from my_plugin import plugin
>>> def test_contract(tmp_path):
...     check_plugin(plugin, tmp_path)

Each check raises ``AssertionError`` with a sentence that says what to fix. They build the
plugin's :meth:`~artgan.plugin.Plugin.tiny_config`, train two steps through the real engine
on the plugin's synthetic :meth:`~artgan.plugin.Plugin.test_source`, save, reload and run
every verb on the CPU, checking the *raw* outputs (before the core clamps anything) against
what each verb declares, and every writer on them; the graphs ``export_graphs`` gives are run
and exported through the core's own export (TorchScript; ONNX too with ``onnx=True``).
artgan's own suite runs them over every installed plugin.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import default_collate

from artgan.checkpoint import find_checkpoint
from artgan.config import from_dict, render_overrides, to_dict
from artgan.errors import ArtganError
from artgan.images import write_random_images
from artgan.inference import Model
from artgan.inference.export import export_model
from artgan.outputs import Images, Output
from artgan.plugin import Graph, Plugin, Verb, validate_plugin
from artgan.registry import ModelRef
from artgan.writers import table

TEST_INPUT_SIZE = (32, 32)  # (H, W) of the pictures verbs that take pictures are tried on


def check_plugin(plugin: Plugin, tmp_path: Path, *, onnx: bool = False) -> None:
    """Run every check below on ``plugin``, using ``tmp_path`` for data, a run and an export folder.

    ``onnx`` also exports the graphs as ONNX and runs them under onnxruntime (slower, needs
    ``onnx`` and ``onnxruntime``); TorchScript export is always checked.
    """
    tmp_path = Path(tmp_path)
    check_declaration(plugin)
    config = plugin.tiny_config()
    check_config_roundtrip(plugin, config)
    source = make_test_source(plugin, tmp_path / "data", config)
    check_user_errors(plugin, config, tmp_path)
    check_losses(plugin, config, source)
    model = check_training(plugin, config, source, tmp_path / "run")
    for verb in plugin.verbs:
        check_verb(model, verb)
    check_export(model, tmp_path / "export", onnx=onnx)
    check_presets(plugin)


def make_test_source(plugin: Plugin, directory: Path, config: Any) -> Any:
    """The plugin's synthetic training data, or the default: 8 random 32×32 RGB images."""
    source = plugin.test_source(Path(directory), config)
    if source is None:
        folder = Path(directory) / "images"
        write_random_images(folder, count=8, size=(32, 32))
        source = str(folder)
    return source


def check_declaration(plugin: Plugin) -> None:
    """The cheap contract: name, Config, roles vs phases, verbs, writers, presets."""
    problems = validate_plugin(plugin)
    assert not problems, f"plugin {getattr(plugin, 'name', plugin)!r} breaks the contract: " + "; ".join(problems)


def check_config_roundtrip(plugin: Plugin, config: Any) -> None:
    """Default and tiny configs survive the JSON round trip a checkpoint makes."""
    for cfg in (plugin.Config(), config):
        assert isinstance(cfg, plugin.Config), "tiny_config() must return an instance of the plugin's Config"
        again = from_dict(plugin.Config, to_dict(cfg))
        assert again == cfg, f"Config does not survive JSON: {cfg} became {again}; use JSON-friendly field types"


def check_roles(plugin: Plugin, config: Any) -> dict[str, nn.Module]:
    """build() returns exactly the declared ``roles``, each a module."""
    torch.manual_seed(0)
    nets = plugin.build(config)
    assert isinstance(nets, dict) and nets, "build() must return a dict of networks by role"
    for role, net in nets.items():
        assert isinstance(net, nn.Module), f"build()[{role!r}] is not a torch.nn.Module"
    assert set(nets) == set(plugin.roles), (
        f"build() returns roles {sorted(nets)} but the plugin declares roles = {tuple(plugin.roles)}; make them agree"
    )
    return nets


def check_user_errors(plugin: Plugin, config: Any, tmp_path: Path) -> None:
    """Training data that is not there is an ArtganError (one line for the user), not a crash."""
    missing = str(tmp_path / "no-such-folder")
    for source in (missing, {"a": missing, "b": missing}):
        try:
            plugin.dataset(source, config)
        except ArtganError:
            continue
        except Exception as exc:
            raise AssertionError(
                f"dataset({source!r}) raised {type(exc).__name__}: {exc}; errors a user can cause must be ArtganError"
            ) from exc
        raise AssertionError(f"dataset({source!r}) accepted a folder that does not exist; raise ArtganError")


def check_losses(plugin: Plugin, config: Any, source: Any) -> None:
    """Every phase's loss is a finite scalar whose gradient reaches the networks it trains."""
    dataset = plugin.dataset(source, config)
    config = plugin.adapt_config(config, dataset)
    nets = check_roles(plugin, config)
    batch = default_collate([dataset[i] for i in range(min(2, len(dataset)))])
    for phase in plugin.phases(config):
        for net in nets.values():
            net.zero_grad(set_to_none=True)
        loss, logs = plugin.loss(phase.name, nets, batch, config)
        assert isinstance(loss, torch.Tensor) and loss.dim() == 0, f"loss({phase.name!r}) must return a scalar tensor"
        assert torch.isfinite(loss), f"loss({phase.name!r}) is not finite: {loss}"
        assert isinstance(logs, dict), f"loss({phase.name!r}) must return (loss, dict of logs)"
        loss.backward()
        for role in phase.trains:
            grads = [p.grad for p in nets[role].parameters() if p.grad is not None]
            assert grads and any(g.abs().sum() > 0 for g in grads), (
                f"loss({phase.name!r}) gives no gradient to {role!r}, which the phase trains"
            )


def check_training(plugin: Plugin, config: Any, source: Any, run: Path) -> Model:
    """Two engine steps train, draw a sample grid, checkpoint and reload for inference."""
    from artgan.engine import train

    overrides = render_overrides({f"model.{k}": v for k, v in dataclasses.asdict(config).items()})
    overrides += ["train.batch_size=2", "sample_every=2", "checkpoint_every=2", "log_every=1", "workers=0"]
    final = train(plugin, out=run, data=source, steps=2, overrides=overrides, device="cpu", progress=False)
    assert (final / "model.safetensors").is_file(), f"training wrote no checkpoint at {final}"
    assert list((run / "samples").glob("*.png")), "training drew no sample grid"
    # the plugin object itself, not the registry: authors run this before installing
    return Model(ModelRef(name=str(run), plugin=plugin, path=find_checkpoint(run).path), "cpu", precision="fp32")


def make_test_inputs(verb: Verb) -> Any:
    """What a verb is tried on: nothing, one random picture, or four named ones."""
    rng = np.random.default_rng(0)
    height, width = TEST_INPUT_SIZE

    def picture() -> Image.Image:
        return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")

    if verb.takes == "image":
        return picture()
    if verb.takes == "images":
        return {name: picture() for name in ("a", "b", "c", "d")}
    return None


def check_verb(model: Model, verb: Verb) -> None:
    """A verb's raw output (default options) is what it declares; it is reproducible; every
    writer for it encodes it; nonsense options are ArtganError."""
    label = f"verb {verb.name!r}"
    options = verb.Options()
    with torch.no_grad():
        raw = verb.run(model, options, make_test_inputs(verb), torch.Generator().manual_seed(3))
    assert isinstance(raw, verb.output), f"{label} returned {type(raw).__name__}, but declares output={verb.output.__name__}"
    assert isinstance(raw, Output), f"{label} must return an artgan.outputs.Output"
    if isinstance(raw, Images):
        check_images(raw, verb, model.config, options, TEST_INPUT_SIZE if verb.takes == "image" else None)
    first = model.run(verb.name, make_test_inputs(verb), seed=5)
    second = model.run(verb.name, make_test_inputs(verb), seed=5)
    difference = output_difference(first, second)
    assert difference is None, (
        f"{label} with the same seed must give the same output ({difference}): draw randomness from `generator`"
    )
    writers = table(type(raw), model.plugin.writers)
    assert writers, f"{label}: no writer takes {type(raw).__name__}; add a Writer to the plugin's `writers`"
    for suffix, writer in writers.items():
        if isinstance(raw, Images) and suffix == ".gif" and not raw.sequence:
            continue
        data = writer.encode(first, suffix, {"model": "test", "seed": "5"})
        ok = isinstance(data, (bytes, bytearray)) and len(data) > 0 or (
            isinstance(data, dict) and data and all(isinstance(v, (bytes, bytearray)) and v for v in data.values()))
        assert ok, f"writer for {suffix or 'a folder'!r} must return non-empty bytes (or a dict of them), got {type(data).__name__}"
    _check_nonsense(model, verb)


def check_images(images: Images, verb: Verb, config: Any, options: Any, input_size: tuple[int, int] | None) -> None:
    """Raw Images: a float tensor N×C×H×W in [-1, 1], the declared channels, bits and size."""
    label = f"verb {verb.name!r}"
    pixels = images.pixels
    assert isinstance(pixels, torch.Tensor), f"{label}: Images.pixels must be a torch.Tensor"
    assert pixels.is_floating_point(), f"{label}: Images.pixels must be floating point in [-1, 1], got {pixels.dtype}"
    assert pixels.dim() == 4 and pixels.shape[0] >= 1, f"{label}: Images.pixels must be N×C×H×W, got {tuple(pixels.shape)}"
    channels = int(pixels.shape[1])
    assert channels in (verb.channels or (1, 3, 4)), (
        f"{label} returned {channels} channel(s) but declares channels={verb.channels or (1, 3, 4)}"
    )
    assert bool(torch.isfinite(pixels).all()), f"{label} returned non-finite pixels"
    low, high = float(pixels.min()), float(pixels.max())
    assert -1.0 <= low and high <= 1.0, (
        f"{label} returned pixels in [{low:.3f}, {high:.3f}], outside [-1, 1] (a missing tanh?); the core would clamp them"
    )
    assert images.bits in (8, 16), f"{label}: Images.bits must be 8 or 16, got {images.bits}"
    if verb.size is not None:
        expected = tuple(verb.size(config, options, input_size))
        assert tuple(pixels.shape[-2:]) == expected, (
            f"{label} returned {tuple(pixels.shape[-2:])} (H, W) but its `size` declares {expected}"
        )


def _check_nonsense(model: Model, verb: Verb) -> None:
    """An unknown option, and -1 for each numeric option, are refused as ArtganError (or accepted)."""
    try:
        model.run(verb.name, make_test_inputs(verb), seed=1, options={"no_such_option_xyz": 1})
    except ArtganError:
        pass
    else:
        raise AssertionError("an unknown option must be refused")
    hints = typing.get_type_hints(verb.Options)
    for field in dataclasses.fields(verb.Options):
        if hints[field.name] not in (int, float, int | None, float | None):
            continue
        try:
            model.run(verb.name, make_test_inputs(verb), seed=1, options={field.name: -1})
        except ArtganError:
            continue
        except Exception as exc:
            raise AssertionError(
                f"verb {verb.name!r} with {field.name}=-1 raised {type(exc).__name__}: {exc}; "
                "errors a user can cause must be ArtganError with a remedy"
            ) from exc


#: Output fields two runs may legitimately differ in (provenance, timings): not compared.
UNCOMPARED_FIELDS = ("metadata", "report")


def output_difference(a: Any, b: Any) -> str | None:
    """Where two verb outputs differ, as a sentence naming the field or key (``None``: equal).

    Both are walked alike: dataclasses by field (an :class:`~artgan.outputs.Output`'s
    ``metadata`` and ``report`` are skipped), mappings by key, lists and tuples by index, down
    to tensors and arrays (equal dtype, shape and values, NaN equal to NaN) and plain values.
    """
    return _difference(a, b, "output", top=True)


def _difference(a: Any, b: Any, where: str, *, top: bool = False) -> str | None:
    if type(a) is not type(b):
        return f"{where} is a {type(a).__name__} the first time and a {type(b).__name__} the second"
    if isinstance(a, torch.Tensor):
        return _tensor_difference(a, b, where)
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{where} is {a.dtype} {a.shape} the first time and {b.dtype} {b.shape} the second"
        same = np.asarray(a == b, dtype=bool)
        if a.dtype.kind in "fc":
            same |= np.isnan(a) & np.isnan(b)
        return None if same.all() else f"{where} differs in {int((~same).sum())} of {a.size} values"
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for field in dataclasses.fields(a):
            if top and isinstance(a, Output) and field.name in UNCOMPARED_FIELDS:
                continue
            found = _difference(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
            if found:
                return found
        return None
    if isinstance(a, Mapping):
        only = [(", ".join(repr(k) for k in x if k not in y), run) for x, y, run in ((a, b, "first"), (b, a, "second"))]
        if any(keys for keys, _ in only):
            return f"{where} has " + " and ".join(f"{keys} only the {run} time" for keys, run in only if keys)
        for key in a:
            found = _difference(a[key], b[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where} holds {len(a)} items the first time and {len(b)} the second"
        for index, (x, y) in enumerate(zip(a, b)):
            found = _difference(x, y, f"{where}[{index}]")
            if found:
                return found
        return None
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return None
    return None if a == b else f"{where} is {a!r} the first time and {b!r} the second"


def _tensor_difference(a: torch.Tensor, b: torch.Tensor, where: str) -> str | None:
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"{where} is {a.dtype} {tuple(a.shape)} the first time and {b.dtype} {tuple(b.shape)} the second"
    a, b = a.detach().cpu(), b.detach().cpu()
    same = torch.eq(a, b)
    if a.is_floating_point() or a.is_complex():
        same |= torch.isnan(a) & torch.isnan(b)
    if bool(same.all()):
        return None
    count = int((~same).sum())
    if a.is_floating_point():
        gap = float((a.double() - b.double()).abs().nan_to_num(nan=math.inf).max())
        return f"{where} differs in {count} of {a.numel()} values (largest difference {gap:.3g})"
    return f"{where} differs in {count} of {a.numel()} values"


def check_export(model: Model, out: Path, *, onnx: bool = False) -> None:
    """Every verb's :meth:`~artgan.plugin.Plugin.export_graphs` on the tiny model: each graph is
    well formed, its module runs on ``inputs`` and on each ``parity_inputs`` tuple and gives as
    many outputs as ``output_names``; then the core's own export (``artgan export --format
    torchscript``, and ``onnx`` with ``onnx=True``) writes them into ``out``, parity checked.
    A plugin whose verbs give no graphs passes: exporting is optional."""
    exportable, names = [], []
    for verb in model.plugin.verbs:
        graphs = model.plugin.export_graphs(model, verb.name)
        assert isinstance(graphs, (list, tuple)), (
            f"export_graphs(model, {verb.name!r}) returned {type(graphs).__name__}; return a list of artgan.plugin.Graph "
            "([] when the verb cannot be exported)"
        )
        for graph in graphs:
            check_graph(graph, f"export_graphs(model, {verb.name!r})")
            names.append(graph.name)
        if graphs:
            exportable.append(verb.name)
    if not exportable:
        return
    formats = ["torchscript"]
    if onnx:
        _need_onnx()
        formats.append("onnx")
    for format in formats:
        try:
            manifest = export_model(model, Path(out) / format, format=format, verbs=exportable)
        except Exception as exc:  # an ArtganError says what differs or fails; anything else is a bug in the export
            reason = str(exc) if isinstance(exc, ArtganError) else f"{type(exc).__name__}: {exc}"
            raise AssertionError(f"`artgan export --format {format}` of the tiny model fails: {reason}") from exc
        exported = sorted(entry["name"] for entry in manifest["graphs"])
        assert exported == sorted(names), f"the {format} export wrote graphs {exported}, export_graphs gave {sorted(names)}"


def check_graph(graph: Any, label: str) -> None:
    """One :class:`~artgan.plugin.Graph`: names match its inputs and outputs, its dynamic axes
    exist, parity inputs change only dynamic axes, and its module runs on every input tuple."""
    assert isinstance(graph, Graph), f"{label} gave a {type(graph).__name__}; give artgan.plugin.Graph objects"
    what = f"{label}: graph {graph.name!r}"
    assert isinstance(graph.name, str) and graph.name and "/" not in graph.name and "\\" not in graph.name, (
        f"{label}: a graph's name is its file stem: a non-empty string without slashes, got {graph.name!r}"
    )
    assert isinstance(graph.module, nn.Module), f"{what}: `module` must be a torch.nn.Module"
    cases = [("inputs", graph.inputs)] + [(f"parity_inputs[{i}]", case) for i, case in enumerate(graph.parity_inputs)]
    for where, case in cases:
        assert isinstance(case, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in case), (
            f"{what}: `{where}` must be a tuple of tensors"
        )
        assert all(t.dtype == torch.float32 and t.device.type == "cpu" for t in case), (
            f"{what}: `{where}` must hold float32 tensors on the CPU"
        )
        assert len(case) == len(graph.input_names), (
            f"{what}: `input_names` names {len(graph.input_names)} input(s) but `{where}` holds {len(case)} tensor(s)"
        )
    names = list(graph.input_names) + list(graph.output_names)
    assert len(set(names)) == len(names), f"{what}: input and output names must be unique, got {names}"
    unknown = sorted(set(graph.dynamic_axes) - set(names))
    assert not unknown, f"{what}: `dynamic_axes` names {unknown}, which are neither inputs nor outputs"
    for index, name in enumerate(graph.input_names):
        dynamic = set(graph.dynamic_axes.get(name, {}))
        first = graph.inputs[index]
        assert all(0 <= axis < first.dim() for axis in dynamic), (
            f"{what}: `dynamic_axes[{name!r}]` names axes {sorted(dynamic)}, but the input has {first.dim()}"
        )
        for where, case in cases[1:]:
            other = case[index]
            fixed = [axis for axis in range(first.dim()) if axis not in dynamic]
            changed = [axis for axis in fixed if other.dim() != first.dim() or other.shape[axis] != first.shape[axis]]
            assert not changed, (
                f"{what}: `{where}` changes axis {changed[0]} of {name!r} ({tuple(first.shape)} → {tuple(other.shape)}), "
                "which `dynamic_axes` does not declare dynamic; declare it or keep that size"
            )
    assert isinstance(graph.tolerance, (int, float)) and math.isfinite(graph.tolerance) and graph.tolerance >= 0, (
        f"{what}: `tolerance` must be a finite number ≥ 0, got {graph.tolerance!r}"
    )
    try:
        json.dumps(dict(graph.convention))
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{what}: `convention` must be JSON-ready data for the manifest: {exc}") from None
    module = graph.module.eval()
    for where, case in cases:
        try:
            with torch.no_grad():
                result = module(*case)
        except Exception as exc:
            raise AssertionError(f"{what}: its module fails on `{where}`: {type(exc).__name__}: {exc}") from exc
        outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        assert all(isinstance(t, torch.Tensor) for t in outputs), f"{what}: its module must return tensors (on `{where}`)"
        assert len(outputs) == len(graph.output_names), (
            f"{what}: `output_names` names {len(graph.output_names)} output(s) but the module returns {len(outputs)} "
            f"on `{where}`"
        )
        for name, tensor in zip(graph.output_names, outputs):
            axes = graph.dynamic_axes.get(name, {})
            assert all(0 <= axis < tensor.dim() for axis in axes), (
                f"{what}: `dynamic_axes[{name!r}]` names axes {sorted(axes)}, but that output has {tensor.dim()}"
            )
            assert bool(torch.isfinite(tensor).all()), f"{what}: output {name!r} is not finite on `{where}`"


def _need_onnx() -> None:
    """ONNX export needs onnx (to store the graph) and onnxruntime (for the parity run)."""
    import importlib.util

    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    assert not missing, f"check_plugin(..., onnx=True) needs {' and '.join(missing)}: pip install {' '.join(missing)}"


def check_presets(plugin: Plugin) -> None:
    """Shipped presets exist, match their sha256 and load into the plugin's networks."""
    from artgan.presets import preset_path

    for preset in plugin.presets:
        if preset.path is None:  # fetched on demand; checking it would need the network
            continue
        ref = ModelRef(f"{plugin.name}.{preset.tag}", plugin, preset_path(plugin, preset), preset)
        model = Model(ref, "cpu")
        assert model.nets, f"preset {preset.tag!r} loaded no networks"
