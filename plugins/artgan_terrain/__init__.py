"""``terrain``: heightmaps game engines import, from a GAN trained on real elevation.

A fully convolutional, class-conditional heightfield generator (:mod:`artgan_terrain.model`)
trained on random crops of real elevation grids (:mod:`artgan_terrain.data`), normalised
per crop, with the height range and cell size of each landform kept in the config so its
maps come out in metres. One set of weights makes any size; ``--tileable`` wraps around.

Files (:mod:`artgan_terrain.formats`, :mod:`artgan_terrain.mesh`): 16-bit grey PNG and raw
little-endian ``.r16``/``.raw`` with a JSON sidecar (metres, cell size, orientation,
provenance), binary glTF ``.glb`` and ``.obj`` meshes, a folder of maps. Commands:
``artgan terrain preview|maps|mesh|info`` (:mod:`artgan_terrain.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgan.config import option, setting
from artgan.plugin import Phase, Plugin, Preset, Verb, Writer
from artgan_terrain.heightfield import Heightfield

PRESETS_DIR = Path(__file__).parent / "presets"
DEFAULT_SIZE = 513  # samples per side when no size is asked for (an engine size, 2⁹+1)
LANDFORMS_SHA256 = "3b1aabb3f08d27c05c609a4a832f1a605218201aaa428a771d048a6a28977a37"
LICENCE = "public domain data (NASA/USGS SRTM, USGS NED); weights CC0-1.0"


def _label(value: Any) -> Any:
    """A class name or index for every terrain, or a list with one per terrain (checked on use)."""
    return value


def _mix(value: Any) -> Any:
    from artgan.labels import parse_mix

    return parse_mix(value)


def _size(value: Any) -> int:
    from artgan.errors import ArtganError

    try:
        size = int(str(value)) if not isinstance(value, int) or isinstance(value, bool) else value
    except ValueError:
        raise ArtganError(f"size {value!r}: give the samples per side, e.g. 513 or 1025") from None
    if isinstance(value, bool) or not 2 <= size <= 16385:
        raise ArtganError(f"size {value!r}: give the samples per side, from 2 to 16385")
    return size


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many terrains (more than one: write them into a folder).", flag="-n", minimum=1, maximum=4096)
    label: Any = option(None, "Landform class name or index (default: a random class per terrain).", parse=_label)
    mix: Any = option(None, "Blend classes, e.g. hills:0.5,mountains:0.5.", parse=_mix)
    size: int = option(DEFAULT_SIZE, "Samples per side: an engine size (Unity 2ⁿ+1: 33 … 4097; "
                                     "Unreal: 127, 253, 505, 1009, 2017, 4033, 8129).", parse=_size)
    any_size: bool = option(False, "Honour a size no terrain engine imports (see --size).")
    tileable: bool = option(False, "Wrap around: the last row and column repeat the first, so tiles join edge to edge.")
    guide: str | None = option(None, "A coarse sketch or low-resolution heightmap (grey image or grid) the large "
                                     "shapes follow; white is high.")
    relief: float | None = option(None, "Height range in metres (default: the landform's median in the training data).",
                                  above=0, maximum=20_000)
    base: float | None = option(None, "Lowest point in metres (default: the landform's median).", minimum=-12_000, maximum=9_000)
    cell_size: float | None = option(None, "Metres between samples (default: the model's training cell size).",
                                     above=0, maximum=100_000)
    flip: bool = option(False, "Write rows south to north (row 0 = south edge), for importers that want it.")
    mesh_step: int | None = option(None, "Meshes keep every k-th sample (default: 1, or what keeps a mesh "
                                         "within 1025² samples).", minimum=1, maximum=1024)


@dataclass
class TerrainConfig:
    """Settings of the terrain GAN; the defaults are the shipped model's architecture."""

    labels: tuple[str, ...] = ()  # class names, filled in from the training data
    base_m: tuple[float, ...] = ()  # per class: median lowest point of the training crops, metres
    relief_m: tuple[float, ...] = ()  # per class: median relief of the training crops, metres
    cell_m: float = setting(90.0, above=0, maximum=100_000)  # grids are resampled to cells of this many metres
    crop: int = setting(64, minimum=16, maximum=4096)  # side of the training crops, cells
    mountain_relief_m: float = setting(600.0, above=0, maximum=20_000)  # a land crop this rugged is "mountains"
    holdout: float = setting(0.3, minimum=0, below=1)  # eastern share of each grid kept out of training
    local_channels: int = setting(16, minimum=1, maximum=1024)  # channels of the noise field (1/16 of the size)
    global_channels: int = setting(32, minimum=1, maximum=4096)  # length of the global latent
    embed: int = setting(16, minimum=1, maximum=4096)  # size of the class embedding
    widths: tuple[int, ...] = setting((128, 96, 64, 32, 16), minimum=1, maximum=2048)  # generator channels; ×2 stages between
    d_widths: tuple[int, ...] = setting((32, 64, 128, 128), minimum=1, maximum=2048)  # critic channels, one stride-2 stage each
    lr_g: float = setting(1e-4, above=0, maximum=1)  # generator learning rate (two time-scale rule, Heusel et al. 2017)
    lr_d: float = setting(4e-4, above=0, maximum=1)  # critic learning rate


