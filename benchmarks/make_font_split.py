"""Build the font model's training and held-out folders from installed Debian font packages.

    sudo apt-get install -y fonts-adf-accanthis fonts-adf-gillius fonts-adf-universalis \\
        fonts-sil-andika fonts-sil-gentium fonts-urw-base35 fonts-cabin fonts-crosextra-caladea \\
        fonts-crosextra-carlito fonts-dancingscript fonts-dejavu-core fonts-firacode \\
        fonts-freefont-ttf fonts-gfs-didot fonts-hack fonts-inconsolata fonts-junicode fonts-lato \\
        fonts-league-spartan fonts-liberation fonts-linuxlibertine fonts-noto-core fonts-open-sans \\
        fonts-roboto-unhinted fonts-cantarell fonts-sil-charis fonts-comic-neue fonts-ebgaramond \\
        fonts-go fonts-tlwg-purisa fonts-quicksand
    python benchmarks/make_font_split.py --out runs/font_data

The split is by **family** (name ID 16, else 1): every file of a held-out family goes to
``heldout/``, never to ``train/``. Each family keeps at most :data:`PER_FAMILY` files, spread
evenly over its files sorted by path (one per file-name stem), so a family with many
weights does not dominate.
The folders hold symbolic links, ``<split>/<family>/<file>``; nothing is copied.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from artgan_font.render import family_of, list_fonts  # noqa: E402

PER_FAMILY = 6
TRAIN = (
    "Accanthis ADF Std", "Accanthis ADF Std No2", "Accanthis ADF Std No3", "Gillius ADF", "Gillius ADF No2",
    "Universalis ADF Std", "Andika", "Gentium", "GentiumAlt", "C059", "Nimbus Mono PS", "Nimbus Roman",
    "Nimbus Sans", "Nimbus Sans Narrow", "P052", "URW Gothic", "Cabin", "Caladea", "Carlito", "Dancing Script",
    "DejaVu Sans", "DejaVu Sans Mono", "DejaVu Serif", "Fira Code", "FreeMono", "FreeSans", "FreeSerif",
    "GFS Didot", "Hack", "Inconsolata", "Junicode Two Beta", "Lato", "League Spartan", "Liberation Mono",
    "Liberation Sans", "Liberation Sans Narrow", "Liberation Serif", "Linux Biolinum O", "Linux Libertine O",
    "Linux Libertine Display O", "Linux Libertine Mono O", "Noto Sans", "Noto Sans Display", "Noto Serif",
    "Noto Serif Display", "Open Sans", "Open Sans Condensed", "Roboto", "Roboto Condensed",
)
HELDOUT = (
    "Cantarell", "Charis SIL", "Comic Neue", "EB Garamond", "Go", "Go Medium", "Go Mono", "Go Smallcaps",
    "Purisa", "Quicksand", "Quicksand Light", "Quicksand Medium", "URW Bookman",
)


def distinct(files: list[Path]) -> list[Path]:
    """One file per name stem (the first by path): two packages shipping one font, or its .otf and .ttf, count once."""
    seen: dict[str, Path] = {}
    for path in sorted(files):
        seen.setdefault(path.stem, path)
    return sorted(seen.values())


def spread(files: list[Path], keep: int) -> list[Path]:
    """At most ``keep`` of ``files``, evenly spaced over the sorted list (first and last included)."""
    if len(files) <= keep:
        return files
    return [files[round(i * (len(files) - 1) / (keep - 1))] for i in range(keep)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fonts", type=Path, default=Path("/usr/share/fonts"), help="where the font packages are installed")
    parser.add_argument("--out", type=Path, default=Path("runs/font_data"))
    args = parser.parse_args()
    families: dict[str, list[Path]] = {}
    for path in list_fonts(args.fonts):
        try:
            families.setdefault(family_of(path), []).append(path)
        except Exception as exc:  # an unreadable file is not a font we can use
            print(f"skipped {path}: {exc}", file=sys.stderr)
    for split, names in (("train", TRAIN), ("heldout", HELDOUT)):
        missing = [name for name in names if name not in families]
        if missing:
            raise SystemExit(f"font families not installed: {', '.join(missing)} (install the packages in this script's docstring)")
        count = 0
        for name in names:
            folder = args.out / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for path in spread(distinct(families[name]), PER_FAMILY):
                link = folder / path.name
                if not link.exists():
                    link.symlink_to(path.resolve())
                count += 1
        print(f"{split}: {count} files, {len(names)} families -> {args.out / split}")


if __name__ == "__main__":
    main()
