"""``python -m kb``: the ``kb`` command, for when the console script is not on PATH."""

from kb.cli import main

main()
