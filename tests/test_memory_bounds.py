"""Memory is bounded, and sizes are checked before anything is allocated.

``ARTGAN_MEMORY_LIMIT`` simulates a small machine; no test allocates more than a few MB:
every oversized job here must be refused before its first big allocation.
"""

import io
import json
import sys
import time

import pytest
import torch
from click.testing import CliRunner
from PIL import Image, JpegImagePlugin

import artgan
import artgan_pattern
from artgan import memory
from artgan.cli import cli
from artgan.errors import ArtganError
from artgan.images import open_image, write_random_images
from artgan.metrics.seams import seam_ratio
from conftest import TINY_MLP

PATTERN = ["local_channels=2", "global_channels=2", "embed=2", "widths=[8,8,8,4,4]", "d_widths=[4,8]", "crop=32",
           "max_side=48", "batch_size=4", "sample_every=0", "checkpoint_every=0", "precision=fp32"]
#: A generator and discriminator of 275 GB each: one weight matrix is 1024² × 65536 floats
#: (within the config's ranges), so even the old code fails at once instead of filling memory.
HUGE_MLP = {"g_hidden": [65536], "image_size": 1024}


# --------------------------------------------------------------------------- the limit
def test_the_limit_comes_from_the_environment_and_the_refusal_says_what_and_how(monkeypatch):
    assert memory.parse_bytes("2GB") == 2 * 10**9
    assert memory.parse_bytes("512 MiB") == 512 * 2**20
    assert memory.parse_bytes("1.5e3") == 1500
    monkeypatch.setenv(memory.ENV, "2GB")
    assert memory.available_bytes() == 2 * 10**9
    memory.check_fits(10**9, "a small job", "ask for less")
    with pytest.raises(ArtganError) as caught:
        memory.check_fits(3 * 10**9, "a big job", "ask for less")
    message = str(caught.value)
    assert "a big job needs about 3 GB" in message and "only 2 GB" in message and "ARTGAN_MEMORY_LIMIT" in message
    assert "ask for less" in message
    monkeypatch.setenv(memory.ENV, "lots")
    with pytest.raises(ArtganError, match="ARTGAN_MEMORY_LIMIT='lots': give a size such as 2GB"):
        memory.available_bytes()
    monkeypatch.delenv(memory.ENV)
    assert memory.available_bytes() > 0  # this machine's MemAvailable


