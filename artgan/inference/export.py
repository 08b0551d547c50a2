"""Verb networks as deployable graphs (ONNX, TorchScript), checked against PyTorch before they are written.

``artgan export MODEL --format onnx -o DIR`` asks the model's plugin which networks each verb
runs and how to feed them (:meth:`artgan.plugin.Plugin.export_graphs`), exports each, runs the
exported graph (under onnxruntime, or TorchScript) against the PyTorch network in float32 on
the plugin's fixed inputs, at several sizes where an axis is dynamic, and writes nothing
unless every graph is within its tolerance. Beside the graphs, a manifest (``onnx.json``,
``torchscript.json``) says, per graph: the verb, the file and its sha256, the input and output
names and shapes, the dynamic axes, the convention (value range, layout), the opset and the
parity figure measured at export.

ONNX graphs compute in float32. A weight whose values are all exactly representable in
float16 (the shipped presets store float16 weights) is stored as float16 and cast back in the
graph, which halves the file and changes no value.

Reading a graph back (:func:`read_manifest`, :func:`verified_graph`, :func:`onnx_session`)
needs neither torch nor onnx, only onnxruntime: the quick path of a plugin command runs on it.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artgan._version import __version__
from artgan.checkpoint import sha256_file
from artgan.errors import ArtganError
from artgan.files import write_files

if TYPE_CHECKING:
    import numpy as np

    from artgan.inference.model import Model
    from artgan.plugin import Graph

FORMATS = ("onnx", "torchscript")
MANIFESTS = {"onnx": "onnx.json", "torchscript": "torchscript.json"}
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}
MANIFEST_FORMAT = "artgan-graphs"
MANIFEST_VERSION = 1
#: ONNX opset of exported graphs: onnxruntime 1.13 (2022) and later run it.
OPSET = 17


# --------------------------------------------------------------------------- exporting
def export_model(model: Model, out: str | Path, *, format: str = "onnx", verbs: Sequence[str] | None = None,
                 overwrite: bool = False) -> dict[str, Any]:
    """Export the networks of ``verbs`` (default: every verb) of ``model`` into the folder ``out``;
    return the manifest written beside them.

    ``model`` must be loaded on the CPU in fp32. A verb whose plugin gives no graphs is listed
    under ``not_exported`` (an error if no verb at all can be exported); a graph that differs
    from PyTorch by more than its tolerance is an error, and then nothing is written.
    """
    if format not in FORMATS:
        raise ArtganError(f"unknown export format {format!r}; use one of: checkpoint, {', '.join(FORMATS)}")
    if str(model.device) != "cpu" or model.precision != "fp32":
        raise ValueError("export_model needs a model loaded with device='cpu' and precision='fp32'")
    offered = list(model.verbs)
    wanted = list(verbs) if verbs else offered
    for verb in wanted:
        model.verb(verb)  # an unknown verb: the error that lists what the model can do
    out = Path(out)
    files: dict[Path, bytes] = {}
    entries: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    owner: dict[str, str] = {}
    for verb in wanted:
        graphs = list(model.plugin.export_graphs(model, verb))
        if not graphs:
            skipped[verb] = f"the {model.plugin.name} plugin gives no graphs for {verb!r} (its export_graphs returns none)"
            continue
        for graph in graphs:
            if graph.name in owner:
                raise ArtganError(f"plugin {model.plugin.name!r} names two graphs {graph.name!r} (verbs {owner[graph.name]!r} "
                                  f"and {verb!r}); give each graph its own name")
            owner[graph.name] = verb
            data, parity = _export_checked(graph, format, f"{model.name}'s {verb!r}")
            file = f"{graph.name}{SUFFIXES[format]}"
            files[out / file] = data
            entries.append(_entry(graph, verb, file, data, parity))
    if not entries:
        reasons = "; ".join(f"{verb}: {why}" for verb, why in skipped.items())
        raise ArtganError(f"{model.name} has no verb that can be exported as {format} ({reasons}); "
                          "use the default --format checkpoint")
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        "kind": format,
        "model": model.name,
        "plugin": model.plugin.name,
        "artgan_version": __version__,
        "torch_version": _torch_version(),
        **({"opset": OPSET} if format == "onnx" else {}),
        "step": model.checkpoint.meta.get("step"),
        "weights_sha256": model.checkpoint.meta.get("sha256"),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "graphs": entries,
        "not_exported": skipped,
    }
    files[out / MANIFESTS[format]] = (json.dumps(manifest, indent=2) + "\n").encode()
    write_files(files, overwrite=overwrite)
    return manifest


def _torch_version() -> str:
    import torch

    return torch.__version__


def _export_checked(graph: Graph, format: str, what: str) -> tuple[bytes, dict[str, Any]]:
    """The graph's file bytes and its parity figures; an error if it is not faithful."""
    import torch

    module = graph.module.eval()
    cases = [tuple(graph.inputs), *(tuple(case) for case in graph.parity_inputs)]
    with torch.no_grad():
        expected = [_as_tuple(module(*case)) for case in cases]
        data = _export_onnx(graph) if format == "onnx" else _export_torchscript(graph)
        try:
            got = [_run_onnx(data, graph, case) for case in cases] if format == "onnx" else _run_torchscript(data, cases)
        except Exception as exc:  # a trace that froze a size, an operator the runtime lacks, ...
            shapes = "; ".join(" and ".join("×".join(map(str, t.shape)) for t in case) for case in cases)
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]  # TorchScript prepends its traceback
            raise ArtganError(f"{what}: the exported {graph.name} graph fails on inputs {shapes} ({reason}); "
                              "nothing was written") from exc
    worst = 0.0
    for case, want, have in zip(cases, expected, got):
        shapes = " and ".join("×".join(map(str, t.shape)) for t in case)
        if len(want) != len(have):
            raise ArtganError(f"{what}: the exported {graph.name} graph gives {len(have)} outputs, PyTorch {len(want)}; "
                              "nothing was written")
        for name, w, h in zip(graph.output_names, want, have):
            w = w.detach().float().cpu().numpy()
            if tuple(h.shape) != tuple(w.shape):
                raise ArtganError(f"{what}: on inputs {shapes} the exported {graph.name} graph's {name!r} has shape "
                                  f"{tuple(h.shape)}, PyTorch's {tuple(w.shape)} (an axis that should be dynamic is "
                                  "fixed); nothing was written")
            difference = float(abs(h.astype("float64") - w.astype("float64")).max()) if w.size else 0.0
            if not difference <= graph.tolerance:  # NaN fails too
                raise ArtganError(f"{what}: the exported {graph.name} graph differs from PyTorch by {difference:.3g} on "
                                  f"inputs {shapes} (tolerance {graph.tolerance:g}); nothing was written. Try the other "
                                  "--format, or report it with the model's config")
            worst = max(worst, difference)
    runtime = f"onnxruntime {_ort().__version__}" if format == "onnx" else f"torch.jit {_torch_version()}"
    return data, {"max_abs_diff": worst, "tolerance": graph.tolerance, "runtime": runtime,
                  "inputs": [[list(t.shape) for t in case] for case in cases],
                  "output_shapes": [list(t.shape) for t in expected[0]]}


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _export_onnx(graph: Graph) -> bytes:
    """Trace ``graph.module`` into ONNX, then store lossless weights as float16."""
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer's notes on Python values; parity below is the real check
        warnings.simplefilter("ignore")
        torch.onnx.export(graph.module, tuple(graph.inputs), buffer, dynamo=False, input_names=list(graph.input_names),
                          output_names=list(graph.output_names), opset_version=OPSET,
                          dynamic_axes={k: dict(v) for k, v in graph.dynamic_axes.items()}, do_constant_folding=True)
    return _compact(buffer.getvalue())


