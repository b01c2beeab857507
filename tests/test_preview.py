"""vidstyle preview: a contact sheet of looks, a row per shot (its middle frame), a column per look."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from conftest import media, run_cli
from test_batch import write_presets
from vidstyle.media.synthetic import join_shots, read_frames


def test_a_sheet_has_a_row_per_shot_and_a_column_per_look(tmp_path, style_png):
    clip = tmp_path / "three.mp4"
    size = (96, 64)
    join_shots(clip, [read_frames(media("video/mdn_flower.mp4"), 14, size),
                      read_frames(media("video/adain_cutBunny.mp4"), 10, size, skip=40),
                      read_frames(media("video/mdn_flower.mp4"), 12, size, skip=60)],
               tags={"timecode": "01:00:00:00"})
    presets = write_presets(tmp_path / "presets", style_png)
    out = tmp_path / "sheet.png"
    proc = run_cli("preview", clip, "--preset", "tiny-adain", "--style-id", "3", "--presets-dir", presets,
                   "--size", "96", "-o", out)
    assert proc.returncode == 0, proc.stderr
    sheet = np.asarray(Image.open(out))
    label, pad = 24, 4
    assert sheet.shape[:2] == (label + 3 * (64 + label + pad), 3 * (96 + pad))  # 3 shots; source and 2 looks
    page = out.with_suffix(".html").read_text()
    assert page.count("<tr>") == 4 and page.count("data:image/png;base64,") == 9
    assert "tiny-adain" in page and "fast style 3" in page
    assert re.findall(r"shot (\d)  (\S+)", page) == [("1", "01:00:00:00"), ("2", "01:00:00:14"),
                                                   ("3", "01:00:01:00")]
    # each look's column differs from the source's, and the looks from each other
    top = label + label  # the first row's pictures
    cells = [sheet[top:top + 64, c * 100:c * 100 + 96].astype(int) for c in range(3)]
    assert all(np.abs(cells[a] - cells[b]).mean() > 10 for a, b in ((0, 1), (0, 2), (1, 2)))


def test_preview_without_looks_is_one_line(tmp_path, clip):
    proc = run_cli("preview", clip, "-o", tmp_path / "s.png")
    assert proc.returncode == 2 and "give looks to compare" in proc.stderr
    assert not (tmp_path / "s.png").exists()
