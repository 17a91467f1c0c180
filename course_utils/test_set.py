"""The MNIST test set on its own, for chapters that need all ten test digits and no training images.

``load_mnist()`` always reads and converts the 60,000 training images too: 190 MB of float32
that a chapter scoring the 10,000 test digits would hold for nothing, on a 1 GB Binder.
"""

from __future__ import annotations

import numpy as np

from .data import _check_digits, fetch_mnist


def load_mnist_test(digits=None, flatten=True):
    """``(x_test, y_test)``, the same arrays as ``load_mnist(digits, flatten)[1]``.

    Images as float32 in [0, 1], shape ``(n, 784)`` when ``flatten`` else ``(n, 28, 28)``,
    labels uint8, in MNIST's order; ``digits=(0, 7)`` keeps only those classes. Only the two
    test files are read.
    """
    chosen = _check_digits(digits)
    if not isinstance(flatten, (bool, np.bool_)):
        raise ValueError(f"flatten must be True or False; got {flatten!r}")
    paths = fetch_mnist()
    labels = np.frombuffer(paths["t10k-labels-idx1-ubyte"].read_bytes(), np.uint8, offset=8)
    images = np.frombuffer(paths["t10k-images-idx3-ubyte"].read_bytes(), np.uint8, offset=16)
    images = images.reshape(len(labels), 28 * 28)
    if chosen is not None:
        keep = np.isin(labels, chosen)
        images, labels = images[keep], labels[keep]
    x = images.astype(np.float32) / np.float32(255.0)
    return (x if flatten else x.reshape(-1, 28, 28)), labels.copy()
