"""sole.yaml on the flat bandwidth DRAM model, as text, for tests that exercise
``dram.bandwidth_gbps`` / ``dram.efficiency`` (the bundled file runs the banked model, which
refuses a bandwidth that is not its preset's peak). Import with ``tests/`` on sys.path."""

from __future__ import annotations

from pathlib import Path

SOLE_YAML = Path(__file__).resolve().parents[1] / "arch_configs" / "sole.yaml"
#: sole's 'auto' SRAM ports at 32x32, spelled out (B/cycle)
PORT_WIDTHS = (("input: ", 32), ("weight:", 32), ("output:", 128))


def flat_sole_text(bandwidth_gbps: str = "25.6   # the banked peak",
                   spell_ports: bool = True) -> str:
    """sole.yaml with ``model: bandwidth``, ``bandwidth_gbps`` as written here (a YAML
    spelling, maybe with a comment), ``efficiency: 1.0`` and, with ``spell_ports``, its auto
    port widths written out (32 / 32 / 128 B/cycle: the same widths)."""
    text = SOLE_YAML.read_text(encoding="utf-8").replace(
        "  model: banked ",
        f"  model: bandwidth\n  bandwidth_gbps: {bandwidth_gbps}\n  efficiency: 1.0\n  #", 1)
    if spell_ports:
        for role, width in PORT_WIDTHS:
            line = next(x for x in text.splitlines() if x.startswith(f"  {role} {{size_bytes:"))
            text = text.replace(line, line.replace("_per_cycle: auto", f"_per_cycle: {width}"), 1)
    return text
