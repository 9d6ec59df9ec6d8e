"""The local web page of ``drafter serve`` (see :mod:`drafter.web.app`)."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any):
    """Build the page's ASGI app; see :func:`drafter.web.app.create_app`."""
    from drafter.web.app import create_app as _create

    return _create(*args, **kwargs)
