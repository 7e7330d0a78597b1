"""`reports/efficiency.html`: hardware FLOP/s per dollar and per watt, training cost per FLOP, the check that compute
growth ≈ spending growth × FLOP-per-dollar growth, and the least compute that reached a fixed benchmark score.

Reads `tidy.hardware`, `marts.models`, `trends.fits`, `trends.compute_decomposition`, `trends.compute_to_threshold`
and `trends.compute_to_threshold_points`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.common import (
    POWER_OF_TEN_LABEL,
    chart_frame,
    ci,
    decades,
    factor,
    fit_lines,
    growth_text,
    has_table,
    load_snapshots,
    read,
    window_label,
    with_dashed_fit,
)
from pipelines.charts.page import Page, publish

NAME = "efficiency"
TABLES = (
    "tidy.hardware",
    "marts.models",
    "trends.fits",
    "trends.compute_decomposition",
    "trends.compute_to_threshold",
    "trends.compute_to_threshold_points",
)
PRECISIONS = {"FP32": "hardware_fp32_flops_per_usd", "16-bit (best of FP16/BF16 tensor)": "hardware_fp16_flops_per_usd"}
PRECISION_COLORS = ["#4c78a8", "#e45756"]


def full_fit(fits: pl.DataFrame | None, metric: str, subset: str) -> pl.DataFrame:
    if fits is None:
        return pl.DataFrame()
    return fits.filter((pl.col("metric") == metric) & (pl.col("subset") == subset) & (pl.col("window_kind") == "full"))


def hardware_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(
        con,
        """
        select hardware_name, manufacturer, hardware_type, release_date, release_price_usd, tdp_watts,
               fp32_flops, best_16bit_flops,
               fp32_flops / release_price_usd as fp32_flops_per_usd,
               best_16bit_flops / release_price_usd as fp16_flops_per_usd,
               fp32_flops / tdp_watts as fp32_flops_per_watt
        from tidy.hardware
        where release_date is not null
        order by release_date
        """,
    )


def per_dollar_chart(hardware: pl.DataFrame, fits: pl.DataFrame | None) -> tuple[alt.LayerChart, pl.DataFrame]:
    long = pl.concat(
        [
            hardware.filter(pl.col(column).is_not_null() & (pl.col(column) > 0)).select(
                "hardware_name",
                "manufacturer",
                "release_date",
                "release_price_usd",
                pl.lit(label).alias("precision"),
                pl.col(column).alias("flops_per_usd"),
            )
            for label, column in (
                ("FP32", "fp32_flops_per_usd"),
                ("16-bit (best of FP16/BF16 tensor)", "fp16_flops_per_usd"),
            )
        ]
    )
    data = chart_frame(long)
    values = data["flops_per_usd"]
    y = alt.Y(
        "flops_per_usd:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(
            title="FLOP/s per dollar of release price (log scale)",
            values=decades(values.min(), values.max()),
            labelExpr=POWER_OF_TEN_LABEL,
        ),
    )
    color = alt.Color(
        "precision:N",
        title="Precision",
        scale=alt.Scale(domain=list(PRECISIONS), range=PRECISION_COLORS),
        legend=alt.Legend(orient="top-left", fillColor="white", padding=6),
    )
    points = (
        alt.Chart(data)
        .mark_circle(size=40, opacity=0.7)
        .encode(
            x=alt.X("release_date:T", title="Release date"),
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("hardware_name:N", title="Hardware"),
                alt.Tooltip("manufacturer:N", title="Manufacturer"),
                alt.Tooltip("release_date:T", title="Released"),
                alt.Tooltip("precision:N", title="Precision"),
                alt.Tooltip("flops_per_usd:Q", title="FLOP/s per $", format=".3~e"),
                alt.Tooltip("release_price_usd:Q", title="Release price (USD)", format="$,.0f"),
            ],
        )
    )
    layers: list[alt.Chart] = [points]
    if fits is not None:
        rows = pl.concat(
            [
                full_fit(fits, metric, "all_hardware").with_columns(pl.lit(label).alias("precision"))
                for label, metric in PRECISIONS.items()
            ],
            how="diagonal_relaxed",
        )
        if rows.height:
            lines = fit_lines(rows, "precision")
            layers.append(
                alt.Chart(lines)
                .mark_line(strokeWidth=2.5, strokeDash=[6, 3])
                .encode(
                    x="date:T",
                    y=alt.Y("fitted:Q", scale=alt.Scale(type="log")),
                    color=alt.Color("precision:N", scale=alt.Scale(domain=list(PRECISIONS), range=PRECISION_COLORS)),
                    tooltip=[
                        alt.Tooltip("precision:N", title="Fit"),
                        alt.Tooltip("growth_per_year:Q", title="Growth per year", format=".2f"),
                        alt.Tooltip("growth_ci_low:Q", title="90% CI low", format=".2f"),
                        alt.Tooltip("growth_ci_high:Q", title="90% CI high", format=".2f"),
                        alt.Tooltip("n:Q", title="n"),
                    ],
                )
            )
    chart = alt.layer(*layers).properties(
        width=960,
        height=360,
        title=alt.Title(
            "Hardware price-performance: FLOP/s per dollar",
            subtitle="ML accelerators with a release price (Epoch AI); dashed: log-linear fits (trends.fits)",
        ),
    )
    return chart, long


def per_watt_chart(hardware: pl.DataFrame, fits: pl.DataFrame | None) -> tuple[alt.LayerChart, pl.DataFrame]:
    frame = hardware.filter(pl.col("fp32_flops_per_watt").is_not_null() & (pl.col("fp32_flops_per_watt") > 0)).select(
        "hardware_name", "manufacturer", "hardware_type", "release_date", "tdp_watts", "fp32_flops_per_watt"
    )
    data = chart_frame(frame)
    values = data["fp32_flops_per_watt"]
    points = (
        alt.Chart(data)
        .mark_circle(size=40, opacity=0.7, color="#54a24b")
        .encode(
            x=alt.X("release_date:T", title="Release date"),
            y=alt.Y(
                "fp32_flops_per_watt:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(
                    title="FP32 FLOP/s per watt of TDP (log scale)",
                    values=decades(values.min(), values.max()) if values.len() else None,
                    labelExpr=POWER_OF_TEN_LABEL,
                ),
            ),
            tooltip=[
                alt.Tooltip("hardware_name:N", title="Hardware"),
                alt.Tooltip("manufacturer:N", title="Manufacturer"),
                alt.Tooltip("release_date:T", title="Released"),
                alt.Tooltip("fp32_flops_per_watt:Q", title="FP32 FLOP/s per W", format=".3~e"),
                alt.Tooltip("tdp_watts:Q", title="TDP (W)", format=",.0f"),
            ],
        )
    )
    chart = with_dashed_fit(points, full_fit(fits, "hardware_fp32_flops_per_watt", "all_hardware")).properties(
        width=960,
        height=300,
        title=alt.Title("Energy efficiency: FP32 FLOP/s per watt", subtitle="Dashed: log-linear fit (trends.fits)"),
    )
    return chart, frame


def cost_per_flop_chart(
    con: duckdb.DuckDBPyConnection, fits: pl.DataFrame | None
) -> tuple[alt.LayerChart, pl.DataFrame]:
    frame = read(
        con,
        """
        select model_name, organization, publication_date, training_compute_flop, training_cost_usd_2023,
               cost_usd_per_flop, is_frontier_epoch
        from marts.models
        where in_notable_models and cost_usd_per_flop > 0 and publication_date is not null
        order by publication_date
        """,
    )
    frame = frame.with_columns(
        pl.when(pl.col("is_frontier_epoch"))
        .then(pl.lit("frontier (Epoch's flag)"))
        .otherwise(pl.lit("other notable"))
        .alias("set")
    ).drop("is_frontier_epoch")
    data = chart_frame(frame)
    values = data["cost_usd_per_flop"]
    points = (
        alt.Chart(data)
        .mark_circle(size=40, opacity=0.7)
        .encode(
            x=alt.X("publication_date:T", title="Publication date"),
            y=alt.Y(
                "cost_usd_per_flop:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(
                    title="Training cost per FLOP (2023 USD, log scale)",
                    values=decades(values.min(), values.max()) if values.len() else None,
                    labelExpr="'$' + " + POWER_OF_TEN_LABEL,
                ),
            ),
            color=alt.Color(
                "set:N",
                title=None,
                scale=alt.Scale(domain=["frontier (Epoch's flag)", "other notable"], range=["#e45756", "#9db4cc"]),
                legend=alt.Legend(orient="top-right", fillColor="white", padding=6),
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("publication_date:T", title="Published"),
                alt.Tooltip("cost_usd_per_flop:Q", title="USD per FLOP", format=".3~e"),
                alt.Tooltip("training_cost_usd_2023:Q", title="Training cost (2023 USD)", format="$,.3~s"),
                alt.Tooltip("training_compute_flop:Q", title="Training compute (FLOP)", format=".3~e"),
            ],
        )
    )
    chart = with_dashed_fit(points, full_fit(fits, "cost_per_flop", "notable")).properties(
        width=960,
        height=300,
        title=alt.Title(
            "Training cost per FLOP of notable models",
            subtitle="Epoch's training cost (2023 USD) ÷ training compute; dashed: log-linear fit (trends.fits)",
        ),
    )
    return chart, frame


def threshold_chart(points: pl.DataFrame) -> alt.FacetChart:
    """Least training compute that reached each score threshold by each date, one panel per benchmark."""
    data = chart_frame(
        points.with_columns((pl.col("threshold") * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit("%")).rename(
            {"threshold": "threshold_label"}
        )
        if points.schema["threshold"].is_numeric()
        else points.with_columns(pl.col("threshold").cast(pl.String).alias("threshold_label"))
    )
    name_column = "benchmark_name" if "benchmark_name" in data.columns else "benchmark"
    values = data["least_compute_flop"]
    line = (
        alt.Chart()
        .mark_line(interpolate="step-after", strokeWidth=2, point=alt.OverlayMarkDef(size=40))
        .encode(
            x=alt.X("date:T", title="Date", axis=alt.Axis(format="%Y", tickCount="year")),
            y=alt.Y(
                "least_compute_flop:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(
                    title="Least training compute (FLOP, log)",
                    values=decades(values.min(), values.max()),
                    labelExpr=POWER_OF_TEN_LABEL,
                ),
            ),
            color=alt.Color("threshold_label:N", title="Score threshold"),
            tooltip=[
                alt.Tooltip(f"{name_column}:N", title="Benchmark"),
                alt.Tooltip("threshold_label:N", title="Score at least"),
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("least_compute_flop:Q", title="Training compute (FLOP)", format=".3~e"),
            ],
        )
    )
    return (
        alt.layer(line, data=data)
        .properties(width=280, height=200)
        .facet(facet=alt.Facet(f"{name_column}:N", title=None), columns=3)
        .properties(
            title=alt.Title(
                "Compute needed to reach a fixed score, over time",
                subtitle="Each step down: a model reached the threshold with less training compute than any before",
            )
        )
    )


BASIS_LABELS = {
    "training_cost_per_flop": "training cost per FLOP",
    "hardware_fp32": "hardware FP32 FLOP/s per $",
    "hardware_fp16": "hardware 16-bit FLOP/s per $",
}


def decomposition_chart(full: pl.DataFrame) -> tuple[alt.LayerChart, pl.DataFrame]:
    rows = []
    for r in full.iter_rows(named=True):
        label = (
            f"{r['subset'].replace('_', ' ')} · {BASIS_LABELS.get(r['flop_per_usd_basis'], r['flop_per_usd_basis'])}"
        )
        for measure, stem in (
            ("training compute (fitted)", "compute_growth"),
            ("spending × FLOP per $", "implied_compute_growth"),
        ):
            rows.append(
                {
                    "row": label,
                    "measure": measure,
                    "growth_per_year": r[f"{stem}_per_year"],
                    "ci_low": r[f"{stem}_ci_low"],
                    "ci_high": r[f"{stem}_ci_high"],
                    "spending_growth_per_year": r["spending_growth_per_year"],
                    "flop_per_usd_growth_per_year": r["flop_per_usd_growth_per_year"],
                    "residual_factor_per_year": r["residual_factor_per_year"],
                }
            )
    data = pl.DataFrame(rows)
    colors = alt.Scale(domain=["training compute (fitted)", "spending × FLOP per $"], range=["#222", "#f58518"])
    y = alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=320))
    y_offset = alt.YOffset("measure:N", scale=alt.Scale(domain=colors.domain, paddingInner=0.4))
    x = alt.X(
        "ci_low:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(
            title="Growth per year (×, log scale)", values=[1, 1.5, 2, 3, 4, 5, 6, 8, 10], labelExpr="datum.value + '×'"
        ),
    )
    color = alt.Color("measure:N", scale=colors, title=None, legend=alt.Legend(orient="top", labelFontSize=12))
    bars = alt.Chart(data).mark_rule(strokeWidth=2).encode(x=x, x2="ci_high:Q", y=y, yOffset=y_offset, color=color)
    dots = (
        alt.Chart(data)
        .mark_circle(size=80, opacity=1)
        .encode(
            x=alt.X("growth_per_year:Q", scale=alt.Scale(type="log")),
            y=y,
            yOffset=y_offset,
            color=color,
            tooltip=[
                alt.Tooltip("row:N", title="Subset · FLOP-per-$ measure"),
                alt.Tooltip("measure:N", title="Growth of"),
                alt.Tooltip("growth_per_year:Q", title="Growth per year", format=".2f"),
                alt.Tooltip("ci_low:Q", title="90% CI low", format=".2f"),
                alt.Tooltip("ci_high:Q", title="90% CI high", format=".2f"),
                alt.Tooltip("spending_growth_per_year:Q", title="Spending growth", format=".2f"),
                alt.Tooltip("flop_per_usd_growth_per_year:Q", title="FLOP per $ growth", format=".2f"),
                alt.Tooltip("residual_factor_per_year:Q", title="Residual factor", format=".2f"),
            ],
        )
    )
    chart = alt.layer(bars, dots).properties(
        width=620,
        height=38 * data["row"].n_unique(),
        title=alt.Title(
            "Compute growth against spending growth × FLOP-per-dollar growth",
            subtitle="Full windows since 2010; dot: estimate, line: 90% CI",
        ),
    )
    return chart, data


DECOMPOSITION_HEADER = [
    "Subset",
    "Window",
    "FLOP per $ measure",
    "Compute growth/yr",
    "Spending growth/yr",
    "FLOP per $ growth/yr",
    "Spending × FLOP per $",
    "Residual factor (90% CI)",
    "Status",
]


def decomposition_rows(frame: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in frame.iter_rows(named=True):
        ok = r.get("status") == "ok"
        rows.append(
            [
                r["subset"],
                f"{r['window_kind']} {window_label(r['window_start'], r['window_end'])}",
                BASIS_LABELS.get(r["flop_per_usd_basis"], r["flop_per_usd_basis"]),
                factor(r.get("compute_growth_per_year")) if ok else "",
                factor(r.get("spending_growth_per_year")) if ok else "",
                factor(r.get("flop_per_usd_growth_per_year")) if ok else "",
                factor(r.get("implied_compute_growth_per_year")) if ok else "",
                f"{factor(r.get('residual_factor_per_year'))} "
                f"({ci(r.get('residual_factor_ci_low'), r.get('residual_factor_ci_high'), factor)})"
                if ok
                else "",
                r.get("status"),
            ]
        )
    return rows


THRESHOLD_HEADER = [
    "Benchmark",
    "Score at least",
    "Improving steps",
    "Halving time (months, 90% CI)",
    "Compute ÷ per year",
]


def one_decimal(value: float) -> str:
    return f"{value:.1f}"


def threshold_rows(frame: pl.DataFrame) -> list[list[object]]:
    return [
        [
            r.get("benchmark_name") or r["benchmark"],
            f"{r['threshold']:.0%}",
            r.get("n_improving_points"),
            f"{r['halving_time_months']:.1f} "
            f"({ci(r.get('halving_time_months_ci_low'), r.get('halving_time_months_ci_high'), one_decimal)})",
            f"{factor(r.get('reduction_per_year'))} "
            f"({ci(r.get('reduction_per_year_ci_low'), r.get('reduction_per_year_ci_high'), factor)})",
        ]
        for r in frame.iter_rows(named=True)
    ]


def build_efficiency(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    built_at = built_at or datetime.now(UTC)
    page = Page(
        name=NAME,
        title="Efficiency: hardware, cost per FLOP, and compute per score",
        intro=(
            "How much computation a dollar or a watt buys, how much a FLOP of training costs, and how the compute "
            "needed to reach a fixed benchmark score falls over time. Fits and intervals from trends.*."
        ),
    )
    fits = read(con, "select * from trends.fits") if has_table(con, "trends.fits") else None
    if fits is None:
        page.missing("trends.fits", "no fitted lines")
    hardware = hardware_points(con)

    page.heading("Hardware FLOP/s per dollar", ident="per-dollar")
    chart, data = per_dollar_chart(hardware, fits)
    page.chart(
        "hardware_flops_per_usd", chart, data, f"{data.height:,} (hardware, precision) pairs with a release price."
    )
    for label, metric in PRECISIONS.items():
        fit = full_fit(fits, metric, "all_hardware")
        if fit.height:
            row = fit.row(0, named=True)
            doubling = f", doubling every {row['doubling_months'] / 12:.1f} years" if row["status"] == "ok" else ""
            page.paragraph(f"{label} FLOP/s per dollar: {growth_text(row)}{doubling}.", css="meta")
        elif fits is not None:
            page.missing(f"trends.fits row {metric} / all_hardware")

    page.heading("Hardware FLOP/s per watt", ident="per-watt")
    chart, data = per_watt_chart(hardware, fits)
    page.chart("hardware_flops_per_watt", chart, data, f"{data.height:,} accelerators with FP32 throughput and TDP.")
    fit = full_fit(fits, "hardware_fp32_flops_per_watt", "all_hardware")
    if fit.height:
        page.paragraph(f"FP32 FLOP/s per watt: {growth_text(fit.row(0, named=True))}.", css="meta")

    page.heading("Training cost per FLOP", ident="cost-per-flop")
    chart, data = cost_per_flop_chart(con, fits)
    page.chart("cost_per_flop", chart, data, f"{data.height:,} notable models with both a cost and a compute estimate.")
    fit = full_fit(fits, "cost_per_flop", "notable")
    if fit.height:
        row = fit.row(0, named=True)
        if row["status"] == "ok" and row["growth_per_year"] < 1:
            page.paragraph(
                f"Cost per FLOP changed by {factor(row['growth_per_year'])} per year (90% CI "
                f"{factor(row['growth_ci_low'])}–{factor(row['growth_ci_high'])}, n = {row['n']:,}): it halves every "
                f"{abs(row['doubling_months']):.0f} months.",
                css="meta",
            )
        else:
            page.paragraph(f"Cost per FLOP: {growth_text(row)}.", css="meta")

    page.heading("Does compute growth = spending growth × FLOP-per-dollar growth?", ident="decomposition")
    if has_table(con, "trends.compute_decomposition"):
        decomposition = read(con, "select * from trends.compute_decomposition")
        page.paragraph(
            "If training compute grows only because more is spent and each dollar buys more FLOP, the growth "
            "factors multiply. The residual factor is what that product does not explain (longer training runs, "
            "better utilisation, or differences between the models behind each fit); 1× means fully explained."
        )
        fixed = decomposition.filter(pl.col("window_kind") != "rolling")
        full = fixed.filter((pl.col("window_kind") == "full") & (pl.col("status") == "ok"))
        if full.height:
            chart, data = decomposition_chart(full)
            page.chart(
                "compute_decomposition",
                chart,
                data,
                "For each subset and each measure of FLOP per dollar: the fitted growth of training compute "
                "(black) against spending growth × FLOP-per-dollar growth (orange), with 90% CIs.",
            )
        page.table(
            DECOMPOSITION_HEADER,
            decomposition_rows(fixed),
            ident="decomposition-table",
            numeric={3, 4, 5, 6, 7},
            collapsed=f"Show the {fixed.height} full-window and era rows",
        )
        page.download("compute_decomposition_all", decomposition, "Every row, rolling windows included")
    else:
        page.missing("trends.compute_decomposition")

    page.heading("Compute needed to reach a fixed score", ident="threshold")
    halving = (
        read(con, "select * from trends.compute_to_threshold order by benchmark, threshold")
        if has_table(con, "trends.compute_to_threshold")
        else None
    )
    if has_table(con, "trends.compute_to_threshold_points"):
        points = read(con, "select * from trends.compute_to_threshold_points order by benchmark, threshold, date")
        if "benchmark_name" not in points.columns:
            names = read(
                con, "select benchmark, any_value(benchmark_name) as benchmark_name from tidy.scores group by 1"
            )
            points = points.join(names, on="benchmark", how="left")
        if halving is not None and "status" in halving.columns:
            # only (benchmark, threshold) series with a halving-time fit: the rest are one or two steps
            fitted = halving.filter(pl.col("status") == "ok").select("benchmark", "threshold")
            points = points.join(fitted, on=["benchmark", "threshold"], how="semi")
        if points.height:
            page.chart(
                "compute_to_threshold",
                threshold_chart(points),
                points,
                "Algorithmic progress seen from the outside: the least training compute of any model that had "
                "reached the score by each date, for the (benchmark, threshold) series with enough improving "
                "steps to fit a halving time.",
            )
        else:
            page.paragraph("No (benchmark, threshold) series has enough improving steps for a fit yet.")
    else:
        page.missing("trends.compute_to_threshold_points")
    if halving is not None:
        ok = halving.filter(pl.col("status") == "ok")
        page.paragraph(
            f"{ok.height} of {halving.height} (benchmark, threshold) series have enough improving steps "
            "(at least 5) for a halving time; the rest are in the CSV with their status."
        )
        page.table(THRESHOLD_HEADER, threshold_rows(ok), ident="threshold-table", numeric={1, 2, 3, 4})
        page.download("compute_to_threshold_all", halving, "Every (benchmark, threshold) row")
    else:
        page.missing("trends.compute_to_threshold")
    return publish(page, reports_dir, built_at=built_at, snapshots=load_snapshots(con))
