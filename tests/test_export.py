"""Export for deployment (ONNX, TorchScript) with a parity check, and the quick start that runs the
shipped styles on onnxruntime without importing torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan.errors import ArtganError
from artgan.images import read_metadata
from artgan.inference.export import export_model, onnx_session, read_manifest, verified_graph
from artgan_cyclegan import StylizeOptions
from artgan_cyclegan import plugin as cyclegan
from artgan_cyclegan import quick
from conftest import TINY_MLP, run_cli as run

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TOLERANCE = 1e-4  # in [-1, 1] units, what export promises


@pytest.fixture
def mlp_run(tmp_path):
    out = tmp_path / "mlp"
    run("train", "mlp", "--data", "builtin:digits", "--steps", 2, "--out", out, "--quiet", *sum((["-c", o] for o in TINY_MLP), []))
    return out


def _pictures(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    generator = torch.Generator().manual_seed(seed)
    return [(torch.rand(*shape, generator=generator) * 2 - 1).numpy() for shape in shapes]


# --------------------------------------------------------------------------- export and parity
def test_stylize_graph_matches_pytorch_at_sizes_it_was_not_traced_at(tiny_style_run, tmp_path):
    out = tmp_path / "onnx"
    manifest = json.loads(run("export", tiny_style_run, "--format", "onnx", "-o", out, "--json").stdout)
    entry = manifest["graphs"][0]
    assert (entry["verb"], entry["file"], manifest["opset"]) == ("stylize", "G_AB.onnx", 17)
    assert entry["inputs"][0]["shape"] == ["batch", 3, "height", "width"] and entry["convention"]["range"] == [-1, 1]
    assert entry["parity"]["max_abs_diff"] <= entry["parity"]["tolerance"] == TOLERANCE
    assert manifest == read_manifest(out) and verified_graph(out, manifest, "stylize")[0] == out / "G_AB.onnx"
    session = onnx_session(out / "G_AB.onnx")
    G = artgan.load(str(tiny_style_run), device="cpu", precision="fp32").nets["G_AB"]  # downsamplings=3: sides ≥ 16
    for picture in _pictures(1, (1, 3, 40, 56), (1, 3, 64, 64), (1, 3, 16, 21), (2, 3, 33, 47)):
        (got,) = session.run(None, {"images": picture})
        with torch.no_grad():
            want = G(torch.from_numpy(picture)).numpy()
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= TOLERANCE, picture.shape


def test_generate_graph_maps_noise_to_the_same_digits(mlp_run, tmp_path):
    out = tmp_path / "onnx"
    run("export", mlp_run, "--format", "onnx", "-o", out)
    entry = read_manifest(out)["graphs"][0]
    assert (entry["verb"], entry["inputs"][0]["shape"], entry["outputs"][0]["shape"]) == ("generate", ["batch", 8], ["batch", 1, 8, 8])
    session = onnx_session(out / entry["file"])
    G = artgan.load(str(mlp_run), device="cpu", precision="fp32").nets["G"]
    for z in _pictures(2, (1, 8), (5, 8)):
        (got,) = session.run(None, {"z": z})
        with torch.no_grad():
            assert np.abs(got - G(torch.from_numpy(z)).numpy()).max() <= TOLERANCE


def test_torchscript_export_is_checked_too(tiny_style_run, tmp_path):
    out = tmp_path / "ts"
    text = run("export", tiny_style_run, "--format", "torchscript", "-o", out).stdout
    assert "stylize" in text and (out / "torchscript.json").is_file()
    with warnings.catch_warnings():  # torch.jit is deprecated in recent torch
        warnings.simplefilter("ignore")
        traced = torch.jit.load(str(out / "G_AB.pt"))
    G = artgan.load(str(tiny_style_run), device="cpu", precision="fp32").nets["G_AB"]
    picture = torch.from_numpy(_pictures(3, (1, 3, 24, 40))[0])
    with torch.no_grad():
        assert (traced(picture) - G(picture)).abs().max() <= TOLERANCE


class _SizeBaked(torch.nn.Module):
    """A network whose trace bakes the size it saw: its graph is wrong at every other size."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * 2 if z.shape[0] > 2 else z


