"""Child process of the isolated reader: `python -m survey.workbook.worker IN_FD OUT_FD MEMORY_BYTES`.

Reads tasks (data or the path of a file, filename, definition, limits) from IN_FD and answers with
("ok", Extraction, SHA-256 of the file) or ("rejected", code, message) on OUT_FD, under RLIMIT_AS, until it
receives None. The definition is sent with a worker's first task and whenever it changes;
a task without one (None) uses the last one received. Only stage 1 (extraction) runs here; nothing of the parent's state is needed.
"""

from __future__ import annotations

import hashlib
import os
import resource
import sys
from multiprocessing.connection import Connection

from . import messages as msg
from .extract import extract_sheet
from .safety import UploadRejected, too_large


def handle(task, defn=None) -> tuple:
    """The answer to one task; every failure of a file is that file's rejection. `defn`: the
    definition to use when the task carries none."""
    data, filename, sent, limits = task
    defn = sent if sent is not None else defn
    try:
        if isinstance(data, str):  # the path of a file the parent wrote to disk
            data = _read_bounded(data, limits.max_workbook_bytes)
        # The digest here, where the bytes are: the parent would read the file again for it.
        return ("ok", extract_sheet(data, filename, defn, limits), hashlib.sha256(data).hexdigest())
    except UploadRejected as exc:
        return ("rejected", exc.code, exc.message)
    except MemoryError:
        return ("rejected", "too_much_memory", msg.REJECTED_CRASH)
    except Exception as exc:  # noqa: BLE001
        return ("rejected", "unreadable", msg.UNREADABLE.format(detail=type(exc).__name__))


def _read_bounded(path: str, limit: int) -> bytes:
    with open(path, "rb") as fh:
        # Not read(limit + 1) whatever the size: that allocates the limit for every file.
        data = fh.read(min(os.fstat(fh.fileno()).st_size, limit) + 1)
    if len(data) > limit:
        raise too_large(os.path.getsize(path), limit)
    return data


def main(argv: list[str]) -> None:
    in_fd, out_fd, memory = (int(a) for a in argv[:3])
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    source, sink = Connection(in_fd, writable=False), Connection(out_fd, readable=False)
    defn = None
    try:
        while (task := source.recv()) is not None:
            defn = task[2] if task[2] is not None else defn
            sink.send(handle(task, defn))
    except (EOFError, BrokenPipeError):
        pass  # the parent went away: nothing left to do


if __name__ == "__main__":
    main(sys.argv[1:])
