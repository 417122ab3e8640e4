"""SCALE-Sim topology CSVs: columns by header name, conv rows lowered as SCALE-Sim 3.0.0 lowers
them (to the cycle, tests/golden/scalesim_conv.csv), and one clear error for a bad file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accelsim.arch.load import arch_from_dict
from accelsim.cost.systolic import gemm_compute_cycles
from accelsim.engine.simulator import simulate
from accelsim.errors import TraceError
from accelsim.workload.topology import ConvLayer, read_scalesim_topology

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "scalesim_conv.csv"
ROWS = list(csv.DictReader(GOLDEN.open()))
CONFIGS = sorted({(int(r["rows"]), int(r["cols"]), r["dataflow"]) for r in ROWS})
CONV = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\n")
GEOMETRY = ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "filters", "stride")


def arch(rows: int, cols: int, dataflow: str):
    """SCALE-Sim's setting: buffers holding a whole layer, no weight-load overlap, and (as in
    tests/engine/test_engine_parity.py) an ideal memory: SCALE-Sim's count is compute only,
    and with a finite bandwidth the mapping search may cut the streamed dimension to overlap
    DMA with compute, which SCALE-Sim does not model."""
    big = {"size_bytes": "64MiB", "banks": 2}
    return arch_from_dict({
        "name": f"a{rows}x{cols}{dataflow}", "clock_hz": 1e9,
        "array": {"rows": rows, "cols": cols, "dataflow": dataflow,
                  "overlap_weight_load": False},
        "buffers": {"input": big, "weight": big, "output": big},
        "dram": {"bandwidth_gbps": 1e6, "latency_ns": 100},
    }, "test")


def write(tmp_path: Path, text: str | bytes, name: str = "topo.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def golden_topology(tmp_path: Path) -> Path:
    """The golden layers as one SCALE-Sim conv CSV (topology order, as SCALE-Sim ran them)."""
    layers = {r["layer"]: [r[k] for k in GEOMETRY] for r in ROWS}
    return write(tmp_path, CONV + "".join(f"{name}, {', '.join(dims)},\n"
                                          for name, dims in layers.items()))


def test_golden_covers_the_issue() -> None:
    assert len({r["layer"] for r in ROWS}) >= 10
    assert {r["dataflow"] for r in ROWS} == {"ws", "os", "is"}
    assert len(CONFIGS) == 9
    assert any(int(r["stride"]) > 1 for r in ROWS)
    assert any(r["ifmap_h"] != r["ifmap_w"] or r["filter_h"] != r["filter_w"] for r in ROWS)
    assert all(int(r["stall_cycles"]) == 0 for r in ROWS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c[0]}x{c[1]}_{c[2]}")
def test_conv_compute_cycles_equal_scalesim(tmp_path: Path, config) -> None:
    # the topology read by accelsim (im2col, SCALE-Sim's ceil, its DP split), simulated with
    # buffers large enough for one tile: every layer's compute cycles are SCALE-Sim's Total Cycles
    rows, cols, dataflow = config
    trace = read_scalesim_topology(golden_topology(tmp_path))
    cases = [r for r in ROWS if (int(r["rows"]), int(r["cols"]), r["dataflow"]) == config]
    want = {r["reported_layer"]: int(r["total_cycles"]) for r in cases}
    assert [op.name for op in trace.ops] == [r["reported_layer"] for r in cases]
    assert {op.name: gemm_compute_cycles(rows, cols, dataflow, op.m, op.n, op.k)
            for op in trace.ops} == want
    result = simulate(arch(rows, cols, dataflow), trace, record=False)
    got = {layer.name: layer.compute_cycles for layer in result.layers}
    # known gap (issue 16, open): on OS the mapping search cuts the streamed dimension of the
    # 1-pixel 'full_window' layer although one tile fits, so its engine cycles exceed SCALE-Sim's
    # (376 -> 390 on 8x8, 380 -> 398 on 4x16); every other layer, and the closed form above,
    # match exactly
    off = {name for name in want if got[name] != want[name]}
    assert off <= ({"full_window"} if dataflow == "os" else set()), off


def test_scalesim_rounds_the_ofmap_up() -> None:
    # ceil((H - Fh + S) / S): 16 - 3 = 13 is not a multiple of 2 -> 8 rows, not 7
    assert ConvLayer(16, 16, 3, 3, 4, 8, 2).gemm_mnk() == (64, 8, 36)
    assert ConvLayer(15, 15, 3, 3, 4, 8, 2).gemm_mnk() == (49, 8, 36)
    assert ConvLayer(20, 12, 5, 3, 3, 6, 2).gemm_mnk() == (9 * 6, 6, 45)


def test_conv_row_is_no_longer_read_as_a_gemm(tmp_path: Path) -> None:
    # issue 14: this row was read as M, N, K = 224, 224, 7 (351,232 MACs)
    trace = read_scalesim_topology(write(tmp_path, CONV + "Conv1, 224, 224, 7, 7, 3, 64, 2,\n"))
    (op,) = trace.ops
    assert (op.m, op.n, op.k) == (110 * 110, 64, 7 * 7 * 3)
    assert trace.total_macs == 113_836_800
    ifmap, weight = (trace.tensor(t) for t in op.inputs)
    assert (ifmap.shape, weight.shape) == ((12100, 147), (147, 64))
    assert trace.meta["topology_layout"] == "conv"


def test_stride_height_and_width_columns(tmp_path: Path) -> None:
    # the 9-column header SCALE-Sim's own write_topo_file writes
    header = ("Layer name, IFMAP height, IFMAP width, Filter height, Filter width, Channels, "
              "Num filter, Stride height, Stride width,\n")
    trace = read_scalesim_topology(write(tmp_path, header + "a, 16, 16, 3, 3, 2, 4, 2, 1,\n"
                                                   "b, 16, 16, 3, 3, 2, 4, 2, 2,\n"))
    # a: 8 rows (ceil(15 / 2)) x 14 cols; b: 8 x 8, the same as one 'Strides' column of 2
    assert [(op.m, op.n, op.k) for op in trace.ops] == [(8 * 14, 4, 18), (64, 4, 18)]
    with pytest.raises(TraceError, match="line 1: missing column 'Stride Width'"):
        read_scalesim_topology(write(tmp_path, CONV.replace("Strides", "Stride Height")
                                     + "c, 8, 8, 3, 3, 1, 1, 1,\n"))
    with pytest.raises(TraceError, match="not both"):
        read_scalesim_topology(write(tmp_path, CONV.replace("Strides,", "Strides, Stride Width,")
                                     + "c, 8, 8, 3, 3, 1, 1, 1, 1,\n"))


def test_depthwise_rows_split_per_channel_as_in_scalesim(tmp_path: Path) -> None:
    trace = read_scalesim_topology(write(tmp_path, CONV + "ConvDP1, 12, 12, 3, 3, 3, 4, 1,\n"))
    assert [(op.name, op.m, op.n, op.k) for op in trace.ops] == [
        (f"ConvDP1Channel_{i}", 100, 4, 9) for i in range(3)]


@pytest.mark.parametrize("header", ["Layer, M, N, K,", "Layer Name, M, N, K,", "layer,m,n,k",
                                    "Layer, K, N, M,", "Layer_name, N , K, M"])
def test_gemm_columns_by_name(tmp_path: Path, header: str) -> None:
    keys = [c.strip().lower() for c in header.split(",") if c.strip()][1:]
    values = {"m": "32", "n": "16", "k": "8"}
    row = ", ".join(values[k] for k in keys)
    trace = read_scalesim_topology(write(tmp_path, f"{header}\nA, {row}\n"))
    assert [(op.m, op.n, op.k) for op in trace.ops] == [(32, 16, 8)]


def test_conv_columns_by_name_and_byte_order_mark(tmp_path: Path) -> None:
    header = ("\ufeffStrides, Layer name, Num Filter, Channels, IFMAP Width, IFMAP Height, "
              "Filter Width, Filter Height\n")
    with pytest.raises(TraceError, match="column 1: first header cell 'Strides'"):
        read_scalesim_topology(write(tmp_path, header + "1, c, 4, 2, 8, 8, 3, 3\n"))
    header = ("\ufeffLayer name, Strides, Num Filter, Channels, IFMAP Width, IFMAP Height, "
              "Filter Width, Filter Height\r\n")
    trace = read_scalesim_topology(write(tmp_path, header + "c, 2, 4, 2, 12, 8, 5, 3\r\n"))
    # ofmap ceil((8 - 3 + 2) / 2) = 4 rows x ceil((12 - 5 + 2) / 2) = 5 cols; window 3 x 5 x 2
    assert [(op.m, op.n, op.k) for op in trace.ops] == [(4 * 5, 4, 3 * 5 * 2)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("l1, 64, 64, 64,\nl2, 32, 32, 32,\n",
         "line 1: no header line (this row looks like a layer); expected a GEMM header"),
        ("Layer, M, N, Q,\nA, 1, 2, 3,\n", "line 1, column 4: unknown column 'Q'"),
        ("Layer, M, N,\nA, 1, 2,\n", "line 1: missing column 'K'"),
        ("Layer, M, N, K, M\nA, 1, 2, 3, 4\n", "line 1, column 5: column 'M' appears twice"),
        ("Layer, M, N, K, Channels\nA, 1, 2, 3, 4\n", "line 1: missing column 'IFMAP Height'"),
        ("Layer Name, M, N, K, Sparsity,\nG, 3, 5, 16, 3:4,\n",
         "line 1, column 5: SCALE-Sim's 'Sparsity' column is not supported"),
        ("Layer, M, N, K,\nA, 1, 2, 3, 4,\n", "line 2: 5 fields, the header has 4"),
        ("Layer, M, N, K,\nA, 1, 2, 0x10,\n",
         "line 2, column 4 (K): expected a positive integer, got '0x10'"),
        ("Layer, M, N, K,\nA, 1, 2, 1_000,\n",
         "line 2, column 4 (K): expected a positive integer, got '1_000'"),
        ("Layer, M, N, K,\nA, 1, 2, 3,\nA, 4, 5, 6,\n",
         "line 3, column 1: layer 'A' already named on line 2"),
        (CONV + "c, 8, 8, 9, 3, 1, 1, 1,\n",
         "line 2: Filter Height 9 is larger than IFMAP Height 8"),
        (CONV + "c, 8, 8, 3, 3, 1, 1, 0,\n", "line 2, column 8 (Strides): must be in 1..2^40"),
        (CONV + "DP, 8, 8, 3, 3, 1000000, 1, 1,\n",
         "line 2: depthwise layer 'DP' splits into 1,000,000 layers"),
        ("Layer, M, N, K,\n" + "a" * 200_000 + ", 1, 2, 3,\n",
         "line 2, column 1: field is 200,000 characters long (limit 256)"),
        ('Layer, M, N, K,\n"' + "a" * 300 + '", 1, 2, 3,\n',
         "line 2, column 1: field is 300 characters long (limit 256)"),
        ("", "empty topology CSV"),
        ("Layer, M, N, K,\n", "a topology CSV needs a header line and at least one layer"),
        (b"Layer, M, N, K,\ncaf\xe9, 1, 2, 3,\n", "not UTF-8 text: line 2, byte 19"),
    ],
)
def test_bad_topology_is_one_clear_error(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TraceError) as info:
        read_scalesim_topology(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


def test_topology_that_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(TraceError, match="is a directory, expected a SCALE-Sim topology CSV"):
        read_scalesim_topology(tmp_path / "d.csv")


CONV_COLUMNS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(7)), h=st.integers(1, 40), w=st.integers(1, 40),
       fh=st.integers(1, 9), fw=st.integers(1, 9), c=st.integers(1, 8), n=st.integers(1, 8),
       s=st.integers(1, 5))
def test_conv_columns_in_any_order(tmp_path_factory, order, h, w, fh, fw, c, n, s) -> None:
    assume(fh <= h and fw <= w)
    values = (h, w, fh, fw, c, n, s)
    header = "Layer name, " + ", ".join(CONV_COLUMNS[i] for i in order) + ",\n"
    row = "L, " + ", ".join(str(values[i]) for i in order) + ",\n"
    path = write(tmp_path_factory.mktemp("perm"), header + row)
    (op,) = read_scalesim_topology(path).ops
    assert (op.m, op.n, op.k) == ConvLayer(*values).gemm_mnk()
    # MACs of the im2col GEMM = MACs of the convolution over SCALE-Sim's ofmap
    out_h, out_w = -(-(h - fh + s) // s), -(-(w - fw + s) // s)
    assert op.macs == out_h * out_w * fh * fw * c * n


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet=st.sampled_from(list(",\n\r \"0123456789MNKk"
                                                                      "Layer_DPx\ufeff")),
                                         max_size=120).map(lambda t: "Layer, M, N, K,\n" + t))
def test_any_bytes_give_a_trace_or_one_clear_error(tmp_path_factory, data) -> None:
    path = write(tmp_path_factory.mktemp("fuzz"), data)
    try:
        trace = read_scalesim_topology(path)
    except TraceError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
    else:
        assert trace.ops and all(op.macs > 0 for op in trace.ops)
