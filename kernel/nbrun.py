"""Executes a Jupyter notebook headless, cell by cell, for `collm notebook run`.

Usage: nbrun.py IN.ipynb OUT.ipynb KERNEL TIMEOUT_S [HTML_OUT]

Prints one line per code cell ("cell N  1.23s  ok|FAILED") and exits 1 at the first cell whose
outputs hold an error: an error output, or a Go runtime panic / fatal error / non-zero exit that
GoNB reports only as stderr text (nbconvert alone counts those as success). The executed notebook
is written either way, so the failing outputs can be inspected, and signed with the user's Jupyter
notary (as `jupyter trust OUT.ipynb` does: the secret and signature database in Jupyter's data
directory, $JUPYTER_DATA_DIR or ~/.local/share/jupyter), so Jupyter opens it trusted and runs its
chart scripts: we produced its outputs.
"""
import html
import os
import re
import sys
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
except ImportError as e:  # Reported by the Go side with the apt command to run.
    print(f"nbrun: missing Python package: {e.name}", file=sys.stderr)
    sys.exit(3)

# Stderr text by which GoNB reports a cell program that failed at run time.
FAILURE = re.compile(
    r"^(panic: |fatal error: |goroutine \d+ \[|ERROR: exit status \d+|exit status [1-9]\d*\s*$)",
    re.MULTILINE,
)


def html_stderr_text(out):
    """GoNB shows compiler errors as HTML marked as stderr: returns their plain text, or ''."""
    page = out.get("data", {}).get("text/html", "")
    if 'data-mime-type="application/vnd.jupyter.stderr"' not in page:
        return ""
    page = re.sub(r"(?s)<style>.*?</style>", "", page)
    page = re.sub(r'(?s)<div class="gonb-err-context">.*?</div>\s*</div>', "", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def cell_failure(cell):
    """Returns a short description of the error in the cell's outputs, or None."""
    details = ""
    for out in cell.get("outputs", []):
        details += html_stderr_text(out)
    # GoNB sends stderr in chunks as the program writes it: a panic's first line can be split
    # over several stream outputs, so match on their concatenation.
    stderr = "".join(out.get("text", "") for out in cell.get("outputs", [])
                     if out.get("output_type") == "stream" and out.get("name") == "stderr")
    m = FAILURE.search(stderr)
    if m:
        return stderr[m.start():].strip()
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            error = f"{out.get('ename', 'error')}: {out.get('evalue', '')}".strip()
            return f"{details}\n{error}".strip()
    return None


def first_line(source):
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:80]
    return "(empty)"


def sign(path):
    """Signs the notebook at path with the user's notary; returns a line saying where, or why not.

    The written file is read back and signed as `jupyter trust` signs it, so the signature is the
    one Jupyter computes when it opens the file."""
    try:
        from jupyter_core.paths import jupyter_data_dir
        from nbformat.sign import NotebookNotary

        # The notary's SQLite store falls back to an in-memory database (silently untrusted) when
        # its directory is missing, as in a fresh or empty JUPYTER_DATA_DIR.
        os.makedirs(jupyter_data_dir(), exist_ok=True)
        notary = NotebookNotary()
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        notary.sign(nb)
        if notary.db_file == ":memory:" or not notary.check_signature(nb):
            return f"warning: {path} is not trusted: the signature database {notary.db_file} is not writable"
        notary.store.close()
        return f"trusted    {path} (signed in {notary.db_file})"
    except Exception as e:  # noqa: BLE001 - an untrusted notebook is not a failed run.
        return f"warning: {path} is not trusted: signing failed: {e}"


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    html = sys.argv[5] if len(sys.argv) == 6 else ""
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as e:  # noqa: BLE001 - any parse failure means a corrupt notebook.
        print(f"nbrun: {src} is not a valid notebook: {e}", file=sys.stderr)
        return 4

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    failed = None
    total = time.monotonic()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.monotonic()
            try:
                client.execute_cell(cell, index)
                failure = cell_failure(cell)
            except CellTimeoutError:
                failure = f"timed out after {timeout}s"
            except DeadKernelError as e:
                failure = f"kernel died: {e}"
            elapsed = time.monotonic() - start
            status = "ok" if failure is None else "FAILED"
            print(f"cell {index:>3}  {elapsed:7.2f}s  {status}  {first_line(cell.source)}", flush=True)
            if failure is not None:
                failed = (index, first_line(cell.source), failure)
                break
    print(f"total      {time.monotonic() - total:7.2f}s", flush=True)
    nbformat.write(nb, dst)
    print(sign(dst), flush=True)
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        with open(html, "w", encoding="utf-8") as f:
            f.write(body)
    if failed:
        index, line, failure = failed
        print(f"nbrun: cell {index} ({line}) failed:\n{failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
