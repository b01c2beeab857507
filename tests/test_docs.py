"""The README stays short and its pictures are there; every page's links resolve (mkdocs build --strict checks the
site in .ci/run; this checks what the repository page shows, where mkdocs is not installed)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")


def links(page: Path) -> list[str]:
    # a link may wrap inside its text, never inside its target
    return [t for t in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:|#", t)]


def test_the_readme_reads_in_five_minutes():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 150
    assert [n for n, line in enumerate(lines, 1) if len(line) > 120] == []
    assert "```bash" in lines[:20] and ".venv/bin/python -m pytest -q" in lines[:30]  # the two commands first


def test_every_local_link_and_picture_exists():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = [f"{page.name}: {target}" for page in pages for target in links(page)
               if not (page.parent / target.split("#")[0]).exists()]
    assert missing == []
    pictures = list((ROOT / "docs" / "pictures").glob("*.jpg"))
    assert len(pictures) >= 3 and sum(p.stat().st_size for p in pictures) <= 2 * 1024 * 1024
