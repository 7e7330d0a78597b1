"""The source table: every dataset the warehouse pulls, with its URL, format, licence and required columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EPOCH_MODELS_CITATION = (
    "Epoch AI, 'Data on AI Models'. Published online at epoch.ai. Retrieved from https://epoch.ai/data/ai-models"
)
EPOCH_HARDWARE_CITATION = (
    "Epoch AI, 'Data on Machine Learning Hardware'. Published online at epoch.ai. "
    "Retrieved from https://epoch.ai/data/machine-learning-hardware"
)
EPOCH_BENCHMARKS_CITATION = "Epoch AI, 'AI Benchmarking Hub'. Retrieved from https://epoch.ai/benchmarks"
OWID_CITATION = "Epoch AI – with major processing by Our World in Data"
PRICE_STUDY_CITATION = (
    "Epoch AI, 'LLM inference prices have fallen rapidly but unequally across tasks'. Published online at epoch.ai, "
    "March 2025. Data from https://github.com/epoch-research/llm-benchmark-efficiency"
)
CC_BY_4 = "CC BY 4.0"

MODEL_COLUMNS = ("Model", "Publication date", "Training compute (FLOP)", "Parameters", "Domain", "Organization")
MODEL_CRITICAL = (
    ("Model", "text"),
    ("Publication date", "date"),
    ("Training compute (FLOP)", "number"),
    ("Parameters", "number"),
)
OWID_CRITICAL = (("Entity", "text"), ("Training computation (petaFLOP)", "number"))
OWID_GRAPHER = "https://ourworldindata.org/grapher/"
# Epoch's inference-price study is a frozen repository: the commit is pinned in the URL, the sha256 still versions it
PRICE_STUDY_DATA = (
    "https://raw.githubusercontent.com/epoch-research/llm-benchmark-efficiency/"
    "34b923314338360d1b1bbed6ec30d9299e54fdae/data/"
)
PRICE_COLUMNS = ("Model Name", "Release Date", "USD per 1M Tokens")
PRICE_CRITICAL = (("Model Name", "text"), ("Release Date", "date"), ("USD per 1M Tokens", "number"))

MiB = 1 << 20
# The most a file may weigh before it is rejected unread (see `pipelines.raw.fetch`): well above the real files (the
# largest, notable_ai_models.csv, is 2.2 MB; benchmark_data.zip is 0.3 MB and unpacks to 1.2 MB), far below what
# would take the refresh's memory or keep dbt busy for long. A source that outgrows them raises its own.
DEFAULT_MAX_BYTES = 32 * MiB
DEFAULT_MAX_UNPACKED_BYTES = 32 * MiB


@dataclass(frozen=True)
class Source:
    """One published file. `required_columns` are canonical names (see `pipelines.raw.aliases`)."""

    name: str
    url: str
    format: Literal["csv", "zip"]
    publisher: str
    citation: str
    licence: str = CC_BY_4
    required_columns: tuple[str, ...] = ()
    # zip sources: members that must be present, and the columns each benchmark member must carry
    required_members: tuple[str, ...] = ()
    optional: bool = False
    # canonical columns that identify a row: a guard fails the pull when two rows share them
    key_columns: tuple[str, ...] = ()
    metadata_url: str | None = None
    # canonical columns whose values must parse, with their kind (date, number, text): a new file whose share of
    # unparseable values rises in one of them is rejected before it replaces the raw table
    critical_columns: tuple[tuple[str, str], ...] = ()
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    # the most bytes accepted: the file as downloaded, and for a zip its members unpacked, together. Past either
    # the file is rejected like one that fails a guard; both are counted as the bytes arrive, not taken on trust
    max_bytes: int = DEFAULT_MAX_BYTES
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES

    @property
    def extension(self) -> str:
        return self.format


def _owid(slug: str, name: str, required: tuple[str, ...], description: str, keys: tuple[str, ...]) -> Source:
    critical = tuple(c for c in OWID_CRITICAL if c[0] in required)
    return Source(
        name=name,
        url=f"{OWID_GRAPHER}{slug}.csv?v=1&csvType=full",
        format="csv",
        publisher="Our World in Data",
        citation=OWID_CITATION,
        required_columns=required,
        key_columns=keys,
        critical_columns=critical,
        metadata_url=f"{OWID_GRAPHER}{slug}.metadata.json?v=1&csvType=full",
        description=description,
    )


def _epoch_models(file: str, name: str, required: tuple[str, ...], description: str, **extra: Any) -> Source:
    """One of Epoch AI's model files: the same citation, key and critical columns, their own required columns."""
    return Source(
        name=name,
        url=f"https://epoch.ai/data/{file}",
        format="csv",
        publisher="Epoch AI",
        citation=EPOCH_MODELS_CITATION,
        required_columns=required,
        key_columns=("Model",),
        critical_columns=MODEL_CRITICAL,
        description=description,
        **extra,
    )


def _price_study(
    file: str,
    name: str,
    required: tuple[str, ...],
    critical: tuple[tuple[str, str], ...],
    description: str,
    keys: tuple[str, ...],
) -> Source:
    """A CSV of Epoch's inference-price study: a few kB each, so 1 MiB is far past any plausible revision."""
    return Source(
        name=name,
        url=f"{PRICE_STUDY_DATA}{file}",
        format="csv",
        publisher="Epoch AI",
        citation=PRICE_STUDY_CITATION,
        required_columns=required,
        key_columns=keys,
        critical_columns=critical,
        description=description,
        max_bytes=MiB,
    )


