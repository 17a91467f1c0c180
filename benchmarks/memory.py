"""Peak resident memory of each chapter, run top to bottom in its own fresh kernel.

Run: .venv/bin/python benchmarks/memory.py [book/03_training.ipynb ...]
Binder gives a user about 1 GB; every chapter should peak at <= 1 GB (aim: 0.9 GB).
The peak is the kernel process's high-water mark (VmHWM, Linux), read after the last cell.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def run_chapter(path: Path) -> tuple[float, float]:
    """Execute ``path`` in a fresh kernel; return (peak resident MB, seconds)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        peak = peak_rss_mb(client.km.provisioner.process.pid)
    return peak, time.perf_counter() - start


def main(paths):
    chapters = [Path(p) for p in paths] or sorted((ROOT / "book").glob("*.ipynb"))
    peaks = []
    for chapter in chapters:
        peak, seconds = run_chapter(chapter)
        peaks.append(peak)
        print(f"{chapter.name:32s} peak {peak:7.0f} MB  {seconds:5.1f} s", flush=True)
    print(f"max_chapter_rss_mb={max(peaks):.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
