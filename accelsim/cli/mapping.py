"""`accelsim map`: the mapping the search chose, per GEMM layer, and its YAML file."""

from __future__ import annotations

from accelsim.cli.app import (
    ArchOpt,
    BatchOpt,
    BatchOrderOpt,
    ImageOpt,
    ModelOpt,
    ObjectiveOpt,
    OutOpt,
    OverrideOpt,
    QuantOpt,
    SetOpt,
    app,
    model_trace,
    output_suffix,
    simulate_for,
    write_output,
)


@app.command("map")
def map_cmd(
    arch: ArchOpt = "sole",
    model: ModelOpt = "vit_base",
    image_size: ImageOpt = None,
    batch: BatchOpt = None,
    quant: QuantOpt = None,
    set_: SetOpt = None,
    override: OverrideOpt = None,
    objective: ObjectiveOpt = "latency",
    batch_order: BatchOrderOpt = "auto",
    output: OutOpt = None,
) -> None:
    """Print the chosen mapping per GEMM layer (tile, loop order, resident operand, batch
    order, estimated vs simulated cycles and bytes); -o FILE.yaml writes it for --mapping."""
    import yaml
    from rich.console import Console
    from rich.table import Table

    from accelsim.arch.load import load_arch
    from accelsim.mapping.io import fusion_rows, mapping_document, mapping_rows

    output_suffix(output, (".yaml", ".yml"))
    spec = load_arch(arch, set_ or [])
    trace = model_trace(model, image_size, batch, quant, override)
    planned: list = []
    result = simulate_for(arch, spec, trace, objective=objective, batch_order=batch_order,
                          planned=planned)
    scheduler = planned[0]
    rows = mapping_rows(scheduler, result)
    table = Table(title=f"mapping of {trace.name} on {spec.name} (objective {objective}, "
                        f"batch order {scheduler.batch_order})")
    batched = trace.batch > 1  # per-layer batch order (image-major rows: per-image shapes)
    for col in ("layer", "M x N x K", "tile", "order", "resident", *(["batch order"] * batched),
                "steps", "est cycles", "sim compute", "sim span", "est DRAM B", "sim DRAM B"):
        table.add_column(col, justify="left" if col == "layer" else "right")
    for r in rows:
        table.add_row(r["layer"], "x".join(map(str, r["shape"])),
                      "x".join(map(str, r["tile"])), r["order"], r["resident"],
                      *([r.get("batch_order", "")] * batched), str(r["steps"]),
                      f"{r['est_cycles']:,}", f"{r['sim_compute_cycles']:,}",
                      f"{r['sim_cycles']:,}", f"{r['est_dram_bytes']:,}",
                      f"{r['sim_dram_bytes']:,}")
    console = Console(width=200)
    console.print(table)
    if scheduler.batch_check:  # engine.batch_check: which batch plan was simulated and kept
        check = scheduler.batch_check
        limit = check["batch_1_runs"]
        played = ", ".join(f"{name} {p['cycles']:,} cycles / {p['dram_bytes']:,} B"
                           for name, p in check["plans"].items())
        console.print(f"batch plan kept: {check['reason']}; simulated: {played}; "
                      f"{trace.batch} batch-1 runs: {limit['cycles']:,} cycles / "
                      f"{limit['dram_bytes']:,} B", markup=False)
    fusion = fusion_rows(scheduler)
    if fusion:
        ft = Table(title="fusion choices (LayerNorm output kept on chip, fused attention's "
                         "row blocks: searched by the objective under the bank capacities)")
        for col in ("op", "choice", "detail"):
            ft.add_column(col, justify="left")
        for name, f in fusion.items():
            if f["kind"] == "layernorm":
                ft.add_row(name, "kept on chip" if f["keep_on_chip"] else "written to DRAM",
                           f"read by {', '.join(f['consumers'])}; "
                           f"{f['dram_write_bytes_saved']:,} B write saved"
                           + ("" if f["fits"] else "; does not fit the input buffer"))
            else:
                ft.add_row(name, f"{f['row_blocks']} row blocks of {f['rows_per_block']} rows",
                           f"banks allow up to {f['max_rows_per_block']} rows; est "
                           f"{f['est_cycles']:,} cycles (largest blocks: "
                           f"{f['est_cycles_fewest_blocks']:,})")
        console.print(ft)
    if output is not None:
        doc = mapping_document(spec.name, trace, scheduler.batch_order, objective, rows,
                               fusion)
        write_output(output, yaml.safe_dump(doc, sort_keys=False))
