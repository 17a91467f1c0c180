"""Peak resident memory of each chapter, run top to bottom in its own fresh kernel.

Run: .venv/bin/python benchmarks/memory.py [book/03_training.ipynb ...]
Binder gives a user about 1 GB; every chapter should peak at <= 1 GB (aim: 0.9 GB).
The peak is the kernel process's high-water mark (VmHWM, Linux), read after the last cell.
Each chapter's line also gives the time from starting its fresh kernel to its first figure.

Then the latent explorer's leak check: in a fresh kernel, build ``latent_explorer`` on the trained
decoder, move its sliders 1,000 times, and report how much the kernel's resident memory (VmRSS)
grew; goal <= 20 MB.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmHWM")


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def run_chapter(path: Path) -> tuple[float, float, float | None]:
    """Execute ``path`` in a fresh kernel; return (peak resident MB, seconds, seconds to first figure)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    first_figure = None
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
            if first_figure is None and any(
                    "image/png" in output.get("data", {}) for output in cell.get("outputs", [])):
                first_figure = time.perf_counter() - start
        peak = peak_rss_mb(client.km.provisioner.process.pid)
    return peak, time.perf_counter() - start, first_figure


EXPLORER_SETUP = """
import gc
import numpy as np
from course_utils import latent_explorer, load_mnist, trained_autoencoder

model = trained_autoencoder(verbose=0)
(_, _), (x_test, y_test) = load_mnist(model.recipe.digits)
explorer = latent_explorer(model.decoder, latents=np.asarray(model.encoder(x_test, training=False)), labels=y_test)

def move_sliders(count, seed):
    positions = np.random.default_rng(seed).uniform(0, 1, count)
    for index, fraction in zip(np.arange(count) % 2, positions):
        slider = explorer.sliders[index]
        slider.value = slider.min + fraction * (slider.max - slider.min)
    gc.collect()

move_sliders(100, seed=0)  # first-use allocations (caches, buffers) are not a leak
explorer
"""
EXPLORER_MOVES = "move_sliders(1000, seed=1)"


def explorer_leak_mb() -> float:
    """Growth of a fresh kernel's resident memory over 1,000 moves of the explorer's sliders."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(EXPLORER_SETUP), nbformat.v4.new_code_cell(EXPLORER_MOVES)])
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        client.execute_cell(notebook.cells[0], 0)
        before = _status_mb(pid, "VmRSS")
        client.execute_cell(notebook.cells[1], 1)
        after = _status_mb(pid, "VmRSS")
    print(f"latent explorer, 1000 slider moves: resident {before:.0f} MB → {after:.0f} MB", flush=True)
    return after - before


def main(paths):
    chapters = [Path(p) for p in paths] or sorted((ROOT / "book").glob("*.ipynb"))
    peaks = []
    for chapter in chapters:
        peak, seconds, first_figure = run_chapter(chapter)
        peaks.append(peak)
        figure_note = "no figure" if first_figure is None else f"first figure after {first_figure:4.1f} s"
        print(f"{chapter.name:32s} peak {peak:7.0f} MB  {seconds:5.1f} s in all, {figure_note} "
              f"(kernel start included)", flush=True)
    print(f"explorer_leak_mb={explorer_leak_mb():.1f}")
    print(f"max_chapter_rss_mb={max(peaks):.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