def _compact(data: bytes) -> bytes:
    """The ONNX model ``data`` with each float32 weight whose values float16 holds exactly stored
    as float16 and cast back to float32 at the start of the graph (same values, half the bytes)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(data)
    graph = model.graph
    casts = []
    for initializer in graph.initializer:
        if initializer.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < 64:
            continue
        with np.errstate(over="ignore"):
            half = values.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), values):
            continue
        name = initializer.name
        initializer.CopyFrom(numpy_helper.from_array(half, f"{name}.fp16"))
        casts.append(helper.make_node("Cast", [f"{name}.fp16"], [name], to=TensorProto.FLOAT, name=f"{name}.cast"))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    for node in graph.node:
        node.doc_string = ""
    model.producer_name, model.producer_version = "artgan", __version__
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _run_onnx(data: bytes, graph: Graph, case: tuple[Any, ...]) -> list[np.ndarray]:
    session = onnx_session(data)
    feed = {name: tensor.detach().float().cpu().numpy() for name, tensor in zip(graph.input_names, case)}
    return session.run(list(graph.output_names), feed)


def _export_torchscript(graph: Graph) -> bytes:
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():  # torch.jit says it is deprecated; parity below checks what it gives
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(graph.module, tuple(graph.inputs), check_trace=False), buffer)
    return buffer.getvalue()


def _run_torchscript(data: bytes, cases: list[tuple[Any, ...]]) -> list[list[np.ndarray]]:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")
    return [[t.float().numpy() for t in _as_tuple(loaded(*case))] for case in cases]


def _entry(graph: Graph, verb: str, file: str, data: bytes, parity: dict[str, Any]) -> dict[str, Any]:
    """The manifest's record of one exported graph."""
    import hashlib

    def shape(name: str, sizes: Any) -> list[int | str]:
        axes = graph.dynamic_axes.get(name, {})
        return [axes.get(axis, int(size)) for axis, size in enumerate(sizes)]

    output_shapes = parity.pop("output_shapes")
    return {
        "verb": verb,
        "name": graph.name,
        "file": file,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "inputs": [{"name": n, "shape": shape(n, t.shape), "dtype": "float32"} for n, t in zip(graph.input_names, graph.inputs)],
        "outputs": [{"name": n, "shape": shape(n, s), "dtype": "float32"} for n, s in zip(graph.output_names, output_shapes)],
        "dynamic_axes": {name: {str(axis): label for axis, label in axes.items()} for name, axes in graph.dynamic_axes.items()},
        "convention": dict(graph.convention),
        "parity": parity,
    }


