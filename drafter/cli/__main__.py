"""``python -m drafter.cli``: same as the ``drafter`` command."""

from .main import main

main()
