"""``font``: a conditional glyph GAN that completes a typeface from a few letters and writes
real, installable OTF/TTF files.

``G(style, character)`` draws one glyph of a character in a style (the character as a
label, and as its mean glyph over the training fonts, which the generator restyles); a
style encoder reads a few glyphs of a font and finds its style; a discriminator judges
realism, character and style consistency (see :mod:`artgan_font.model`). Verbs:

- ``generate``: a new typeface from a random style latent (``--temperature``).
- ``complete``: the style of 4–10 glyph images (file name = character, see
  :mod:`artgan_font.charset`), found by the encoder then refined by latent optimisation;
  the other glyphs generated, the user's own traced as drawn.

Both return a :class:`~artgan_font.outputs.GlyphSet`, written as ``.otf`` (CFF), ``.ttf``
(TrueType), a ``.png`` sheet or a folder of glyph PNGs. ``artgan font complete`` and
``artgan font render`` are the commands.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgan.config import option, setting
from artgan.plugin import Phase, Plugin, Preset, Verb, Writer
from artgan_font.charset import CHARS
from artgan_font.outputs import GlyphSet

PRESETS_DIR = Path(__file__).parent / "presets"
TUNE_STEPS = 50  # default generator tuning steps of ``complete`` (measured in benchmarks/font_quality.py)


@dataclass
class FontConfig:
    """Settings of the glyph GAN; the defaults are the shipped model's."""

    labels: tuple[str, ...] = ()  # the characters, filled in from the training data (one class each)
    resolution: int = setting(64, minimum=16, maximum=1024)  # glyph raster side in pixels (one em)
    z_dim: int = setting(32, minimum=1, maximum=1024)  # length of the style latent
    embed: int = setting(64, minimum=1, maximum=1024)  # size of the character embedding
    g_widths: tuple[int, ...] = setting((256, 128, 64, 32, 16), minimum=1, maximum=2048)  # generator channels from 4×4 up, ×2 per stage
    e_widths: tuple[int, ...] = setting((16, 32, 64, 128), minimum=1, maximum=2048)  # style encoder channels, one stride-2 stage each
    d_widths: tuple[int, ...] = setting((16, 32, 64, 128), minimum=1, maximum=2048)  # discriminator channels, one stride-2 stage each
    refs: int = setting(3, minimum=1, maximum=32)  # reference glyphs of the same font per training item
    recon_weight: float = setting(10.0, minimum=0, maximum=1000)  # L1 between the glyph rebuilt from the references' style and the real one
    kl_weight: float = setting(0.005, minimum=0, maximum=100)  # pull of the style latent towards a unit normal (so generate can sample it)
    adv_weight: float = setting(1.0, minimum=0, maximum=100)  # weight of the adversarial term for G
    mismatch_weight: float = setting(0.5, minimum=0, maximum=10)  # weight of "real glyph, reference of another font" as a negative for D
    lr_g: float = setting(4e-4, above=0, maximum=1)  # Adam learning rate of G and the encoder
    lr_d: float = setting(2e-4, above=0, maximum=1)  # Adam learning rate of D


def _text(value: Any) -> Any:
    return None if value is None else str(value)


@dataclass
class GenerateOptions:
    """Options of ``generate``."""

    name: str = option("Artgan Invented", "Family name written into the font's name table.")
    temperature: float = option(0.6, "Spread of the random style (0: the average font; 1: the full prior).", minimum=0, maximum=3)
    chars: Any = option(None, "Characters to draw (default: every one the model knows).", parse=_text)


@dataclass
class CompleteOptions:
    """Options of ``complete``."""

    name: str = option("Artgan Completed", "Family name written into the font's name table.")
    steps: int = option(100, "Latent optimisation steps after the encoder's guess (0: the encoder alone).", minimum=0, maximum=10_000)
    tune: int = option(TUNE_STEPS, "Steps tuning a copy of the generator on the references after the latent fit (0: none).",
                       minimum=0, maximum=10_000)
    keep_drawn: bool = option(True, "Keep the given glyphs as drawn (traced); off: generate them too.")
    invert: Any = option(None, "Ink is light on a dark ground: true/false (default: guessed from the border).", parse=_text)


