"""`reports/efficiency.html`: hardware FLOP/s per dollar and per watt, training cost per FLOP, the check that compute
growth ≈ spending growth × FLOP-per-dollar growth, and the least compute that reached a fixed benchmark score.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from pipelines.reports.builders import LEGEND, facet_panels, log_axis, log_scatter, step_records, tooltips, with_fit
from pipelines.reports.common import ci, factor, fit_rows, growth_text, window_label
from pipelines.reports.context import PageContext, compose
from pipelines.reports.page import Page
from pipelines.trends.efficiency import HARDWARE_BY_NAME
from pipelines.trends.status import Status, status_text

PRECISIONS = {  # the trends.fits metric of each precision, read from its marts.hardware column
    "FP32": HARDWARE_BY_NAME["hardware_fp32_flops_per_usd"],
    "16-bit (best of FP16/BF16 tensor)": HARDWARE_BY_NAME["hardware_fp16_flops_per_usd"],
}
PRECISION_SCALE = alt.Scale(domain=list(PRECISIONS), range=["#4c78a8", "#e45756"])
HARDWARE_TOOLTIP = [("hardware_name:N", "Hardware", None), ("manufacturer:N", "Manufacturer", None)]
HARDWARE_TOOLTIP.append(("release_date:T", "Released", None))
RELEASE_X = alt.X("release_date:T", title="Release date")
INTRO = (
    "How much computation a dollar or a watt buys, how much a FLOP of training costs, and how the compute "
    "needed to reach a fixed benchmark score falls over time. Fits and intervals from trends.*; bands: 90% CIs."
)


def hardware_points(ctx: PageContext) -> pl.DataFrame:
    return ctx.read(
        """
        select hardware_name, manufacturer, hardware_type, cast(release_date as varchar) as release_date,
               release_price_usd, tdp_watts, fp32_flops, best_16bit_flops,
               fp32_flops_per_usd, best_16bit_flops_per_usd, fp32_flops_per_watt
        from marts.hardware
        where release_date is not null
        order by release_date
        """
    )


def per_dollar_section(ctx: PageContext, page: Page) -> None:
    """FLOP/s per dollar of release price for both precisions, with the fitted trend of each."""
    page.heading("Hardware FLOP/s per dollar", ident="per-dollar")
    fits = ctx.optional(page, "trends.fits", "no fitted lines")
    hardware = hardware_points(ctx)
    data = pl.concat(
        hardware.filter(pl.col(metric.column) > 0).select(
            "hardware_name",
            "manufacturer",
            "release_date",
            "release_price_usd",
            pl.lit(label).alias("precision"),
            pl.col(metric.column).alias("flops_per_usd"),
        )
        for label, metric in PRECISIONS.items()
    )
    color = alt.Color("precision:N", title="Precision", scale=PRECISION_SCALE, legend=alt.Legend(**LEGEND))
    points = log_scatter(
        data,
        x=RELEASE_X,
        y="flops_per_usd",
        y_axis=log_axis(data["flops_per_usd"], "FLOP/s per dollar of release price (log scale)", step=1),
        tooltip=[
            *HARDWARE_TOOLTIP,
            ("precision:N", "Precision", None),
            ("flops_per_usd:Q", "FLOP/s per $", ".3~e"),
            ("release_price_usd:Q", "Release price (USD)", "$,.0f"),
        ],
        color=color,
        size=40,
        opacity=0.7,
    )
    rows = [
        fit_rows(fits, metric.name, "all_hardware", "full").with_columns(pl.lit(label).alias("precision"))
        for label, metric in PRECISIONS.items()
        if fit_rows(fits, metric.name, "all_hardware", "full").height
    ]
    lines = pl.concat(rows, how="diagonal_relaxed") if rows else pl.DataFrame()
    chart = with_fit(points, lines, label="precision", color=alt.Color("precision:N", scale=PRECISION_SCALE))
    title = alt.Title(
        "Hardware price-performance: FLOP/s per dollar",
        subtitle="ML accelerators with a release price "
        "(Epoch AI); dashed: log-linear fits (trends.fits), bands: 90% CIs",
    )
    page.chart(
        "hardware_flops_per_usd",
        chart.properties(width=960, height=360, title=title),
        data,
        f"{data.height:,} (hardware, precision) pairs with a release price.",
    )
    for label, metric in PRECISIONS.items():
        fit = fit_rows(fits, metric.name, "all_hardware", "full")
        if fit.height:
            row = fit.row(0, named=True)
            doubling = f", doubling every {row['doubling_months'] / 12:.1f} years" if row["status"] == Status.OK else ""
            page.paragraph(f"{label} FLOP/s per dollar: {growth_text(row)}{doubling}.", css="meta")
        elif fits is not None:
            page.missing(f"trends.fits row {metric.name} / all_hardware")


def per_watt_section(ctx: PageContext, page: Page) -> None:
    """FP32 FLOP/s per watt of TDP, with its fitted trend."""
    page.heading("Hardware FLOP/s per watt", ident="per-watt")
    data = hardware_points(ctx).filter(pl.col("fp32_flops_per_watt") > 0)
    data = data.select(
        "hardware_name", "manufacturer", "hardware_type", "release_date", "tdp_watts", "fp32_flops_per_watt"
    )
    points = log_scatter(
        data,
        x=RELEASE_X,
        y="fp32_flops_per_watt",
        y_axis=log_axis(data["fp32_flops_per_watt"], "FP32 FLOP/s per watt of TDP (log scale)", step=1),
        tooltip=[
            *HARDWARE_TOOLTIP,
            ("fp32_flops_per_watt:Q", "FP32 FLOP/s per W", ".3~e"),
            ("tdp_watts:Q", "TDP (W)", ",.0f"),
        ],
        color="#54a24b",
        size=40,
        opacity=0.7,
    )
    fit = fit_rows(ctx.table("trends.fits"), "hardware_fp32_flops_per_watt", "all_hardware", "full")
    title = alt.Title(
        "Energy efficiency: FP32 FLOP/s per watt", subtitle="Dashed: log-linear fit (trends.fits), band: 90% CI"
    )
    page.chart(
        "hardware_flops_per_watt",
        with_fit(points, fit).properties(width=960, height=300, title=title),
        data,
        f"{data.height:,} accelerators with FP32 throughput and TDP.",
    )
    if fit.height:
        page.paragraph(f"FP32 FLOP/s per watt: {growth_text(fit.row(0, named=True))}.", css="meta")


def cost_per_flop_section(ctx: PageContext, page: Page) -> None:
    """Training cost per FLOP of notable models, with its fitted trend and the halving time in words."""
    page.heading("Training cost per FLOP", ident="cost-per-flop")
    data = ctx.read(
        """
        select model_name, organization, cast(publication_date as varchar) as publication_date, training_compute_flop,
               training_cost_usd_2023, cost_usd_per_flop,
               case when is_frontier_epoch then 'frontier (Epoch''s flag)' else 'other notable' end as set
        from marts.models
        where in_notable_models and cost_usd_per_flop > 0 and publication_date is not null
        order by publication_date
        """
    )
    sets = alt.Scale(domain=["frontier (Epoch's flag)", "other notable"], range=["#e45756", "#9db4cc"])
    points = log_scatter(
        data,
        x=alt.X("publication_date:T", title="Publication date"),
        y="cost_usd_per_flop",
        y_axis=log_axis(data["cost_usd_per_flop"], "Training cost per FLOP (2023 USD, log scale)", "usd_power", 1),
        tooltip=[
            ("model_name:N", "Model", None),
            ("organization:N", "Organization", None),
            ("publication_date:T", "Published", None),
            ("cost_usd_per_flop:Q", "USD per FLOP", ".3~e"),
            ("training_cost_usd_2023:Q", "Training cost (2023 USD)", "$,.3~s"),
            ("training_compute_flop:Q", "Training compute (FLOP)", ".3~e"),
        ],
        color=alt.Color("set:N", title=None, scale=sets, legend=alt.Legend(**LEGEND | {"orient": "top-right"})),
        size=40,
        opacity=0.7,
    )
    fit = fit_rows(ctx.table("trends.fits"), "cost_per_flop", "notable", "full")
    title = alt.Title(
        "Training cost per FLOP of notable models",
        subtitle="Epoch's training cost (2023 USD) ÷ "
        "training compute; dashed: log-linear fit (trends.fits), band: 90% CI",
    )
    page.chart(
        "cost_per_flop",
        with_fit(points, fit).properties(width=960, height=300, title=title),
        data,
        f"{data.height:,} notable models with both a cost and a compute estimate.",
    )
    if fit.height:
        row = fit.row(0, named=True)
        if row["status"] == Status.OK and row["growth_per_year"] < 1:
            page.paragraph(
                f"Cost per FLOP changed by {factor(row['growth_per_year'])} per year (90% CI "
                f"{factor(row['growth_ci_low'])}–{factor(row['growth_ci_high'])}, n = {row['n']:,}): it halves every "
                f"{abs(row['doubling_months']):.0f} months.",
                css="meta",
            )
        else:
            page.paragraph(f"Cost per FLOP: {growth_text(row)}.", css="meta")


BASIS_LABELS = {
    "training_cost_per_flop": "training cost per FLOP",
    "hardware_fp32": "hardware FP32 FLOP/s per $",
    "hardware_fp16": "hardware 16-bit FLOP/s per $",
}
MEASURES = alt.Scale(domain=["training compute (fitted)", "spending × FLOP per $"], range=["#222", "#f58518"])


def decomposition_frame(full: pl.DataFrame) -> pl.DataFrame:
    """Two rows per (subset, FLOP-per-$ measure): fitted compute growth, and spending × FLOP-per-$ growth."""
    label = pl.col("subset").str.replace_all("_", " ") + " · " + pl.col("flop_per_usd_basis").replace(BASIS_LABELS)
    extra = ["spending_growth_per_year", "flop_per_usd_growth_per_year", "residual_factor_per_year"]
    return pl.concat(
        full.select(
            label.alias("row"),
            pl.lit(measure).alias("measure"),
            pl.col(f"{stem}_per_year").alias("growth_per_year"),
            pl.col(f"{stem}_ci_low").alias("ci_low"),
            pl.col(f"{stem}_ci_high").alias("ci_high"),
            *extra,
        )
        for measure, stem in zip(MEASURES.domain, ("compute_growth", "implied_compute_growth"), strict=True)
    )


def decomposition_chart(data: pl.DataFrame) -> alt.LayerChart:
    """Dot (estimate) and rule (90% CI) per measure, the two measures of a row side by side."""
    y = alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=320))
    y_offset = alt.YOffset("measure:N", scale=alt.Scale(domain=MEASURES.domain, paddingInner=0.4))
    growth_axis = alt.Axis(
        title="Growth per year (×, log scale)", values=[1, 1.5, 2, 3, 4, 5, 6, 8, 10], labelExpr="datum.value + '×'"
    )
    color = alt.Color("measure:N", scale=MEASURES, title=None, legend=alt.Legend(orient="top", labelFontSize=12))
    bars = (
        alt.Chart(data)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("ci_low:Q", scale=alt.Scale(type="log"), axis=growth_axis),
            x2="ci_high:Q",
            y=y,
            yOffset=y_offset,
            color=color,
        )
    )
    tips = [
        ("row:N", "Subset · FLOP-per-$ measure", None),
        ("measure:N", "Growth of", None),
        ("growth_per_year:Q", "Growth per year", ".2f"),
        ("ci_low:Q", "90% CI low", ".2f"),
        ("ci_high:Q", "90% CI high", ".2f"),
        ("spending_growth_per_year:Q", "Spending growth", ".2f"),
        ("flop_per_usd_growth_per_year:Q", "FLOP per $ growth", ".2f"),
        ("residual_factor_per_year:Q", "Residual factor", ".2f"),
    ]
    dots = (
        alt.Chart(data)
        .mark_circle(size=80, opacity=1)
        .encode(
            x=alt.X("growth_per_year:Q", scale=alt.Scale(type="log")),
            y=y,
            yOffset=y_offset,
            color=color,
            tooltip=tooltips(*tips),
        )
    )
    title = alt.Title(
        "Compute growth against spending growth × FLOP-per-dollar growth",
        subtitle="Full windows since 2010; dot: estimate, line: 90% CI",
    )
    return alt.layer(bars, dots).properties(width=620, height=38 * data["row"].n_unique(), title=title)


DECOMPOSITION_HEADER = ["Subset", "Window", "FLOP per $ measure", "Compute growth/yr", "Spending growth/yr"]
DECOMPOSITION_HEADER += ["FLOP per $ growth/yr", "Spending × FLOP per $", "Residual factor (90% CI)", "Status"]


def decomposition_rows(frame: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in frame.iter_rows(named=True):
        ok = r.get("status") == Status.OK
        stems = ("compute_growth", "spending_growth", "flop_per_usd_growth", "implied_compute_growth")
        growths = [factor(r.get(f"{stem}_per_year")) if ok else "" for stem in stems]
        residual = ci(r.get("residual_factor_ci_low"), r.get("residual_factor_ci_high"), factor)
        rows.append(
            [
                r["subset"],
                f"{r['window_kind']} {window_label(r['window_start'], r['window_end'])}",
                BASIS_LABELS.get(r["flop_per_usd_basis"], r["flop_per_usd_basis"]),
                *growths,
                f"{factor(r.get('residual_factor_per_year'))} ({residual})" if ok else "",
                status_text(r.get("status"), r.get("status_reason")),
            ]
        )
    return rows


def decomposition_section(ctx: PageContext, page: Page) -> None:
    explain = (
        "If training compute grows only because more is spent and each dollar buys more FLOP, the growth "
        "factors multiply. The residual factor is what that product does not explain (longer training runs, "
        "better utilisation, or differences between the models behind each fit); 1× means fully explained."
    )
    title = "Does compute growth = spending growth × FLOP-per-dollar growth?"
    decomposition = ctx.section(page, title, "trends.compute_decomposition", ident="decomposition", explain=explain)
    if decomposition is None:
        return
    fixed = decomposition.filter(pl.col("window_kind") != "rolling")
    full = fixed.filter((pl.col("window_kind") == "full") & (pl.col("status") == Status.OK))
    if full.height:
        data = decomposition_frame(full)
        page.chart(
            "compute_decomposition",
            decomposition_chart(data),
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


def threshold_chart(points: pl.DataFrame) -> alt.FacetChart:
    """Least training compute that reached each score threshold by each date, one panel per benchmark."""
    line = step_records(
        alt.Chart(),
        x=alt.X("date:T", title="Date", axis=alt.Axis(format="%Y", tickCount="year")),
        y=alt.Y(
            "least_compute_flop:Q",
            scale=alt.Scale(type="log"),
            axis=log_axis(points["least_compute_flop"], "Least training compute (FLOP, log)", step=1),
        ),
        tooltip=[
            ("benchmark_name:N", "Benchmark", None),
            ("threshold_label:N", "Score at least", None),
            ("date:T", "Date", None),
            ("model_name:N", "Model", None),
            ("least_compute_flop:Q", "Training compute (FLOP)", ".3~e"),
        ],
        point=alt.OverlayMarkDef(size=40),
    ).encode(color=alt.Color("threshold_label:N", title="Score threshold"))
    title = alt.Title(
        "Compute needed to reach a fixed score, over time",
        subtitle="Each step down: a model reached the threshold with less training compute than any before",
    )
    return facet_panels(
        alt.layer(line, data=points),
        "benchmark_name",
        points["benchmark_name"].drop_nulls().unique().sort().to_list(),
        columns=3,
        size=(280, 200),
        title=title,
    )


THRESHOLD_HEADER = ["Benchmark", "Score at least", "Improving steps", "Halving time (months, 90% CI)"]
THRESHOLD_HEADER.append("Compute ÷ per year")


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


def threshold_section(ctx: PageContext, page: Page) -> None:
    """The least compute that reached each score, for the series with a halving-time fit, and their fits."""
    page.heading("Compute needed to reach a fixed score", ident="threshold")
    halving = ctx.table("trends.compute_to_threshold", "benchmark, threshold")
    points = ctx.optional(page, "trends.compute_to_threshold_points", order_by="benchmark, threshold, date")
    if points is not None:
        points = ctx.benchmark_names(points).with_columns(
            ((pl.col("threshold") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%").alias("threshold_label"),
            pl.col("date").cast(pl.String),
        )
        if halving is not None:  # series without a halving-time fit are one or two steps: left out
            fitted = halving.filter(pl.col("status") == Status.OK).select("benchmark", "threshold")
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
    if ctx.optional(page, "trends.compute_to_threshold") is None:
        return
    ok = halving.filter(pl.col("status") == Status.OK)
    page.paragraph(
        f"{ok.height} of {halving.height} (benchmark, threshold) series have enough improving steps "
        "(at least 5) for a halving time; the rest are in the CSV with their status."
    )
    page.table(THRESHOLD_HEADER, threshold_rows(ok), ident="threshold-table", numeric={1, 2, 3, 4})
    page.download("compute_to_threshold_all", halving, "Every (benchmark, threshold) row")


SECTIONS = [per_dollar_section, per_watt_section, cost_per_flop_section, decomposition_section, threshold_section]


def build(ctx: PageContext, title: str) -> Page:
    """The efficiency page: hardware per dollar and per watt, cost per FLOP, the decomposition, compute per score."""
    return compose(ctx, title, INTRO, SECTIONS)
