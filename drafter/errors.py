"""One error family for Drafter.

Every error a user can cause (a bad figures file, a missing corpus, an
unreachable server) is a :class:`DrafterError` whose message is worded for the
user and names the file, line or field at fault. The CLI prints that message as
one line on stderr and exits with :data:`EXIT_BAD_INPUT`; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

EXIT_OK = 0
"""Exit status: the command did its job and the check (if any) is clean."""
EXIT_FINDINGS = 1
"""Exit status: a draft was written or checked and findings remain."""
EXIT_BAD_INPUT = 2
"""Exit status: bad input, configuration or environment (a :class:`DrafterError`)."""


class DrafterError(Exception):
    """Base class of every error meant to be shown to the user.

    An error that stops a report after some sections were finished is not
    raised: :func:`drafter.drafting.report.write_report` returns those sections as a
    :class:`~drafter.output.draft.Draft` with ``status`` ``"incomplete"`` and the
    error's message and class name in ``error`` and ``error_type``.

    Args:
        message: one sentence, in the user's terms, naming the file/line/field.
        hint: optional second sentence saying what to do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class InputError(DrafterError):
    """A user file (figures, draft, corpus path, outline) is malformed or missing."""


class ConfigError(DrafterError):
    """A setting, config file or prompt file is wrong."""


class StoreError(DrafterError):
    """The chunk store cannot be opened or does not match the configured embedder."""


class ModelError(DrafterError):
    """The embedder or the LLM cannot be loaded, reached or used."""


class PromptError(ConfigError):
    """A prompt file is malformed or a variable it needs is missing."""