class TerrainPlugin(Plugin):
    """Heightmaps by landform, any size, tileable, in metres."""

    name = "terrain"
    Config = TerrainConfig
    roles = ("G", "D")
    inference_roles = ("G",)
    augment_roles = ("D",)
    train_defaults = {
        "steps": 4_000,
        "batch_size": 16,
        "augment": "translation",
        "ema_half_life_kimg": 5.0,
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 25,
    }
    presets = (
        Preset(tag="landforms", task="generate", path=PRESETS_DIR / "landforms", sha256=LANDFORMS_SHA256, licence=LICENCE,
               description="heightmaps in metres, any size, tileable: coast, hills, mountains (or a --mix)"),
        *(Preset(tag=kind, task="generate", path=PRESETS_DIR / "landforms", sha256=LANDFORMS_SHA256, licence=LICENCE,
                 description=f"{what} heightmaps in metres, any size, tileable (terrain.landforms, --label {kind})",
                 options={"generate": {"label": kind}})
          for kind, what in (("coast", "coast and island"), ("hills", "hill country"), ("mountains", "mountain"))),
    )

    def tiny_config(self) -> TerrainConfig:
        return TerrainConfig(local_channels=2, global_channels=2, embed=2, widths=(8, 8, 4), d_widths=(4, 8), crop=16)

    def adapt_config(self, config: TerrainConfig, dataset: Any) -> TerrainConfig:
        return replace(config, labels=tuple(dataset.names), base_m=tuple(round(v, 1) for v in dataset.base_m),
                       relief_m=tuple(round(v, 1) for v in dataset.relief_m))

    def label_names(self, config: TerrainConfig) -> list[str]:
        return list(config.labels)

    def phases(self, config: TerrainConfig) -> list[Phase]:
        return [
            Phase("D", trains=("D",), lr=config.lr_d, betas=(0.0, 0.999)),
            Phase("G", trains=("G",), lr=config.lr_g, betas=(0.0, 0.999)),
        ]

    def build(self, config: TerrainConfig) -> dict[str, Any]:
        from artgan_terrain.model import TerrainCritic, heights_generator

        classes = max(1, len(config.labels))
        return {"G": heights_generator(classes, config.local_channels, config.global_channels, config.embed, config.widths),
                "D": TerrainCritic(classes, config.d_widths)}

    def dataset(self, source: Any, config: TerrainConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_terrain.data import TerrainCrops

        if not isinstance(source, str):
            raise ArtganError("terrain trains on one folder of elevation grids (or of class folders): give --data")
        return TerrainCrops(source, rules(config))

    def loss(self, phase: str, nets: Any, batch: Any, config: TerrainConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        from artgan.engine.losses import d_hinge, g_hinge
        from artgan_terrain.generate import draw_latents

        real, classes = batch
        labels = F.one_hot(classes, max(1, len(config.labels))).float()
        G, D = nets["G"], nets["D"]
        latents = draw_latents(G, real.shape[0], (real.shape[-2] // G.factor, real.shape[-1] // G.factor), None, real.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(latents, labels)
            real_score, fake_score = D(real, labels), D(fake, labels)
            return d_hinge(real_score, fake_score), {"real_score": real_score.detach().float().mean(),
                                                      "fake_score": fake_score.detach().float().mean()}
        return g_hinge(D(G(latents, labels), labels)), {}

    def preview(self, nets: Any, config: TerrainConfig, batch: Any, generator: Any) -> Any:
        """16 hillshaded maps at twice the crop size, the classes in turn (grey, as the sample grids are)."""
        import torch

        from artgan_terrain.generate import draw_latents
        from artgan_terrain.maps import hillshade

        G = nets["G"]
        classes = max(1, len(config.labels))
        labels = torch.nn.functional.one_hot(torch.arange(16) % classes, classes).float()
        side = 2 * config.crop // G.factor
        device = next(G.parameters()).device
        heights = G(draw_latents(G, 16, (max(2, side), max(2, side)), generator, device), labels.to(device)).float().cpu()
        # a relief of about a twelfth of the width, as in the training crops (≈ 500 m over 5.8 km)
        shaded = torch.stack([torch.from_numpy(hillshade(h[0].numpy(), 24.0 / h.shape[-1])) for h in heights])
        return shaded[:, None] * 2 - 1

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """Realism against held-out real crops of ``source``, beside procedural baselines and the
        real-vs-real floor, and the seams of tileable maps (:mod:`artgan_terrain.evaluate`)."""
        from artgan_terrain.evaluate import realism

        return realism(model, source, n=n, seed=seed)

    # ------------------------------------------------------------------ inference
    @property
    def verbs(self) -> tuple[Verb, ...]:
        return (Verb("generate", self.generate, GenerateOptions, Heightfield,
                     help="Heightmaps in metres by landform, any size, optionally tileable or following a --guide."),)

    @property
    def writers(self) -> tuple[Writer, ...]:
        from artgan_terrain import formats

        return formats.WRITERS

    def generate(self, model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Heightfield:
        from artgan_terrain.generate import generate

        return generate(model, options, generator)

    def commands(self) -> list[Any]:
        from artgan_terrain.commands import terrain

        return [terrain]

    def test_source(self, directory: Path, config: TerrainConfig) -> str:
        from artgan_terrain.data import write_synthetic_grids

        return str(write_synthetic_grids(Path(directory) / "dem", size=3 * config.crop))


def rules(config: TerrainConfig) -> Any:
    """How the training crops are cut and classed, from a config."""
    from artgan_terrain.data import CropRules

    return CropRules(config.crop, config.cell_m, config.mountain_relief_m, config.holdout)


plugin = TerrainPlugin()
