"""Epoch's ML hardware file to `tidy.hardware`: one row per accelerator, performance by precision in FLOP/s."""

from __future__ import annotations

import polars as pl

from pipelines.raw.parse import Rejections
from pipelines.tidy.keys import clean_name_expr
from pipelines.tidy.plausibility import Rule, file_rules
from pipelines.tidy.steps import Snapshots, TidyOutput, TidyStep, with_sha

# output column -> published column (units in both names)
HARDWARE_NUMBERS = {
    "release_price_usd": "Release price (USD)",
    "fp64_flops": "FP64 (double precision) performance (FLOP/s)",
    "fp32_flops": "FP32 (single precision) performance (FLOP/s)",
    "tf32_flops": "TF32 (TensorFloat-32) performance (FLOP/s)",
    "fp16_flops": "FP16 (half precision) performance (FLOP/s)",
    "tensor_fp16_bf16_flops": "Tensor-FP16/BF16 performance (FLOP/s)",
    "fp8_flops": "FP8 performance (FLOP/s)",
    "int8_ops": "INT8 performance (OP/s)",
    "tdp_watts": "TDP (W)",
    "memory_bytes": "Memory (bytes)",
    "memory_bandwidth_bytes_per_s": "Memory bandwidth (byte/s)",
}
HARDWARE_TEXT = {"manufacturer": "Manufacturer", "hardware_type": "Type"}


def tidy_hardware(
    raw: pl.DataFrame, source: str = "ml_hardware", ranges: dict[tuple[str, str], Rule] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(hardware, rejections). `best_16bit_flops` takes tensor FP16/BF16 where published, else plain FP16.

    Repeated header rows are dropped, control characters removed from the names, and values outside the
    `plausible_ranges` seed's rules for `source` set to null; each is recorded.
    """
    rejections = Rejections(source)
    rules = file_rules(source, raw, ranges)
    raw = rejections.text(rejections.header_rows(raw), ("Hardware name", *HARDWARE_TEXT.values()))
    numbers = {
        out: rules.check(rejections, raw, column, out, rejections.number(raw, column, positive=True))
        for out, column in HARDWARE_NUMBERS.items()
    }
    release_date = rules.check(rejections, raw, "Release date", "release_date", rejections.date(raw, "Release date"))
    hardware = raw.select(
        clean_name_expr("Hardware name").alias("hardware_name"),
        *[pl.col(column).alias(out) for out, column in HARDWARE_TEXT.items() if column in raw.columns],
    ).with_columns(
        release_date.alias("release_date"),
        *[series.alias(out) for out, series in numbers.items()],
    )
    hardware = hardware.with_columns(
        pl.coalesce("tensor_fp16_bf16_flops", "fp16_flops").alias("best_16bit_flops"),
    ).filter(pl.col("hardware_name").is_not_null())
    return hardware, rejections.frame()


def hardware_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    hardware, rejections = tidy_hardware(raw["ml_hardware"])
    return TidyOutput({"hardware": with_sha(hardware, snapshots.get("ml_hardware"))}, rejections)


STEPS = [
    TidyStep(
        "hardware",
        ("ml_hardware",),
        ("hardware",),
        hardware_step_output,
        "one row per accelerator, FLOP/s by precision, release price (USD), TDP (W).",
    )
]
