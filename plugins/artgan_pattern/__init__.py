"""``pattern``: conditional, tileable textures and canvases of any size.

A fully convolutional generator driven by a spatial noise field, a global latent and a
class label (see :mod:`artgan_pattern.model`), trained on random crops of a folder of
class folders. It makes any output size from the same weights; ``tileable=True`` switches
its convolutions to circular padding so the picture wraps around seamlessly.

The ``generate`` verb takes ``size`` (pixels: ``1024``, ``"1920x1080"`` or ``(width, height)``;
default 256), ``tileable`` (sizes must then be multiples of 16), a ``label`` or a ``mix`` of
classes, and ``interpolate`` (a second seed to slide to, over ``frames`` pictures). Pictures
larger than 1024 px are rendered tile by tile, so memory stays bounded up to 16384².
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from artgan.config import option, setting
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb

PRESETS_DIR = Path(__file__).parent / "presets"
DEFAULT_SIZE = 256  # output side when no size is asked for
TILE = 1024  # pictures with a longer side are rendered in tiles of this many pixels (bounded memory)
BATCH_PIXELS = 2**22  # at most this many pixels go through the generator at once (64 pictures of 256²)


def parse_size(value: Any) -> tuple[int, int] | None:
    """``1024``, ``"1024"``, ``"1920x1080"`` or ``(1920, 1080)`` → ``(width, height)``."""
    from artgan.errors import ArtganError

    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        try:
            parts = [int(p) for p in str(value).lower().replace("×", "x").split("x")]
        except ValueError:
            parts = []
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        raise ArtganError(f"size {value!r}: give pixels as 1024 or WIDTHxHEIGHT")
    return parts[0], parts[1]


def _forward_bytes(G: Any, height: int, width: int) -> int:
    """Peak bytes of one picture's pass through ``G`` at a ``height×width`` noise field (float32):
    at each stage the input, its upsampled and padded copies, the convolution's output and the
    noise and normalisation temporaries."""
    widths = [G.stem.out_channels] + [block.conv1.out_channels for block in G.blocks]
    field = height * width
    peak = 2 * (G.stem.in_channels + widths[0]) * field
    for i in range(len(G.blocks)):
        pixels, cin, cout = field * 4 ** (i + 1), widths[i], widths[i + 1]
        peak = max(peak, (cin // 4 + 3 * cin + 6 * cout) * pixels)
    peak = max(peak, (2 * widths[-1] + 6) * field * G.factor**2)
    return 4 * peak


def _label(value: Any) -> Any:
    """A class name or index for every image, or a list with one per image (checked on use)."""
    return value


def _mix(value: Any) -> Any:
    from artgan.labels import parse_mix

    return parse_mix(value)


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    n: int = option(1, "How many images (more than one: a grid, or one file each in a folder).", flag="-n", minimum=1)
    label: Any = option(None, "Class name or index (default: a random class per image).", parse=_label)
    mix: Any = option(None, "Blend classes, e.g. wood:0.5,stone:0.5.", parse=_mix)
    size: Any = option(None, f"Output size in pixels, 1024 or WIDTHxHEIGHT (default {DEFAULT_SIZE}).", parse=parse_size)
    tileable: bool = option(False, "Make images that wrap around seamlessly (sizes: multiples of 16).")
    interpolate: int | None = option(None, "Slide from --seed to this seed: a strip (.png), a .gif, or frames.", minimum=0, maximum=2**63 - 1)
    frames: int = option(8, "Frames of --interpolate.", minimum=2, maximum=10_000)
    batch_size: int = option(64, "Images per forward pass, fewer for large sizes (memory; with one --seed, "
                                 "another batch size draws other images).", minimum=1)


def _output_size(config: Any, options: GenerateOptions, inputs: Any) -> tuple[int, int]:
    width, height = options.size or (DEFAULT_SIZE, DEFAULT_SIZE)
    return height, width


Upsample = Literal["nearest", "bilinear"]  # the modes of artgan.nn.conditional.Upsample2x


@dataclass
class PatternConfig:
    """Settings of the pattern GAN; the defaults are the shipped models' architecture (``pattern.canvas``
    predates ``upsample`` and uses nearest upsampling)."""

    labels: tuple[str, ...] = ()  # class names, filled in from the training data
    local_channels: int = setting(16, minimum=1, maximum=1024)  # channels of the spatial noise field (1/16 of the output size)
    global_channels: int = setting(32, minimum=1, maximum=4096)  # length of the global latent
    embed: int = setting(32, minimum=1, maximum=4096)  # size of the class embedding fed to every normalisation layer
    widths: tuple[int, ...] = setting((128, 128, 64, 32, 16), minimum=1, maximum=2048)  # generator channels from the field up; 4 ×2 stages
    d_widths: tuple[int, ...] = setting((32, 64, 128, 256), minimum=1, maximum=2048)  # discriminator channels, one stride-2 stage each
    crop: int = setting(64, minimum=16, maximum=4096)  # side of the random training crops
    max_side: int = setting(256, minimum=16, maximum=16_384)  # training images are shrunk to at most this shorter side
    jitter: float = setting(0.25, minimum=0, below=1)  # random rescaling of each crop's source, ± this fraction
    lr_g: float = setting(1e-4, above=0, maximum=1)  # generator Adam learning rate (two time-scale rule, Heusel et al. 2017)
    lr_d: float = setting(4e-4, above=0, maximum=1)  # discriminator Adam learning rate
    # generator's ×2 upsampling: nearest | bilinear (no 2-pixel ripple; see artgan.nn.conditional.Upsample2x);
    # models stored before this setting existed (pattern.canvas) were trained with nearest
    upsample: Upsample = setting("bilinear", before="nearest")

    def __post_init__(self) -> None:  # checked here too, so Python callers get the same error as -c (no torch import)
        from artgan.errors import ArtganError

        modes = typing.get_args(Upsample)
        if self.upsample not in modes:
            raise ArtganError(f"pattern setting upsample: {self.upsample!r} is not one of {', '.join(modes)}")


class PatternPlugin(Plugin):
    """Textures and canvases by class, any size, optionally tileable."""

    name = "pattern"
    Config = PatternConfig
    roles = ("G", "D")
    inference_roles = ("G",)
    augment_roles = ("D",)
    inference_precision = "bf16"
    # Measured on 2 AVX-512 bf16 CPU cores: bf16 in NCHW trains fastest; bf16 with channels-last
    # was the slowest combination for these small-channel convolutions, so it stays off. On
    # AVX2-only CPUs bf16 is emulated (32.5 s vs 6.4 s a step), so auto picks fp32 there.
    train_precision = "bf16"
    train_defaults = {
        "steps": 5_000,  # about 45 minutes on two AVX-512 bf16 CPU cores; training logs its ETA
        "batch_size": 16,
        "precision": "auto",
        "augment": "translation",
        "ema_half_life_kimg": 10.0,
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 25,
    }
    presets = (
        Preset(
            tag="textures",
            task="generate",
            path=PRESETS_DIR / "textures",
            sha256="93af2bfb9c7db17a6f96a5417c28d49c45fbf6cf7603058301e9a1ba6c9f9c1b",
            licence="BSD-3-Clause (trained mostly on Freedoom textures; credit the Freedoom contributors)",
            description="tileable textures, any size: brick, liquid, metal, paper, rock, wood",
        ),
        Preset(
            tag="canvas",
            task="generate",
            path=PRESETS_DIR / "canvas",
            sha256="f38365341d4d761fafbaa75c1568f65df2822cb33c91631626fdbb1c534d14b4",
            licence="CC0-1.0 (trained on public-domain paintings)",
            description="abstract canvases, any size, in the manner of cezanne, monet, ukiyoe, vangogh",
        ),
    )

    def tiny_config(self) -> PatternConfig:
        return PatternConfig(local_channels=2, global_channels=2, embed=2, widths=(8, 8, 4), d_widths=(4, 8), crop=16, max_side=32)

    def adapt_config(self, config: PatternConfig, dataset: Any) -> PatternConfig:
        return replace(config, labels=tuple(dataset.names))

    def label_names(self, config: PatternConfig) -> list[str]:
        return list(config.labels)

    def phases(self, config: PatternConfig) -> list[Phase]:
        return [
            Phase("D", trains=("D",), lr=config.lr_d, betas=(0.0, 0.999)),
            Phase("G", trains=("G",), lr=config.lr_g, betas=(0.0, 0.999)),
        ]

    def build(self, config: PatternConfig) -> dict[str, Any]:
        from artgan_pattern.model import PatternGenerator, ProjectionDiscriminator

        classes = max(1, len(config.labels))
        return {
            "G": PatternGenerator(classes, config.local_channels, config.global_channels, config.embed, config.widths,
                                  upsample=config.upsample),
            "D": ProjectionDiscriminator(classes, config.d_widths),
        }

    def dataset(self, source: Any, config: PatternConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_pattern.data import ClassTextures

        if not isinstance(source, str):
            raise ArtganError("pattern trains on one folder (of class folders): give --data")
        return ClassTextures(source, config.crop, config.max_side, config.jitter)

    def loss(self, phase: str, nets: Any, batch: Any, config: PatternConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        from artgan.engine.losses import d_hinge, g_hinge

        real, classes = batch
        labels = F.one_hot(classes, max(1, len(config.labels))).float()
        G, D = nets["G"], nets["D"]
        latents = self._latents(G, real.shape[0], real.shape[-2] // G.factor, real.shape[-1] // G.factor, None, real.device)
        if phase == "D":
            with torch.no_grad():
                fake = G(latents, labels)
            real_score, fake_score = D(real, labels), D(fake, labels)
            return d_hinge(real_score, fake_score), {"real_score": real_score.detach().float().mean(), "fake_score": fake_score.detach().float().mean()}
        return g_hinge(D(G(latents, labels), labels)), {}

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """Per class, SWD×1000 against ``n`` real training-style crops of that class, for
        the model at the crop size, 64 px crops of its 4× larger outputs (any size holds
        up), tinted Perlin noise (the baseline to beat) and other real crops (the floor)."""
        import torch

        from artgan.metrics import sliced_wasserstein
        from artgan_pattern.baseline import tinted_noise

        dataset = self.dataset(source, model.config)
        crop, classes = model.config.crop, len(dataset.names)
        if dataset.names != model.labels:
            from artgan.errors import ArtganError

            raise ArtganError(f"the data's classes {dataset.names} are not the model's {model.labels}")

        def crops(label: int, data_seed: int) -> torch.Tensor:
            with torch.random.fork_rng():
                torch.manual_seed(data_seed)
                return torch.stack([dataset[label + classes * i][0] for i in range(n)])

        generator = torch.Generator().manual_seed(seed)
        per_class = {}
        for label, name in enumerate(dataset.names):
            real = crops(label, seed + 1)
            large = model.run("generate", seed=seed + label, options={"n": max(1, n // 16), "label": name, "size": 4 * crop}).pixels
            pieces = large.unfold(2, crop, crop).unfold(3, crop, crop).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, crop, crop)
            candidates = {
                "model": model.run("generate", seed=seed + label, options={"n": n, "label": name, "size": crop}).pixels,
                "model_large_crops": pieces,
                "baseline_perlin": tinted_noise(real, n, generator),
                "real_floor": crops(label, seed + 2),
            }
            per_class[name] = {k: sliced_wasserstein(v, real, seed=seed)["swd"] for k, v in candidates.items()}
        means = {k: sum(c[k] for c in per_class.values()) / len(per_class) for k in next(iter(per_class.values()))}
        return {"metric": "sliced_wasserstein_x1e3", "n": n, "seed": seed, "mean": means, "classes": per_class}

    # ------------------------------------------------------------------ inference
    @property
    def verbs(self) -> tuple[Verb, ...]:
        return (Verb("generate", self.generate, GenerateOptions, Images, channels=(3,), size=_output_size,
                     help="Textures or canvases of any size, by class or a mix, optionally tileable."),)

    def generate(self, model: Any, options: GenerateOptions, inputs: None, generator: Any) -> Images:
        """``options.n`` pictures, or ``options.frames`` sliding to the seed ``options.interpolate``.

        The memory the job needs is estimated from its sizes first, and a job that cannot
        fit is refused with a way to get under the limit. Pictures larger than :data:`TILE`
        are rendered tile by tile (see :meth:`_render_tiled`), and fewer pictures go through
        the generator at once the larger they are (:data:`BATCH_PIXELS`), so memory stays
        bounded up to the largest size.
        """
        import torch

        from artgan.inference.fields import tile_count
        from artgan.inference.latents import latent_path
        from artgan.labels import choose_labels
        from artgan.metrics.seams import seam_ratio

        G, names = model.nets["G"], model.labels
        height, width, (out_h, out_w) = self._field(G, options.size, options.tileable)
        sliding = options.interpolate is not None
        count = options.frames if sliding else options.n
        tiled = max(height, width) * G.factor > TILE
        per_batch = 1 if sliding else min(count, options.batch_size, max(1, BATCH_PIXELS // (height * width * G.factor**2)))
        self._check_memory(model, G, options, count, per_batch, tiled, (height, width), (out_h, out_w))
        where = "cpu" if tiled else model.device  # tiled: the whole latents stay on the host, tiles travel
        tiles = tile_count((height, width), self._tile_field(G)) if tiled else 1
        pixels = torch.empty(count, 3, out_h, out_w)
        steps = [0, count * tiles]  # progress: done, total

        def step() -> None:
            steps[0] += 1
            model.progress(*steps)

        def render(latents: Any, labels: Any, k: int, into: Any) -> None:
            if tiled:
                for j in range(k):
                    one = {key: [t[j : j + 1] for t in group] for key, group in latents.items()}
                    self._render_tiled(model, G, one, None if labels is None else labels[j : j + 1], options.tileable,
                                       into[j], step)
                return
            with model.autocast():
                into[:] = self._render(G, latents, labels, k, options.tileable)[..., :out_h, :out_w].float().cpu()

        if not sliding:
            labels = choose_labels(names, options.n, generator, label=options.label, mix=options.mix)
            batches = range(0, options.n, per_batch)
            for start in batches:
                k = min(per_batch, options.n - start)
                chunk = None if labels is None else labels[start : start + k]
                render(self._latents(G, k, height, width, generator, where), chunk, k, pixels[start : start + k])
                if not tiled and len(batches) > 1:
                    steps[0] += k
                    model.progress(*steps)
        else:
            start_state = generator.get_state()
            ends = [self._latents(G, 1, height, width, generator, where),
                    self._latents(G, 1, height, width, torch.Generator().manual_seed(options.interpolate), where)]
            labels = choose_labels(names, 1, torch.Generator().set_state(start_state), label=options.label, mix=options.mix)
            for index, latents in enumerate(latent_path(ends[0], ends[1], options.frames)):
                render(latents, labels, 1, pixels[index : index + 1])
                if not tiled:
                    step()
        report = {"seam": seam_ratio(pixels)} if options.tileable else {}
        return Images(pixels, sequence=sliding, padding=0 if options.tileable else 2, report=report)

    @staticmethod
    def _tile_field(G: Any) -> int:
        """Noise-field side of one tile: :data:`TILE` pixels of output."""
        return max(2, TILE // G.factor)

    def _render_tiled(self, model: Any, G: Any, latents: Any, labels: Any, tileable: bool, into: Any,
                      step: Any) -> None:
        """One picture's latents (on the host) rendered tile by tile into ``into`` (3×H×W, host):
        each tile of the noise field with :meth:`PatternGenerator.field_margin` cells of context
        (:func:`artgan.inference.fields.render_tiled`), which then equals that part of the picture
        rendered whole. Only a tile's latents and activations are on the model's device at a time."""
        from artgan.inference.fields import render_tiled

        def tile(part: Any) -> Any:
            with model.autocast():
                return self._render(G, part, labels, 1, tileable)

        render_tiled(tile, latents, tuple(latents["local"][0].shape[-2:]), factor=G.factor, margin=G.field_margin(),
                     tile=self._tile_field(G), wrap=tileable, into=into, device=model.device, step=step)

    def _check_memory(self, model: Any, G: Any, options: GenerateOptions, count: int, per_batch: int, tiled: bool,
                      field: tuple[int, int], size: tuple[int, int]) -> None:
        """Refuse a job whose estimated peak memory (host, and the model's device) cannot fit."""
        from artgan.memory import check_fits

        height, width = field
        out_h, out_w = size
        out_bytes = count * 3 * out_h * out_w * 4
        latent = 4 * sum(math.prod(shape) for group in G.latent_shapes(height, width).values() for shape in group)
        held = 3 * latent if options.interpolate is not None else per_batch * latent  # sliding: both ends, a frame
        if tiled:  # the latents stay on the host; one tile's pass, and its result, on the device
            side = self._tile_field(G) + 2 * G.field_margin()
            rows, cols = min(height, side), min(width, side)
            work, batch, on_host = 1, (rows, cols), held
        else:  # a batch's latents, its pass and its result on the device, the result copied to the host
            work, batch, on_host = per_batch, (height, width), 4 * 3 * per_batch * height * width * G.factor**2
        on_device = work * (_forward_bytes(G, *batch) + 2 * 4 * 3 * batch[0] * batch[1] * G.factor**2)
        if model.precision != "fp32":  # autocast keeps low-precision copies beside the float32 ones
            on_device = on_device * 3 // 2
        if not tiled:
            on_device += held
        if model.device.type in ("cpu", "mps"):
            on_host, on_device = on_host + on_device, 0
        # the pictures, then: a copy the core makes, the seam measure of a tileable one, and
        # encoding one picture to a file (three float copies and the 8-bit ones)
        after = out_bytes * (3 if options.tileable else 2)
        encode = out_bytes + 40 * out_h * out_w
        needed = max(out_bytes + on_host, after, encode)
        what = f"generating {count} image{'s' if count > 1 else ''} of {out_w}×{out_h}"
        if count > 1 and out_bytes >= max(on_host, on_device):
            remedy = (f"ask for fewer at a time ({'--frames' if options.interpolate is not None else '-n'}; "
                      "several runs with other --seed values make more) or a smaller --size")
        elif per_batch > 1:
            remedy = f"lower --batch-size (it is {per_batch} here) or ask for a smaller --size"
        else:
            remedy = "ask for a smaller --size"
        check_fits(needed, what, remedy)
        if on_device:
            check_fits(on_device, what, remedy, device=model.device)

    def _render(self, G: Any, latents: Any, labels: Any, n: int, tileable: bool) -> Any:
        """``G`` on given latents for class indices ``(n,)``, class weights ``(n, K)`` or None (all classes evenly)."""
        import torch
        import torch.nn.functional as F

        from artgan.nn import set_padding

        device = next(G.parameters()).device
        classes = G.embed.in_features
        if labels is None:
            weights = torch.full((n, classes), 1.0 / classes)
        elif labels.dtype == torch.long:
            weights = F.one_hot(labels.cpu(), classes).float()
        else:
            weights = labels.float().cpu()
        set_padding(G, "circular" if tileable else "reflect")
        try:
            return G(latents, weights.to(device))
        finally:
            set_padding(G, "reflect")

    def _field(self, G: Any, size: Any, tileable: bool) -> tuple[int, int, tuple[int, int]]:
        """Noise-field size for an output ``size`` (int or (width, height)), and the output size."""
        from artgan.errors import ArtganError

        width, height = (size, size) if isinstance(size, int) else (size or (DEFAULT_SIZE, DEFAULT_SIZE))
        if min(width, height) < 1 or max(width, height) > 16384:
            raise ArtganError(f"size must be within 1..16384 pixels, got {width}×{height}")
        f = G.factor
        if tileable and (width % f or height % f or min(width, height) < 2 * f):
            raise ArtganError(f"a tileable size must be a multiple of {f} and at least {2 * f}, e.g. {max(2 * f, round(width / f) * f)}")
        return max(2, math.ceil(height / f)), max(2, math.ceil(width / f)), (height, width)

    @staticmethod
    def _latents(G: Any, n: int, height: int, width: int, generator: Any, device: Any) -> dict[str, list[Any]]:
        import torch

        shapes = G.latent_shapes(height, width)
        return {
            key: [torch.randn(n, *shape, generator=generator).to(device) if generator is not None
                  else torch.randn(n, *shape, device=device) for shape in group]
            for key, group in shapes.items()
        }

    def export_graphs(self, model: Any, verb: str) -> list[Any]:
        """``generate`` runs ``G`` on a noise field: ``G`` (reflection padding) and ``G_tileable``
        (circular padding, ``tileable=True``), each mapping the latents and class weights of
        :meth:`_latents` to one picture of 16× the field's size in one pass (artgan tiles fields
        larger than 64; a graph renders any field it is given whole)."""
        if verb != "generate":
            return []
        import copy

        import torch

        from artgan.nn import set_padding
        from artgan.plugin import Graph

        G = model.nets["G"]
        shapes = G.latent_shapes(2, 2)
        names = ("local", "global", "labels", *(f"noise{i}" for i in range(len(shapes["noise"]))))
        axes: dict[str, dict[int, str]] = {"local": {0: "batch", 2: "field_height", 3: "field_width"},
                                           "global": {0: "batch"}, "labels": {0: "batch"},
                                           "images": {0: "batch", 2: "height", 3: "width"}}
        for i in range(len(shapes["noise"])):
            axes[f"noise{i}"] = {0: "batch", 2: f"height_{2 ** (i // 2 + 1)}x", 3: f"width_{2 ** (i // 2 + 1)}x"}
        generator = torch.Generator().manual_seed(0)
        classes = G.embed.in_features

        def inputs(n: int, height: int, width: int) -> tuple[Any, ...]:
            latents = self._latents(G, n, height, width, generator, "cpu")
            weights = torch.softmax(torch.randn(n, classes, generator=generator), dim=1)
            return (latents["local"][0], latents["global"][0], weights, *latents["noise"])

        class Flat(torch.nn.Module):
            """``G`` with its latents as separate inputs, as graphs take them."""

            def __init__(self, net: Any) -> None:
                super().__init__()
                self.net = net

            def forward(self, local: Any, global_: Any, labels: Any, *noise: Any) -> Any:
                return self.net({"local": [local], "global": [global_], "noise": list(noise)}, labels)

        tileable = copy.deepcopy(G)
        set_padding(tileable, "circular")
        convention = {"layout": "NCHW", "channels": "RGB", "range": [-1, 1], "factor": G.factor,
                      "labels": list(model.labels), "latents": "standard normal noise, shaped as PatternGenerator."
                      "latent_shapes(field_height, field_width); labels: class weights summing to 1 (one-hot for one class)"}
        return [Graph(name, Flat(net).eval(), inputs(1, 2, 3), names, ("images",), dynamic_axes=axes,
                      parity_inputs=(inputs(2, 2, 2), inputs(1, 3, 2)), convention={**convention, "tileable": wrap})
                for name, net, wrap in (("G", G, False), ("G_tileable", tileable, True))]

    def preview(self, nets: Any, config: PatternConfig, batch: Any, generator: Any) -> Any:
        import torch

        G = nets["G"]
        labels = torch.arange(16) % max(1, len(config.labels))
        height, width, _ = self._field(G, 4 * config.crop // 2, False)
        latents = self._latents(G, 16, height, width, generator, next(G.parameters()).device)
        return self._render(G, latents, labels, 16, False)

    def test_source(self, directory: Path, config: PatternConfig) -> str:
        from artgan.images import write_random_images

        for index, name in enumerate(("stripes", "dots")):
            write_random_images(Path(directory) / "textures" / name, count=3, size=(40, 40), seed=index)
        return str(Path(directory) / "textures")


plugin = PatternPlugin()
