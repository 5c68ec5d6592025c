"""Write the README's lesson list from optviz/plot/lessons.toml (tests/plot/test_lessons.py checks it is up to date).

    python scripts/readme_lessons.py          # rewrites the list between the README's lesson markers
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optviz.plot.lessons import README_BEGIN, README_END, load_lessons, readme_list  # noqa: E402


def updated(text: str) -> str:
    """The README text with its lesson list replaced by the one the lesson file gives."""
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_BEGIN}\n{readme_list(load_lessons())}{README_END}{tail}"


if __name__ == "__main__":
    readme = ROOT / "README.md"
    readme.write_text(updated(readme.read_text(encoding="utf-8")), encoding="utf-8")
