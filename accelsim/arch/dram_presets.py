"""JEDEC DRAM presets for ``dram.model: banked`` (data only; the schema is arch.spec.DramTiming).

Timings are in DRAM clock cycles (nCK of ``tCK_ns``), named as DRAMsim3 / Ramulator name them.
Values given in ns by the standard are rounded up to whole nCK (ceil(ns / tCK)). ``beats_per_tck``
is the data beats per command clock (2 for DDR buses; 8 for LPDDR5 and GDDR6, whose data clock
WCK runs 4x CK, double data rate; 4 for HBM3's 2x). A burst moves ``bus_width_bits / 8 x BL``
bytes in ``BL / beats_per_tck`` nCK. Counts are per channel; ``channels`` is the preset's
default system (override it, e.g. ``dram.timing.channels``).

Energy: DRAMPower-style currents (Chandrasekar et al., DATE 2012; Micron TN-41-01) per device
at ``vdd_v``, ``devices_per_channel`` devices side by side; see cost.dram.action_energy_pj.
Where a current is not in a cited datasheet it is marked "assumption" in its comment.
"""

from __future__ import annotations

from typing import Any

DRAM_PRESETS: dict[str, dict[str, Any]] = {
    # LPDDR4-3200, one x16 channel per die (JEDEC JESD209-4B, Table "AC timing" and "Refresh
    # requirement"; Micron MT53E256M32D2 8 Gb datasheet). tCK 0.625 ns (1600 MHz), BL16.
    "LPDDR4-3200": {
        "tCK_ns": 0.625,
        "beats_per_tck": 2,          # DDR data bus
        "BL": 16,                    # JESD209-4: BL16 (BL32 optional)
        "bus_width_bits": 16,        # one LPDDR4 channel is x16
        "channels": 4,               # 4 x16 channels = a 64-bit bus, 25.6 GB/s (sole.yaml)
        "ranks": 1,
        "bankgroups": 1,             # LPDDR4 has no bank groups
        "banks_per_group": 8,        # JESD209-4: 8 banks per channel
        "row_bytes": 2048,           # JESD209-4: 2 KB page per channel (1024 columns x 16 b)
        "RL": 28,                    # JESD209-4 Table RL/WL, 3200, DBI off (set A)
        "WL": 14,                    # JESD209-4 WL set A at 3200
        "tRCD": 29,                  # max(18 ns, 4nCK) = 28.8 -> 29
        "tRP": 29,                   # tRPpb max(18 ns, 3nCK) -> 29
        "tRAS": 68,                  # max(42 ns, 3nCK) = 67.2 -> 68
        "tCCD_S": 8,                 # tCCD = BL/2 = 8 nCK (no bank groups: S = L)
        "tCCD_L": 8,
        "tRRD_S": 16,                # max(10 ns, 4nCK) = 16
        "tRRD_L": 16,
        "tFAW": 64,                  # 40 ns = 64
        "tWR": 29,                   # max(18 ns, 6nCK) -> 29
        "tWTR_S": 16,                # max(10 ns, 8nCK) = 16
        "tWTR_L": 16,
        "tRTP": 12,                  # max(7.5 ns, 8nCK) = 12
        "tRTRS": 2,                  # assumption: 2 nCK rank-to-rank switch (1 rank here)
        "tRFC": 448,                 # tRFCab 280 ns (8 Gb per channel die, JESD209-4 Table 8)
        "tREFI": 6246,               # tREFIab 3.904 us (<= 85 C)
        "vdd_v": 1.1,                # VDD2, the rail that carries the core and I/O currents
        "devices_per_channel": 1,
        # Micron MT53E256M32D2 (8 Gb, 2 ch) IDD table, VDD2 per channel (approximate values;
        # check them against your part's datasheet before quoting energies):
        "IDD0_mA": 58.0, "IDD2N_mA": 23.0, "IDD3N_mA": 33.0,
        "IDD4R_mA": 290.0, "IDD4W_mA": 250.0, "IDD5_mA": 112.0,
    },
    # LPDDR5-6400 (JEDEC JESD209-5B): CK 800 MHz (tCK 1.25 ns), WCK 3.2 GHz DDR = 8 beats/nCK,
    # bank-group mode (4 BG x 4 banks), BL16 x16 channel. Timings cross-checked with Ramulator 2's
    # LPDDR5_6400 preset (which cites JESD209-5).
    "LPDDR5-6400": {
        "tCK_ns": 1.25,
        "beats_per_tck": 8,
        "BL": 16,
        "bus_width_bits": 16,
        "channels": 4,               # 4 x16 channels = 64 bits, 51.2 GB/s
        "ranks": 1,
        "bankgroups": 4,             # JESD209-5 BG mode at > 3200 Mb/s
        "banks_per_group": 4,
        "row_bytes": 2048,           # 2 KB page (x16)
        "RL": 20,                    # JESD209-5 RL at 6400 (set 0, DVFSC off)
        "WL": 11,                    # JESD209-5 WL set A
        "tRCD": 15,                  # 18 ns -> 15
        "tRP": 15,                   # tRPpb 18 ns -> 15
        "tRAS": 34,                  # 42 ns -> 34
        "tCCD_S": 2,                 # BL16 in BG mode, different bank group: BL/n = 2 nCK
        "tCCD_L": 4,                 # same bank group: 2 x BL/n (JESD209-5 tCCD_L, BG mode)
        "tRRD_S": 4,                 # max(5 ns, 2nCK) = 4
        "tRRD_L": 4,
        "tFAW": 16,                  # 20 ns = 16
        "tWR": 28,                   # 34 ns -> 28
        "tWTR_S": 5,                 # 6.25 ns -> 5
        "tWTR_L": 10,                # 12 ns -> 10
        "tRTP": 6,                   # 7.5 ns -> 6
        "tRTRS": 2,                  # assumption: 2 nCK rank switch (1 rank here)
        "tRFC": 168,                 # tRFCab 210 ns (8 Gb, JESD209-5 refresh table)
        "tREFI": 3125,               # tREFIab 3.906 us
        "vdd_v": 1.05,               # VDD2H
        "devices_per_channel": 1,
        # assumption: LPDDR4 currents scaled by the VDD2 drop (1.05/1.1) and, for the bursts, by
        # LPDDR5's ~20% lower I/O energy per bit (Micron LPDDR5 product brief); not a datasheet
        "IDD0_mA": 55.0, "IDD2N_mA": 22.0, "IDD3N_mA": 31.0,
        "IDD4R_mA": 460.0, "IDD4W_mA": 400.0, "IDD5_mA": 107.0,
    },
    # DDR4-3200 x16 devices on a 64-bit DIMM channel (JEDEC JESD79-4C, speed bin 3200AA 22-22-22;
    # Micron MT40A512M16 8 Gb datasheet). The same values are in DRAMsim3's
    # configs/DDR4_8Gb_x16_3200.ini.
    "DDR4-3200": {
        "tCK_ns": 0.625,
        "beats_per_tck": 2,
        "BL": 8,
        "bus_width_bits": 64,        # a DIMM channel: 4 x16 devices
        "channels": 1,               # 25.6 GB/s
        "ranks": 1,
        "bankgroups": 2,             # x16: 2 bank groups x 4 banks (JESD79-4 Table 2)
        "banks_per_group": 4,
        "row_bytes": 8192,           # 2 KB page per x16 device x 4 devices
        "RL": 22,                    # CL 22 (3200AA)
        "WL": 16,                    # CWL 16
        "tRCD": 22,                  # 13.75 ns
        "tRP": 22,                   # 13.75 ns
        "tRAS": 52,                  # 32 ns
        "tCCD_S": 4,                 # 4 nCK
        "tCCD_L": 8,                 # max(5 nCK, 5 ns) = 8
        "tRRD_S": 9,                 # x16 2KB page: max(4 nCK, 5.3 ns) = 9
        "tRRD_L": 11,                # max(4 nCK, 6.4 ns) = 11
        "tFAW": 48,                  # x16: 30 ns = 48
        "tWR": 24,                   # 15 ns
        "tWTR_S": 4,                 # max(2 nCK, 2.5 ns) = 4
        "tWTR_L": 12,                # max(4 nCK, 7.5 ns) = 12
        "tRTP": 12,                  # max(4 nCK, 7.5 ns) = 12
        "tRTRS": 1,                  # DRAMsim3 DDR4 config
        "tRFC": 560,                 # tRFC1 350 ns (8 Gb)
        "tREFI": 12480,              # 7.8 us (<= 85 C)
        "vdd_v": 1.2,
        "devices_per_channel": 4,
        # Micron MT40A512M16 (8 Gb x16) IDD table, as in DRAMsim3's DDR4_8Gb_x16_3200.ini
        "IDD0_mA": 95.0, "IDD2N_mA": 37.0, "IDD3N_mA": 56.0,
        "IDD4R_mA": 302.0, "IDD4W_mA": 278.0, "IDD5_mA": 280.0,
    },
    # GDDR6 16 Gb/s/pin, one x16 channel (a device has 2) (JEDEC JESD250C; Micron MT61K256M32
    # 8 Gb datasheet). CK 2 GHz (tCK 0.5 ns), WCK 8 GHz DDR = 8 beats per nCK, BL16.
    "GDDR6": {
        "tCK_ns": 0.5,
        "beats_per_tck": 8,
        "BL": 16,
        "bus_width_bits": 16,
        "channels": 2,               # one device, 2 x16 channels: 64 GB/s
        "ranks": 1,
        "bankgroups": 4,             # JESD250: 16 banks in 4 bank groups
        "banks_per_group": 4,
        "row_bytes": 2048,           # 2 KB page (x16, 8 Gb)
        "RL": 28,                    # CL 13.7 ns (Ramulator 2 GDDR6 preset, 24 x 0.57 ns)
        "WL": 7,                     # CWL 3.4 ns (6 x 0.57 ns)
        "tRCD": 30,                  # tRCDRD 15 ns (Ramulator 2 GDDR6 preset, 26 x 0.57 ns)
        "tRP": 30,                   # 15 ns
        "tRAS": 61,                  # 30.2 ns
        "tCCD_S": 2,                 # BL16 / 8 = 2 nCK, different bank group
        "tCCD_L": 3,                 # same bank group (Micron MT61K: tCCDL 3 nCK)
        "tRRD_S": 8,                 # 4 ns (Ramulator 2 preset, 7 x 0.57 ns)
        "tRRD_L": 8,
        "tFAW": 32,                  # 16 ns (28 x 0.57 ns)
        "tWR": 30,                   # 15 ns
        "tWTR_S": 11,                # 5.1 ns
        "tWTR_L": 13,                # 6.3 ns
        "tRTP": 5,                   # 2.3 ns
        "tRTRS": 2,                  # assumption (1 rank)
        "tRFC": 240,                 # tRFCab 120 ns (Ramulator 2 preset nRFC 210 x 0.57 ns)
        "tREFI": 3800,               # 1.9 us (JESD250: 16K REFab per 32 ms)
        "vdd_v": 1.35,
        "devices_per_channel": 1,
        # assumption: per-channel currents chosen to give ~7.5 pJ/bit for streaming reads, the
        # GDDR6 figure of O'Connor et al., "Fine-Grained DRAM", MICRO 2017 (Table 1)
        "IDD0_mA": 120.0, "IDD2N_mA": 60.0, "IDD3N_mA": 80.0,
        "IDD4R_mA": 1500.0, "IDD4W_mA": 1400.0, "IDD5_mA": 300.0,
    },
    # HBM2 2 Gb/s/pin, legacy 128-bit channels, 8 channels per stack (JEDEC JESD235B). Values
    # as in DRAMsim3's configs/HBM2_8Gb_x128.ini (tCK 1 ns, BL4).
    "HBM2": {
        "tCK_ns": 1.0,
        "beats_per_tck": 2,
        "BL": 4,
        "bus_width_bits": 128,
        "channels": 8,               # one stack: 256 GB/s
        "ranks": 1,
        "bankgroups": 4,
        "banks_per_group": 4,
        "row_bytes": 1024,           # 1 KB page per channel (64 columns x 128 b)
        "RL": 14,
        "WL": 4,
        "tRCD": 14,
        "tRP": 14,
        "tRAS": 34,
        "tCCD_S": 2,                 # DRAMsim3 says 1; a BL4 burst holds the bus 2 nCK
        "tCCD_L": 2,
        "tRRD_S": 4,
        "tRRD_L": 6,
        "tFAW": 30,
        "tWR": 16,
        "tWTR_S": 6,
        "tWTR_L": 8,
        "tRTP": 4,                   # tRTP_S
        "tRTRS": 1,                  # assumption (1 rank)
        "tRFC": 260,
        "tREFI": 3900,
        "vdd_v": 1.2,
        "devices_per_channel": 1,
        # Micron/JESD235 HBM2 8 Gb currents per channel, as in DRAMsim3's HBM2_8Gb_x128.ini
        "IDD0_mA": 65.0, "IDD2N_mA": 40.0, "IDD3N_mA": 55.0,
        "IDD4R_mA": 390.0, "IDD4W_mA": 500.0, "IDD5_mA": 250.0,
    },
    # HBM3 6.4 Gb/s/pin, 32 pseudo-channels of 32 bits per stack (JEDEC JESD238A). CK 1.6 GHz
    # (tCK 0.625 ns), 4 beats per nCK, BL8. Core timings in ns as HBM2's (assumption: JESD238A
    # keeps the same DRAM core; Ramulator 2's HBM3 preset has tRCD = tRP = 7 nCK at 1 ns, which
    # we do not follow).
    "HBM3": {
        "tCK_ns": 0.625,
        "beats_per_tck": 4,
        "BL": 8,
        "bus_width_bits": 32,        # one pseudo-channel
        "channels": 32,              # 32 PCs: 819.2 GB/s per stack
        "ranks": 1,
        "bankgroups": 4,             # JESD238: 4 bank groups x 4 banks per pseudo-channel
        "banks_per_group": 4,
        "row_bytes": 1024,           # 1 KB page per pseudo-channel
        "RL": 23,                    # 14 ns (HBM2 CL 14 at 1 ns)
        "WL": 7,                     # 4 ns
        "tRCD": 23,                  # 14 ns
        "tRP": 23,                   # 14 ns
        "tRAS": 53,                  # 33 ns
        "tCCD_S": 2,                 # BL8 / 4 = 2 nCK
        "tCCD_L": 4,                 # assumption: 2 x tCCD_S, as HBM2's ratio at equal tCK
        "tRRD_S": 4,                 # 2.5 ns
        "tRRD_L": 6,                 # 3.75 ns
        "tFAW": 24,                  # 15 ns (Ramulator 2 HBM3 nFAW 15 at 1 ns)
        "tWR": 26,                   # 16 ns
        "tWTR_S": 4,                 # 2.5 ns
        "tWTR_L": 10,                # 6.25 ns
        "tRTP": 8,                   # 5 ns
        "tRTRS": 1,                  # assumption (1 rank)
        "tRFC": 416,                 # 260 ns (HBM2's, 8 Gb)
        "tREFI": 6240,               # 3.9 us (Ramulator 2 HBM3 nREFI 3900 at 1 ns)
        "vdd_v": 1.1,
        "devices_per_channel": 1,
        # assumption: HBM2 currents scaled to a 32-bit pseudo-channel at 6.4 Gb/s; read bursts
        # come to ~1.6 pJ/bit (HBM2 as in DRAMsim3: also 1.6), ACT and background come on top
        "IDD0_mA": 35.0, "IDD2N_mA": 20.0, "IDD3N_mA": 28.0,
        "IDD4R_mA": 330.0, "IDD4W_mA": 380.0, "IDD5_mA": 125.0,
    },
}
