"""`vidstyle train`: a tiny network trains a few steps on a clip and a photo, saves, resumes, reloads, stylizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import run_cli
from vidstyle.backends.fast.options import FastOptions
from vidstyle.backends.fast.stylizer import FastStylizer
from vidstyle.core.errors import UserError
from vidstyle.core.options import CommonOptions
from vidstyle.jobs.train import TrainOptions, Trainer, train
from vidstyle.media.synthetic import scene, write_clip
from vidstyle.nets.multistyle import load_model
from vidstyle.backends.base import stylize_image


@pytest.fixture
def data(tmp_path, style_png):
    folder = tmp_path / "data"
    folder.mkdir()
    write_clip(folder / "clip.mp4", 80, 64, frames=6, fps=6, audio=False)
    Image.fromarray(scene(90, 70, 0.5)).save(folder / "photo.png")
    return folder


def options(tmp_path, style_png, data, **kw) -> TrainOptions:
    base = dict(style=style_png, data=[data], output=tmp_path / "model.pt", steps=4, batch_size=2, size=48,
                width=8, checkpoint_every=2, preview_every=2, quiet=True)
    return TrainOptions(**{**base, **kw})


def test_train_saves_a_model_that_stylizes(tmp_path, style_png, data):
    report = train(options(tmp_path, style_png, data))
    assert report["steps"] == 4 and report["steps_per_s"] > 0
    assert (tmp_path / "model.preview.png").exists()
    assert not (tmp_path / "model.pt.ckpt").exists()  # removed once the model is written
    net = load_model(tmp_path / "model.pt")
    assert net.width == 8 and net.styles == 1
    stylizer = FastStylizer(CommonOptions(), FastOptions(model=tmp_path / "model.pt"), 0.0, torch.device("cpu"))
    out = stylize_image(stylizer, scene(50, 30, 0.0))
    assert out.shape == (30, 50, 3) and np.isfinite(out).all()


def test_the_temporal_loss_is_used_on_clip_pairs(tmp_path, style_png, data):
    trainer = Trainer(options(tmp_path, style_png, data))
    content, pairs = trainer.data.batch(trainer.rng, 4)
    assert len(pairs) == 2 and {p.index for p in pairs} == {1, 3}
    parts = trainer.losses(content, pairs)
    assert set(parts) == {"content", "style", "tv", "temporal"} and parts["temporal"].item() > 0


def test_resume_continues_from_the_checkpoint(tmp_path, style_png, data):
    first = Trainer(options(tmp_path, style_png, data, steps=2))
    first.run()
    # a run that was killed after step 2 leaves its checkpoint; put one back and continue to step 4
    first.save_checkpoint()
    resumed = Trainer(options(tmp_path, style_png, data, steps=4))
    assert resumed.load_checkpoint() and resumed.step == 2
    assert all(torch.equal(a, b) for a, b in zip(resumed.net.state_dict().values(), first.net.state_dict().values()))


def test_bad_model_and_data_are_one_line_errors(tmp_path, style_png, data):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    with pytest.raises(UserError, match="not a vidstyle fast model"):
        load_model(bad)
    with pytest.raises(UserError, match="no images or clips"):
        empty = tmp_path / "empty"
        empty.mkdir()
        train(options(tmp_path, style_png, empty))
    proc = run_cli("train", "-s", style_png, "--data", tmp_path / "missing", "-o", tmp_path / "m.pt", "--quiet")
    assert proc.returncode == 2 and "training data not found" in proc.stderr


def test_broken_files_in_the_data_are_left_out_with_a_warning(tmp_path, style_png, data, caplog):
    """One unreadable photo or damaged clip in a folder of thousands does not stop a run: said and left out (a
    damaged clip gives the frames before the damage). Photos are read as batches draw them, not held: the
    recipe's 20-40k photos would take 5-10 GiB."""
    (data / "bad.jpg").write_text("not a photo")
    clip = data / "clip.mp4"
    (data / "cut.mp4").write_bytes(clip.read_bytes()[: clip.stat().st_size * 2 // 3])
    (data / "junk.mp4").write_text("not a clip")
    trainer = Trainer(options(tmp_path, style_png, data, steps=2))
    assert all(isinstance(p, type(data)) for p in trainer.data.images)
    for _ in range(4):
        trainer.data.batch(trainer.rng, 4)
    assert [p.name for p in trainer.data.images] == ["photo.png"]
    said = caplog.text
    assert "bad.jpg: not a readable image" in said and "left out of the training data" in said
    assert "junk.mp4: not a readable video" in said
    assert trainer.run()["steps"] == 2
