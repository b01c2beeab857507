"""The output temporal term of the feed-forward backends (fast, adain): the painting carried along the flow, not
averaged with the new one.

The fast network paints a 1-2 px grain that the Gram style distance (and the eye) reads as its style, and that
any averaging or resampling blur takes away. Measured on temporal-off frames of adain_cutBunny (style 19, 640 px):
a 0.5 px shift raised the style distance 3.2x when resampled bicubically, 18x bilinearly, 1.2x with Lanczos-4,
not at all to the nearest pixel; a 0.7 px Gaussian blur, 29x; averaging two successive frames unwarped, 2.6x.
Blended terms (the closed-form step of vidstyle.temporal.blend, on features or output pixels) average the past
with the new frame and warp the result again every frame, so the grain went: 4.1-6.8x the temporal-off style
distance on the fast-motion clips. AdaIN's coarser strokes lost less to blending, but still went soft and grey on
fast motion (style distance up to 1.94x temporal-off's, with a gain on the fine detail to hold them), so its output
is carried too (vidstyle.backends.adain has the figures).

So each output pixel is either the painting of a key frame, carried to this frame along the composed flow and
sampled from the key once, or the new frame's own painting; the two mix only over a narrow band of
the path's reliability (the lowest flow confidence along the way from the key, times the temporal weight). What
washed the grain out after that (adain_cutBunny, fast, 60 frames at 640 px: the style distance on/off 4.2, and
growing along the shot, 0.10 at frame 4 to 0.55 at 55 against 0.08 off) was measured, not assumed:
- blends kept as keys: every KEY_EVERY frames the output became the key, so a pixel half carried was carried on
  half blended and blended again at the next key. A new key now holds the network's own painting wherever a
  pixel was not carried whole, and a pixel still carried whole keeps its own key while its path holds (one of
  SLOTS keys; when all are in use, the one fewest pixels come from is replaced). That alone left the ratio at 4.1;
- pixel-by-pixel decisions: carried and fresh pixels interleaved one by one make a third texture that is neither
  grain. The path's reliability is now taken over a region (blurred at REGION_SIGMA px), never where the source
  itself does not match (so a small change, a blink, still gets the new painting).
Together: 3.04 (warping error 0.361 against 0.363), and lower on 11 of the 12 shared clips the survey measures
(`benchmarks/temporal.py --all`; Sintel's demo rose, 1.14 to 1.36), warping error within +0.04 on each. It costs
1.07x the single key's CPU time at 640x360 and 1.4x at 1080p (benchmarks/carry.py). A key every 64 frames instead
gave 1.33 but a warping error of 0.63: the pixels that lost their path show the network's flicker until the next
key, which the 8-frame key life prevents. The keys sit in one image (an atlas, SLOTS tiles high), so a frame is
sampled in one pass whichever keys its pixels come from.
A key's painting is kept at twice its size (its own pixels, and the half-way ones interpolated with Lanczos-4,
once) and sampled bicubically: as sharp as sampling it with Lanczos-4 (on a fast-style photo moved by smooth
sub-pixel fields, the style distance 1.08, 1.42 and 1.79x the unmoved one against Lanczos's 1.01, 1.38 and
1.97x; exact at whole and half pixels, as Lanczos), at a quarter of its cost (a 1080p frame: 21 against 130
CPU-ms; OpenCV's Lanczos has no vector code).
Keys fall on the clip's frame numbers that KEY_EVERY divides, so that a clip split into units keys where the
whole run does: with keys counted from each unit's first frame, a seam's warping error was 1.5x the inside's
after a warm-up of 8 or 16 frames, and 1.0x after 4, 12 or 20 (fast, 128 px, units of 20 frames).
"""

from __future__ import annotations

from typing import Any

import torch

from vidstyle.temporal.filters import ops_for
from vidstyle.temporal.motion import Motion

