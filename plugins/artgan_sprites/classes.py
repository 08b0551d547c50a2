"""The class folders of the shipped presets, built from ``shared/data/sprites`` by file name.

The shared data has three folders (characters, buildings, props) but no finer classes; this
module derives them from the packs' own file names, so anyone can rebuild the exact views
the presets were trained on::

    python -m artgan_sprites.classes ../shared/data/sprites runs/sprites_data

writes ``runs/sprites_data/<preset>/<class>.txt`` (one absolute image path per line), which
``artgan train sprites --data runs/sprites_data/<preset>`` reads as one class per list, and
``runs/sprites_data/<preset>_heldout/<class>.txt``: every :data:`HOLDOUT`-th file of each class
(in name order), kept out of training for the quality benchmark. Files that fit no class are
left out and counted in the summary it prints.

* characters: Dungeon Crawl Stone Soup 32×32 pixel art only (the Kenney characters are
  another style and size), grouped by DCSS's tile folders: humanoid and animal.
* props: trees, rocks, plants and items (Kenney flat art, shrunk to 32 px), by name; the
  numbered Kenney foliage and medieval-environment files were sorted by looking at them.
* buildings: house, tower and hangar (Kenney flat art), by name.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DCSS = "dcss-tiles-nov2015__"
CHARACTER_GROUPS = {  # DCSS tile folder (first word of the name) -> class
    # Two kinds a small classifier tells apart on held-out tiles (83-85 %, two seeds). Undead,
    # demons and the "vault" oddities were classes once: they mix every body shape (a lich is
    # a humanoid, a bone dragon an animal), so 4 classes were told apart on 63-65 % of tiles.
    "humanoid": ("mon", "unique", "base", "spriggan", "draco"),
    "animal": ("animals", "aquatic", "dragons"),
}
FOLIAGE = {  # kenney-foliage-pack foliagePack_NNN, sorted by eye
    "plant": {1, 2, 3, 18, 19, 20, 21, 49, 50, 51, 52, 62},
    "rock": {53, 54, 55, 56, 58, 59, 60, 61},
}
MEDIEVAL = {  # kenney-medieval-rts medievalEnvironment_NN, sorted by eye (04 stump, 05 log, 20 fire left out)
    "tree": {1, 2, 3, 21},
    "rock": {6, 7, 8, 9, 13, 14, 15, 16},
    "plant": {12, 19},
}
PROP_WORDS = (  # (class, pattern on the lowercased file name), first match wins
    ("item", r"genericitem|items_"),
    ("rock", r"rock|crystal"),
    ("tree", r"tree"),
    ("plant", r"bush|cactus|shroom|mushroom|flower|hedge|plant"),
    ("item", r"crate|barrel|chest"),
)
BUILDING_WORDS = (
    ("tower", r"tower"),
    ("hangar", r"hangar"),
    ("house", r"house|castle|temple|pyramid|piramid|medievalstructure"),
)


def character_class(name: str) -> str | None:
    """Class of a file in ``characters/``, or None."""
    if not name.startswith(DCSS):
        return None
    group = name[len(DCSS):].split("_")[0]
    return next((cls for cls, groups in CHARACTER_GROUPS.items() if group in groups), None)


def prop_class(name: str) -> str | None:
    """Class of a file in ``props/``, or None."""
    lower = name.lower()
    number = re.search(r"(foliagepack|medievalenvironment)_(\d+)\.png$", lower)
    if number:
        table = FOLIAGE if number.group(1) == "foliagepack" else MEDIEVAL
        index = int(number.group(2))
        found = next((cls for cls, members in table.items() if index in members), None)
        return found if found or table is MEDIEVAL else "tree"  # the other foliage files are trees
    if name.startswith(DCSS):
        return None  # statues: another style
    return next((cls for cls, pattern in PROP_WORDS if re.search(pattern, lower)), None)


def building_class(name: str) -> str | None:
    """Class of a file in ``buildings/``, or None."""
    lower = name.lower()
    return next((cls for cls, pattern in BUILDING_WORDS if re.search(pattern, lower)), None)


HOLDOUT = 8  # every 8th sprite of a class (in name order) is held out for measuring

RULES = {"characters": character_class, "props": prop_class, "buildings": building_class}


def build_views(data: Path, out: Path) -> dict[str, dict[str, int]]:
    """Write ``out/<preset>/<class>.txt`` (training) and ``out/<preset>_heldout/<class>.txt``
    lists for every preset; return the training counts (with ``"(held out)"`` and
    ``"(left out)"``: files no class takes)."""
    counts: dict[str, dict[str, int]] = {}
    for preset, rule in RULES.items():
        members: dict[str, list[str]] = {}
        left_out = 0
        for path in sorted((data / preset).glob("*.png")):
            cls = rule(path.name)
            if cls is None:
                left_out += 1
                continue
            members.setdefault(cls, []).append(str(path.resolve()))
        held = 0
        for folder in (out / preset, out / f"{preset}_heldout"):
            folder.mkdir(parents=True, exist_ok=True)
        for cls, files in members.items():
            kept = [f for i, f in enumerate(files) if i % HOLDOUT != HOLDOUT - 1]
            apart = [f for i, f in enumerate(files) if i % HOLDOUT == HOLDOUT - 1]
            held += len(apart)
            (out / preset / f"{cls}.txt").write_text("\n".join(kept) + "\n")
            (out / f"{preset}_heldout" / f"{cls}.txt").write_text("\n".join(apart) + "\n")
            members[cls] = kept
        counts[preset] = {**{cls: len(files) for cls, files in sorted(members.items())},
                          "(held out)": held, "(left out)": left_out}
    return counts


if __name__ == "__main__":  # a maintainer's script: python -m artgan_sprites.classes DATA OUT
    import json

    if len(sys.argv) != 3:
        sys.exit("usage: python -m artgan_sprites.classes SHARED_DATA/sprites OUT_FOLDER")
    sys.stdout.write(json.dumps(build_views(Path(sys.argv[1]), Path(sys.argv[2])), indent=1) + "\n")
