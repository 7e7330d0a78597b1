"""Static exports of a page's charts (SVG, and PNG at 2x) by vl-convert, rendered only for specs that changed.

Each page folder keeps `EXPORT_HASHES`, the hash of every chart's spec (with the vl-convert version and export
settings) its PNG and SVG were rendered from. A chart whose hash matches the previous build's keeps that build's
files (hard-linked into the folder being written); only the others are rendered.

vl-convert 1.9 holds the GIL and a single converter for the whole of every call, so threads cannot render two
charts at once. The run's worker processes can (`pipelines.run.workers`), and the page's own Python work (its HTML and
CSVs) goes on while they do.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from concurrent.futures import Future
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import vl_convert as vlc

from pipelines.run.workers import running, submit

EXPORT_HASHES = ".export-hashes.json"
PNG_SCALE = 2
VL_CONVERT = f"vl-convert-python {version('vl-convert-python')}"
# What else decides the bytes of an export besides the spec: a new vl-convert or scale renders every chart again.
RENDERER = f"{VL_CONVERT}; svg; png scale {PNG_SCALE}"


def render(spec: dict[str, Any]) -> tuple[bytes, str]:
    """PNG and SVG of a Vega-Lite spec, with its parameters at their defaults. A dict, not JSON text: vl-convert
    parses text with a float parser that can miss the last digit, which moves marks by 1e-14 px in the SVG."""
    svg = vlc.vegalite_to_svg(spec)
    return vlc.svg_to_png(svg, scale=PNG_SCALE), svg


def javascript_bundle() -> str:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed (seconds to build)."""
    return vlc.javascript_bundle()


def warm_up() -> None:
    """What a process's first export pays once: vl-convert's bundle (kept by vl-convert for the process's life, which
    the first page's vendor bundle then costs nothing) and its first render."""
    javascript_bundle()
    render({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x", "type": "quantitative"}}})


def spec_hash(spec: dict[str, Any]) -> str:
    """What an export is rendered from: the spec (as JSON, in its own key order, floats exact) and the renderer."""
    return hashlib.sha256(f"{RENDERER}\n{json.dumps(spec)}".encode()).hexdigest()


@dataclass
class PageExports:
    """The exports of one page: charts rendered afresh (futures of PNG and SVG) and charts kept from `previous`."""

    folder: Path
    previous: Path
    hashes: dict[str, str]
    rendering: dict[str, Future] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    def files(self) -> dict[Path, str | bytes]:
        """The new files to write: each rendered chart's PNG and SVG, and the hashes of every chart (waits)."""
        files: dict[Path, str | bytes] = {}
        for name, future in self.rendering.items():
            png, svg = future.result()
            files[self.folder / f"{name}.png"] = png
            files[self.folder / f"{name}.svg"] = svg
        files[self.folder / EXPORT_HASHES] = json.dumps(self.hashes, indent=1, sort_keys=True) + "\n"
        return files

    def keep(self) -> None:
        """Put the kept charts' files from the previous build into the folder being written."""
        if self.previous == self.folder:
            return
        for name in self.kept:
            for suffix in (".png", ".svg"):
                link_atomic(self.previous / f"{name}{suffix}", self.folder / f"{name}{suffix}")


def start_exports(specs: dict[str, dict[str, Any]], folder: Path, previous: Path) -> PageExports:
    """Start rendering the charts whose spec differs from the one `previous` holds exports of."""
    hashes = {name: spec_hash(spec) for name, spec in specs.items()}
    exports = PageExports(folder, previous, hashes)
    known = previous_hashes(previous)
    todo = []
    for name, digest in hashes.items():
        on_disk = all((previous / f"{name}{suffix}").is_file() for suffix in (".png", ".svg"))
        (exports.kept if known.get(name) == digest and on_disk else todo).append(name)
    parallel = len(todo) > 1 or running()  # one chart is not worth starting the workers for
    exports.rendering = {name: submit(render, specs[name], parallel=parallel) for name in todo}
    return exports


def previous_hashes(folder: Path) -> dict[str, str]:
    """The spec hashes a page folder's exports were rendered from (none when unreadable: render them all)."""
    try:
        hashes = json.loads((folder / EXPORT_HASHES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return hashes if isinstance(hashes, dict) else {}


def link_atomic(source: Path, target: Path) -> None:
    """`target` becomes the same file as `source` (a hard link; a copy across file systems), in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copy2(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
