"""Peak memory of each chapter, run top to bottom in its own fresh kernel, as a Binder charges it.

Run: .venv/bin/python benchmarks/memory.py [--cells] [--empty-model-cache] [book/0N_....ipynb ...]

A kernel's resident memory is of two kinds. Anonymous pages (the heap, tensors, thread stacks)
must fit in the machine. File-backed pages (mostly the shared libraries TensorFlow maps, about
335 MB) are clean: the kernel can drop them and read them again. So each chapter's line gives:

- anon: the peak of RssAnon, sampled every 50 ms while the chapter runs (goal <= 550 MB);
- file: the peak of RssFile, sampled alike;
- VmHWM: the process's high-water mark of all resident pages (goal <= 900 MB; chapter 1, which
  has no neural network, <= 400 MB);
- the time from starting the fresh kernel to the end and to the first figure.

A first line measures the floor: a fresh kernel that only imports Keras (and so TensorFlow).
Every chapter with a neural network starts from it; what a chapter adds is the difference.

``--cells`` also prints, per code cell, the peak anon during the cell, the anon and file after
it, and its time: where a chapter's bytes and seconds go. ``--empty-model-cache`` runs each
chapter with a model cache of its own, empty (the MNIST files linked from the usual cache), as
on a machine that never ran the course: the chapter trains every model it needs (chapter 7:
21 autoencoders, chapter 3's and the classifier).

Then, when no chapter is named, the latent explorer's leak check: in a fresh kernel, build
``latent_explorer`` on the trained decoder, move its sliders 1,000 times, and report how much the
kernel's resident memory (VmRSS) grew; goal <= 20 MB.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.05
GOALS_MB = {"anon": 550, "VmHWM": 900}
NO_NETWORK_GOAL_MB = 400  # VmHWM of a chapter without TensorFlow
NO_NETWORK_CHAPTERS = ("01_unsupervised_learning.ipynb",)


def status_mb(pid: int, *fields: str) -> dict[str, float]:
    """Fields of /proc/pid/status (kB) in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in fields:
            values[name] = int(rest.split()[0]) / 1024
    missing = set(fields) - values.keys()
    if missing:
        raise RuntimeError(f"no {', '.join(sorted(missing))} for process {pid}")
    return values


@dataclass
class Sampler:
    """Samples a process's RssAnon and RssFile every SAMPLE_SECONDS in a thread."""

    pid: int
    peak_anon: float = 0.0
    peak_file: float = 0.0
    window_anon: float = 0.0  # the peak since the last reset_window()
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> dict[str, float]:
        now = status_mb(self.pid, "RssAnon", "RssFile")
        self.peak_anon = max(self.peak_anon, now["RssAnon"])
        self.peak_file = max(self.peak_file, now["RssFile"])
        self.window_anon = max(self.window_anon, now["RssAnon"])
        return now

    def reset_window(self):
        self.window_anon = 0.0

    def _run(self):
        while not self._stop.wait(SAMPLE_SECONDS):
            try:
                self.sample()
            except (FileNotFoundError, ProcessLookupError):
                return

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.sample()


def run_chapter(path: Path, per_cell=False) -> dict:
    """Execute ``path`` in a fresh kernel; its peak anon, file and VmHWM (MB) and timings (s)."""
    return run_notebook(nbformat.read(path, as_version=4), path.parent, per_cell)


def run_notebook(notebook, folder: Path, per_cell=False) -> dict:
    """Execute ``notebook`` in a fresh kernel started in ``folder``; as :func:`run_chapter`."""
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    first_figure = None
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        sampler = Sampler(pid)
        for index, cell in enumerate(notebook.cells):
            sampler.reset_window()
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            cell_seconds = time.perf_counter() - cell_start
            if first_figure is None and any(
                "image/png" in output.get("data", {}) for output in cell.get("outputs", [])
            ):
                first_figure = time.perf_counter() - start
            if per_cell and cell.cell_type == "code":
                after = sampler.sample()
                first_line = cell.source.strip().splitlines()[0][:48] if cell.source.strip() else ""
                print(
                    f"  cell {index:2d}: anon peak {sampler.window_anon:5.0f}, after "
                    f"{after['RssAnon']:5.0f}; file {after['RssFile']:4.0f} MB; "
                    f"{cell_seconds:5.1f} s  {first_line}",
                    flush=True,
                )
        sampler.stop()
        hwm = status_mb(pid, "VmHWM")["VmHWM"]
    return {
        "anon": sampler.peak_anon,
        "file": sampler.peak_file,
        "VmHWM": hwm,
        "seconds": time.perf_counter() - start,
        "first_figure": first_figure,
    }


