"""accelsim: cycle-level simulator of accelerators for quantized Vision Transformers."""
