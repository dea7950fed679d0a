"""Draw the model-zoo pictures: fit every spec in ``models/`` with quick settings and save its first figure as
``docs/images/zoo/NAME.png`` (the docs build shows it next to the spec). Existing pictures are kept unless
``--force``; pass spec names to redo only those. Run: ``.venv/bin/python docs/zoo_pictures.py``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import bayesgeo
from bayesgeo.io import save_figure
from bayesgeo.plots import use_style
from bayesgeo.spec import get_case, load_spec

ROOT = Path(__file__).resolve().parents[1]


def picture(spec: Path, out: Path) -> None:
    """Fit ``spec`` quickly and save its first figure to ``out``."""
    tree = bayesgeo.fit_spec(spec, **{"inference.quick": True})
    first = next(iter(get_case(load_spec(spec).case).figures(tree).values()))
    save_figure(first(), out, dpi=60)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", help="spec names (default: all)")
    p.add_argument("--force", action="store_true", help="redraw existing pictures")
    args = p.parse_args()
    use_style()
    for spec in sorted((ROOT / "models").glob("*.toml")):
        out = ROOT / "docs" / "images" / "zoo" / f"{spec.stem}.png"
        wanted = spec.stem in args.names if args.names else args.force or not out.is_file()
        if not wanted:
            continue
        start = time.perf_counter()
        picture(spec, out)
        print(f"{spec.stem}: {time.perf_counter() - start:.0f} s -> {out.relative_to(ROOT)}", flush=True)


if __name__ == "__main__":
    main()
