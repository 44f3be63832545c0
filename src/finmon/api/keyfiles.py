"""Secret key files: created once with 0600 permissions, refused when others can read them.

A key that other users can read is as good as published, so loading one with
group or world permissions is an error rather than a warning.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from finmon.core.errors import ValidationError


def load_or_create_key(path: Path, size: int = 32) -> bytes:
    """The key in ``path``; a fresh random one (written 0600) if the file is absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(size)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValidationError(
            f"key file {path} is readable by others (mode {mode:o}); chmod 600 it",
            field="key_path",
            code="insecure_key_file",
        )
    key = path.read_bytes()
    if len(key) != size:
        raise ValidationError(
            f"key file {path} holds {len(key)} bytes; expected {size}", field="key_path"
        )
    return key


__all__ = ["load_or_create_key"]
