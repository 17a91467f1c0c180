"""Plumbing for the caches (MNIST's and the models'): atomic writes, disk errors in words, and
the clean-up of what a killed process left behind. Not part of the course's API."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 15 * 60  # a temporary untouched this long belongs to a process that was killed

# Errors of the local disk (not of the network), with what they mean for a folder.
DISK_ERRORS = {
    errno.ENOSPC: "there is no space left on the disk of {path}",
    errno.EDQUOT: "the disk quota is exhausted for {path}",
    errno.EROFS: "{path} is on a read-only file system",
    errno.EACCES: "{path} is not writable (permission denied)",
    errno.EPERM: "{path} is not writable (operation not permitted)",
    errno.ENOTDIR: "{path} (or a folder above it) is a file, not a folder",
    errno.EEXIST: "{path} is a file, not a folder",
}


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the classic read-by-setting (briefly changes it)
    os.umask(mask)
    return mask


def publish_file(temporary, target) -> None:
    """Give a finished temporary file the umask's usual mode (0644 under 022), then rename it
    over ``target``. ``mkstemp`` makes files 0600, which other users of a shared cache cannot
    read."""
    os.chmod(temporary, 0o666 & ~current_umask())
    os.replace(temporary, target)


def write_atomically(target: Path, write) -> None:
    """Call ``write(temporary_path)``, then publish the file as ``target`` (:func:`publish_file`):
    readers never see a torn file, and a failure (a full disk, Ctrl-C) leaves no temporary."""
    fd, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix
    )
    os.close(fd)
    try:
        write(temporary)
        publish_file(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def disk_error(error: BaseException) -> OSError | None:
    """The local-disk ``OSError`` (no space, read-only, …) behind ``error``, if there is one."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_ERRORS:
            return error
        error = error.__cause__ or error.__context__
    return None


def describe_disk_error(error: OSError, path) -> str:
    """``error`` (see :func:`disk_error`) as a sentence about ``path``: what is wrong there."""
    return DISK_ERRORS[error.errno].format(path=path)


def remove_stale_temporaries(directory: Path, prefixes, max_age=STALE_SECONDS) -> list[Path]:
    """Delete files and folders in ``directory`` whose names start with one of ``prefixes`` and
    that nothing touched for ``max_age`` seconds: what a killed fetch or save left behind.
    Younger ones may belong to a process running right now, so they stay. Returns what went."""
    removed = []
    cutoff = time.time() - max_age
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(tuple(prefixes)):
            continue
        try:
            if entry.lstat().st_mtime > cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass  # gone already (another process cleaned it), or not ours to remove
    return removed
