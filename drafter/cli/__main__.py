"""``python -m drafter.cli``: same as the ``drafter`` command."""

from drafter.cli.main import main

main()
