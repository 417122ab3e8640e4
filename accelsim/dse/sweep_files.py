"""Sweep record files (``-o sweep.csv`` / ``.json``): one canonical layout, written so that no
interruption loses or corrupts a finished row, and read back for ``--resume`` only when every
row is provably what accelsim wrote.

Rules (README "Reliability"):

- every whole-file write goes through ``accelsim.fileio.write_atomic`` (unique temp file in the
  same folder, fsync, ``os.replace``); streamed CSV rows are appended one ``write`` each, flushed
  and fsynced, and a failed append is truncated away, so the file only ever ends in a torn row
  when the process was killed mid-write;
- columns have one order whatever the order points finish in or the file they resume:
  ``index, arch``, the parameters in point order, ``status, error_type, error``, the metrics in
  ``METRIC_ORDER`` (other ``busy_share_*`` sorted), then ``row_check``;
- ``row_check`` is a digest of the row's other cells: ``--resume`` takes only rows whose digest
  matches and whose status is ``ok``; a torn last CSV row (no final newline) and error rows are
  recomputed, any other mismatch (a hand-edited metric, a row with extra fields) is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from accelsim.dse.sweep_spec import STATUS_COLUMNS, SweepPoint, _cell
from accelsim.errors import AccelsimError, ConfigError
from accelsim.fileio import read_input_text, write_atomic

Record = dict[str, Any]

#: file suffixes a sweep writes (anything else is refused before the sweep runs)
OUTPUT_SUFFIXES = (".csv", ".json")
#: the last column: digest of the row's other non-empty cells (see row_check)
ROW_CHECK = "row_check"
#: metric columns in file order (accelsim.dse.sweep.summarize, energy_fields); busy shares of other
#: units follow busy_share_dram in name order, unknown columns come last in name order
METRIC_ORDER = ("pe_count", "total_cycles", "latency_ms", "fps", "macs", "pe_utilization",
                "pe_utilization_busy", "dram_read_bytes", "dram_write_bytes", "busy_share_dram",
                "energy_mj", "energy_dynamic_mj", "energy_static_mj", "energy_avg_power_w",
                "energy_tops_per_w", "energy_inferences_per_j", "area_mm2", "area_tops_per_mm2")
_NOT_WRITTEN = ("resumed", ROW_CHECK)


def _uncell(text: str) -> Any:
    """A CSV cell back to the value ``_cell`` wrote: only spellings that round-trip exactly become
    numbers or bools (a model named ``1e3`` stays the string "1e3")."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        as_int = int(text)
        if str(as_int) == text:
            return as_int
    except ValueError:
        pass
    try:
        as_float = float(text)
        if _cell(as_float) == text:
            return as_float
    except ValueError:
        pass
    return text


def columns(records: Iterable[Record], params: Sequence[str] | None = None) -> list[str]:
    """The canonical column order of ``records`` (``row_check`` not included): ``params`` are
    the parameter columns in point order (default: those before ``status`` in the first
    record)."""
    records = list(records)
    present: set[str] = set()
    for record in records:
        present.update(k for k in record if k not in _NOT_WRITTEN)
    if params is None:
        first = [k for k in records[0] if k not in _NOT_WRITTEN] if records else []
        params = first[:first.index("status")] if "status" in first else first
    lead = [k for k in ("index", "arch", *params, *STATUS_COLUMNS) if k in present]
    lead = list(dict.fromkeys(lead))
    rank = {name: i for i, name in enumerate(METRIC_ORDER)}

    def order(name: str) -> tuple[int, int, str]:
        if name in rank:
            return (0, rank[name], "")
        if name.startswith("busy_share_"):
            return (0, rank["busy_share_dram"], name)
        return (1, 0, name)

    return lead + sorted(present - set(lead), key=order)


def row_check(record: Record) -> str:
    """Digest (16 hex digits of SHA-256) of a record's non-empty cells as the file spells them,
    independent of key order; a row whose digest does not match was not written by accelsim."""
    cells = sorted((str(k), _cell(v)) for k, v in record.items()
                   if k not in _NOT_WRITTEN and _cell(v) != "")
    text = "\x1e".join(f"{k}\x1f{v}" for k, v in cells)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _csv_line(record: Record, cols: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        [_cell(record.get(k)) for k in cols] + [row_check(record)])
    return buf.getvalue()


def render_records(records: Sequence[Record], suffix: str,
                   params: Sequence[str] | None = None) -> str:
    """The whole file for ``records`` (in the given order), CSV or JSON by ``suffix``."""
    cols = columns(records, params)
    if suffix == ".json":
        rows = [{**{k: r[k] for k in cols if k in r}, ROW_CHECK: row_check(r)} for r in records]
        return json.dumps(rows, indent=1, allow_nan=False) + "\n"
    return _csv_header(cols) + "".join(_csv_line(r, cols) for r in records)


