import numpy as np
import pytest
from sklearn.decomposition import PCA

from course_utils import load_mnist, pca_test_mse


@pytest.fixture(scope="module")
def digits():
    (x_train, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:3000], x_test[:500]


def test_entry_k_is_the_test_mse_of_a_k_component_pca(digits):
    x_train, x_test = digits
    curve = pca_test_mse(x_train, x_test, max_components=12)
    assert curve.shape == (12,)
    for k in (1, 2, 5, 12):
        pca = PCA(n_components=k, random_state=0).fit(x_train)
        rebuilt = pca.inverse_transform(pca.transform(x_test))
        assert curve[k - 1] == pytest.approx(np.mean((x_test - rebuilt) ** 2), rel=1e-3)


def test_longer_codes_rebuild_better(digits):
    curve = pca_test_mse(*digits, max_components=30)
    assert np.all(np.diff(curve) < 0)
    assert curve[-1] < 0.5 * curve[0]
