"""load_mnist_test: the test split of load_mnist, without reading the training images."""

import unittest.mock

import numpy as np
import pytest

from course_utils import data, load_mnist
from course_utils.test_set import load_mnist_test


def test_same_arrays_as_load_mnist():
    x_test, y_test = load_mnist_test()
    expected_x, expected_y = load_mnist()[1]
    np.testing.assert_array_equal(x_test, expected_x)
    np.testing.assert_array_equal(y_test, expected_y)
    assert x_test.dtype == np.float32 and y_test.dtype == np.uint8
    assert x_test.shape == (10000, 784)
    assert list(y_test[:8]) == [7, 2, 1, 0, 4, 1, 4, 9]


def test_chosen_digits_and_unflattened_images():
    x_test, y_test = load_mnist_test(digits=(1, 5, 6), flatten=False)
    expected_x, expected_y = load_mnist(digits=(1, 5, 6), flatten=False)[1]
    np.testing.assert_array_equal(x_test, expected_x)
    np.testing.assert_array_equal(y_test, expected_y)
    assert x_test.shape == (2985, 28, 28)


def test_reads_only_the_test_files():
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
def test_bad_digits_are_a_clear_value_error(digits):
    with pytest.raises(ValueError, match="digits must be"):
        load_mnist_test(digits=digits)


@pytest.mark.parametrize("flatten", [None, "yes", 1])
def test_bad_flatten_is_a_clear_value_error(flatten):
    with pytest.raises(ValueError, match="flatten must be True or False"):
        load_mnist_test(flatten=flatten)
