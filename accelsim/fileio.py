"""The one place accelsim opens user files: inputs are regular files under a size cap, outputs are
written atomically (temp file in the same folder + ``os.replace``).

Why: a FIFO or ``/dev/zero`` named as an input must be refused before it is opened (reading it
blocks forever or until memory runs out), a symlink loop is not "file not found", and a failed
write (full disk, killed process) must leave the previous good file in place.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from accelsim.errors import AccelsimError

#: Largest input file accelsim reads (bytes). The biggest bundled trace (ViT-H) is ~80 KB; a
#: 100k-op trace is ~10 MB. ``ACCELSIM_MAX_INPUT_BYTES`` raises it.
DEFAULT_MAX_INPUT_BYTES = 64 * 2**20


def max_input_bytes() -> int:
    """Input size cap: ``ACCELSIM_MAX_INPUT_BYTES`` if set to a positive integer, else 64 MiB."""
    raw = os.environ.get("ACCELSIM_MAX_INPUT_BYTES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_INPUT_BYTES


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_input_file(path: Path, error: type[AccelsimError], what: str = "file",
                     max_bytes: int | None = None) -> int:
    """Check that ``path`` (links followed) is a regular file under the size cap; return its size.

    ``what`` names the expected content in messages ("YAML file", "SCALE-Sim topology CSV");
    ``max_bytes`` replaces the text-input cap for files read only in part (an ONNX graph
    whose weights are skipped).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise error("broken symbolic link", file=str(path)) from None
        raise error("file not found", file=str(path)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error("symbolic link loop", file=str(path)) from None
        raise error(f"cannot read file: {exc.strerror}", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"is {_kind(info.st_mode)}, expected a {what}", file=str(path))
    cap = max_input_bytes() if max_bytes is None else max_bytes
    if info.st_size > cap:
        raise error(f"file is {info.st_size:,} bytes, over the {cap:,}-byte input limit "
                    "(set ACCELSIM_MAX_INPUT_BYTES to raise it)", file=str(path))
    return info.st_size


def read_input_bytes(path: Path, error: type[AccelsimError], what: str = "file") -> bytes:
    """Read a regular input file under the size cap (see :func:`check_input_file`)."""
    path = Path(path)
    check_input_file(path, error, what)
    cap = max_input_bytes()
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > cap:  # grew after the check
        raise error(f"file is over the {cap:,}-byte input limit "
                    "(set ACCELSIM_MAX_INPUT_BYTES to raise it)", file=str(path))
    return data


def read_input_text(path: Path, error: type[AccelsimError], what: str = "file") -> str:
    """Read a regular UTF-8 input file; a decoding error names the line."""
    data = read_input_bytes(path, error, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"not UTF-8 text: line {line}, byte {exc.start}", file=str(path)) from None


def check_output_path(path: Path, error: type[AccelsimError], flag: str = "-o") -> None:
    """Refuse an output that could not be replaced atomically by a regular file.

    An existing directory, FIFO or device, a parent that is a file, or an unwritable folder fail
    here, before any work is done.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # the parent loop below names the cause
        info = None
    except OSError as exc:
        raise error(f"cannot use as output: {exc.strerror}", key=flag, value=str(path)) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise error(f"output is {_kind(info.st_mode)}, expected a regular file path",
                    key=flag, value=str(path))
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise error(f"{parent} is a file, not a folder", key=flag, value=str(path))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise error(f"folder {parent} is not writable", key=flag, value=str(path))
            break


def _new_file_mode(path: Path) -> int:
    """Mode of the replaced file, or what ``open()`` would give a new one (0o666 less umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: Path, data: bytes | str, error: type[AccelsimError],
                 flag: str = "-o") -> None:
    """Write ``data`` to ``path`` atomically: a unique temp file in the same folder, fsync, then
    ``os.replace``. On any failure the previous file is untouched and the temp file removed."""
    path = Path(path)
    check_output_path(path, error, flag)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise error(f"cannot write: {exc.strerror or exc}", key=flag, value=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise error(f"cannot write: {exc.strerror or exc}; the previous file is unchanged",
                    key=flag, value=str(path)) from None


class OutputLock:
    """An exclusive, non-blocking lock on an output (``fcntl.flock`` on ``.NAME.lock`` beside it),
    so that a second run writing the same file is refused instead of interleaving its rows.

    The kernel drops the lock when its holder dies (even by ``kill -9``); the lock file is
    removed on release. Use as a context manager; ``busy`` is the message of the refusal.
    """

    def __init__(self, path: Path, error: type[AccelsimError], flag: str = "-o",
                 busy: str = "another accelsim run is writing this file") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")
        self.error, self.flag, self.busy = error, flag, busy
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self.error(f"cannot write: {exc.strerror or exc}", key=self.flag,
                             value=str(self.path)) from None
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise self.error(f"cannot create the lock file {self.lock_path}: "
                                 f"{exc.strerror or exc}", key=self.flag,
                                 value=str(self.path)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self.error(f"{self.busy} (lock {self.lock_path} is held)", key=self.flag,
                                 value=str(self.path)) from None
            try:  # the holder we waited on may have removed the file: lock the current one
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return self
            os.close(fd)

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None
