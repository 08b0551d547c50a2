"""``cyclegan``: unpaired image-to-image translation (Zhu et al. 2017), e.g. photo → painting.

Two ResNet generators (``G_AB``: photo → painting, ``G_BA``: back), two PatchGAN
discriminators, the least-squares GAN loss, cycle consistency (λ = 10), identity loss
(0.5 λ), a history pool of 50 fakes per discriminator, and learning rates that fall
linearly to zero over the second half of training, all as in the paper.

``Config()`` is the *light* configuration the shipped styles use, sized for CPUs: 16
channels at full resolution (the paper: 64), residual blocks at 1/4 scale with 64 channels,
resize-convolution upsampling, 128-pixel crops. The paper's configuration is
``--variant paper``. Inference uses only ``G_AB``: the ``stylize`` verb repaints a picture
of any size (tiled, see :mod:`artgan.inference.tiling`), and the ``artgan stylize`` command
(:mod:`artgan_cyclegan.commands`) runs it over files, folders and stdin. The same folder
holds the one-sided ``cut`` plugin (CUT / FastCUT, :mod:`artgan_cyclegan.cut`), whose models
stylize through this verb and command alike.

Measured while choosing it (vangogh, same seed): with three downsamplings (blocks at 1/8
scale, 128 channels, about 2 values per pixel) the cycle loss stalled near 0.58 and the
samples lost the photo's content; with two (4 values per pixel) at equal cost per step the
loss fell below 0.5 by step 500 and the subjects stayed recognisable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from artgan.config import option, setting
from artgan.outputs import Images
from artgan.plugin import Phase, Plugin, Preset, Verb

STYLES_DIR = Path(__file__).parent / "styles"
DEFAULT_STYLE = "vangogh"  # what `artgan stylize` paints in when no --style is given
STYLIZE_BYTES_PER_PIXEL = 64  # host memory a stylized output pixel needs at the peak (float copies, blend, encoding)


@dataclass
class StylizeOptions:
    """Options of ``stylize``."""

    max_size: int | None = option(None, "Shrink inputs so the longer side is at most this many pixels.", minimum=8)
    strength: float = option(1.0, "Blend with the original: 0 = unchanged, 1 = fully styled.", minimum=0, maximum=1)
    preserve_color: bool = option(False, "Keep the photo's colours; take the style's light and texture.")


def _stylized_size(config: Any, options: StylizeOptions, size: tuple[int, int] | None) -> tuple[int, int]:
    height, width = size
    if options.max_size is not None and max(height, width) > options.max_size:
        scale = options.max_size / max(height, width)
        return max(1, round(height * scale)), max(1, round(width * scale))
    return height, width


def stylize(image: Any, style: str = DEFAULT_STYLE, **options: Any) -> Any:
    """Repaint ``image`` (a PIL image or a path) in ``style`` (a name or checkpoint folder); a PIL image.

    The model stays loaded for the next call with the same style and device.
    """
    import artgan
    from artgan.images import to_pil

    key = (str(style), options.pop("device", "auto"), options.pop("precision", "auto"))
    if key not in _LOADED:
        _LOADED[key] = artgan.load(key[0], key[1], precision=key[2], verb="stylize")
    return to_pil(_LOADED[key].run("stylize", image, options=options).pixels[0])


_LOADED: dict[tuple[str, str, str], Any] = {}


@dataclass
class TranslatorConfig:
    """The generator, critic and crop settings CycleGAN and CUT share; the defaults are the light
    model the shipped styles use."""

    width: int = setting(12, minimum=1, maximum=1024)  # generator channels at full resolution (the paper's ngf: 64)
    downsamplings: int = setting(2, minimum=0, maximum=6)  # stride-2 stages of the generator (paper: 2)
    blocks: int = setting(4, minimum=0, maximum=64)  # residual blocks at the lowest resolution (paper: 9 at 256 px)
    upsample: Literal["resize", "bilinear", "transpose"] = "resize"  # nearest resize-conv, bilinear resize-conv (no grid), or transposed conv (paper)
    d_width: int = setting(64, minimum=1, maximum=1024)  # discriminator channels in its first layer (paper's ndf)
    d_layers: int = setting(3, minimum=1, maximum=8)  # PatchGAN depth; 3 sees 70×70 patches
    crop: int = setting(128, minimum=16, maximum=4096)  # side of the random training crops (paper: 256)
    scale_min: int = setting(144, minimum=16, maximum=8192)  # before cropping, each image's shorter side is scaled to a random
    scale_max: int = setting(288, minimum=16, maximum=8192)  # size in [scale_min, scale_max] (paper: 286 for both)
    photo_exposure: float = setting(0.0, minimum=0, maximum=4)  # photos' exposure moved by a random ±this many stops while training (0: off), so dark scenes are learnt too


@dataclass
class CycleGANConfig(TranslatorConfig):
    """Settings of the CycleGAN; the defaults are the light model the shipped styles use."""

    lambda_cycle: float = setting(10.0, minimum=0)  # weight of the cycle-consistency L1 loss
    lambda_identity: float = setting(0.5, minimum=0)  # identity L1 loss weight, relative to lambda_cycle
    pool_size: int = setting(50, minimum=0, maximum=10_000)  # generated images each discriminator's history pool keeps
    lr: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate of all networks
    beta1: float = setting(0.5, minimum=0, below=1)  # Adam β1


def _style(tag: str, looks_like: str, sha256: str) -> Preset:
    return Preset(
        tag=tag,
        task="translate",
        path=STYLES_DIR / tag,
        sha256=sha256,
        licence="CC-BY-4.0; trained on public-domain paintings and on photos some of which are CC-BY (credits in the card)",
        description=f"photo → {looks_like}",
    )


class CycleGANPlugin(Plugin):
    """Unpaired translation from collection A (photos) to collection B (paintings)."""

    name = "cyclegan"
    Config = CycleGANConfig
    roles = ("G_AB", "G_BA", "D_A", "D_B", "pool_A", "pool_B")
    inference_roles = ("G_AB",)
    augment_roles = ("D_A", "D_B")
    inference_precision = "bf16"
    inference_channels_last = True
    # bf16 where the device runs it natively: measured fastest on an AVX-512 bf16 CPU. On an
    # AVX2-only CPU bf16 is emulated (a default training step: 37 s vs 1.7 s in fp32, one
    # thread), so auto picks fp32 there. Channels-last pays in fp32 too (AVX2, one thread:
    # training step 1.25-1.43 s vs 1.31-1.64 s NCHW; stylize at 512 px 0.64 s vs 0.82 s).
    train_precision = "bf16"
    train_defaults = {
        "steps": 6_000,  # about an hour on two AVX-512 bf16 CPU cores, 2-3 h in fp32 on AVX2; training logs its ETA
        "batch_size": 1,
        "precision": "auto",
        "channels_last": True,
        "lr_decay_start": 0.5,
        "ema_half_life_kimg": 0.5,
        "augment": "translation",
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 25,
    }
    variants = {
        "paper": CycleGANConfig(width=64, downsamplings=2, blocks=9, upsample="transpose", crop=256, scale_min=286, scale_max=286),
    }
    presets = (
        _style("vangogh", "painting in the manner of Vincent van Gogh", "fdb85c932fb734e83b326865de56ef90c6a70e7a4f9eed18e5346d1199c02800"),
        _style("monet", "painting in the manner of Claude Monet", "4e46240f6ae0d7a1d975d9c2e3dc87194b713d03548b5ac6f918346eba714390"),
        _style("ukiyoe", "ukiyo-e woodblock print in the manner of Hokusai and Hiroshige", "6401519817a9bb6c209f2343ca2d1a6f3e71a66bba082f2cc77df6bf85f5dec8"),
        _style("cezanne", "painting in the manner of Paul Cézanne", "ca49ead5970d994d83d8a50e3b63a78febc34677a3bcffca0758797f572656b3"),
    )

    def tiny_config(self) -> CycleGANConfig:
        return CycleGANConfig(width=4, downsamplings=1, blocks=1, d_width=4, d_layers=1, crop=16, scale_min=16, scale_max=24, pool_size=2)

    def phases(self, config: CycleGANConfig) -> list[Phase]:
        betas = (config.beta1, 0.999)
        return [
            Phase("G", trains=("G_AB", "G_BA"), lr=config.lr, betas=betas),
            Phase("D", trains=("D_A", "D_B"), lr=config.lr, betas=betas),
        ]

    def build(self, config: CycleGANConfig) -> dict[str, Any]:
        from artgan_cyclegan.model import ImagePool, ResnetGenerator, discriminator

        def generator() -> ResnetGenerator:
            return ResnetGenerator(config.width, config.downsamplings, config.blocks, config.upsample)

        shape = (3, config.crop, config.crop)
        return {
            "G_AB": generator(),
            "G_BA": generator(),
            "D_A": discriminator(config.d_width, config.d_layers),
            "D_B": discriminator(config.d_width, config.d_layers),
            "pool_A": ImagePool(config.pool_size, shape),
            "pool_B": ImagePool(config.pool_size, shape),
        }

    def dataset(self, source: Any, config: CycleGANConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_cyclegan.data import unpaired

        smallest = 3 * 2**config.d_layers  # a PatchGAN of d_layers layers scores nothing below this
        if config.crop < smallest:
            raise ArtganError(f"crop {config.crop} is too small for a {config.d_layers}-layer PatchGAN; use crop ≥ {smallest}")
        return unpaired(source, config.crop, config.scale_min, config.scale_max, config.photo_exposure)

    def loss(self, phase: str, nets: Any, batch: Any, config: CycleGANConfig) -> tuple[Any, dict[str, Any]]:
        import torch

        from artgan.engine.losses import d_lsgan, g_lsgan

        real_A, real_B = batch["A"], batch["B"]
        G_AB, G_BA, D_A, D_B = nets["G_AB"], nets["G_BA"], nets["D_A"], nets["D_B"]
        pool_A, pool_B = nets["pool_A"], nets["pool_B"]

        def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return (x.float() - y.float()).abs().mean()

        if phase == "G":
            fake_B, fake_A = G_AB(real_A), G_BA(real_B)
            adversarial = g_lsgan(D_B(fake_B)) + g_lsgan(D_A(fake_A))
            cycle = l1(G_BA(fake_B), real_A) + l1(G_AB(fake_A), real_B)
            loss = adversarial + config.lambda_cycle * cycle
            logs = {"adversarial": adversarial.detach(), "cycle": cycle.detach()}
            if config.lambda_identity > 0:
                identity = l1(G_AB(real_B), real_B) + l1(G_BA(real_A), real_A)
                loss = loss + config.lambda_cycle * config.lambda_identity * identity
                logs["identity"] = identity.detach()
            pool_A.latest, pool_B.latest = fake_A.detach(), fake_B.detach()
            return loss, logs
        if pool_A.latest is None or pool_B.latest is None:  # D before any G phase: make fakes
            with torch.no_grad():
                pool_A.latest, pool_B.latest = G_BA(real_B), G_AB(real_A)
        fake_A, fake_B = pool_A.query(pool_A.latest), pool_B.query(pool_B.latest)
        pool_A.latest = pool_B.latest = None
        loss_A = d_lsgan(D_A(real_A), D_A(fake_A.to(real_A.dtype)))
        loss_B = d_lsgan(D_B(real_B), D_B(fake_B.to(real_B.dtype)))
        return loss_A + loss_B, {"D_A": loss_A.detach(), "D_B": loss_B.detach()}

    # ------------------------------------------------------------------ inference
    @property
    def verbs(self) -> tuple[Verb, ...]:
        return (Verb("stylize", self.stylize, StylizeOptions, Images, takes="image", channels=(3, 4), size=_stylized_size,
                     help="Repaint a picture of any size in the model's style; alpha is kept."),)

    def stylize(self, model: Any, options: StylizeOptions, image: Any, generator: Any) -> Images:
        """Translate a picture of any size and mode; alpha is kept, the size too (or capped
        by ``max_size``). ``strength`` blends with the input; ``preserve_color`` keeps the
        input's colours and takes only the luminance of the result (Gatys et al. 2016)."""
        from artgan.images import to_pil, to_tensor
        from artgan.inference.tiling import translate_tiled
        from artgan_cyclegan.quick import finish_picture, prepare_picture  # the picture steps the ONNX path shares

        rgb, alpha = prepare_picture(options, image)
        source = to_tensor(rgb)[None]
        result = translate_tiled(lambda x: self._translate(model, x), model.nets.values(), source, progress=model.progress)
        if options.strength < 1.0:
            result = options.strength * result + (1 - options.strength) * source
        return Images(to_tensor(finish_picture(to_pil(result[0]), rgb, alpha, options))[None])

    @staticmethod
    def _translate(model: Any, images: Any) -> Any:
        """``G_AB`` on a batch as it is (no tiling), in the model's precision and layout."""
        import torch

        images = images.to(model.device)
        if model.plugin.inference_channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with model.autocast():
            out = model.nets["G_AB"](images)
        return out.float().clamp(-1, 1)

    def preview(self, nets: Any, config: CycleGANConfig, batch: Any, generator: Any) -> Any:
        import torch

        photos = batch["A"][:4]
        return torch.cat([photos, nets["G_AB"](photos).to(photos.dtype)], dim=-1)

    def evaluate(self, model: Any, source: Any, *, n: int, seed: int) -> dict[str, Any]:
        """Style distance of stylized pictures of ``source["a"]`` to ``source["b"]``, and content kept."""
        from artgan.images import to_pil
        from artgan.metrics.translation import evaluate_translation

        return evaluate_translation(lambda picture: to_pil(model.run("stylize", picture).pixels[0]), source, n=n, seed=seed)

    def export_graphs(self, model: Any, verb: str) -> list[Any]:
        """``stylize`` runs ``G_AB``: pictures ``N×3×H×W`` in [-1, 1] to the same shape, for any
        height and width of at least 2·2**downsamplings pixels (checked at several, odd ones too)."""
        if verb != "stylize":
            return []
        import torch

        from artgan.plugin import Graph

        multiple = 2**model.config.downsamplings
        smallest = 2 * multiple
        generator = torch.Generator().manual_seed(0)

        def picture(batch: int, height: int, width: int) -> tuple[Any]:
            return (torch.rand(batch, 3, height, width, generator=generator) * 2 - 1,)

        sizes = [(1, max(40, smallest), max(56, smallest + multiple + 1)), (1, max(64, 2 * smallest), max(64, 2 * smallest)),
                 (1, max(37, smallest + 1), max(45, smallest + 3)), (2, smallest, smallest + 5)]
        axes = {0: "batch", 2: "height", 3: "width"}
        return [Graph(
            "G_AB", model.nets["G_AB"], picture(*sizes[0]), ("images",), ("stylized",),
            dynamic_axes={"images": axes, "stylized": axes},
            parity_inputs=tuple(picture(*size) for size in sizes[1:]),
            convention={"layout": "NCHW", "channels": "RGB", "range": [-1, 1], "min_side": smallest,
                        "input": "8-bit value / 127.5 - 1", "output": "clamp to [-1, 1], then round((v + 1) * 127.5)",
                        "one_pass_max_side": 1024,
                        "note": "artgan tiles larger pictures with whole-picture normalisation statistics; this graph "
                                "normalises each picture it is given by its own"},
        )]

    def commands(self) -> list[Any]:
        from artgan_cyclegan.commands import stylize_command

        return [stylize_command]

    def test_source(self, directory: Path, config: CycleGANConfig) -> dict[str, str]:
        from artgan.images import write_random_images

        write_random_images(Path(directory) / "a", count=4, size=(32, 32), seed=1)
        write_random_images(Path(directory) / "b", count=4, size=(40, 32), seed=2)
        return {"a": str(Path(directory) / "a"), "b": str(Path(directory) / "b")}


plugin = CycleGANPlugin()
