"""A plugin module whose import calls sys.exit(), as a careless script-turned-plugin would."""

import sys

sys.exit("hostile_exit_import refuses to be imported")

plugin = None
