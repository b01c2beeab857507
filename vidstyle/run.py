"""One input to one output with a job's settings: what `image`, `video` and each item of `batch` do."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from vidstyle.errors import UserError
from vidstyle.job import VideoOptions, VideoResult
from vidstyle.settings import Settings

log = logging.getLogger("vidstyle")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def run_image(photo: Path, output: Path, settings: Settings, sheet: bool = False, quiet: bool = False) -> None:
    import cv2

    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.images import load_image, save_image
    from vidstyle.media.video import fit_size
    from vidstyle.stylize import build

    check_output_path(output, [photo, *settings.style])
    still = load_image(photo)
    h, w = still.rgb.shape[:2]
    tw, th = fit_size(w, h, settings.max_size, even=False)
    rgb = cv2.resize(still.rgb, (tw, th), interpolation=cv2.INTER_AREA) if (tw, th) != (w, h) else still.rgb
    if sheet:
        from vidstyle.stylize.fast import contact_sheet

        if settings.backend != "fast":
            raise UserError("--sheet shows the built-in styles of --backend fast")
        out, alpha = contact_sheet(rgb, build(settings)), None
    else:
        from vidstyle.job import watch_iterations
        from vidstyle.progress import make_progress

        stylizer = build(settings)
        with make_progress(quiet) as progress:
            watch_iterations(stylizer, progress)
            out, alpha = (stylizer.stylize(rgb) * 255.0 + 0.5).astype(np.uint8), still.alpha
    with atomic_output(output) as tmp:
        save_image(tmp, out, alpha, fmt_hint=output)
    log.info("wrote %s (%dx%d)", output, out.shape[1], out.shape[0])


def run_video(clip: Path, output: Path, settings: Settings, quiet: bool = False, resume: bool = True,
              batch: bool = False) -> VideoResult:
    """Stylize `clip` into `output`; with checkpoints on (settings.checkpoints()), a killed run resumes."""
    from vidstyle.checkpoint import Checkpoint, fingerprint
    from vidstyle.device import pick_device
    from vidstyle.flow import make_estimator
    from vidstyle.job import stylize_video
    from vidstyle.media.atomic import check_output_path
    from vidstyle.media.video import EncodeSettings, VideoSource, output_format
    from vidstyle.stylize import build

    check_output_path(output, [clip, *settings.style])
    output_format(output)
    VideoSource(clip).close()  # a bad input fails now, before weights load
    weight = settings.temporal()
    estimator = make_estimator(settings.flow, settings.raft_weights, str(pick_device(settings.device))) \
        if weight > 0 else None
    stylizer = build(settings, weight if estimator else 0.0)
    # The iterative backend's temporal term is inside its optimisation; the others' output term is the job's.
    output_weight = 0.0 if settings.backend == "iterative" else weight
    encode = EncodeSettings(codec=settings.codec, crf=settings.crf, preset=settings.encoder_preset)
    options = VideoOptions(max_size=settings.max_size, temporal_weight=output_weight, encode=encode, quiet=quiet)
    checkpoint = None
    every = settings.checkpoints(batch)
    if every > 0:
        checkpoint = Checkpoint(output, fingerprint(clip, settings.fingerprint()), every)
        checkpoint.open(resume)
    result = stylize_video(clip, output, stylizer, estimator, options, checkpoint)
    resumed = f", resumed at frame {result.resumed_from}" if result.resumed_from else ""
    log.info("wrote %s: %d frames (%d stylized in this run%s) in %.1f s (%.2f fps)", output, result.frames,
             result.stylized, resumed, result.seconds, result.stylized / result.seconds if result.seconds else 0.0)
    return result