# --------------------------------------------------------------------------- reading back (no torch)
def read_manifest(folder: str | Path, format: str = "onnx") -> dict[str, Any] | None:
    """The manifest of the graphs exported into ``folder``, or None if there is none."""
    path = Path(folder) / MANIFESTS[format]
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ArtganError(f"{path} cannot be read ({exc}); export the model again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("graphs"), list):
        raise ArtganError(f"{path} is not an artgan graph manifest; export the model again")
    if manifest.get("format_version") != MANIFEST_VERSION:
        raise ArtganError(f"{path} is manifest version {manifest.get('format_version')}; this artgan reads version "
                          f"{MANIFEST_VERSION}: export the model again")
    return manifest


def verified_graph(folder: str | Path, manifest: dict[str, Any], verb: str) -> tuple[Path, dict[str, Any]] | None:
    """The file of ``verb``'s one graph in ``folder`` and its record, checked against the sha256
    the manifest records; None if the manifest has no single graph for ``verb``."""
    entries = [e for e in manifest["graphs"] if isinstance(e, dict) and e.get("verb") == verb]
    if len(entries) != 1:
        return None
    entry = entries[0]
    path = Path(folder) / str(entry.get("file", ""))
    if not path.is_file():
        raise ArtganError(f"{path} is missing; reinstall the package or export the model again")
    digest = sha256_file(path)
    if digest != entry.get("sha256"):
        raise ArtganError(f"{path} is damaged (sha256 {digest[:12]}…, the manifest records "
                          f"{str(entry.get('sha256'))[:12]}…); reinstall the package or export the model again")
    return path, entry


def _ort() -> Any:
    import onnxruntime

    return onnxruntime


def onnx_session(graph: str | Path | bytes) -> Any:
    """An onnxruntime session on the CPU for a graph file (or its bytes), quiet, as the parity
    check ran it: what export measured is what a user's run gets."""
    ort = _ort()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    source = graph if isinstance(graph, bytes) else str(graph)
    return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


__all__ = ["FORMATS", "MANIFESTS", "OPSET", "export_model", "onnx_session", "read_manifest", "verified_graph"]