def test_networks_are_sized_on_the_meta_device(tmp_path, monkeypatch):
    from artgan_mlp import plugin
    from artgan_mlp.model import Generator

    sizes = memory.network_bytes(lambda: {"G": Generator(8, (65536,), 1024)})
    assert sizes == {"G": (4 * (8 * 65536 + 65536 + 65536 * 1024**2 + 1024**2), 0)}  # 275 GB, none of it allocated
    # a build that needs real tensors gives no estimate (and the real build still decides)
    assert memory.network_bytes(lambda: {"G": torch.nn.Linear(2, int(torch.ones(1).item()))}) is None
    assert memory.check_networks(lambda: {"G": torch.nn.Linear(2, int(torch.ones(1).item()))}, "x", "y") is None
    # a module first imported during the meta build keeps its constant tensors real
    (tmp_path / "fresh_model_module.py").write_text("import torch\nTABLE = torch.ones(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def build():
        import fresh_model_module

        return {"G": torch.nn.Linear(int(fresh_model_module.TABLE.shape[0]), 2)}

    assert memory.network_bytes(build) == {"G": (4 * 8, 0)}
    assert sys.modules["fresh_model_module"].TABLE.device.type == "cpu"
    assert plugin.build(plugin.tiny_config())["G"].net[0].weight.device.type == "cpu"


# --------------------------------------------------------------------------- networks
@pytest.fixture
def mlp_run(tmp_path, digits_folder):
    run = tmp_path / "run"
    artgan.train("mlp", digits_folder, run, steps=2, config=TINY_MLP, device="cpu", progress=False)
    return run


def _edit_model_config(run, **changes):
    """What a damaged or hand-edited config.json says: model_config only (the sha256 covers the weights)."""
    for path in run.glob("checkpoints/step-*/config.json"):
        meta = json.loads(path.read_text())
        meta["model_config"].update(changes)
        path.write_text(json.dumps(meta))


def test_a_checkpoint_asking_for_a_huge_network_is_refused_before_allocating(mlp_run, monkeypatch):
    _edit_model_config(mlp_run, **HUGE_MLP)
    monkeypatch.setenv(memory.ENV, "1GB")
    started = time.perf_counter()
    with pytest.raises(ArtganError, match=r"loading .*needs about 550 GB of memory, but only 1 GB"):
        artgan.load(str(mlp_run), device="cpu")
    result = CliRunner().invoke(cli, ["generate", str(mlp_run), "--device", "cpu", "-o", str(mlp_run / "x.png")])
    assert result.exit_code == 2
    assert "artgan: error: loading" in result.output and "needs about 550 GB" in result.output
    assert time.perf_counter() - started < 5


def test_training_and_resuming_huge_networks_are_refused_before_allocating(mlp_run, digits_folder, tmp_path, monkeypatch):
    monkeypatch.setenv(memory.ENV, "1GB")
    overrides = [*TINY_MLP, "g_hidden=[65536]", "image_size=1024"]
    with pytest.raises(ArtganError, match=r"training mlp \(its networks, gradients and optimizer state\) needs about"):
        artgan.train("mlp", digits_folder, tmp_path / "new", steps=1, config=overrides, device="cpu", progress=False)
    _edit_model_config(mlp_run, **HUGE_MLP)
    with pytest.raises(ArtganError, match=r"training mlp .* needs about (1|2)\.\d+ TB"):  # ×4 for grads and Adam
        artgan.train("mlp", digits_folder, mlp_run, steps=4, device="cpu", progress=False, resume=True)


# --------------------------------------------------------------------------- images
def _jpeg(size, **save) -> bytes:
    small = Image.fromarray(torch.randint(0, 255, (6, 9, 3), dtype=torch.uint8).numpy(), "RGB")
    buffer = io.BytesIO()
    small.resize(size, Image.BILINEAR).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def test_a_jpeg_header_claiming_far_more_than_its_bytes_is_refused_before_decoding(tmp_path, monkeypatch):
    data = bytearray(_jpeg((16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (12000).to_bytes(2, "big") * 2  # height, width
    path = tmp_path / "forged.jpg"
    path.write_bytes(bytes(data))

    def no_decoding(self):
        raise AssertionError("decoded (allocated) a picture whose header cannot be right")

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", no_decoding)
    for source in (path, io.BytesIO(bytes(data))):
        with pytest.raises(ArtganError, match=r"claims 12000×12000 pixels, more than its [\d,]+ bytes can hold"):
            open_image(source)


def test_decoding_is_refused_when_it_would_not_fit_in_memory(tmp_path, monkeypatch):
    path = write_random_images(tmp_path, 1, (800, 600))[0]
    assert open_image(path).size == (800, 600)
    monkeypatch.setenv(memory.ENV, "1MB")
    with pytest.raises(ArtganError, match=r"decoding 800×600 pixels needs about 3.84 MB of memory.*downscale"):
        open_image(path)


@pytest.fixture
def drafts(monkeypatch):
    """The sizes every JPEG draft (reduced-scale decoding) asked for."""
    asked = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        asked.append(size)
        return real(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return asked


def test_a_jpeg_that_will_be_shrunk_is_decoded_at_a_reduced_scale(tmp_path, drafts):
    path = tmp_path / "big.jpg"
    path.write_bytes(_jpeg((2400, 1600)))
    image = open_image(path, shrink=lambda hw: (hw[0] // 8, hw[1] // 8))
    assert image.size == (300, 200) and image.info["artgan_full_size"] == (2400, 1600)
    assert open_image(path, shrink=lambda hw: (64, 64)).size == (2400, 1600)  # a crop to a fixed size needs it all
    # sideways in the file (EXIF orientation 6): the shrink sees the upright size
    exif = Image.Exif()
    exif[0x0112] = 6
    path.write_bytes(_jpeg((2400, 1600), exif=exif))
    image = open_image(path, shrink=lambda hw: (hw[0] // 4, hw[1] // 4))
    assert image.size == (400, 600) and image.info["artgan_full_size"] == (1600, 2400)


def test_stylize_with_max_size_decodes_a_big_jpeg_at_reduced_scale(tiny_style_run, tmp_path, drafts, monkeypatch):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_jpeg((2400, 1600)))
    model = artgan.load(str(tiny_style_run), device="cpu", precision="fp32")
    assert model.stylize(path, max_size=64).pixels.shape[-2:] == (43, 64)  # the size the full picture gives
    assert drafts == [(64, 43)]
    result = CliRunner().invoke(cli, ["stylize", str(path), "--style", str(tiny_style_run), "--max-size", "48",
                                      "--device", "cpu", "-o", str(tmp_path / "out.png")])
    assert result.exit_code == 0, result.output
    assert drafts[-1] == (48, 32) and Image.open(tmp_path / "out.png").size == (48, 32)
    monkeypatch.setenv(memory.ENV, "560KB")  # decoding at 1/8 fits, the rest does not
    with pytest.raises(ArtganError, match=r"stylizing a 64×43 picture needs about .*--max-size"):
        model.stylize(path, max_size=64)


# --------------------------------------------------------------------------- generation
@pytest.fixture(scope="module")
def pattern(tmp_path_factory):
    root = tmp_path_factory.mktemp("pattern")
    for index, name in enumerate(("dots", "stripes")):
        write_random_images(root / "data" / name, count=3, size=(48, 48), seed=index)
    artgan.train("pattern", root / "data", root / "run", steps=2, config=PATTERN, device="cpu", progress=False)
    return artgan.load(str(root / "run"), device="cpu", precision="fp32")


def _both_ways(model, monkeypatch, **options):
    """The same pictures rendered whole and in 64 px tiles, and the progress of the tiled run."""
    monkeypatch.setattr(artgan_pattern, "TILE", 1024)
    whole = model.generate(seed=1, **options).pixels
    monkeypatch.setattr(artgan_pattern, "TILE", 64)
    seen = []
    model.on_progress = lambda done, total: seen.append((done, total))
    try:
        tiled = model.generate(seed=1, **options).pixels
    finally:
        model.on_progress = None
    return whole, tiled, seen


def test_large_pictures_are_rendered_in_tiles_that_match_the_whole(pattern, monkeypatch):
    whole, tiled, seen = _both_ways(pattern, monkeypatch, size=(200, 136), label="dots")
    assert whole.shape == tiled.shape == (1, 3, 136, 200)
    assert (whole - tiled).abs().max() < 1e-5  # measured: 6e-8 (float rounding only)
    assert seen[-1] == (12, 12)  # a 13×9 noise field in tiles of 4×4: 4 × 3 tiles
    frames, tiled_frames, _ = _both_ways(pattern, monkeypatch, size=96, interpolate=7, frames=3)
    assert (frames - tiled_frames).abs().max() < 1e-5


def test_tiled_tileable_pictures_still_wrap_around(pattern, monkeypatch):
    whole, tiled, _ = _both_ways(pattern, monkeypatch, size=128, tileable=True, label="stripes", n=2)
    assert (whole - tiled).abs().max() < 1e-5  # measured: 6e-8
    rolled = torch.roll(tiled, shifts=(64, 64), dims=(-2, -1))
    assert seam_ratio(tiled) < 1.3 and seam_ratio(rolled) < 1.3


def test_fewer_large_pictures_go_through_the_generator_at_once(pattern, monkeypatch):
    monkeypatch.setattr(artgan_pattern, "BATCH_PIXELS", 2 * 64 * 64)
    sizes = []
    handle = pattern.nets["G"].register_forward_hook(lambda module, args, out: sizes.append(out.shape[0]))
    try:
        pattern.generate(n=5, seed=0, size=64)
        pattern.generate(n=5, seed=0, size=32)
    finally:
        handle.remove()
    assert sizes == [2, 2, 1, 5]


def test_generation_that_cannot_fit_is_refused_with_a_remedy(pattern, monkeypatch, tmp_path):
    monkeypatch.setenv(memory.ENV, "20MB")
    with pytest.raises(ArtganError, match=r"generating 64 images of 256×256 needs about .* ask for fewer at a time \(-n"):
        pattern.generate(n=64, seed=0, size=256, batch_size=1)
    with pytest.raises(ArtganError, match=r"generating 4 images .* lower --batch-size \(it is 4 here\)"):
        pattern.generate(n=4, seed=0, size=512)
    with pytest.raises(ArtganError, match=r"generating 1 image of 2048×1024 needs about .* smaller --size"):
        pattern.generate(seed=0, size="2048x1024")
    # (sizes the old code could render without harm: it must fail by not refusing, not by filling memory)
    result = CliRunner().invoke(cli, ["generate", str(pattern.checkpoint.path), "-n", "64", "--size", "256",
                                      "--device", "cpu", "-o", str(tmp_path / "grid.png")])
    assert result.exit_code == 2 and "artgan: error: generating 64 images of 256×256 needs about" in result.output


def test_a_grid_too_large_to_encode_is_refused_and_a_folder_still_works(pattern, monkeypatch, tmp_path):
    monkeypatch.setenv(memory.ENV, "9MB")  # the 16 pictures fit (about 7 MB), their grid's encoding does not
    command = ["generate", str(pattern.checkpoint.path), "-n", "16", "--size", "128", "--batch-size", "1",
               "--device", "cpu", "--seed", "0", "-o"]
    result = CliRunner().invoke(cli, [*command, str(tmp_path / "grid.png")])
    assert result.exit_code == 2 and "a grid of 16 images (0.3 Mpx) needs about 12.5 MB" in result.output
    assert "write them to a folder instead" in result.output
    result = CliRunner().invoke(cli, [*command, str(tmp_path / "each")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "each").glob("*.png"))) == 16
