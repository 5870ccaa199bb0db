"""One configuration for the UI, the daemon and the CLI: the ``SDOH_*`` variables, optionally from the project's ``.env``.

``dg dev`` (and ``dagster dev``) read a ``.env`` file in the folder they start in (the project root, for ``make
dev``) and hand its variables to the code location and the daemon. The ``sdoh`` CLI reads the same file through
:func:`load_project_env` before it reads any setting, so ``make run`` and the UI agree. A variable already set in the
environment wins over the file (python-dotenv's rule; note that Dagster's own loader lets the file win, so set a
variable in one place, not both).

:func:`load_settings_or_fail` is what the code location calls at import: a wrong setting stops the import with one
line naming the variable and the values it may take (:class:`assets.settings.SettingsError`, raised without the
chain of frames that led to it), which ``dg dev`` shows at the top of its log and the UI as the location's load error.
It raises rather than exiting: ``SystemExit`` inside a Dagster code server takes the whole ``dagster dev`` down
without a word in the UI.
"""

from __future__ import annotations

import os
from pathlib import Path

from assets.settings import PROJECT_ROOT, Settings, SettingsError, settings_from_env

ENV_FILE = ".env"
ENV_DIR = PROJECT_ROOT  # where the CLI looks for ENV_FILE (tests point it elsewhere)


def load_project_env(root: Path | None = None) -> dict[str, str]:
    """Put the variables of ``<root>/.env`` (default: the project root, :data:`ENV_DIR`) into ``os.environ`` unless
    already set; return the ones it set.

    A missing file sets nothing. Read with python-dotenv (Dagster's own reader), so a file the UI accepts is read
    the same way here."""
    path = Path(ENV_DIR if root is None else root) / ENV_FILE
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    added = {}
    for name, value in dotenv_values(path).items():
        if value is not None and name not in os.environ:
            os.environ[name] = value
            added[name] = value
    return added


def load_settings_or_fail(environ: dict[str, str] | None = None) -> Settings:
    """The settings from the environment, or :class:`SettingsError` with one line (and no chained traceback)."""
    try:
        return settings_from_env(environ)
    except SettingsError as error:
        raise SettingsError(str(error)) from None