# The path's reliability (confidence times the temporal weight) from which the carried painting is used, and from
# which it is used alone; a narrow band, as mixing the two paintings is what washes the grain out (fast, weight
# 1.6: confidence 0.30 to 0.35). Measured with benchmarks/temporal.py (docs/quality-and-speed.md).
TRUST_FROM, TRUST_FULL = 0.48, 0.56
# Where the two paintings mix, their texture (the detail under a blur of MIX_SIGMA px) keeps its energy (_mix).
# benchmarks/temporal.py --all --backends fast, on/off warping / style, plain mix -> this: adain_cutBunny 0.365 /
# 2.50 -> 0.394 / 1.66, cockatoo 0.550 / 1.38 -> 0.593 / 1.11, fire2 0.643 / 1.73 -> 0.690 / 1.06; style at most
# 1.15 on 9 of 12 clips (3 before), warping +0.01-0.05 on each. A blur of 1 px: 1.79 on adain_cutBunny; 4 px: 1.60.
MIX_SIGMA = 2.0
# Frames between keys: longer keeps more grain (fewer resamplings) and lets more pixels that lost their
# path show the network's flicker until the next key (adain_cutBunny at 640 px, warping error and style distance
# on/off: 8 frames 0.395, 1.71; 16 frames 0.469, 1.15; before the source and strain checks).
KEY_EVERY = 8
# Keys a frame's pixels may come from (each a tile of the atlas, PAD px of its border repeated around it: the
# oversampling reads 4 px beyond the edge). Memory: the keys' paintings at twice the frame's size, 400 MB at
# 1080p, and their sources at the tracks' size.
SLOTS, PAD = 4, 4
# The tracks are kept at a whole fraction of the frame's size, TRACK_SIDE px long at most: the flow they compose
# is computed at 320-640 px and enlarged bilinearly, so a finer track adds cost, not precision; the paintings are
# sampled at the frame's own size. At 1080p (tracks at 960x540) against frame-size tracks: warping error 1.007
# and 1.002x, style distance 0.996 and 0.999x (adain_cutBunny, the cockatoo); the term about 160 against 285
# CPU-ms a frame.
TRACK_SIDE = 1024
# A pixel carried at least this whole keeps its key at a key frame; the others join the new one.
WHOLE = 0.999
# While the look changes (a transition, keyframed values) every pixel joins a new key every LOOK_STEP frames: a
# pixel carried whole would otherwise keep the old look's painting for as long as its path holds (fast, mdn_flower
# at 320 px, a 24-frame transition: the distance to the second look fell 0.137 -> 0.092 over it, where that look's
# own frames are at 0; benchmarks/looks.py transition). Every frame would let the network's flicker through.
LOOK_STEP = 4
# Each pixel's track, frame to frame: where it was in its key's frame (x, y px), its key's slot, the lowest flow
# confidence along its path, and how the path stretches the key (the displacement's gradient, 4 channels).
TRACKS = ("where", "slot", "path", "stretch")
# The path's reliability over a region: blurred at REGION_SIGMA px, then carried from REGION_FROM, whole from
# REGION_FULL (adain_cutBunny, style on/off: 3.5 pixel by pixel, 3.1 at 6 px; 2.6 without the source-match cap,
# which would carry a change smaller than ~18 px, such as a blink, along with its surroundings).
REGION_SIGMA, REGION_FROM, REGION_FULL = 6.0, 0.3, 0.7
# A composed path can be smooth, pass each frame's forward-backward check and still be wrong (a bird's wing over
# eight frames of fast motion: the key came out smeared along it). So the key's source frame, carried the same
# way, must match this frame's source: their difference, blurred at MATCH_SIGMA px (RMS over the channels, 0..1),
# is trusted up to MATCH_FROM and not from MATCH_TO.
MATCH_SIGMA, MATCH_FROM, MATCH_TO = 1.5, 0.03, 0.06
# Nor may the path stretch the key: in a dark, flat patch the sources match whatever the flow, and a key sampled
# through a displacement that changes fast from pixel to pixel came out as streaks. The strain (root of the
# displacement's summed squared derivatives) is trusted up to STRAIN_FROM and not from STRAIN_TO.
STRAIN_FROM, STRAIN_TO = 0.25, 0.5


