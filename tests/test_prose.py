"""course_utils.prose: numbers glued in a real kernel are what myst-nb reads back."""

import sys

import nbformat
from nbclient import NotebookClient

from course_utils import glue


def test_glue_records_the_value_for_myst_nb():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import numpy as np\n"
                "from course_utils import glue\n"
                "glue('test_mse', np.float64(0.0259))"
            )
        ]
    )
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert output.metadata["scrapbook"]["name"] == "test_mse"
    assert output.data["application/papermill.record/text/plain"] == "0.0259"


def test_glue_does_nothing_where_myst_nb_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # `import myst_nb` fails, as on Colab
    assert glue("test_mse", 0.0259) is None
    assert capsys.readouterr().out == ""
