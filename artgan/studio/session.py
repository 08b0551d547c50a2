"""What the studio does for the page: take uploads, run verbs, write results and other formats.

Each request is checked at once where that is cheap (the model, the verb, every option's
value, the seed), so a mistake is answered with the command line's message before anything
is queued; the work itself goes to the one :class:`~artgan.studio.jobs.Worker`. Loaded
models are kept for the next run (the most recent few), results in this session's gallery.
Uploads are copies in a private temporary folder, removed when the studio stops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from artgan.errors import ArtganError
from artgan.studio.catalog import Catalog, Entry, suffixes
from artgan.studio.controls import command_line, read_options, read_seed
from artgan.studio.jobs import Job, Worker
from artgan.studio.results import (Preview, Result, image_previews, is_tileable, kind_of, numbered, output_bytes,
                                   safe_stem, upload_preview, writer_preview)

log = logging.getLogger("artgan")
KEEP_MODELS = 2  # loaded models kept for the next run (each holds its networks in memory)
KEEP_OUTPUTS = 8  # recent outputs kept in memory, so other formats can be written later ...
KEEP_OUTPUT_BYTES = 2**30  # ... as long as together they hold at most this much (a 16384² picture alone is 3 GB)


@dataclass
class Upload:
    """A picture the page sent, stored under its own name in a private folder."""

    id: str  # "u1", "u2", ...
    name: str  # the file's name as the user had it (what errors and the command line show)
    path: Path
    width: int | None = None  # known once decoded (upright)
    height: int | None = None
    preview: Preview | None = None


class Session:
    """The studio's state: the catalogue, the worker, loaded models, uploads and results."""

    def __init__(self, catalog: Catalog, out: str | os.PathLike, *, device: str = "auto") -> None:
        self.catalog = catalog
        self.out = Path(out)
        self.device = device
        self.worker = Worker()
        self._scratch = Path(tempfile.mkdtemp(prefix="artgan-studio-"))
        self._models: OrderedDict[str, Any] = OrderedDict()  # used by the worker thread only
        self._uploads: dict[str, Upload] = {}
        self._results: dict[str, Result] = {}
        self._lock = threading.Lock()
        self._counts = {"u": 0, "r": 0}

    def close(self) -> None:
        """Stop the worker and remove the uploaded copies (results stay in the output folder)."""
        self.worker.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _next(self, prefix: str) -> str:
        with self._lock:
            self._counts[prefix] += 1
            return f"{prefix}{self._counts[prefix]}"

    # ------------------------------------------------------------------ uploads
    def upload(self, name: str, data: bytes) -> tuple[Upload, Job]:
        """Keep an uploaded picture and queue its decoding (which finds its size, or the error
        the command line would give for that file)."""
        from artgan.files import write_bytes_atomic

        upload_id = self._next("u")
        plain = Path(name.replace("\\", "/")).name or "upload"
        if plain in (".", ".."):
            plain = "upload"
        path = self._scratch / upload_id / plain
        write_bytes_atomic(path, data, overwrite=False)
        upload = Upload(upload_id, plain, path)
        with self._lock:
            self._uploads[upload_id] = upload
        return upload, self.worker.submit(f"reading {plain}", lambda job: self._inspect(upload))

    def upload_of(self, upload_id: str) -> Upload:
        with self._lock:
            if upload_id not in self._uploads:
                raise ArtganError(f"no uploaded picture {upload_id!r}; drop the picture again")
            return self._uploads[upload_id]

    def _inspect(self, upload: Upload) -> dict[str, Any]:
        from artgan.images import open_image

        def small(size: tuple[int, int]) -> tuple[int, int]:
            scale = min(1.0, 1024 / max(size))
            return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))

        with _named_errors(upload.path.parent):
            image = open_image(upload.path, shrink=small)
        width, height = image.info.get("artgan_full_size", image.size)
        upload.width, upload.height, upload.preview = int(width), int(height), upload_preview(image)
        return {"upload": upload.id, "name": upload.name, "width": upload.width, "height": upload.height,
                "preview": f"/uploads/{upload.id}/preview"}

    # ------------------------------------------------------------------ running verbs
    def run(self, model: str, verb: str, texts: dict[str, Any], seed: Any = None, uploads: list[str] = ()) -> Job:
        """Check a run request and queue it; the job's result is the gallery entry."""
        entry = self.catalog.entry(model)
        spec = entry.verb(verb)
        options, changed = read_options(spec.Options, texts, defaults=entry.defaults.get(verb), what=f"{verb} option")
        seed = read_seed(seed)
        if seed is not None:
            from artgan.inference.model import check_seed

            check_seed(seed)
        pictures = [self.upload_of(u) for u in uploads]
        if spec.takes == "nothing" and pictures:
            raise ArtganError(f"{model}: {verb!r} takes no input pictures")
        if spec.takes == "image" and len(pictures) != 1:
            raise ArtganError(f"{model}: {verb!r} needs a picture: drop one on the page first")
        if spec.takes == "images" and not pictures:
            raise ArtganError(f"{model}: {verb!r} needs input pictures: drop them on the page first")
        return self.worker.submit(f"{verb} with {model}",
                                  lambda job: self._run(job, entry, verb, changed, options, seed, pictures))

    def _model(self, entry: Entry, verb: str, job: Job) -> Any:
        """The loaded model, from the cache or loaded now (the oldest is let go beyond KEEP_MODELS)."""
        if entry.name in self._models:
            self._models.move_to_end(entry.name)
            return self._models[entry.name]
        from artgan.api import load

        job.stage = "loading the model"
        while len(self._models) >= KEEP_MODELS:
            self._models.popitem(last=False)
        model = load(entry.name, self.device, verb=verb)
        self._models[entry.name] = model
        return model

    def _run(self, job: Job, entry: Entry, verb: str, changed: dict[str, str], options: Any, seed: int | None,
             pictures: list[Upload]) -> dict[str, Any]:
        import time

        from artgan.writers import write_output

        model = self._model(entry, verb, job)
        spec = model.verb(verb)
        job.stage = "running"
        model.on_progress = job.progress
        inputs = None
        if spec.takes == "image":
            inputs = pictures[0].path
        elif spec.takes == "images":
            inputs = [p.path for p in pictures]
        started = time.monotonic()
        try:
            with _named_errors(*(p.path.parent for p in pictures)):
                output = model.run(verb, inputs, seed=seed, texts=changed)
        finally:
            model.on_progress = None
        seconds = round(time.monotonic() - started, 3)
        if pictures:
            output.metadata["source"] = ",".join(p.name for p in pictures)
        job.stage = "writing"
        suffix, stem, out_name = self._target(entry, model, spec, output, pictures)
        path = numbered(self.out, stem, suffix)
        written = write_output(output, path, writers=model.plugin.writers)
        files = [path] + ([] if suffix == "" else [f for f in written if f != path])  # the main file, then its sidecars
        used = model.last_seed
        command = command_line(entry.name, verb, spec.takes, spec.Options, changed, seed=used,
                               inputs=[p.name for p in pictures], out=out_name)
        result = Result(self._next("r"), entry.name, verb, used, changed, command, kind_of(output, options),
                        files=files, upload=pictures[0].id if len(pictures) == 1 else None,
                        summary={**output.describe(), **output.report}, formats=_formats(model.plugin, output),
                        seconds=seconds, output=output)
        job.stage = "previews"
        result.previews = self._previews(output, model.plugin.writers)
        if result.kind == "other" and result.previews and is_tileable(output, options):
            result.kind = "tiles"  # a plugin's own type with a picture of it: tiled like any texture
        elif result.kind == "other" and not result.previews:
            result.kind = "files"
        with self._lock:
            self._results[result.id] = result
            self._forget_outputs()
        return result.page()

    def _forget_outputs(self) -> None:
        """Let go of all but the newest outputs that fit :data:`KEEP_OUTPUTS` and :data:`KEEP_OUTPUT_BYTES`;
        their files stay, only other formats of them can no longer be written."""
        kept, held = 0, 0
        for result in reversed(self._results.values()):
            if result.output is None:
                continue
            size = output_bytes(result.output)
            if kept < KEEP_OUTPUTS and held + size <= KEEP_OUTPUT_BYTES:
                kept, held = kept + 1, held + size
            else:
                result.output = None

    def _target(self, entry: Entry, model: Any, spec: Any, output: Any, pictures: list[Upload]) -> tuple[str, str, str | None]:
        """The main file's suffix, its name in the output folder and the ``-o`` of the command
        line (None where the command line's own default names it the same way)."""
        from artgan.images import RASTER_FORMATS
        from artgan.outputs import Images

        formats = suffixes(model.plugin, type(output))
        if isinstance(output, Images):
            if spec.takes == "image":  # as the command line does: the input's format where it can hold the result
                suffix = Path(pictures[0].name).suffix.lower()
                suffix = suffix if suffix in RASTER_FORMATS else ".png"
                if output.pixels.shape[1] == 4 and suffix in (".jpg", ".jpeg"):
                    suffix = ".png"
                tag = model.preset.tag if model.preset is not None else Path(model.name).name
                return suffix, safe_stem(f"{Path(pictures[0].name).stem}_{tag}"), None
            suffix = ".gif" if output.sequence else ".png"
        else:
            suffix = next((s for s in formats if s), "")
        named = entry.name if model.preset is not None else Path(entry.name).name  # a run folder by its own name
        stem = safe_stem(f"{named}_{spec.name}_{model.last_seed}")
        return suffix, stem, f"{stem}{suffix}" if suffix else f"{stem}/"

    def _previews(self, output: Any, writers: Any) -> list[Preview]:
        from artgan.outputs import Images

        if isinstance(output, Images):
            return image_previews(output)
        shown = writer_preview(output, writers)
        return [shown] if shown is not None else []

    # ------------------------------------------------------------------ results
    def results(self) -> list[dict[str, Any]]:
        """The gallery, newest first."""
        with self._lock:
            return [r.page() for r in reversed(self._results.values())]

    def result(self, result_id: str) -> Result:
        with self._lock:
            if result_id not in self._results:
                raise ArtganError(f"no result {result_id!r} in this session")
            return self._results[result_id]

    def export(self, result_id: str, fmt: str) -> Job:
        """Queue writing a result in another format (``.jpg``, ``.tif``, ``folder``, a plugin's own)."""
        result = self.result(result_id)
        suffix = "" if fmt == "folder" else fmt.lower()
        if suffix not in result.formats:
            offered = ", ".join(s or "folder" for s in result.formats)
            raise ArtganError(f"{result.model}'s {result.verb!r} output cannot be written as {fmt!r}; it can be: {offered}")
        if result.output is None:
            raise ArtganError(f"{result.id} is no longer in memory (the studio keeps the last {KEEP_OUTPUTS} outputs, up to "
                              f"{KEEP_OUTPUT_BYTES / 2**30:g} GB together); run it again, or run its command with another -o")
        return self.worker.submit(f"writing {result.id} as {fmt}", lambda job: self._export(result, suffix))

    def _export(self, result: Result, suffix: str) -> dict[str, Any]:
        from artgan.writers import write_output

        main = result.files[0]
        stem = main.name.split("_", 1)[1] if "_" in main.name else main.name
        stem = Path(stem).stem if main.suffix else stem
        path = numbered(self.out, stem, suffix)
        entry = self.catalog.entry(result.model)
        written = write_output(result.output, path, writers=entry.plugin.writers)
        with self._lock:
            result.files += [path] + ([] if suffix == "" else [f for f in written if f != path])
        return result.page()


def _formats(plugin: Any, output: Any) -> list[str]:
    """The suffixes ``output`` can be written as, one per format (``.jpg``, not also ``.jpeg``);
    a ``.gif`` only for a sequence of frames, the one thing it takes."""
    from artgan.images import RASTER_FORMATS
    from artgan.outputs import Images

    seen: set[str] = set()
    formats = []
    for suffix in suffixes(plugin, type(output)):
        kind = RASTER_FORMATS.get(suffix, suffix)
        if kind in seen or (suffix == ".gif" and isinstance(output, Images) and not output.sequence):
            continue
        seen.add(kind)
        formats.append(suffix)
    return formats


@contextlib.contextmanager
def _named_errors(*folders: Path) -> Iterator[None]:
    """Errors about an uploaded file name it as the user had it, not by its private copy."""
    try:
        yield
    except ArtganError as exc:
        message = str(exc)
        for folder in folders:
            message = message.replace(str(folder) + os.sep, "")
        if message == str(exc):
            raise
        raise ArtganError(message) from None
