"""A style learnt from one painting: ``artgan stylize photo.jpg --style-image painting.jpg``.

The first call with a painting trains a small one-sided model (FastCUT, :mod:`artgan_cyclegan.cut`,
with the light generator of the shipped styles) on random crops of that painting and of the
photos (by default the pictures being stylized), then keeps it in the cache under the
painting's sha256 (``CACHE/style-image/HASH16/styles/NAME``, NAME the painting's file name
when first learnt, so outputs are called ``photo_NAME.jpg``): every later call with the same
painting file, renamed or not, whatever the photos, loads it at once.

Before training, a few real training steps measure this machine's speed; the run is then sized
to fit ``minutes`` (so the learning rate still falls over its second half, as in the shipped
styles' recipe) and the time limit stops it in any case (a machine that gets busier meanwhile
cuts the last steps). The line it prints before starting says how long it will take. Ctrl-C
saves the run; the next call with the painting continues it. Two processes on one painting:
the second is refused with a clear error while the first trains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from artgan.errors import ArtganError

log = logging.getLogger("artgan")

PLUGIN = "cut"
VARIANT = "fastcut"  # FastCUT: measured closer to Van Gogh's paintings than CUT at equal steps (style SWD 159 vs 218)
PROBE_STEPS = 6  # steps timed before the run is sized (the first includes warm-up: on a steady machine the estimate errs long)
MIN_STEPS = 50  # fewer than this learns nothing worth caching: refuse with the time it would need instead
MAX_STEPS = 6_000  # the shipped styles' recipe length; more minutes than this needs are not used
SETTINGS = ("sample_every=0", "checkpoint_every=100", "keep_checkpoints=1", "log_every=25")
MODEL_SETTINGS: tuple[str, ...] = ()  # overrides of the variant's model (the tests make it tiny)


def painting_hash(painting: str | Path) -> str:
    """sha256 of the painting file's bytes: the cache key, so a renamed copy is the same style."""
    digest = hashlib.sha256()
    with open(painting, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def style_folder(painting: str | Path) -> Path:
    """Where the style learnt from ``painting`` lives (``styles/NAME``) or is being trained (``run``)."""
    from artgan.presets import cache_dir

    return cache_dir() / "style-image" / painting_hash(painting)[:16]


def cached_style(folder: Path) -> Path | None:
    """The learnt model in a style folder, or None while there is none."""
    return next((found.parent for found in sorted((folder / "styles").glob("*/config.json"))), None)


def photo_list(photos: Sequence[str], target: Path) -> Path:
    """Write every image of ``photos`` (files, folders or .txt lists) to ``target``, one absolute path a line."""
    from artgan.images import list_images

    files: list[Path] = []
    for source in photos:
        if source == "-":
            raise ArtganError("--style-image learns from the photos it is given, and stdin can only be read once: "
                              "add --photos FOLDER (photos to learn from), or give the picture as a file")
        files += list_images(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{path.resolve()}\n" for path in files))
    return target


def learn_style(painting: str | Path, photos: Sequence[str], *, minutes: float, device: str = "auto",
                progress: bool = True) -> Path:
    """The exported style model learnt from ``painting`` (training it first if it is not cached yet)."""
    import torch

    import artgan.api as api
    from artgan.checkpoint import export_checkpoint, find_checkpoint, latest_checkpoint_dir
    from artgan.engine.progress import format_duration
    from artgan.images import read_image
    from artgan.registry import get_plugin
    from artgan.runlock import RunLock

    painting = Path(painting)
    read_image(painting)  # a clear error for a file that is not a picture, before any training
    folder = style_folder(painting)
    model = cached_style(folder)
    if model is not None:
        log.info("style of %s: cached in %s", painting.name, model)
        return model
    with RunLock(folder):
        model = cached_style(folder)
        if model is not None:  # another process finished it while this one waited to start
            return model
        model = folder / "styles" / painting.stem
        run, plan = folder / "run", folder / "plan.json"
        started = time.perf_counter()
        if plan.is_file() and latest_checkpoint_dir(run) is not None:
            steps = json.loads(plan.read_text())["steps"]
            log.info("learning a style from %s: continuing the stopped run in %s", painting.name, run)
        else:
            shutil.rmtree(run, ignore_errors=True)  # a probe that never finished: it is only seconds
            steps = _sized_run(painting, photos, folder, minutes, device)
            plan.write_text(json.dumps({"steps": steps, "painting": painting.name}) + "\n")
        limit = max(0.1, minutes - (time.perf_counter() - started) / 60)
        decay = get_plugin(PLUGIN).train_defaults.get("lr_decay_start", 1.0)
        final = api.train(None, None, run, steps=steps, resume=True, device=device, progress=progress,
                          config=[f"max_minutes={limit:.3f}", f"lr_decay_start={decay}"])
        meta = find_checkpoint(final).meta
        if meta["step"] < steps and meta.get("stopped_by") != "time limit":
            raise ArtganError(f"stopped at step {meta['step']} of {steps}; the next call with {painting.name} "
                              "continues from there")
        export_checkpoint(find_checkpoint(final), get_plugin(PLUGIN).inference_roles, model, dtype=torch.float16)
        shutil.rmtree(run, ignore_errors=True)  # the model is what the cache keeps; the run is 5× its size
        plan.unlink()
        log.info("style of %s: %d steps in %s, cached in %s", painting.name, meta["step"],
                 format_duration(time.perf_counter() - started), model)
        return model


def _sized_run(painting: Path, photos: Sequence[str], folder: Path, minutes: float, device: str) -> int:
    """Start the run in ``folder/run`` with :data:`PROBE_STEPS` timed steps; return the steps that fit ``minutes``."""
    import artgan.api as api
    from artgan.checkpoint import find_checkpoint, latest_checkpoint_dir
    from artgan.engine.progress import format_duration

    started = time.perf_counter()
    run = folder / "run"
    data = {"a": str(photo_list(photos, folder / "photos.txt")), "b": str(painting.resolve())}
    log.info("learning a style from %s: timing a few steps first", painting.name)
    # lr held for the probe: its steps are then the first steps of the sized run exactly
    api.train(PLUGIN, data, run, steps=PROBE_STEPS, variant=VARIANT, config=[*SETTINGS, *MODEL_SETTINGS, "lr_decay_start=1"],
              device=device, progress=False)
    probe = find_checkpoint(latest_checkpoint_dir(run)).meta
    if probe["step"] < PROBE_STEPS:
        shutil.rmtree(run, ignore_errors=True)
        raise ArtganError("stopped while timing the first steps; nothing to keep")
    per_step = max(probe["wall_time_s"], 0.1) / probe["step"]  # wall_time_s is rounded to 0.1 s
    steps = min(MAX_STEPS, PROBE_STEPS + int((minutes * 60 - (time.perf_counter() - started)) / per_step))
    if steps < MIN_STEPS:
        shutil.rmtree(run, ignore_errors=True)
        raise ArtganError(f"{minutes:g} min is too short to learn a style here ({per_step:.2f} s a step; "
                          f"{MIN_STEPS} steps need about {format_duration(MIN_STEPS * per_step)}): "
                          f"give --minutes {math.ceil(MIN_STEPS * per_step / 60) + 1} or more")
    log.info("learning a style from %s: %d steps at about %.2f s each ≈ %s, this first time only "
             "(later calls load it from %s)", painting.name, steps, per_step, format_duration(steps * per_step), folder)
    return steps

