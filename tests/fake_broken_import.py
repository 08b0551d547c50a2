"""A plugin module whose import fails, as a package with a missing dependency would."""

import this_dependency_is_not_installed  # noqa: F401

plugin = None