def _ramp(ops: Any, x: Any, zero_at: float, one_at: float) -> Any:
    """0 at `zero_at`, 1 at `one_at`, linear between and clipped (falling where `one_at` is the lower)."""
    return ops.clip((x - zero_at) * (1.0 / (one_at - zero_at)), 0.0, 1.0)


class CarryBlender:
    """The output temporal term, frame after frame (the video job runs it in the encode thread, beside the
    network's work on the next frame). Its state (a dict): the keys' paintings (an atlas of SLOTS tiles, at twice
    the frame's size) and sources (one at the tracks' size), the frame each slot's key was made at, and each track
    pixel's TRACKS."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._keys: dict[str, Any] | None = None
        self._count = 0  # frame numbers, where the caller gives none

    def __call__(self, fresh: torch.Tensor, motion: Motion | None, source: torch.Tensor | None = None,
                 index: int | None = None, look: Any = None) -> torch.Tensor:
        """`fresh`: the backend's 1x3xHxW output in [0,1], on its device; `source`: the picture it was made from;
        `index`: its frame number in the clip; `look`: what it was painted with (vidstyle.backends.base.Look),
        where that may change along the clip."""
        source = fresh if source is None else source
        index, self._count = (self._count if index is None else index), self._count + 1
        keys = self._keys
        if motion is None or self.weight <= 0 or keys is None or keys["size"] != tuple(fresh.shape[-2:]):
            self._keys = _new_keys(fresh, source, index)  # a new shot (or no term): the network's own frame
            self._keys["look"] = look
            return fresh
        if keys["where"].device != fresh.device:  # resumed from a checkpoint, which holds them on the CPU
            keys.update({k: keys[k].to(fresh.device) for k in ("paintings", "sources", *TRACKS)})
        ops = ops_for(fresh)
        h, w = keys["track"]  # the tracks' size: the frame's, or a whole fraction of it (TRACK_SIDE)
        scale = (fresh.shape[-1] / w, fresh.shape[-2] / h)  # frame px a track px
        flow, confidence = (ops.take(x) for x in motion.sized((h, w), fresh.device))
        last = [ops.take(keys[k]) for k in TRACKS]
        to = flow + ops.positions(flow)  # where each pixel was in the last frame
        where, slot, path, stretch = (ops.sample_linear(x, to) for x in last)
        whole = ops.rint(slot)
        seam = ops.weight((slot - whole) * (slot - whole) > 1e-6)
        if seam.max() > 0:  # a pixel between two keys' pixels follows the nearest one's key, at its own offset
            near_where, near_slot, near_path, near_stretch = (ops.sample_nearest(x, to) for x in last)
            # exact sums, not ops.lerp: OpenCV's blend divides by the weights' sum plus 1e-5, which would pull a
            # position of 600 px 0.006 px towards the origin every frame
            where = where + ops.scale(near_where + (to - ops.rint(to)) - where, seam)
            whole, path = whole + (near_slot - whole) * seam, path + (near_path - path) * seam
            stretch = stretch + ops.scale(near_stretch - stretch, seam)
        path = ops.minimum(path, confidence)
        # how the path stretches the key: the displacement's gradient, summed frame by frame (its first order) so
        # that it does not jump where neighbours come from different keys
        stretch = stretch + ops.merge(list(ops.gradient(flow)))
        seen = ops.sample_linear(ops.take(keys["sources"]), _atlas_positions(ops, where, whole, (h, w)))
        error = ops.gaussian(seen - _at_size(ops, ops.take(source), (h, w)), MATCH_SIGMA * 2 / sum(scale))
        strain = ops.sqrt(ops.energy(stretch))
        match = ops.minimum(_ramp(ops, ops.sqrt(ops.energy(error) * (1.0 / 3.0)), MATCH_TO, MATCH_FROM),
                            _ramp(ops, strain, STRAIN_TO, STRAIN_FROM))
        reliable = ops.minimum(_ramp(ops, path * self.weight, TRUST_FROM, TRUST_FULL), match)
        small = tuple(max(1, n // 4) for n in keys["size"])  # blurred at a quarter of the frame's size
        blurred = ops.enlarge(ops.gaussian(ops.shrink(reliable, small), REGION_SIGMA / 4), (h, w))
        trust = ops.minimum(_ramp(ops, blurred, REGION_FROM, REGION_FULL), match)
        frame_where, frame_whole, frame_trust = _to_frame(ops, where, whole, trust, keys["size"], scale)
        at = _atlas_positions(ops, frame_where, frame_whole, keys["size"])
        carried = ops.sample_cubic(ops.take(keys["paintings"]), at * 2.0)  # the keys are painted at twice the size
        out = ops.give(ops.clip(_mix(ops, ops.take(fresh), carried, frame_trust), 0.0, 1.0))
        relook = keys.get("look") != look and index % LOOK_STEP == 0  # the keys were painted with another look
        if index % KEY_EVERY == 0 or relook:  # the pixels not carried whole (and the evicted key's) join a new key
            whole_from = 2.0 if relook else WHOLE  # on a new look, no pixel is carried whole
            keys["look"] = look  # (KEY_EVERY is a multiple of LOOK_STEP: a key frame with another look is a relook)
            carried_whole = trust >= whole_from
            used = ops.counts(whole, carried_whole, SLOTS)
            new = min(range(SLOTS), key=lambda k: (used[k], keys["made"][k]))  # a free slot, else the least used
            joins = 1.0 - ops.weight(carried_whole) * ops.weight(whole != new)
            where = where + ops.scale(ops.positions(where) - where, joins)
            whole, path = whole + (new - whole) * joins, path + (1.0 - path) * joins
            stretch = ops.scale(stretch, 1.0 - joins)
            # the new key holds the network's own painting where a pixel was not carried whole (a blend kept as a
            # key would be carried on, and blended again at the next key)
            kept = ops.weight(frame_trust >= whole_from)
            _put(keys, new, ops.give(ops.lerp(ops.take(fresh), carried, kept)), source, index)
        keys.update(zip(TRACKS, map(ops.give, (where, whole, path, stretch))))
        return out

    def state(self) -> Any:
        return self._keys

    def load_state(self, state: Any) -> None:
        current = isinstance(state, dict) and (state.get("slots"), state.get("fine")) == (SLOTS, 2) and "track" in state
        self._keys = state if current else None  # else (a checkpoint of another version): afresh
        if self._keys:  # new keys are written through views of the atlases' memory, laid out channels-last
            for name in ("paintings", "sources"):
                self._keys[name] = self._keys[name].contiguous(memory_format=torch.channels_last)


def _mix(ops: Any, fresh: Any, carried: Any, trust: Any) -> Any:
    """The two paintings mixed by `trust`: their coarse bands (a blur at MIX_SIGMA) as they are, their texture
    rescaled by 1 / sqrt(t^2 + (1-t)^2), so that two unrelated grains mixed keep one grain's energy (a plain
    average of two halves it, the washout the Gram distance reads). Exact where the trust is 0 or 1."""
    base = ops.lerp(ops.gaussian(fresh, MIX_SIGMA), ops.gaussian(carried, MIX_SIGMA), trust)
    gain = 1.0 / ops.sqrt(trust * trust + (1.0 - trust) * (1.0 - trust))
    # the plain mix is the base plus the mixed texture: extrapolated from the base by the gain, that texture is
    # scaled (in one pass: 41 -> 36 ms a 1080p frame against taking the texture apart)
    return ops.lerp(base, ops.lerp(fresh, carried, trust), gain)


def track_size(h: int, w: int) -> tuple[int, int]:
    """The tracks' (height, width) for a frame of h x w: its own, or a whole fraction of it TRACK_SIDE px long at
    most."""
    n = -(-max(h, w) // TRACK_SIDE)
    return max(1, round(h / n)), max(1, round(w / n))


def _new_keys(fresh: torch.Tensor, source: torch.Tensor, index: int) -> dict[str, Any]:
    h, w = fresh.shape[-2:]
    th, tw = track_size(h, w)
    sources = (1, 3, SLOTS * (th + 2 * PAD), tw + 2 * PAD)
    paintings = (1, 3, 2 * SLOTS * (h + 2 * PAD), 2 * (w + 2 * PAD))
    keys = {"slots": SLOTS, "fine": 2, "size": (h, w), "track": (th, tw), "made": [-1] * SLOTS,
            "paintings": fresh.new_zeros(paintings).contiguous(memory_format=torch.channels_last),
            "sources": fresh.new_zeros(sources).contiguous(memory_format=torch.channels_last)}
    _put(keys, 0, fresh, source, index)
    ops = ops_for(fresh)
    where = ops.positions(_at_size(ops, ops.take(source), (th, tw))) * 1.0
    zero = ops.split(where)[0] * 0.0
    keys.update(zip(TRACKS, map(ops.give, (where, zero, zero + 1.0, ops.merge([zero] * 4)))))
    return keys


def _put(keys: dict[str, Any], slot: int, painting: torch.Tensor, source: torch.Tensor, index: int) -> None:
    """A key into its tiles, its border repeated PAD px around it: its painting at twice the frame's size, its
    source at the tracks'."""
    h, th = keys["size"][0] + 2 * PAD, keys["track"][0] + 2 * PAD
    ops = ops_for(painting)
    source = _at_size(ops, ops.take(source), keys["track"])
    ops.rows(ops.take(keys["sources"]), slot * th, (slot + 1) * th)[...] = ops.pad(source, PAD)
    ops.oversample(ops.pad(ops.take(painting), PAD), ops.rows(ops.take(keys["paintings"]), 2 * slot * h,
                                                              2 * (slot + 1) * h))
    keys["made"][slot] = index


