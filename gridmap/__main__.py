"""``python -m gridmap``: the same command as the ``gridmap`` script."""

from gridmap.cli import main

main()
