"""The baseline the autoencoder is measured against: PCA, the best linear code of each length."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def pca_test_mse(x_train, x_test, max_components: int = 60) -> np.ndarray:
    """Test MSE of PCA fitted on ``x_train``, for codes of 1 to ``max_components`` numbers.

    ``x_test`` is any set of held-out images: chapter 1 passes the test images, chapter 7 the
    validation images, so that its curve and chapter 1's come from this one function.

    Entry ``k - 1`` is the mean squared error of rebuilding ``x_test`` from its first ``k``
    principal components, ``x̂ = mean + z[:k] @ components[:k]``. One fit serves every ``k``:
    the first ``k`` components of a larger PCA are the components of the ``k``-component one.
    """
    pca = PCA(n_components=max_components, random_state=0).fit(x_train)
    codes = pca.transform(x_test)
    return np.array(
        [
            np.mean((x_test - (codes[:, :k] @ pca.components_[:k] + pca.mean_)) ** 2)
            for k in range(1, max_components + 1)
        ]
    )