def over_goals(chapter: str, figures: dict) -> list[str]:
    goals = dict(GOALS_MB)
    if chapter in NO_NETWORK_CHAPTERS:
        goals["VmHWM"] = NO_NETWORK_GOAL_MB
    return [f"{name} > {goal}" for name, goal in goals.items() if figures[name] > goal]


EXPLORER_SETUP = """
import gc
import numpy as np
from course_utils import latent_explorer, load_mnist, trained_autoencoder

model = trained_autoencoder(verbose=0)
(_, _), (x_test, y_test) = load_mnist(model.recipe.digits)
codes = np.asarray(model.encoder(x_test, training=False))
explorer = latent_explorer(model.decoder, latents=codes, labels=y_test)

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
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(EXPLORER_SETUP), nbformat.v4.new_code_cell(EXPLORER_MOVES)]
    )
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        client.execute_cell(notebook.cells[0], 0)
        before = status_mb(pid, "VmRSS")["VmRSS"]
        client.execute_cell(notebook.cells[1], 1)
        after = status_mb(pid, "VmRSS")["VmRSS"]
    print(
        f"latent explorer, 1000 slider moves: resident {before:.0f} MB → {after:.0f} MB", flush=True
    )
    return after - before


def tensorflow_floor() -> dict:
    """A fresh kernel that imports Keras (so TensorFlow) and nothing else: where every chapter
    with a neural network starts, before it loads a byte of data."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import keras")])
    return run_notebook(notebook, ROOT)


@contextlib.contextmanager
def empty_model_cache():
    """A fresh data cache for the chapters' kernels: the verified MNIST files of the usual cache
    linked into a temporary folder, and no model."""
    from course_utils.data import CACHE_ENV_VAR, MNIST_FILES, cache_dir, fetch_mnist

    fetch_mnist()
    source, before = cache_dir(), os.environ.get(CACHE_ENV_VAR)
    with tempfile.TemporaryDirectory(prefix="empty-model-cache-") as folder:
        for name in MNIST_FILES:
            os.symlink(source / name, os.path.join(folder, name))
        os.environ[CACHE_ENV_VAR] = folder  # the kernel inherits it
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(CACHE_ENV_VAR)
            else:
                os.environ[CACHE_ENV_VAR] = before


def main(arguments):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="notebooks (default: every chapter)")
    parser.add_argument("--cells", action="store_true", help="also print each code cell's figures")
    parser.add_argument(
        "--empty-model-cache",
        action="store_true",
        help="run each chapter with an empty model cache: it trains every model it needs",
    )
    options = parser.parse_args(arguments)
    per_cell, paths = options.cells, options.chapters
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    chapters = paths or sorted((ROOT / "book").glob("*.ipynb"))
    floor = tensorflow_floor()
    print(
        f"{'floor: import keras only':32s} anon {floor['anon']:4.0f}  file {floor['file']:4.0f}  "
        f"VmHWM {floor['VmHWM']:5.0f} MB  (a fresh kernel and TensorFlow, before any data)",
        flush=True,
    )
    results = {}
    for chapter in chapters:
        fresh = empty_model_cache() if options.empty_model_cache else contextlib.nullcontext()
        with fresh:
            figures = run_chapter(chapter, per_cell)
        results[chapter.name] = figures
        first = figures["first_figure"]
        figure_note = "no figure" if first is None else f"first figure after {first:4.1f} s"
        missed = over_goals(chapter.name, figures)
        print(
            f"{chapter.name:32s} anon {figures['anon']:4.0f}  file {figures['file']:4.0f}  "
            f"VmHWM {figures['VmHWM']:5.0f} MB  {figures['seconds']:5.1f} s in all, "
            f"{figure_note} (kernel start included)  "
            f"{'over: ' + ', '.join(missed) if missed else 'within the goals'}",
            flush=True,
        )
    if not paths:
        print(f"explorer_leak_mb={explorer_leak_mb():.1f}")
    print(f"max_chapter_anon_mb={max(f['anon'] for f in results.values()):.0f}")
    print(f"max_chapter_vmhwm_mb={max(f['VmHWM'] for f in results.values()):.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
