"""The characters the font model knows, and how glyph file names say which one they are.

A glyph image is named after its character: ``A.png``, ``a.png``, ``0.png``. File systems
that fold case (macOS, Windows) cannot hold ``A.png`` beside ``a.png``, and some characters
cannot be in a name at all (``/``, ``?`` on Windows), so a name may also be the code point,
``U+0061.png`` (any case of the hex digits), or the Unicode/PostScript-style word listed in
:data:`NAMES` (``question.png``, ``period.png``); a trailing ``_upper``/``_lower`` marks
case for a letter (``a_upper.png`` is ``A``).
"""

from __future__ import annotations

import re
import string

# A–Z a–z 0–9 and the basic punctuation of running text, in class order.
CHARS: str = string.ascii_uppercase + string.ascii_lowercase + string.digits + ".,:;!?'\"-()&/"

# names for characters that a file name cannot hold or that read better spelled out
NAMES: dict[str, str] = {
    "period": ".", "comma": ",", "colon": ":", "semicolon": ";", "exclam": "!", "question": "?",
    "quotesingle": "'", "apostrophe": "'", "quotedbl": '"', "quote": '"', "hyphen": "-", "minus": "-",
    "parenleft": "(", "parenright": ")", "ampersand": "&", "slash": "/",
}
_CODEPOINT = re.compile(r"^u\+?([0-9a-f]{4,6})$", re.IGNORECASE)


def char_of_stem(stem: str) -> str | None:
    """The character a file stem names (``A``, ``U+0041``, ``question``, ``a_upper``), or None."""
    if len(stem) == 1:
        return stem
    match = _CODEPOINT.match(stem)
    if match:
        code = int(match.group(1), 16)
        return chr(code) if code <= 0x10FFFF else None
    lowered = stem.lower()
    if lowered in NAMES:
        return NAMES[lowered]
    for suffix, convert in (("_upper", str.upper), ("_lower", str.lower)):
        if lowered.endswith(suffix) and len(stem) == len(suffix) + 1:
            return convert(stem[0])
    return None


def file_stem(char: str) -> str:
    """A portable file stem for ``char``: itself for digits and lowercase, ``U+XXXX`` otherwise."""
    if char.isdigit() or char.islower():
        return char
    return f"U+{ord(char):04X}"
