"""Few-shot completion: find the style of a few glyph images, then draw every other glyph in it.

The style encoder reads the cleaned references (with their characters) and guesses the
style latent; latent optimisation then refines it, Adam on ``z`` to minimise the L1
between ``G(z, c)`` and each reference plus a small pull towards the prior (the guess of
the encoder is the start, in the spirit of GAN inversion, Zhu et al. 2016). Last, a copy
of the generator is itself tuned a little on the references with ``z`` fixed (as pivotal
tuning does for StyleGAN inversion, Roich et al. 2022): the latent alone carries weight and
slant but not serifs or stroke contrast, and a few small steps on the shared decoder carry
some of those to the other characters (at the cost of broken thin strokes in places; the
model card has the figures). The given glyphs are kept as drawn unless ``keep_drawn`` is off.
"""

from __future__ import annotations

from typing import Any, Callable

from artgan.errors import ArtganError
from artgan_font.charset import char_of_stem
from artgan_font.outputs import GlyphSet

PRIOR_WEIGHT = 1e-3  # weight of |z|²/dim in the latent fit: keeps z where the generator has learnt
FIT_LR = 0.05  # Adam step size of the latent fit
TUNE_LR = 1e-4  # Adam step size of the generator tuning (small: the references are few)


def _one_hot(model: Any, chars: str) -> Any:
    import torch
    import torch.nn.functional as F

    names = list(model.labels)
    return F.one_hot(torch.tensor([names.index(c) for c in chars]), max(1, len(names))).float()


def _reference_l1(model: Any, net: Any, z: Any, labels: Any, refs: Any) -> Any:
    """Mean L1 between ``net(z, labels)`` (one style for every reference) and the references ``refs``."""
    with model.autocast():
        return (net(z.expand(len(labels), -1), labels).float() - refs).abs().mean()


def draw_glyphs(model: Any, z: Any, chars: str, generator_net: Any = None) -> dict[str, Any]:
    """``chars`` drawn in the style ``z`` (1×z_dim) as ``{char: R×R coverage in [0, 1]}`` (CPU), by the
    model's generator or by ``generator_net`` (one :func:`tune_generator` returned)."""
    G = model.nets["G"] if generator_net is None else generator_net
    with model.autocast():
        out = G(z.to(model.device).expand(len(chars), -1), _one_hot(model, chars).to(model.device))
    pixels = ((out.float().cpu()[:, 0] + 1) / 2).clamp(0, 1)
    return {char: pixels[i] for i, char in enumerate(chars)}


def read_references(inputs: dict[str, Any], known: str) -> dict[str, Any]:
    """``{file stem: PIL image}`` → ``{char: image}``; names that say no known character are listed in one error."""
    found: dict[str, Any] = {}
    bad, unknown, twice = [], [], []
    for stem, image in inputs.items():
        char = char_of_stem(stem)
        if char is None:
            bad.append(stem)
        elif char not in known:
            unknown.append(f"{stem} ({char!r})")
        elif char in found:
            twice.append(stem)
        else:
            found[char] = image
    problems = []
    if bad:
        problems.append(f"file names that say no character: {', '.join(sorted(bad))} (name each file after its character: "
                        "A.png, a.png, 0.png, or U+003F.png / question.png for a character a file name cannot hold, "
                        "a_upper.png for A where case is folded)")
    if unknown:
        problems.append(f"characters the model does not draw: {', '.join(sorted(unknown))} (it knows {known!r})")
    if twice:
        problems.append(f"characters given twice: {', '.join(sorted(twice))}")
    if problems:
        raise ArtganError("; ".join(problems))
    if not found:
        raise ArtganError("give glyph images named after their characters (A.png, a.png, ...); 4–10 work best")
    return found


