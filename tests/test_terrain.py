"""The terrain plugin: elevation readers, landform classes, engine sizes, every file format read back."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import artgan
from artgan.errors import ArtganError
from artgan.testing import check_plugin
from artgan_terrain import plugin, rules
from artgan_terrain import formats, generate as gen
from artgan_terrain.data import CropRules, landform, write_synthetic_grids
from artgan_terrain.dem import read_dem, resample
from artgan_terrain.heightfield import Heightfield
from artgan_terrain.maps import normal_map, splat_weights
from artgan_terrain.mesh import read_mesh
from conftest import run_cli

TINY = ["local_channels=2", "global_channels=2", "embed=2", "widths=[8,8,8,4,4]", "d_widths=[4,8]", "crop=32",
        "batch_size=4", "sample_every=0", "checkpoint_every=0", "precision=fp32"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("terrain")
    write_synthetic_grids(root / "dem", size=160)
    artgan.train("terrain", root / "dem", root / "run", steps=2, config=TINY, device="cpu", progress=False)
    return artgan.load(str(root / "run"), device="cpu", precision="fp32")


def test_contract(tmp_path):
    check_plugin(plugin, tmp_path)


# ------------------------------------------------------------------ reading real grids
def test_srtm_style_grid_is_metres_on_square_cells(tmp_path):
    heights = np.arange(120 * 100, dtype=np.int16).reshape(120, 100) % 500
    heights[3, 4] = -32768
    np.savez(tmp_path / "tile.npz", elevation=heights, lat_min=np.int64(60), cell_deg=np.float64(1 / 1200), nodata=np.int64(-32768))
    dem = read_dem(tmp_path / "tile.npz")
    assert dem.cell_m == pytest.approx(111_320 / 1200)
    # at 60.05° N a degree of longitude is half a degree of latitude: the columns are halved
    assert dem.heights.shape[0] == 120 and dem.heights.shape[1] == pytest.approx(100 * math.cos(math.radians(60.05)), abs=1)
    assert np.isnan(dem.heights).any() and np.nanmax(dem.heights) < 500


def test_metre_grids_ascii_grids_and_flipped_latitudes(tmp_path):
    np.savez(tmp_path / "a.npz", elevation=np.ones((8, 9), np.float32), cell_m=np.float64(30.0))
    assert read_dem(tmp_path / "a.npz").cell_m == 30.0
    rows = "\n".join(" ".join(str(r * 10 + c) for c in range(4)) for r in range(3))
    (tmp_path / "b.asc").write_text(f"ncols 4\nnrows 3\nxllcorner 0\nyllcorner 0\ncellsize 10\nNODATA_value -9999\n{rows}\n")
    b = read_dem(tmp_path / "b.asc")
    assert b.cell_m == 10 and b.heights[0, 0] == 0 and b.heights[2, 3] == 23
    lat = np.linspace(10, 10.1, 7, dtype=np.float32)  # south to north
    np.savez(tmp_path / "c.npz", elevation=np.arange(7 * 7, dtype=np.float32).reshape(7, 7), latitude=lat,
             longitude=np.linspace(5, 5.1, 7, dtype=np.float32))
    c = read_dem(tmp_path / "c.npz")
    assert c.heights[0, 0] == 42  # the northern row comes first
    resampled = resample(read_dem(tmp_path / "a.npz"), 60.0)
    assert resampled.heights.shape == (4, 4) or resampled.heights.shape == (4, 5)


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_broken_grids_are_refused_by_name(tmp_path, content):
    (tmp_path / "bad.npz").write_bytes(content)
    with pytest.raises(ArtganError, match="bad.npz"):
        read_dem(tmp_path / "bad.npz")


def test_landform_rules():
    r = CropRules(crop=8, cell_m=90, mountain_relief_m=600, holdout=0.3)
    ramp = np.linspace(0, 1, 64).reshape(8, 8)
    assert landform(100 + 300 * ramp, r) == "hills"
    assert landform(100 + 900 * ramp, r) == "mountains"
    assert landform(-50 + 400 * ramp, r) == "coast"
    assert landform(-300 + 310 * ramp, r) is None  # nearly all sea
    with_gap = 100 + 300 * ramp
    with_gap[2, 2] = np.nan
    assert landform(with_gap, r) is None


def test_training_crops_never_come_from_the_held_out_strip(tmp_path):
    from artgan_terrain.data import candidates
    from artgan_terrain.dem import Dem

    dem = Dem("x", np.linspace(0, 2000, 100 * 100, dtype=np.float32).reshape(100, 100), 90.0)
    r = CropRules(crop=16, cell_m=90, mountain_relief_m=600, holdout=0.3)
    train = candidates(dem, r, "train")
    held = candidates(dem, r, "holdout")
    assert train and held
    assert max(left + 16 for _, left, _ in train) <= 70 <= min(left for _, left, _ in held)


# ------------------------------------------------------------------ sizes and generation
def test_sizes_engines_do_not_import_are_refused_with_the_nearest(model):
    with pytest.raises(ArtganError, match="use 65 or 127"):
        model.generate(size=100)
    assert model.generate(size=100, any_size=True, seed=0).heights.shape == (1, 100, 100)
    with pytest.raises(ArtganError, match="multiple of 16"):
        model.generate(size=127, tileable=True)


def test_same_seed_same_terrain_and_metres_follow_the_options(model):
    a = model.generate(size=65, seed=4, label=0)
    b = model.generate(size=65, seed=4, label=0)
    assert torch.equal(a.heights, b.heights) and a.heights.dtype == torch.float32
    scaled = model.generate(size=65, seed=4, label=0, base=100.0, relief=500.0, cell_size=30.0)
    assert scaled.heights.min() >= 100 - 1e-3 and scaled.heights.max() <= 600 + 1e-3 and scaled.cell_m == 30.0


def test_tileable_maps_repeat_their_edges_and_wrap_smoothly(model):
    field = model.generate(size=65, seed=2, tileable=True).heights[0]
    assert torch.equal(field[-1], field[0]) and torch.equal(field[:, -1], field[:, 0])
    periodic = field[:-1, :-1].double().numpy()
    from artgan_terrain.evaluate import seam_ratios

    ratios = seam_ratios(periodic[None])
    assert ratios["height_jump"] < 2.0  # the wrap is no bigger a step than a neighbour (a seam would be several times)


def test_large_maps_render_in_tiles_exactly_as_whole(model, monkeypatch):
    whole = model.generate(size=129, seed=9, label=0)
    monkeypatch.setattr(gen, "TILE", 64)  # 3 × 3 tiles
    steps = []
    model.on_progress = lambda done, total: steps.append((done, total))
    try:
        tiled = model.generate(size=129, seed=9, label=0)
    finally:
        model.on_progress = None
    assert torch.allclose(whole.heights, tiled.heights, atol=1e-4)
    assert steps[-1][0] == steps[-1][1] > 1


def test_guide_sets_the_large_shape(model, tmp_path):
    yy, xx = np.mgrid[0:64, 0:64]
    Image.fromarray((xx * 4).astype(np.uint8)).save(tmp_path / "ramp.png")  # high in the east
    guided = model.generate(size=65, seed=1, guide=str(tmp_path / "ramp.png")).heights[0].numpy()
    free = model.generate(size=65, seed=1).heights[0].numpy()
    east_minus_west = lambda h: h[:, -16:].mean() - h[:, :16].mean()  # noqa: E731
    span = lambda h: h.max() - h.min()  # noqa: E731
    assert east_minus_west(guided) > 0.5 * span(guided) > 0
    assert abs(east_minus_west(free)) < east_minus_west(guided) / span(guided) * span(free)
    with pytest.raises(ArtganError, match="flat"):
        Image.new("L", (8, 8), 128).save(tmp_path / "flat.png")
        model.generate(size=65, guide=str(tmp_path / "flat.png"))


# ------------------------------------------------------------------ files, read back
@pytest.mark.parametrize("suffix", [".png", ".tif", ".r16", ".raw"])
def test_heightmaps_read_back_in_metres(model, tmp_path, suffix):
    field = model.generate(size=65, seed=3, label=0, base=-20.0, relief=1500.0)
    target = tmp_path / f"peak{suffix}"
    written = artgan.write(field, target)
    assert sorted(p.name for p in written) == sorted([target.name, "peak.json"])
    meta = json.loads((tmp_path / "peak.json").read_text())
    assert (meta["width"], meta["height"], meta["cell_size_m"]) == (65, 65, field.cell_m)
    if suffix in (".r16", ".raw"):
        samples = np.frombuffer(target.read_bytes(), dtype="<u2")
        assert samples.size == 65 * 65
    else:
        with Image.open(target) as image:
            assert image.size == (65, 65) and image.mode.startswith("I;16")
    back = formats.read_heightmap(target)
    step = (meta["max_height_m"] - meta["min_height_m"]) / 65535
    assert back.heights.shape == (1, 65, 65)
    assert torch.allclose(back.heights.double(), field.heights.double(), atol=step)
    assert back.cell_m == field.cell_m


def test_a_folder_holds_one_heightmap_per_terrain_and_a_file_only_one(model, tmp_path):
    field = model.generate(n=3, size=33, seed=1)
    names = sorted(p.name for p in artgan.write(field, tmp_path / "maps/"))
    assert names == ["0000.json", "0000.png", "0001.json", "0001.png", "0002.json", "0002.png"]
    assert json.loads((tmp_path / "maps" / "0001.json").read_text())["file"] == "0001.png"
    with pytest.raises(ArtganError, match="into a folder"):
        artgan.write(field, tmp_path / "one.png")


def test_an_existing_sidecar_is_never_overwritten(model, tmp_path):
    (tmp_path / "peak.json").write_text("mine")
    result = run_cli("generate", model.checkpoint.path, "--size", "33", "-o", tmp_path / "peak.png", ok=False)
    assert result.exit_code == 2 and "peak.json exists" in result.stderr
    assert (tmp_path / "peak.json").read_text() == "mine" and not (tmp_path / "peak.png").exists()


def test_flip_reverses_rows_and_says_so(model, tmp_path):
    plain = model.generate(size=33, seed=6, label=0)
    flipped = model.generate(size=33, seed=6, label=0, flip=True)
    assert torch.equal(flipped.heights, plain.heights.flip(1))
    artgan.write(flipped, tmp_path / "f.r16")
    assert "south" in json.loads((tmp_path / "f.json").read_text())["orientation"].split(",")[0]


@pytest.mark.parametrize("suffix", [".glb", ".obj"])
def test_meshes_are_y_up_metres_with_upward_normals(tmp_path, suffix):
    rows, cols = torch.meshgrid(torch.arange(33.0), torch.arange(33.0), indexing="ij")
    field = Heightfield((cols * 5.0)[None], cell_m=10.0)  # rises 5 m per 10 m eastwards
    artgan.write(field, tmp_path / f"m{suffix}")
    mesh = read_mesh((tmp_path / f"m{suffix}").read_bytes(), suffix)
    assert len(mesh.vertices) == 33 * 33 and len(mesh.faces) == 2 * 32 * 32
    assert np.allclose(mesh.bounds, [[0, 0, 0], [320, 160, 320]])
    expected = np.array([-0.5, 1.0, 0.0]) / math.sqrt(1.25)
    assert np.allclose(mesh.face_normals, expected, atol=1e-6)  # the winding faces up
    assert np.allclose(mesh.vertex_normals, expected, atol=1e-4)


def test_meshes_of_large_maps_keep_every_kth_sample(model, tmp_path):
    field = model.generate(size=65, seed=1, mesh_step=4)
    artgan.write(field, tmp_path / "m.glb")
    assert len(read_mesh((tmp_path / "m.glb").read_bytes(), ".glb").vertices) == 17 * 17


# ------------------------------------------------------------------ maps and commands
def test_normal_map_conventions_and_splat_weights():
    rows, cols = np.mgrid[0:16, 0:16].astype(float)
    north_rising = (15 - rows) * 2.0  # row 0 is north, the highest
    gl, dx = normal_map(north_rising, 1.0, "opengl"), normal_map(north_rising, 1.0, "directx")
    assert (gl[..., 1] < 0).all() and np.allclose(dx[..., 1], -gl[..., 1]) and np.allclose(gl[..., 0], 0)
    weights = splat_weights(np.outer(np.ones(16), np.linspace(0, 300, 16)), 90.0)  # gentle: no rock
    assert np.allclose(weights.sum(-1), 1) and weights[:, 0, 0].mean() > 0.9 and weights[:, -1, 3].mean() > 0.9


def test_terrain_commands_preview_maps_mesh_info(model, tmp_path):
    run_cli("generate", model.checkpoint.path, "--size", "65", "--seed", "3", "-o", tmp_path / "peak.png")
    run_cli("terrain", "preview", tmp_path / "peak.png", "-o", tmp_path / "shaded.png")
    with Image.open(tmp_path / "shaded.png") as image:
        assert image.size == (65, 65) and image.mode == "RGB"
    run_cli("terrain", "maps", tmp_path / "peak.png", "-o", tmp_path / "maps", "--normal", "directx")
    with Image.open(tmp_path / "maps" / "peak_normal.png") as normal, Image.open(tmp_path / "maps" / "peak_splat.png") as splat:
        assert normal.size == splat.size == (65, 65) and splat.mode == "RGBA"
    run_cli("terrain", "mesh", tmp_path / "peak.png", "-o", tmp_path / "peak.glb")
    assert len(read_mesh((tmp_path / "peak.glb").read_bytes(), ".glb").vertices) == 65 * 65
    info = json.loads(run_cli("terrain", "info", tmp_path / "peak.png", "--json").output)
    meta = json.loads((tmp_path / "peak.json").read_text())
    assert info["size"] == [65, 65] and info["min_height_m"] == pytest.approx(meta["min_height_m"], abs=0.01)
    again = run_cli("terrain", "maps", tmp_path / "peak.png", "-o", tmp_path / "maps", ok=False)
    assert again.exit_code == 2 and "exists" in again.stderr


def test_a_raw_file_without_sidecar_needs_a_square_or_its_size(tmp_path):
    (tmp_path / "x.r16").write_bytes(np.zeros(6 * 4, "<u2").tobytes())
    with pytest.raises(ArtganError, match="not a square"):
        formats.read_heightmap(tmp_path / "x.r16")
    assert formats.read_heightmap(tmp_path / "x.r16", size=(6, 4)).heights.shape == (1, 4, 6)


def test_training_rules_come_from_the_config():
    config = plugin.tiny_config()
    assert rules(config).crop == config.crop and rules(config).cell_m == config.cell_m


@pytest.mark.skipif(not Path("../shared/data/dem").is_dir(), reason="the shared elevation data is not here")
def test_real_grids_give_all_three_landforms():
    from artgan_terrain.data import TerrainCrops

    crops = TerrainCrops("../shared/data/dem", rules(plugin.Config()))
    assert crops.names == ["coast", "hills", "mountains"]
    assert all(len(group) > 100 for group in crops.crops)
    assert crops.relief_m[2] > crops.relief_m[1] and crops.base_m[0] == pytest.approx(0, abs=1)


def test_preset_options_are_defaults_the_caller_can_replace(model):
    from artgan.inference.model import Model
    from artgan.plugin import Preset, validate_plugin
    from artgan.registry import ModelRef

    first, second = model.labels[0], model.labels[-1]
    preset = Preset(tag="only", task="generate", sha256="0" * 64, licence="x", description="x",
                    path=model.checkpoint.path, options={"generate": {"label": first, "size": 33}})
    fixed = Model(ModelRef("terrain.only", plugin, model.checkpoint.path, preset=preset), "cpu", precision="fp32")
    out = fixed.generate(seed=1)
    assert out.heights.shape == (1, 33, 33) and out.labels == [first] and out.metadata["label"] == first
    assert fixed.generate(seed=1, size=65).heights.shape == (1, 65, 65)
    assert fixed.generate(seed=1, label=second).labels == [second]
    assert fixed.generate(seed=1, mix={first: 0.5, second: 0.5}).labels == [""]  # a mix sets the preset's label aside

    class Misdeclared(type(plugin)):
        presets = (Preset(tag="bad", task="generate", sha256="0" * 64, licence="x", description="x",
                          path=model.checkpoint.path, options={"generate": {"colour": 1}, "paint": {}}),)

    problems = " ".join(validate_plugin(Misdeclared()))
    assert "['colour'], which are not its options" in problems and "'paint', which is not one of" in problems


def test_sidecar_endings_are_checked():
    from artgan.plugin import Writer, writer_problems

    ok = Writer((".png",), Heightfield, formats.encode_raster, sidecars=(".json", "_normal.png"))
    bad = Writer((".png",), Heightfield, formats.encode_raster, sidecars=("json",))
    assert writer_problems([ok]) == [] and "sidecars must be" in writer_problems([bad])[0]


def test_a_job_too_large_for_memory_is_refused_before_any_work(model, monkeypatch):
    monkeypatch.setenv("ARTGAN_MEMORY_LIMIT", "200MB")
    with pytest.raises(ArtganError, match="4097×4097"):
        model.generate(size=4097)
    with pytest.raises(ArtganError, match="-n"):
        model.generate(size=1025, n=64)


def test_heightmaps_artgan_wrote_train_as_elevation_grids_north_first(model, tmp_path):
    plain = model.generate(size=33, seed=8, label=0, relief=900.0)
    artgan.write(plain, tmp_path / "north.png")
    artgan.write(model.generate(size=33, seed=8, label=0, relief=900.0, flip=True), tmp_path / "south.png")
    step = 900.0 / 65535
    for name in ("north", "south"):
        dem = read_dem(tmp_path / f"{name}.png")
        assert dem.cell_m == plain.cell_m
        assert np.allclose(dem.heights, plain.heights[0].numpy(), atol=step)


def test_a_flipped_map_makes_the_same_geographic_mesh(model, tmp_path):
    for name, flip in (("plain", False), ("flipped", True)):
        artgan.write(model.generate(size=33, seed=6, label=0, flip=flip), tmp_path / f"{name}.obj")
    plain, flipped = (read_mesh((tmp_path / f"{n}.obj").read_bytes(), ".obj") for n in ("plain", "flipped"))
    assert np.allclose(plain.vertices, flipped.vertices)
