"""The kernel explorer's former module name, for imports written before :mod:`.explorer`.

The explorer lives in :mod:`course_utils.explorer`; import from there (or from ``course_utils``).
"""

from .explorer.kernel import LatentExplorer, latent_explorer
from .explorer.shared import check_explorer_inputs, latent_scatter_figure

__all__ = ["LatentExplorer", "check_explorer_inputs", "latent_explorer", "latent_scatter_figure"]
