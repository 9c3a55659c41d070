#!/usr/bin/env python3
"""Copy front-end assets from node_modules/ into static/ (served at /assets).

Sources (installed by `npm ci` from package-lock.json):

* node_modules/govuk-frontend/dist/govuk/assets/*   -> static/  (fonts/, images/,
  manifest.json, rebrand/ when a release ships it)
* node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.{css,js}[.map] -> static/
* node_modules/htmx.org/dist/htmx.min.js              -> static/htmx.min.js

Everything this script writes is listed in the top-level .gitignore; the rest of
static/ (engage.css, engage.js, ...) belongs to the application.

Idempotent: a file is only rewritten when its content differs, and files that a
previous run vendored into a vendored directory but that upstream no longer ships
are removed. Standard library only, so it runs with any python3 (no venv needed).

    python3 scripts/vendor_assets.py            # vendor
    python3 scripts/vendor_assets.py --check    # exit 1 if static/ is out of date
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
STATIC = ROOT / "static"

GOVUK_DIST = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
HTMX_DIST = NODE_MODULES / "htmx.org" / "dist"

# (source, destination relative to static/, required?)
SINGLE_FILES: list[tuple[Path, str, bool]] = [
    (GOVUK_DIST / "govuk-frontend.min.css", "govuk-frontend.min.css", True),
    (GOVUK_DIST / "govuk-frontend.min.css.map", "govuk-frontend.min.css.map", False),
    (GOVUK_DIST / "govuk-frontend.min.js", "govuk-frontend.min.js", True),
    (GOVUK_DIST / "govuk-frontend.min.js.map", "govuk-frontend.min.js.map", False),
    (HTMX_DIST / "htmx.min.js", "htmx.min.js", True),
]
GOVUK_ASSETS = GOVUK_DIST / "assets"

# Names under static/ that the vendoring may create; each is in .gitignore.
# A new govuk-frontend release that adds a top-level asset not listed here makes
# the script fail loudly, so that .gitignore is updated along with it.
KNOWN_ASSET_NAMES = {"fonts", "images", "manifest.json", "rebrand"}


class Stats:
    def __init__(self) -> None:
        self.copied: list[str] = []
        self.removed: list[str] = []
        self.unchanged = 0


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def sync_file(src: Path, dst: Path, stats: Stats, check: bool) -> None:
    if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
        stats.unchanged += 1
        return
    stats.copied.append(_rel(dst))
    if check:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    tmp = dst.with_name(dst.name + ".vendor-tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def sync_tree(src: Path, dst: Path, stats: Stats, check: bool) -> None:
    """Make dst an exact copy of src (dst is wholly vendored)."""
    if dst.exists() and not dst.is_dir():
        stats.removed.append(_rel(dst))
        if not check:
            dst.unlink()
    wanted = {p.relative_to(src) for p in src.rglob("*")}
    for rel in sorted(wanted):
        s = src / rel
        if s.is_file():
            sync_file(s, dst / rel, stats, check)
    if dst.is_dir():
        # Remove files left over from an older release, deepest first.
        for p in sorted(dst.rglob("*"), key=lambda q: len(q.parts), reverse=True):
            if p.relative_to(dst) in wanted:
                continue
            stats.removed.append(_rel(p))
            if check:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report what would change; exit 1 if anything would"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only a summary line")
    args = parser.parse_args(argv)

    missing = [_rel(src) for src, _, required in SINGLE_FILES if required and not src.is_file()]
    if not GOVUK_ASSETS.is_dir():
        missing.append(_rel(GOVUK_ASSETS))
    if missing:
        print(
            "vendor_assets: missing from node_modules (run `npm ci` first):\n  "
            + "\n  ".join(missing),
            file=sys.stderr,
        )
        return 2

    unknown = sorted(p.name for p in GOVUK_ASSETS.iterdir() if p.name not in KNOWN_ASSET_NAMES)
    if unknown:
        print(
            "vendor_assets: govuk-frontend ships assets this script does not know: "
            + ", ".join(unknown)
            + "\n  add them to KNOWN_ASSET_NAMES in scripts/vendor_assets.py and to .gitignore",
            file=sys.stderr,
        )
        return 2

    stats = Stats()
    if not args.check:
        STATIC.mkdir(exist_ok=True)
    for entry in sorted(GOVUK_ASSETS.iterdir()):
        if entry.is_dir():
            sync_tree(entry, STATIC / entry.name, stats, args.check)
        else:
            sync_file(entry, STATIC / entry.name, stats, args.check)
    for src, dest, _required in SINGLE_FILES:
        if src.is_file():
            sync_file(src, STATIC / dest, stats, args.check)

    verb = "would update" if args.check else "updated"
    if not args.quiet:
        for path in stats.copied:
            print(f"  {verb}: {path}")
        for path in stats.removed:
            print(f"  {'would remove' if args.check else 'removed'}: {path}")
    print(
        f"vendor_assets: {len(stats.copied)} {verb}, {len(stats.removed)} "
        f"{'to remove' if args.check else 'removed'}, {stats.unchanged} unchanged"
    )
    if args.check and (stats.copied or stats.removed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