def _at_size(ops: Any, x: Any, size: tuple[int, int]) -> Any:
    return x if ops.size(x) == size else ops.shrink(x, size)


def _atlas_positions(ops: Any, where: Any, whole: Any, size: tuple[int, int]) -> Any:
    """Positions in an atlas of tiles of `size` (plus PAD around) from positions in a key and its slot."""
    h, w = size
    x, y = ops.split(where)
    return ops.merge([ops.clip(x + PAD, PAD, w - 1 + PAD), ops.clip(y + PAD, PAD, h - 1 + PAD) + whole * (h + 2 * PAD)])


def _to_frame(ops: Any, where: Any, whole: Any, trust: Any, size: tuple[int, int],
              scale: tuple[float, float]) -> tuple[Any, Any, Any]:
    """The tracks' positions in their key, slots and trust at the frame's size: the displacement to the key
    enlarged bilinearly (it is smooth: the flow's, composed), except next to a pixel of another key, where the
    nearest track pixel's is taken (as the tracks' own seams are)."""
    if ops.size(where) == size:
        return where, whole, trust
    dx, dy = ops.split(where - ops.positions(where))
    shift = ops.merge([dx * scale[0], dy * scale[1]])  # in the frame's px
    frame_shift, frame_whole = ops.enlarge(shift, size), ops.enlarge_nearest(whole, size)
    if whole.max() > whole.min():  # more than one key: seams
        seam = ops.weight(ops.absolute(ops.enlarge(whole, size) - frame_whole) > 1e-6)
        frame_shift = frame_shift + ops.scale(ops.enlarge_nearest(shift, size) - frame_shift, seam)
    frame_where = ops.positions(frame_shift) + frame_shift
    # the trust as it is, not enlarged bilinearly: the band where the two paintings mix would widen, and mixing is
    # what washes the grain out (style distance +8.5% on adain_cutBunny, tracks at half its 640 px; +3.2% so)
    return frame_where, frame_whole, ops.enlarge_nearest(trust, size)