class FontPlugin(Plugin):
    """Typefaces: generate a new one, or complete one from a few glyph images; OTF/TTF out."""

    name = "font"
    Config = FontConfig
    roles = ("G", "E", "D")
    inference_roles = ("G", "E")
    augment_roles = ("D",)
    train_defaults = {
        "steps": 6_000,
        "batch_size": 32,
        "ema_half_life_kimg": 5.0,
        "sample_every": 500,
        "checkpoint_every": 500,
        "log_every": 50,
    }

    @property
    def presets(self) -> tuple[Preset, ...]:
        from artgan_font.shipped import PRESETS

        return PRESETS

    @property
    def writers(self) -> tuple[Writer, ...]:
        from artgan_font.formats import WRITERS

        return WRITERS

    @property
    def verbs(self) -> tuple[Verb, ...]:
        return (
            Verb("generate", self.generate, GenerateOptions, GlyphSet, help="A new typeface nobody drew: .otf, .ttf or a .png sheet."),
            Verb("complete", self.complete, CompleteOptions, GlyphSet, takes="images",
                 help="Complete a typeface from 4–10 glyph images named after their characters (A.png, a.png, U+003F.png)."),
        )

    def tiny_config(self) -> FontConfig:
        return FontConfig(resolution=16, z_dim=4, embed=4, g_widths=(8, 8, 4), e_widths=(4, 8), d_widths=(4, 8), refs=2)

    def adapt_config(self, config: FontConfig, dataset: Any) -> FontConfig:
        return replace(config, labels=tuple(dataset.names))

    def label_names(self, config: FontConfig) -> list[str]:
        return list(config.labels)

    def phases(self, config: FontConfig) -> list[Phase]:
        return [
            Phase("D", trains=("D",), lr=config.lr_d, betas=(0.0, 0.99)),
            Phase("G", trains=("G", "E"), lr=config.lr_g, betas=(0.0, 0.99)),
        ]

    def build(self, config: FontConfig) -> dict[str, Any]:
        from artgan.errors import ArtganError
        from artgan_font.model import GlyphDiscriminator, GlyphGenerator, StyleEncoder

        side = 4 * 2 ** (len(config.g_widths) - 1)
        if side != config.resolution:
            raise ArtganError(f"g_widths has {len(config.g_widths)} stages, which draw {side}px glyphs, but resolution is "
                              f"{config.resolution}; give one width per doubling from 4×4, e.g. -c g_widths=256,128,64,32,16 for 64")
        for key in ("e_widths", "d_widths"):
            if config.resolution % 2 ** len(getattr(config, key)):
                raise ArtganError(f"{key} has too many stages for {config.resolution}px glyphs; use fewer widths")
        classes = max(1, len(config.labels))
        return {
            "G": GlyphGenerator(classes, config.z_dim, config.embed, config.g_widths),
            "E": StyleEncoder(classes, config.z_dim, config.e_widths, config.resolution),
            "D": GlyphDiscriminator(classes, config.d_widths, config.resolution),
        }

    def dataset(self, source: Any, config: FontConfig) -> Any:
        from artgan.errors import ArtganError
        from artgan_font.data import FontGlyphs

        if not isinstance(source, str):
            raise ArtganError("font trains on one folder of .ttf/.otf files: give --data")
        chars = "".join(config.labels) or CHARS
        return FontGlyphs(source, chars, config.resolution, config.refs)

    def loss(self, phase: str, nets: Any, batch: Any, config: FontConfig) -> tuple[Any, dict[str, Any]]:
        import torch
        import torch.nn.functional as F

        G, E, D = nets["G"], nets["E"], nets["D"]
        classes = max(1, len(config.labels))
        real, refs = batch["glyph"], batch["refs"]
        label = F.one_hot(batch["label"], classes).float()
        ref_labels = F.one_hot(batch["ref_labels"], classes).float()
        n = real.shape[0]
        ref = refs[:, 0]
        # other-font references for the mismatch negative (items of the same font do not count)
        shift = torch.roll(torch.arange(n, device=real.device), 1)
        other = (batch["font"][shift] != batch["font"]).float()
        half = max(1, n // 2)
        z_prior = torch.randn(half, config.z_dim, device=real.device)
        prior_ref_label = F.one_hot(torch.randint(0, classes, (half,), device=real.device), classes).float()

        def encode() -> tuple[Any, Any, Any]:
            mu, logvar = E(refs, ref_labels)
            return mu + torch.randn_like(mu) * (0.5 * logvar).exp(), mu, logvar

        def sampled() -> tuple[Any, Any]:  # two glyphs of each random style: one judged, one its reference
            both = G(torch.cat([z_prior, z_prior]), torch.cat([label[:half], prior_ref_label]))
            return both[:half], both[half:]

        if phase == "D":
            with torch.no_grad():
                fake = G(encode()[0], label)
                prior, prior_ref = sampled()
            real_score = D(real, ref, label)
            fake_score = D(fake, ref, label)
            prior_score = D(prior, prior_ref, label[:half])
            mismatch = D(real, ref[shift], label)
            loss = F.relu(1 - real_score).mean() + 0.5 * (F.relu(1 + fake_score).mean() + F.relu(1 + prior_score).mean())
            loss = loss + config.mismatch_weight * (F.relu(1 + mismatch) * other).sum() / other.sum().clamp(min=1)
            return loss, {"real": real_score.detach().mean(), "fake": fake_score.detach().mean(),
                          "prior": prior_score.detach().mean(), "mismatch": mismatch.detach().mean()}
        G.observe(real, batch["label"])
        z, mu, logvar = encode()
        fake = G(z, label)
        prior, prior_ref = sampled()
        recon = (fake - real).abs().mean()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1).mean()
        adv = -0.5 * (D(fake, ref, label).mean() + D(prior, prior_ref, label[:half]).mean())
        loss = config.recon_weight * recon + config.kl_weight * kl + config.adv_weight * adv
        return loss, {"recon": recon.detach(), "kl": kl.detach(), "adv": adv.detach()}

    def preview(self, nets: Any, config: FontConfig, batch: Any, generator: Any) -> Any:
        """Rows of ``AaGgRr&5``: the styles of up to 4 batch items (from their references), then random styles."""
        import torch
        import torch.nn.functional as F

        G, E = nets["G"], nets["E"]
        device = next(G.parameters()).device
        classes = max(1, len(config.labels))
        names = list(config.labels) or ["?"]
        row = [names.index(c) if c in names else i % classes for i, c in enumerate("AaGgRr&5")]
        k = min(4, batch["refs"].shape[0])
        mu, _ = E(batch["refs"][:k], F.one_hot(batch["ref_labels"][:k], classes).float())
        z = torch.cat([mu, torch.randn(8 - k, config.z_dim, generator=generator).to(device) * 0.8])
        styles = z.repeat_interleave(len(row), dim=0)
        labels = F.one_hot(torch.tensor(row * 8, device=device), classes).float()
        return -G(styles, labels)  # black ink on white

    def test_source(self, directory: Path, config: FontConfig) -> str:
        from artgan_font.testdata import write_test_fonts

        return str(write_test_fonts(Path(directory) / "fonts", CHARS))

    # ------------------------------------------------------------------ inference
    def generate(self, model: Any, options: GenerateOptions, inputs: None, generator: Any) -> GlyphSet:
        """A random style latent (``temperature`` × unit normal) drawn as every character."""
        import torch

        from artgan_font.complete import draw_glyphs

        chars = _chars(model, options.chars)
        z = torch.randn(1, model.config.z_dim, generator=generator) * options.temperature
        glyphs = draw_glyphs(model, z, chars)
        return GlyphSet(glyphs, name=options.name, style=z[0].tolist(), metadata={"temperature": options.temperature})

    def complete(self, model: Any, options: CompleteOptions, inputs: Any, generator: Any) -> GlyphSet:
        """The style of the given glyph images (encoder, then latent optimisation), every character drawn."""
        from artgan_font.complete import complete_font

        return complete_font(model, inputs, name=options.name, steps=options.steps, tune=options.tune, keep_drawn=options.keep_drawn,
                             invert=options.invert, generator=generator)

    def commands(self) -> list[Any]:
        from artgan_font.commands import font

        return [font]


def _chars(model: Any, wanted: str | None) -> str:
    """The characters to draw: all the model knows, or those of ``wanted`` (each must be known)."""
    from artgan.errors import ArtganError

    known = "".join(model.labels)
    if not wanted:
        return known
    unknown = sorted({c for c in wanted if c not in known})
    if unknown:
        raise ArtganError(f"the model cannot draw {''.join(unknown)!r}; it knows {known!r}")
    return "".join(dict.fromkeys(wanted))


plugin = FontPlugin()
