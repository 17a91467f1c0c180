"""course_utils/_files.py: the caches' plumbing writes atomically, with the umask's mode, names
disk errors in words and cleans up after killed processes."""

import errno
import os
import stat
import time

import pytest

from course_utils import _files


def test_a_write_is_published_whole_with_the_umasks_mode(tmp_path):
    target = tmp_path / "entry.json"
    target.write_text("old")
    previous = os.umask(0o002)
    try:
        _files.write_atomically(target, lambda path: open(path, "w").write("new"))
    finally:
        os.umask(previous)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert [path.name for path in tmp_path.iterdir()] == ["entry.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "weights.npz"
    target.write_text("old")

    def fail(path):
        open(path, "w").write("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        _files.write_atomically(target, fail)
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["weights.npz"]


def test_disk_errors_are_found_behind_other_errors_and_said_in_words(tmp_path):
    full = OSError(errno.ENOSPC, "No space left on device")
    try:
        try:
            raise full
        except OSError as error:
            raise RuntimeError("saving failed") from error
    except RuntimeError as wrapped:
        assert _files.disk_error(wrapped) is full
    assert _files.disk_error(RuntimeError("no disk involved")) is None
    assert _files.disk_error(OSError(errno.ECONNREFUSED, "refused")) is None
    assert (
        _files.describe_disk_error(FileExistsError(errno.EEXIST, "File exists"), tmp_path)
        == f"{tmp_path} is a file, not a folder"
    )
    assert "read-only file system" in _files.describe_disk_error(
        OSError(errno.EROFS, "Read-only"), tmp_path
    )


def test_only_old_temporaries_with_the_given_prefixes_are_removed(tmp_path):
    old, young, other = tmp_path / ".vae-1.json", tmp_path / ".vae-2.json", tmp_path / "vae.json"
    for path in (old, young, other):
        path.write_text("x")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    assert _files.remove_stale_temporaries(tmp_path, (".vae-",)) == [old]
    assert sorted(path.name for path in tmp_path.iterdir()) == [".vae-2.json", "vae.json"]
    assert _files.remove_stale_temporaries(tmp_path / "missing", (".vae-",)) == []
