"""Serve MathJax, require.js and the Jupyter widget manager from the book itself, not from CDNs.

A Sphinx extension (listed under `sphinx: local_extensions` in _config.yml). It copies the few files
the pages load from node_modules (pinned in package-lock.json, installed by `npm ci` in `make book`)
into `_build/html/_static/vendor/`, each package with its licence. `_config.yml` points
`mathjax_path` and `nb_ipywidgets_js` at these copies.
"""

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"

# (files in node_modules, folder under _static/vendor they are copied into)
VENDORED = [
    ("mathjax/es5/tex-chtml.js", "mathjax"),
    # tex-chtml.js fetches these at runtime, relative to its own location:
    ("mathjax/es5/output/chtml/fonts/woff-v2/*.woff", "mathjax/output/chtml/fonts/woff-v2"),
    ("mathjax/es5/input/tex/extensions/*.js", "mathjax/input/tex/extensions"),  # TeX autoload
    ("mathjax/LICENSE", "mathjax"),
    ("requirejs/require.js", "requirejs"),  # its MIT licence is in the file's header
    ("@jupyter-widgets/html-manager/dist/embed-amd.js", "html-manager"),
    # Font Awesome 5, which embed-amd.js fetches from its own folder when a widget shows an icon:
    ("@jupyter-widgets/html-manager/dist/*.woff2", "html-manager"),
    ("@fortawesome/fontawesome-free/LICENSE.txt", "html-manager/fontawesome-free"),
    (
        "@jupyter-widgets/html-manager/dist/embed.js.LICENSE.txt",
        "html-manager",
    ),  # bundled libraries
    # ipywidgets' BSD-3-Clause licence: html-manager's npm package ships without a copy of it.
    ("@jupyter-widgets/schema/LICENSE", "html-manager"),
]


def copy_vendored_assets(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    vendor_dir = Path(app.builder.outdir) / "_static" / "vendor"
    for pattern, destination in VENDORED:
        sources = sorted(NODE_MODULES.glob(pattern))
        if not sources:
            raise ExtensionError(
                f"{NODE_MODULES / pattern} is missing: run `npm ci` (or `make book`) to install "
                "the "
                "pinned npm packages whose files the book serves itself"
            )
        (vendor_dir / destination).mkdir(parents=True, exist_ok=True)
        for source in sources:
            shutil.copyfile(source, vendor_dir / destination / source.name)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", copy_vendored_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