class _BatchFrozen(torch.nn.Module):
    """Runs at any batch size, but its trace bakes the example's batch into a reshape."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z.reshape(int(z.shape[0]), 8) * 2


@pytest.mark.parametrize("network, format, error", [
    (_SizeBaked, "onnx", "differs from PyTorch by 1 .*nothing was written"),  # a graph that differs from PyTorch
    (_BatchFrozen, "torchscript", "the exported G graph fails on inputs 4×8; 1×8 .*nothing was written"),  # fails on its parity inputs
])
def test_a_bad_graph_is_one_error_and_nothing_is_written(mlp_run, tmp_path, monkeypatch, network, format, error):
    from artgan.plugin import Graph

    model = artgan.load(str(mlp_run), device="cpu", precision="fp32")
    bad = Graph("G", network(), (torch.ones(4, 8),), ("z",), ("images",), dynamic_axes={"z": {0: "batch"}},
                parity_inputs=((torch.ones(1, 8),),))
    monkeypatch.setattr(model.plugin, "export_graphs", lambda model, verb: [bad])
    with pytest.raises(ArtganError, match=error):
        export_model(model, tmp_path / "out", format=format)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_verbs_without_graphs_are_named_and_mistakes_are_one_line(mlp_run, tmp_path, monkeypatch):
    from artgan_mlp import plugin as mlp

    result = run("export", mlp_run, "--format", "onnx", "--dtype", "float16", "-o", tmp_path / "a", ok=False)
    assert result.exit_code == 2 and "--dtype" in result.stderr
    result = run("export", mlp_run, "--format", "onnx", "--verb", "stylize", "-o", tmp_path / "b", ok=False)
    assert result.exit_code == 2 and "it can: generate" in result.stderr
    monkeypatch.setattr(mlp, "export_graphs", lambda model, verb: [])
    result = run("export", mlp_run, "--format", "onnx", "-o", tmp_path / "c", ok=False)
    assert result.exit_code == 2 and "no verb that can be exported" in result.stderr and "generate:" in result.stderr
    assert not (tmp_path / "c").exists()


def test_an_existing_export_is_kept_unless_overwrite(mlp_run, tmp_path):
    out = tmp_path / "onnx"
    run("export", mlp_run, "--format", "onnx", "-o", out)
    before = (out / "G.onnx").read_bytes()
    assert run("export", mlp_run, "--format", "onnx", "-o", out, ok=False).exit_code == 2
    assert (out / "G.onnx").read_bytes() == before
    run("export", mlp_run, "--format", "onnx", "-o", out, "--overwrite")


# --------------------------------------------------------------------------- the shipped graphs
@pytest.mark.parametrize("preset", cyclegan.presets, ids=lambda p: p.tag)
def test_every_shipped_style_has_a_verified_graph_of_its_own_weights(preset):
    manifest = read_manifest(preset.path)
    assert manifest["weights_sha256"] == preset.sha256
    path, entry = verified_graph(preset.path, manifest, "stylize")
    assert path.stat().st_size < 1.5e6 and entry["parity"]["max_abs_diff"] <= TOLERANCE
    assert entry["convention"]["min_side"] <= quick.MIN_SIDE


def test_a_damaged_graph_is_refused(tmp_path):
    for name in ("G_AB.onnx", "onnx.json"):
        shutil.copy(cyclegan.presets[0].path / name, tmp_path / name)
    data = bytearray((tmp_path / "G_AB.onnx").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "G_AB.onnx").write_bytes(bytes(data))
    with pytest.raises(ArtganError, match="damaged"):
        verified_graph(tmp_path, read_manifest(tmp_path), "stylize")


def _photo(width: int, height: int, mode: str = "RGB") -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x * y) % 256], -1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    if mode == "RGBA":
        image.putalpha(Image.fromarray(((x + y) % 256).astype(np.uint8), "L"))
    return image


@pytest.mark.parametrize("size, mode, options", [
    ((48, 40), "RGB", {}),
    ((50, 30), "RGBA", {"strength": 0.6}),
    ((44, 36), "RGB", {"preserve_color": True}),
    ((90, 60), "RGB", {"max_size": 45}),
    ((40, 9), "RGB", {}),  # thinner than the network's smallest side: edge-padded, then cut back
])
def test_quick_path_gives_the_pytorch_pixels_within_one_level(size, mode, options):
    preset = cyclegan.presets[0]
    session = onnx_session(preset.path / "G_AB.onnx")
    picture = _photo(*size, mode)
    chosen = StylizeOptions(**options)
    fast = np.asarray(quick.stylize_array(session, "images", chosen, picture)).astype(int)
    model = artgan.load(f"cyclegan.{preset.tag}", device="cpu", precision="fp32")
    slow = np.asarray(artgan.to_pil(model.run("stylize", picture, options=options))[0]).astype(int)
    assert fast.shape == slow.shape
    assert np.abs(fast - slow).max() <= 1


def test_quick_constants_are_the_cores():
    from artgan.engine import hardware
    from artgan.inference import tiling

    assert quick.ONE_PASS == tiling.TILE == tiling.STATS_SIZE and quick.MIN_SIDE == tiling.MIN_SIDE
    assert set(quick.NATIVE_BF16_FLAGS) == set(hardware.NATIVE_BF16_FLAGS)


def test_quick_path_only_where_pytorch_would_compute_the_same(tmp_path, monkeypatch):
    photo = tmp_path / "p.png"
    _photo(32, 24).save(photo)
    monkeypatch.setattr(quick, "cpu_flags", lambda: {"avx2", "fma"})
    assert quick.why_not_quick([str(photo)], "cpu", "bf16") is None
    assert quick.why_not_quick([str(photo), str(photo)], "cpu", "fp32")
    assert quick.why_not_quick(["-"], "cpu", "fp32") and quick.why_not_quick([str(tmp_path)], "cpu", "fp32")
    assert quick.why_not_quick([str(photo)], "cuda", "fp32")
    monkeypatch.setattr(quick, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})  # PyTorch would run bf16 here
    assert "bf16" in quick.why_not_quick([str(photo)], "cpu", "bf16")
    assert quick.why_not_quick([str(photo)], "cpu", "fp32") is None
    monkeypatch.setattr(quick, "cpu_flags", lambda: None)
    assert quick.why_not_quick([str(photo)], "cpu", "bf16")
    monkeypatch.setenv("ARTGAN_ONNX", "0")
    assert quick.why_not_quick([str(photo)], "cpu", "fp32") == "ARTGAN_ONNX=0"


def test_pictures_above_one_pass_take_the_pytorch_path(tmp_path, monkeypatch):
    monkeypatch.setattr(quick, "cpu_flags", lambda: {"avx2"})
    photo = tmp_path / "wide.png"
    _photo(1100, 20).save(photo)
    options = {"max_size": None, "strength": 1.0, "preserve_color": False}
    assert not quick.stylize_quickly((str(photo),), "vangogh", str(tmp_path / "out.png"), options, overwrite=False,
                                     skip_existing=False, device="cpu", as_json=False)
    assert not (tmp_path / "out.png").exists()
    options["max_size"] = 512  # shrunk to one pass: quick again
    assert quick.stylize_quickly((str(photo),), "vangogh", str(tmp_path / "out.png"), options, overwrite=False,
                                 skip_existing=False, device="cpu", as_json=False)
    assert Image.open(tmp_path / "out.png").size == (512, 9)


_SCRIPT = """
import json, sys
import artgan_cyclegan.quick as quick
quick.cpu_flags = lambda *a: {"avx2"}  # the facts of a CPU without native bf16, whatever this one is
from artgan.cli import cli
try:
    cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "torch": "torch" in sys.modules}), file=sys.stderr)
