"""The one exception type for mistakes a user can fix.

Library code raises :class:`ArtganError` with a message that names the problem and the
remedy; the CLI prints it as one line on stderr and exits with code 2. Anything else that
escapes is a bug in artgan or in a plugin.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ArtganError(Exception):
    """A user-facing error: bad input, unknown name, missing file, broken plugin."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` if none is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""
