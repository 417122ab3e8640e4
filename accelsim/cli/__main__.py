"""``python -m accelsim.cli``."""

from accelsim.cli import main

main()