def _csv_header(cols: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([*cols, ROW_CHECK])
    return buf.getvalue()


def check_suffix(output: Path) -> str:
    suffix = output.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ConfigError(f"cannot write sweep records to {output}: unknown file type",
                          key="--output", expected="a path ending in .csv or .json")
    return suffix


def write_records(records: Sequence[Record], path: str | Path,
                  params: Sequence[str] | None = None) -> None:
    """All records as CSV or JSON (by suffix: .csv, .json), replacing the file atomically;
    missing parent folders are created."""
    path = Path(path)
    suffix = check_suffix(path)
    try:
        text = render_records(records, suffix, params)
    except ValueError as exc:  # a non-finite number: JSON would be invalid
        raise ConfigError(f"cannot write a non-finite number to JSON: {exc}", key="--output",
                          value=str(path)) from None
    write_atomic(path, text, ConfigError, flag="--output")


class RecordSink:
    """Streams finished records to a sweep file: CSV rows are appended (the whole file is
    rewritten atomically when a record brings new columns); JSON files are rewritten whole."""

    def __init__(self, path: Path, kept: list[Record], params: Sequence[str]) -> None:
        self.path, self.rows, self.params = path, list(kept), list(params)
        self.json = path.suffix.lower() == ".json"
        self._rewrite()

    def _rewrite(self) -> None:
        write_records(self.rows, self.path, self.params)
        self.columns = columns(self.rows, self.params)

    def add(self, record: Record) -> None:
        self.add_many([record])

    def add_many(self, records: Sequence[Record]) -> None:
        """Append finished records (a sweep chunk) in one write: a JSON file, or records that
        bring new columns, rewrite the file whole."""
        if not records:
            return
        self.rows.extend(records)
        if self.json or not self.columns or set(columns(records, self.params)) - set(
                self.columns):
            self._rewrite()
            return
        data = "".join(_csv_line(r, self.columns) for r in records).encode("utf-8")
        try:
            size = os.path.getsize(self.path)
            with open(self.path, "ab") as f:
                try:
                    f.write(data)  # one write: a kill leaves whole rows or a torn last one
                    f.flush()
                    os.fsync(f.fileno())
                except OSError:
                    f.truncate(size)  # never leave a partial row behind a failed append
                    raise
        except OSError as exc:
            raise ConfigError(f"cannot append a row: {exc.strerror or exc}; the rows written "
                              "so far are intact (rerun with --resume)", key="--output",
                              value=str(self.path)) from None


def read_records(path: str | Path) -> list[Record]:
    """Records from a sweep CSV or JSON file (empty if the file does not exist), as written;
    ``row_check`` is dropped and not verified (``read_resumable`` verifies it)."""
    rows, _torn = _read_rows(Path(path))
    return [{k: v for k, v in r.items() if k != ROW_CHECK} for r in rows]


def _read_rows(path: Path) -> tuple[list[Record], bool]:
    """(rows with their row_check, whether a torn last CSV row was dropped)."""
    if not path.exists() or path.stat().st_size == 0:
        return [], False
    text = read_input_text(path, ConfigError, "sweep file")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ValueError("not a list of sweep records")
        return data, False
    torn = not text.endswith("\n")
    if torn:  # killed mid-append: the last row is incomplete
        text = text[:text.rfind("\n") + 1]
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        return [], torn
    header, body = lines[0], lines[1:]
    rows = []
    for number, cells in enumerate(body, start=2):
        if len(cells) != len(header):
            raise ValueError(f"line {number} has {len(cells)} fields, the header has "
                             f"{len(header)}")
        rows.append({k: _uncell(v) for k, v in zip(header, cells, strict=True)})
    return rows, torn


def _record_key(record: Record, like: SweepPoint) -> tuple[tuple[str, str], ...]:
    return tuple((name, _cell(record.get(name))) for name, _ in like.params)


def resumable_records(output: Path, points: Sequence[SweepPoint],
                      arch_name: str) -> list[Record]:
    """Rows of ``output`` if each is a distinct point of this sweep written by accelsim (its
    row_check matches), else ConfigError naming the difference (the file is left untouched).
    A torn last CSV row is left out; the caller recomputes it and every row not ``ok``."""
    def refuse(why: str) -> ConfigError:
        return ConfigError(f"{output} is not a run of this sweep: {why}", key="--resume",
                           expected="the flags of the run that wrote it, or another -o file")

    try:
        previous, _torn = _read_rows(output)
    except AccelsimError as exc:  # not a regular file, over the size cap, not UTF-8
        raise ConfigError(f"cannot read the previous run: {exc.message}", key="--resume",
                          value=str(output)) from None
    except (OSError, ValueError, csv.Error, RecursionError) as exc:
        raise ConfigError(f"cannot read the previous run: {exc}", key="--resume",
                          value=str(output)) from None
    if not previous:
        return []
    names = [k for k in previous[0] if k != ROW_CHECK]
    tail = names[names.index("arch") + 1:] if "arch" in names else []
    if "status" not in tail:
        raise refuse("it has no arch and status columns")
    theirs = tail[:tail.index("status")]
    ours = [name for name, _ in points[0].params]
    if set(theirs) != set(ours):
        raise refuse(f"its parameters are {', '.join(theirs) or 'none'}, "
                     f"this sweep's are {', '.join(ours)}")
    for row in previous:
        check = row.get(ROW_CHECK)
        if check is None:
            raise refuse(f"row index {row.get('index')} has no {ROW_CHECK} (written by hand "
                         "or by an older accelsim)")
        if check != row_check(row):
            raise refuse(f"row index {row.get('index')} does not match its {ROW_CHECK} "
                         "(edited after it was written?); delete that row to recompute it")
    archs = sorted({str(r.get("arch")) for r in previous} - {arch_name})
    if archs:
        raise refuse(f"it ran arch {', '.join(archs)}, this sweep runs {arch_name}")
    grid = {point.key() for point in points}
    seen = set()
    for row in previous:
        key = _record_key(row, points[0])
        where = f"row index {row.get('index')} ({', '.join(f'{k}={v}' for k, v in key)})"
        if key not in grid:
            raise refuse(f"{where} is not a point of this grid")
        if key in seen:
            raise refuse(f"{where} appears twice")
        seen.add(key)
    return [{k: v for k, v in r.items() if k != ROW_CHECK} for r in previous]
