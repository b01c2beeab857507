"""The fast backend's temporal term (vidstyle.temporal.carry): the painting carried along the flow, from a key
sampled once, where the path from the key is trusted; the network's own painting elsewhere."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidstyle.core.tensors import from_host
from vidstyle.temporal import carry, filters
from vidstyle.temporal.carry import KEY_EVERY, CarryBlender
from vidstyle.temporal.motion import Motion

H, W = 48, 64


def image(rng: np.random.Generator, sigma: float = 0.0) -> np.ndarray:
    x = rng.random((H, W, 3), dtype=np.float32)
    return cv2.GaussianBlur(x, (0, 0), sigma) if sigma else x


def tensor(x: np.ndarray):
    return from_host(np.ascontiguousarray(x, np.float32))


def array(t) -> np.ndarray:
    return t[0].permute(1, 2, 0).contiguous().numpy()


@pytest.fixture(params=["frame", "half"])
def tracks(request, monkeypatch) -> str:
    """The tracks at the frame's size, or at half of it (as from 1080p up: carry.TRACK_SIDE)."""
    if request.param == "half":
        monkeypatch.setattr(carry, "TRACK_SIDE", W // 2)
    return request.param


def still(confidence: float | np.ndarray = 1.0, flow: np.ndarray | None = None) -> Motion:
    conf = np.broadcast_to(np.float32(confidence), (H, W)).astype(np.float32)
    return Motion(np.zeros((H, W, 2), np.float32) if flow is None else flow, conf)


def test_a_still_shot_keeps_its_first_painting_through_every_key(tracks):
    """No motion, every path trusted: each frame is the first frame's painting exactly, across key changes,
    however the network's painting of the later frames flickers."""
    rng = np.random.default_rng(0)
    source = tensor(image(rng, 2))
    blender = CarryBlender(1.6)
    first = image(rng)
    assert np.array_equal(array(blender(tensor(first), None, source)), first)
    for _ in range(2 * KEY_EVERY + 3):
        out = array(blender(tensor(image(rng)), still(), source))
        assert np.abs(out - first).max() < 1e-4  # whole pixels: the key's own, at twice the size


def test_untrusted_and_cut_pixels_take_the_new_painting():
    rng = np.random.default_rng(1)
    source = tensor(image(rng, 2))
    blender = CarryBlender(1.6)
    blender(tensor(image(rng)), None, source)
    half = np.zeros((H, W), np.float32)
    half[:, : W // 2] = 1.0
    fresh = image(rng)
    out = array(blender(tensor(fresh), still(half), source))
    # decided by region (reliability blurred at 6 px): the edge between the halves moves 3 px either way
    edge = 4
    assert np.allclose(out[:, W // 2 + edge:], fresh[:, W // 2 + edge:], atol=1e-4)  # confidence 0: the network's
    assert np.abs(out[:, : W // 2 - edge] - fresh[:, : W // 2 - edge]).mean() > 0.1  # trusted: carried
    fresh = image(rng)
    assert np.array_equal(array(blender(tensor(fresh), None, source)), fresh)  # a cut: nothing carried over


def test_a_key_whose_source_no_longer_matches_is_not_carried():
    """The flow can pass its checks and be wrong; the key's source, carried the same way, must match."""
    rng = np.random.default_rng(2)
    source = image(rng, 2)
    blender = CarryBlender(1.6)
    blender(tensor(image(rng)), None, tensor(source))
    fresh = image(rng)
    changed = np.clip(source + 0.15, 0, 1)  # a flash: the trusted flow says nothing moved
    assert np.allclose(array(blender(tensor(fresh), still(), tensor(changed))), fresh, atol=1e-4)


def test_a_path_that_stretches_the_key_is_not_carried():
    rng = np.random.default_rng(3)
    source = tensor(image(rng, 2))
    blender = CarryBlender(1.6)
    blender(tensor(image(rng)), None, source)
    flow = np.zeros((H, W, 2), np.float32)
    flow[..., 0] = -np.arange(W, dtype=np.float32)[None] * 0.8  # every pixel samples near the left edge
    fresh = image(rng)
    out = array(blender(tensor(fresh), still(flow=flow), source))
    assert np.allclose(out[2:-2, 2:-2], fresh[2:-2, 2:-2], atol=1e-4)


def pan(rng: np.random.Generator, frames: int, speed: float) -> list[np.ndarray]:
    """A grainy texture (random, blurred at 0.7 px) moving right by `speed` px a frame (a multiple of 1/16:
    area-sampled from a 16x larger one, so no resampling blurs it)."""
    k, margin = 16, int(frames * speed) + 1
    big = rng.random((H * k, (W + margin) * k, 3), dtype=np.float32)
    big = cv2.GaussianBlur(big, (0, 0), 0.7 * k)  # a 1-2 px grain, not white noise (which no resampling keeps)
    out = []
    for t in range(frames):
        start = margin * k - round(t * speed * k)
        crop = big[:, start: start + W * k]
        out.append(cv2.resize(crop, (W, H), interpolation=cv2.INTER_AREA))
    return out


def detail(x: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.CV_32F)[4:-4, 4:-4].var())


@pytest.mark.parametrize("torch_on_cpu", [False, True])
def test_the_carried_painting_keeps_its_grain_along_a_slow_pan(monkeypatch, torch_on_cpu, tracks):
    """Why the term exists: the fast network's 1-2 px grain. A painting carried 0.56 px a frame for two keys keeps
    its fine detail and follows the motion, where a new painting each frame would flicker; with the GPU's
    operations (on the CPU) as with OpenCV's."""
    monkeypatch.setattr(filters, "TORCH_ON_CPU", torch_on_cpu)
    rng = np.random.default_rng(4)
    speed, frames = 9 / 16, 2 * KEY_EVERY + 1  # 4.5 px a key: sampled half-way
    paintings, sources = pan(rng, frames, speed), pan(np.random.default_rng(5), frames, speed)
    flow = np.zeros((H, W, 2), np.float32)
    flow[..., 0] = -speed
    blender = CarryBlender(1.6)
    outs = [array(blender(tensor(paintings[0]), None, tensor(sources[0])))]
    for t in range(1, frames):
        flicker = np.roll(paintings[t], 3, axis=0)  # the network painting its grain elsewhere each frame
        outs.append(array(blender(tensor(flicker), still(flow=flow), tensor(sources[t]))))
    # measured: 0.88 (bicubic sampling kept 0.81, bilinear 0.47)
    assert detail(outs[-1]) > 0.85 * detail(paintings[-1])
    # the last frame is the first painting moved along (9 px in 16 frames), compared where no border reaches,
    # and a twentieth as far from it as the network's next painting
    inside = np.s_[8:-8, 16:-8]
    flicker = np.abs(np.roll(paintings[-1], 3, axis=0) - paintings[-1])[inside].mean()
    assert np.abs(outs[-1] - paintings[-1])[inside].mean() < 0.1 * flicker


def test_the_torch_and_opencv_operations_carry_alike(monkeypatch, tracks):
    """The carried term over a key's life on a moving, partly trusted clip: the GPU's operations against the
    CPU's, both on the CPU (flow at half the frame's size, as the job computes it)."""
    rng = np.random.default_rng(6)
    frames = [image(rng, 1.0) for _ in range(KEY_EVERY + 2)]
    sources = [image(rng, 3.0) for _ in range(KEY_EVERY + 2)]
    motions = [Motion((cv2.GaussianBlur(rng.random((24, 32, 2), dtype=np.float32), (0, 0), 4) - 0.5) * 4,
                      np.full((24, 32), 0.9, np.float32), (H, W)) for _ in frames]

    def run() -> list[np.ndarray]:
        monkeypatch.setattr(carry, "MATCH_FROM", 10.0)  # the random sources never match: trust the paths alone
        monkeypatch.setattr(carry, "MATCH_TO", 11.0)
        blender, outs = CarryBlender(1.6), []
        for i, (f, s, m) in enumerate(zip(frames, sources, motions)):
            m._scaled.clear()
            outs.append(array(blender(tensor(f), m if i else None, tensor(s))))
        return outs

    opencv = run()
    monkeypatch.setattr(filters, "TORCH_ON_CPU", True)
    gpu_code = run()
    diffs = [np.abs(a - b) for a, b in zip(opencv, gpu_code)]
    assert max(d.mean() for d in diffs) < 2e-3  # OpenCV's remap places samples to 1/32 px
    assert np.mean([np.abs(f - o).mean() for f, o in zip(frames[1:], opencv[1:])]) > 0.05  # it did carry


def test_a_pixel_carried_whole_keeps_its_key_across_key_frames(tracks):
    """Its painting is sampled from the key it was first carried from, not from each later key in turn (each
    resampling takes some grain): 5 keys along a pan, the last frame half a pixel off the grid."""
    speed, frames = 9 / 16, 5 * KEY_EVERY + 1
    paintings, sources = pan(np.random.default_rng(4), frames, speed), pan(np.random.default_rng(5), frames, speed)
    flow = np.zeros((H, W, 2), np.float32)
    flow[..., 0] = -speed
    blender = CarryBlender(1.6)
    out = array(blender(tensor(paintings[0]), None, tensor(sources[0])))
    for t in range(1, frames):
        out = array(blender(tensor(np.roll(paintings[t], 3, axis=0)), still(flow=flow), tensor(sources[t])))
    inside = np.s_[:, 30:]  # the key covers it: 22.5 px moved in
    kept = detail(out[inside]) / detail(paintings[-1][inside])
    assert kept > 0.94  # measured 0.955; a new key from the output at each key frame: 0.922


def test_a_small_change_in_a_carried_region_takes_the_new_painting(tracks):
    """Trust is decided over a region, but never where the source itself changed: a blink is not carried over."""
    rng = np.random.default_rng(7)
    source = image(rng, 2)
    blender = CarryBlender(1.6)
    first = image(rng)
    blender(tensor(first), None, tensor(source))
    blink = source.copy()
    blink[20:28, 30:38] = np.clip(blink[20:28, 30:38] + 0.3, 0, 1)
    fresh = image(rng)
    out = array(blender(tensor(fresh), still(), tensor(blink)))
    assert np.allclose(out[22:26, 32:36], fresh[22:26, 32:36], atol=1e-4)
    assert np.allclose(out[:, :20], first[:, :20], atol=1e-4) and np.allclose(out[:, 48:], first[:, 48:], atol=1e-4)


def test_a_new_look_replaces_the_carried_painting():
    """A pixel carried whole keeps its key while its path holds; when the look changes (a transition, keyframed
    values), every pixel joins a new key within LOOK_STEP frames, so the new look shows on a still shot too."""
    rng = np.random.default_rng(3)
    old, new, source = image(rng), image(rng), tensor(image(rng, 2))
    blender = CarryBlender(1.6)
    for i in range(12):
        out = array(blender(tensor(old), still() if i else None, source, i, look="a"))
    assert np.abs(out - old).mean() < 0.01  # carried
    for i in range(12, 12 + carry.LOOK_STEP + 1):
        same = array(blender(tensor(new), still(), source, i, look="a"))
    assert np.abs(same - old).mean() < 0.01  # the same look: still the first painting
    blender = CarryBlender(1.6)
    for i in range(12):
        blender(tensor(old), still() if i else None, source, i, look="a")
    for i in range(12, 12 + carry.LOOK_STEP + 1):
        out = array(blender(tensor(new), still(), source, i, look="b"))
    assert np.abs(out - new).mean() < 0.01
