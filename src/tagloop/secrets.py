"""The Flask secret key: from the environment, or generated once into TAGLOOP_HOME."""

from __future__ import annotations

import os
import secrets
import tempfile

from tagloop.config import Settings


def load_secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = settings.ensure_home() / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # created 0600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            # link() fails if the name exists, so of several workers starting at once
            # exactly one key wins and nobody reads a half-written file.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to generate a new key")
    return key