def fit_style(model: Any, refs: Any, chars: str, steps: int, generator: Any,
              progress: Callable[[int], None] | None = None) -> tuple[Any, dict[str, float]]:
    """The style latent (1×z_dim) of reference glyphs ``refs`` (K×1×R×R in [-1, 1], ink +1);
    ``progress(step)`` is told each step done (default: the model's progress, out of ``steps``)."""
    import torch

    G, E = model.nets["G"], model.nets["E"]
    device = model.device
    refs, labels = refs.to(device), _one_hot(model, chars).to(device)
    with model.autocast():
        mu, _ = E(refs[None], labels[None])
    z0 = mu.float().detach()

    def l1(z: Any) -> Any:
        return _reference_l1(model, G, z, labels, refs)

    with torch.no_grad():
        start = float(l1(z0))
    z = z0.clone()
    progress = progress or (lambda done: model.progress(done, steps))
    if steps:
        z.requires_grad_(True)
        optimiser = torch.optim.Adam([z], lr=FIT_LR)
        with torch.enable_grad():
            for step in range(steps):
                optimiser.zero_grad()
                loss = l1(z) + PRIOR_WEIGHT * z.pow(2).mean()
                loss.backward()
                optimiser.step()
                progress(step + 1)
        z = z.detach()
    with torch.no_grad():
        end = float(l1(z))
    return z.cpu(), {"encoder_l1": start, "fit_l1": end}


def tune_generator(model: Any, z: Any, refs: Any, chars: str, steps: int, lr: float = TUNE_LR,
                   progress: Callable[[int], None] | None = None) -> Any:
    """A copy of the model's generator tuned for ``steps`` Adam steps on the L1 between ``G(z, c)``
    and the references ``refs`` (K×1×R×R in [-1, 1]) of ``chars``, ``z`` fixed; the model is untouched.
    ``progress(step)`` is told each step done (default: the model's progress, out of ``steps``)."""
    import copy

    import torch

    tuned = copy.deepcopy(model.nets["G"]).float()
    device = model.device
    refs, labels, z = refs.to(device), _one_hot(model, chars).to(device), z.to(device)
    optimiser = torch.optim.Adam(tuned.requires_grad_(True).parameters(), lr=lr)
    progress = progress or (lambda done: model.progress(done, steps))
    with torch.enable_grad():
        for step in range(steps):
            optimiser.zero_grad()
            loss = _reference_l1(model, tuned, z, labels, refs)
            loss.backward()
            optimiser.step()
            progress(step + 1)
    return tuned.requires_grad_(False).eval()


def _invert(value: Any) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ArtganError(f"invert must be true or false, got {value!r}")


def complete_font(model: Any, inputs: dict[str, Any], *, name: str, steps: int, tune: int, keep_drawn: bool,
                  invert: Any, generator: Any) -> GlyphSet:
    """Every character of the model in the style of the ``inputs`` glyph pictures (see the module note)."""
    import torch

    from artgan_font.clean import DRAWN_SIZE, downsample, ink_coverage, ink_extent, place

    known = "".join(model.labels)
    references = read_references(inputs, known)
    resolution = model.config.resolution
    average = draw_glyphs(model, torch.zeros(1, model.config.z_dim), "".join(references))
    drawn, failed = {}, []
    for char, image in references.items():
        try:
            top, bottom = ink_extent(average[char].numpy())
            drawn[char] = place(ink_coverage(image, _invert(invert)), top, bottom, DRAWN_SIZE)
        except ArtganError as exc:
            failed.append(f"{char!r}: {exc}")
    if failed:
        raise ArtganError(f"could not read {len(failed)} glyph picture(s): {'; '.join(failed)}")
    chars = "".join(drawn)
    refs = torch.stack([torch.from_numpy(downsample(drawn[c], resolution)) for c in chars])[:, None] * 2 - 1
    total = steps + tune  # one progress bar over both fits
    z, report = fit_style(model, refs, chars, steps, generator, lambda done: model.progress(done, total))
    tuned = tune_generator(model, z, refs, chars, tune, progress=lambda done: model.progress(steps + done, total)) if tune else None
    glyphs = draw_glyphs(model, z, known, tuned)
    if keep_drawn:
        glyphs.update({c: torch.from_numpy(drawn[c]) for c in chars})
    report["references"], report["tune_steps"] = len(chars), tune
    return GlyphSet(glyphs, name=name, drawn=tuple(chars) if keep_drawn else (), style=z[0].tolist(),
                    metadata={"references": chars}, report=report)