"""


def _cli_in_a_fresh_process(*args) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_one_picture_in_a_shipped_style_runs_without_torch(tmp_path):
    photo = tmp_path / "photo.png"
    _photo(64, 48, "RGBA").save(photo)
    facts, stdout = _cli_in_a_fresh_process("stylize", photo, "--style", "vangogh", "--device", "cpu", "--strength", "0.8",
                                            "-o", tmp_path / "out.jpg", "--json")
    assert facts == {"code": 0, "torch": False}
    (record,) = json.loads(stdout)
    assert record["output"] == str(tmp_path / "out.png") and (record["width"], record["height"]) == (64, 48)  # alpha: a PNG
    written = Image.open(tmp_path / "out.png")
    assert written.mode == "RGBA"
    meta = read_metadata(tmp_path / "out.png")
    assert meta["model"] == "cyclegan.vangogh" and meta["strength"] == "0.8" and meta["source"] == "photo.png"
    slow = artgan.load("vangogh", device="cpu", precision="fp32").run("stylize", photo, options={"strength": 0.8})
    assert np.abs(np.asarray(written).astype(int) - np.asarray(artgan.to_pil(slow)[0]).astype(int)).max() <= 1


def test_listing_models_and_help_import_no_torch():
    facts, stdout = _cli_in_a_fresh_process("models")
    assert facts == {"code": 0, "torch": False} and "cyclegan.vangogh" in stdout
    facts, stdout = _cli_in_a_fresh_process("--help")
    assert facts == {"code": 0, "torch": False} and "stylize" in stdout


def test_pattern_graphs_render_fields_of_any_size_with_either_padding(tmp_path):
    from artgan.nn import set_padding

    out = tmp_path / "onnx"
    run("export", "pattern.textures", "--format", "onnx", "-o", out)
    entries = {e["name"]: e for e in read_manifest(out)["graphs"]}
    assert set(entries) == {"G", "G_tileable"} and entries["G_tileable"]["convention"]["tileable"]
    G = artgan.load("pattern.textures", device="cpu", precision="fp32").nets["G"]
    latents = {key: [torch.randn(1, *shape, generator=torch.Generator().manual_seed(4)) for shape in group]
               for key, group in G.latent_shapes(3, 4).items()}
    weights = torch.tensor([[0.0, 0.5, 0.5, 0.0, 0.0, 0.0]])
    feed = [latents["local"][0], latents["global"][0], weights, *latents["noise"]]
    for name, padding in (("G", "reflect"), ("G_tileable", "circular")):
        session = onnx_session(out / entries[name]["file"])
        (got,) = session.run(None, {i.name: t.numpy() for i, t in zip(session.get_inputs(), feed)})
        set_padding(G, padding)
        with torch.no_grad():
            want = G(latents, weights).numpy()
        set_padding(G, "reflect")
        assert got.shape == (1, 3, 48, 64) and np.abs(got - want).max() <= TOLERANCE
