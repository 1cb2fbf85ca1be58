"""Files that must stay out of the object store: secrets (the API-key HMAC key, the audit
checkpoint signing key) and the local audit anchor, readable by Kho's own user only.

Anyone who can read the store (a backup, a shared folder, a MinIO user with read rights)
must not learn a secret from it, and anyone who can write the store must not be able to
rewrite these files. So they live in a folder of their own (`KHO_SECRETS_DIR`, outside
`KHO_DATA_DIR`), the folder mode 0700 and every file mode 0600. A file that others can read
is refused rather than used, as ssh does with a private key: a secret that leaked is no
longer one, and the operator should know.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["SecretFileError", "create_private", "read_private", "replace_private"]


class SecretFileError(Exception):
    """A secret file or its folder cannot be used: unreadable, or open to other users."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = folder.stat().st_mode
        if mode & 0o077:
            folder.chmod(0o700)
    except OSError as exc:
        raise SecretFileError(
            f"cannot prepare the folder {folder}: {exc.strerror or exc}"
        ) from None


def read_private(path: Path) -> bytes | None:
    """The file's bytes, None if it does not exist; SecretFileError if group or others may
    read or write it."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise SecretFileError(f"{path} is not a regular file")
            if mode & 0o077:
                raise SecretFileError(
                    f"{path} is open to other users (mode {stat.S_IMODE(mode):04o}); "
                    f"run `chmod 600 {path}` if it was never exposed, else replace it"
                )
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _write_temporary(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".tmp-{secrets.token_hex(6)}-{path.name}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def create_private(path: Path, data: bytes) -> bytes:
    """Create the file with `data` (mode 0600, durably) unless it exists; returns what the
    file holds afterwards, so of two processes creating it at once both use the winner's."""
    _private_folder(path.parent)
    try:
        tmp = _write_temporary(path, data)
        try:
            os.link(tmp, path)  # fails atomically if the name is taken
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise SecretFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    held = read_private(path)
    if held is None:
        raise SecretFileError(f"{path} vanished while it was being created")
    return held


def replace_private(path: Path, data: bytes) -> None:
    """Write the file whole (mode 0600): readers see the old bytes or the new, never a mix."""
    _private_folder(path.parent)
    tmp: Path | None = None
    try:
        tmp = _write_temporary(path, data)
        tmp.replace(path)
        _fsync_dir(path.parent)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise SecretFileError(f"cannot write {path}: {exc.strerror or exc}") from None
