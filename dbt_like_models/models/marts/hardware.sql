-- One row per accelerator from Epoch's ML hardware file, with FLOP/s per dollar and per watt: the one place these
-- ratios are computed (pipelines/trends/efficiency.py and the efficiency page read them).
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
select
    hardware_name,
    manufacturer,
    hardware_type,
    release_date,
    release_price_usd,
    fp64_flops,
    fp32_flops,
    tf32_flops,
    fp16_flops,
    tensor_fp16_bf16_flops,
    best_16bit_flops,
    fp8_flops,
    int8_ops,
    tdp_watts,
    memory_bytes,
    memory_bandwidth_bytes_per_s,
    fp32_flops / release_price_usd as fp32_flops_per_usd,
    best_16bit_flops / release_price_usd as best_16bit_flops_per_usd,
    fp32_flops / tdp_watts as fp32_flops_per_watt,
    snapshot_sha256
from {{ source('tidy', 'hardware') }}