SOURCES: tuple[Source, ...] = (
    _epoch_models(
        "notable_ai_models.csv",
        "notable_models",
        (*MODEL_COLUMNS, "Frontier model", "Training compute cost (2023 USD)"),
        "Epoch AI's notable AI models: compute, parameters, data, cost.",
    ),
    _epoch_models(
        "large_scale_ai_models.csv",
        "large_scale_models",
        MODEL_COLUMNS,
        "Epoch AI's large-scale AI models (over 1e23 FLOP).",
    ),
    _epoch_models(
        "frontier_ai_models.csv",
        "frontier_models",
        (*MODEL_COLUMNS, "Training compute cost (2023 USD)"),
        "Epoch AI's frontier AI models.",
    ),
    _epoch_models(
        "all_ai_models.csv",
        "all_models",
        MODEL_COLUMNS,
        "Epoch AI's full AI models database (optional: not always reachable).",
        optional=True,
        max_bytes=64 * MiB,  # every model Epoch tracks: several times the notable file
    ),
    Source(
        name="ml_hardware",
        url="https://epoch.ai/data/ml_hardware.csv",
        format="csv",
        publisher="Epoch AI",
        citation=EPOCH_HARDWARE_CITATION,
        required_columns=(
            "Hardware name",
            "Release date",
            "Release price (USD)",
            "FP32 (single precision) performance (FLOP/s)",
            "TDP (W)",
        ),
        key_columns=("Hardware name",),
        critical_columns=(
            ("Hardware name", "text"),
            ("Release date", "date"),
            ("FP32 (single precision) performance (FLOP/s)", "number"),
        ),
        description="Epoch AI's machine learning hardware: FLOP/s by precision, price, power.",
    ),
    Source(
        name="benchmark_data",
        url="https://epoch.ai/data/benchmark_data.zip",
        format="zip",
        publisher="Epoch AI",
        citation=EPOCH_BENCHMARKS_CITATION,
        required_columns=("Model version",),
        required_members=("epoch_capabilities_index.csv",),
        critical_columns=(("Model version", "text"), ("Release date", "date")),
        description="Epoch AI Benchmarking Hub: one CSV per benchmark, keyed by model version.",
        max_bytes=8 * MiB,  # 0.3 MB zipped; a zip past this would unpack to far more than its real 1.2 MB
    ),
    _owid(
        "artificial-intelligence-training-computation",
        "owid_training_computation",
        ("Entity", "Day", "Training computation (petaFLOP)"),
        "OWID: training computation of notable AI systems, by domain.",
        ("Entity", "Day", "Domain"),
    ),
    _owid(
        "exponential-growth-of-computation-in-the-training-of-notable-ai-systems",
        "owid_compute_growth",
        ("Entity", "Day", "Training computation (petaFLOP)"),
        "OWID: exponential growth of training computation, with OWID's trend lines.",
        ("Entity", "Day"),
    ),
    _owid(
        "ai-performance-knowledge-tests-vs-training-computation",
        "owid_mmlu_vs_compute",
        ("Entity", "Year", "MMLU avg", "Training computation (petaFLOP)"),
        "OWID: MMLU average vs training computation.",
        ("Entity", "Year"),
    ),
    _owid(
        "cumulative-number-of-large-scale-ai-models-by-domain",
        "owid_large_scale_by_domain",
        ("Entity", "Year"),
        "OWID: cumulative number of large-scale AI models by domain.",
        ("Entity", "Year"),
    ),
    # a model is priced more than once (GPT-3 175B at four dates), so the key is the name and the date
    _price_study(
        "aa_data_with_math5.csv",
        "inference_prices_aa",
        PRICE_COLUMNS,
        PRICE_CRITICAL,
        "Epoch AI's inference-price study: Artificial Analysis' blended USD per 1M tokens and benchmark scores.",
        ("Model Name", "Release Date"),
    ),
    _price_study(
        "epoch_ai_price_data_not_in_aa_with_benchmarks.csv",
        "inference_prices_epoch",
        PRICE_COLUMNS,
        PRICE_CRITICAL,
        "Epoch AI's inference-price study: Epoch's own price records for models Artificial Analysis lacks.",
        ("Model Name", "Release Date"),
    ),
    _price_study(
        "epoch_ai_eval_data.csv",
        "eval_tokens",
        ("Model", "Task", "epochs", "total_samples", "input_tokens", "output_tokens", "total_tokens"),
        (("Model", "text"), ("Task", "text"), ("output_tokens", "number"), ("total_tokens", "number")),
        "Epoch AI's inference-price study: tokens its evaluation runs used per model version and task.",
        ("Model", "Task"),
    ),
)

SOURCES_BY_NAME: dict[str, Source] = {s.name: s for s in SOURCES}
if len(SOURCES_BY_NAME) != len(SOURCES):
    raise ValueError("two sources share a name")


def source(name: str) -> Source:
    """The source called `name`, or a KeyError listing the known ones."""
    try:
        return SOURCES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {sorted(SOURCES_BY_NAME)}") from None
