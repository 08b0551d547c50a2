"""Shipped and fetched presets: where their checkpoint lies, checked against its sha256.

A preset ships inside its plugin's package (``Preset.path``) or is fetched once from
``Preset.url`` into the cache folder. Either way the weights are checked before use.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from artgan.checkpoint import CONFIG_FILE, WEIGHTS_FILE, sha256_file
from artgan.errors import ArtganError
from artgan.plugin import Plugin, Preset


def cache_dir() -> Path:
    """Where fetched presets are kept: ``$ARTGAN_HOME``, else the user's cache folder."""
    if os.environ.get("ARTGAN_HOME"):
        return Path(os.environ["ARTGAN_HOME"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "artgan"


def preset_path(plugin: Plugin, preset: Preset) -> Path:
    """The checked checkpoint directory of a preset, fetching it into the cache if needed."""
    if preset.path is not None:
        folder = Path(preset.path)
    else:
        folder = cache_dir() / plugin.name / f"{preset.tag}-{preset.sha256[:12]}"
        if not (folder / CONFIG_FILE).is_file():
            _fetch_preset(preset.url, folder)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise ArtganError(f"preset {plugin.name}.{preset.tag}: {weights} is missing; reinstall the plugin's package")
    digest = sha256_file(weights)
    if digest != preset.sha256:
        raise ArtganError(
            f"preset {plugin.name}.{preset.tag}: {weights} is damaged (sha256 {digest[:12]}…, "
            f"expected {preset.sha256[:12]}…); reinstall the plugin's package or clear {cache_dir()}"
        )
    return folder


def _fetch_preset(url: str, folder: Path) -> None:
    """Download a zip of a checkpoint directory and unpack it into ``folder`` atomically."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        archive = tmp / "preset.zip"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(archive, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise ArtganError(f"could not download {url} ({exc}); check the network or copy the preset by hand") from None
        try:
            with zipfile.ZipFile(archive) as bundle:
                names = [n for n in bundle.namelist() if not n.endswith("/")]
                for member in names:
                    if Path(member).name in (CONFIG_FILE, WEIGHTS_FILE):
                        (tmp / Path(member).name).write_bytes(bundle.read(member))
        except zipfile.BadZipFile:
            raise ArtganError(f"{url} is not a zip archive of a checkpoint directory") from None
        archive.unlink()
        if not (tmp / CONFIG_FILE).is_file() or not (tmp / WEIGHTS_FILE).is_file():
            raise ArtganError(f"{url} holds no {CONFIG_FILE} and {WEIGHTS_FILE}")
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
