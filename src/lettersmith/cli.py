"""The command line: parse options, call ``lettersmith.Project``, print what it returns.

Every rule lives behind the Project (the approval gate, the send lock, the club's view, the
build memo); this module only translates. Every LettersmithError becomes a message on stderr
and exit status 1, here and only here; tracebacks only under --debug.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from lettersmith import __version__
from lettersmith.app import events
from lettersmith.app.project import BadArgument, Project
from lettersmith.errors import LettersmithError
from lettersmith.model import DEFAULT_PDF_VARIANT
from lettersmith.translate import _, language_from_environment, ngettext, use_language

if TYPE_CHECKING:
    from lettersmith.app.project import SendPlan
    from lettersmith.compose.resolve import Overrides
    from lettersmith.model import Language

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    workspace_dir: Path | None
    debug: bool

    def project(self) -> Project:
        """The workspace: -w, or found by walking up from the current folder."""
        return Project.open(self.workspace_dir or Path.cwd())


def warn(event: events.Event) -> None:
    """The listener for a command without a progress bar: warnings on stderr."""
    if isinstance(event, events.Warning):
        err.print(event.text, markup=False, soft_wrap=True)


@contextmanager
def showing_progress(description: str) -> Iterator[events.OnEvent]:
    """A listener that prints warnings and draws each stage's progress as a bar, from the
    stage's first event on (a prompt before it, as send's, is not drawn over)."""
    bar = progress_bar()
    tasks: dict[str, TaskID] = {}

    def show(event: events.Event) -> None:
        if isinstance(event, events.Warning):
            warn(event)
            return
        if not tasks:
            bar.start()
        if event.stage not in tasks:
            tasks[event.stage] = bar.add_task(description, total=event.total)
        bar.update(tasks[event.stage], completed=event.done, total=event.total)

    try:
        yield show
    finally:
        if tasks:
            bar.stop()


class LettersmithGroup(click.Group):
    """Turns a user's mistake into a clean message and exit status 1.

    The command speaks the language ``LANG`` asks for (``nb_NO.UTF-8``: bokmål; ``C`` or
    English: English): its output and every message from the engine. The help texts stay in
    English, as the README is.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Set for the command and reset after it: a program (or a test) that runs several
        # commands in one process keeps its own language between them.
        with use_language(language_from_environment()):
            return super().main(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their whole first sentence, wrapped, where click would cut it
        to the line's width and end it with "..."."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = global_options_first(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BadArgument as error:  # a value the Project cannot use: wrong usage, exit 2
            raise click.BadParameter(error.message, param_hint=error.option) from None
        except LettersmithError as error:
            if ctx.obj is not None and ctx.obj.debug:
                raise
            report_error(error)
            sys.exit(1)
        except OSError as error:  # permission denied, disk full, a file where a folder goes
            if ctx.obj is not None and ctx.obj.debug:
                raise
            err.print(os_error_line(error), markup=False, soft_wrap=True)
            sys.exit(1)
        except KeyboardInterrupt:
            err.print(_("Interrupted."))
            sys.exit(130)


def os_error_line(error: OSError) -> str:
    """One line naming the path and what the system said, with what to check."""
    where = error.filename if error.filename is not None else "lettersmith"
    reason = error.strerror or str(error)
    return _(
        "{where}: {reason}; check that the folder exists, that you may write to it and "
        "that the disk is not full"
    ).format(where=where, reason=reason)


GLOBAL_VALUE_OPTIONS = ("-w", "--workspace")
GLOBAL_FLAGS = ("--debug",)


def global_options_first(args: list[str]) -> list[str]:
    """``lettersmith build -w ../club`` as ``lettersmith -w ../club build``: the global options
    are understood wherever they are typed (until a ``--``)."""
    moved: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            kept += args[index:]
            break
        if arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(args):
            moved += args[index : index + 2]
            index += 2
            continue
        if (
            arg in GLOBAL_FLAGS
            or arg.startswith("--workspace=")
            or (arg.startswith("-w") and len(arg) > 2 and not arg.startswith("--"))
        ):
            moved.append(arg)
        else:
            kept.append(arg)
        index += 1
    return moved + kept


def report_error(error: LettersmithError) -> None:
    problems = getattr(error, "problems", None)
    for line in str(error).splitlines():
        err.print(line, markup=False, soft_wrap=True)
    if problems and len(problems) > 1:
        err.print(_("{count} problems found.").format(count=len(problems)), markup=False)


def with_club(function: F) -> F:
    return click.option(
        "--club",
        metavar="CLUB",
        help="Use the local club's version (clubs/CLUB.yaml): its name, place, signatory, "
        "recipients and appended paragraphs.",
    )(function)


def with_to(function: F) -> F:
    return click.option(
        "--to",
        "selectors",
        metavar="SELECTOR",
        multiple=True,
        help="Only these of the letter's recipients: a recipient id or tag:NAME. Repeat for "
        "more. It never changes the letter: a joint letter stays addressed to all.",
    )(function)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("{value!r}: write the date as YYYY-MM-DD").format(value=value)
        ) from None


def with_overrides(function: F) -> F:
    """--date, --place, --signatory, --language: the top of the override order."""
    options = [
        click.option(
            "--date",
            metavar="YYYY-MM-DD",
            callback=_date,
            help="The date on the letter, over the letter file's and the first send's.",
        ),
        click.option("--place", metavar="PLACE", help="The place on the date line."),
        click.option("--signatory", metavar="ID", help="Who signs: an id under signatories:."),
        click.option(
            "--language",
            type=click.Choice(["nb", "nn", "en"]),
            help="The letter's language, also over a recipient's own.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def overrides_from(
    date: dt.date | None, place: str | None, signatory: str | None, language: str | None
) -> Overrides | None:
    """The command line's level of the override order; None when it sets nothing (and then the
    compose stage is not even imported, for build's quick answer)."""
    if date is None and place is None and signatory is None and language is None:
        return None
    from lettersmith.compose.resolve import Overrides

    chosen = cast("Language | None", language)  # click.Choice let only these through
    return Overrides(date=date, place=place, signatory=signatory, language=chosen)


@click.group(cls=LettersmithGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-w",
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder (the one holding lettersmith.yaml). "
    "Default: found by walking up from the current folder.",
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks (for bug reports).")
@click.version_option(__version__, "--version", prog_name="lettersmith")
@click.pass_context
def main(ctx: click.Context, workspace_dir: Path | None, debug: bool) -> None:
    """lettersmith turns adopted statements and a recipient register into signed letters
    (PDF and DOCX) and emails them.

    \b
    Typical use, inside a workspace:
      lettersmith check                       find every mistake in the files
      lettersmith build                       write the letters into out/
      lettersmith send LETTER --dry-run       write the emails as .eml files
      lettersmith send LETTER                 email the letter to its recipients
    """
    ctx.obj = Context(workspace_dir=workspace_dir, debug=debug)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option(
    "--club",
    metavar="NAME",
    help="Instead of a new workspace, add clubs/NAME.yaml (a commented club profile) "
    "to the current workspace.",
)
@click.pass_obj
def init(obj: Context, directory: Path | None, club: str | None) -> None:
    """Make a new workspace in DIRECTORY with a working example letter.

    \b
    Examples:
      lettersmith init forening           a new workspace in ./forening
      lettersmith init --club bergen      add clubs/bergen.yaml to this workspace
    """
    from lettersmith.app.project import new_workspace

    if club:
        project = obj.project()
        path = project.add_club(club, on_event=warn)
        out.print(
            _("Wrote {path}. Edit it, then: lettersmith check").format(
                path=path.relative_to(project.root)
            )
        )
        return
    if directory is None:
        raise click.UsageError(_("give the folder for the new workspace: lettersmith init DIR"))
    written = new_workspace(directory)
    out.print(
        _("Made a workspace in {directory} ({count} files). Next:").format(
            directory=directory, count=len(written)
        )
    )
    out.print(f"  cd {directory} && lettersmith check && lettersmith build", markup=False)


@main.command()
@click.pass_obj
def check(obj: Context) -> None:
    """Validate the whole workspace, every club included.

    Every problem is listed as FILE:LINE: message, all at once; the exit status is 1 when
    there is any. Warnings (a name that differs from the built-in register of offices, a
    name verified more than 180 days before a letter's date) are printed too, but exit 0.
    Each letter is also composed and its template tried, under the workspace and under every
    club, so a broken template override shows up here too.
    """
    result = obj.project().check(on_event=warn)
    out.print(
        _(
            "{root}: ok: {positions} positions, {letters} letters, {recipients} recipients, "
            "{clubs} clubs."
        ).format(
            root=result.root,
            positions=result.positions,
            letters=result.letters,
            recipients=result.recipients,
            clubs=result.clubs,
        ),
        markup=False,
    )


@main.command()
@click.argument("letters", nargs=-1, metavar="[LETTER]...")
@with_club
@click.option(
    "--format",
    "formats",
    default="pdf,docx",
    show_default=True,
    metavar="LIST",
    help="Which files to write: pdf, docx or pdf,docx.",
)
@with_to
@click.option(
    "--jobs",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (one lays letters out, the others stamp and write). "
    "Default: the number of cores; 1 builds in this process.",
)
@click.option("--force", is_flag=True, help="Rebuild even the files that are up to date.")
@with_overrides
@click.option(
    "-v", "--verbose", is_flag=True, help="List every file written, however many there are."
)
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b", "pdf/a-2b", "plain"]),
    default=DEFAULT_PDF_VARIANT,
    show_default=True,
    help="Archival PDF/A for Noark archives, or a plain PDF.",
)
@click.pass_obj
def build(
    obj: Context,
    letters: tuple[str, ...],
    club: str | None,
    formats: str,
    selectors: tuple[str, ...],
    jobs: int | None,
    force: bool,
    date: dt.date | None,
    place: str | None,
    signatory: str | None,
    language: str | None,
    verbose: bool,
    pdf_variant: str,
) -> None:
    """Render letters (default: all) as PDF and DOCX into out/.

    LETTER is a letter id (the file name in letters/ without .yaml) or a path to the file.
    Joint letters land in out/LETTER/LETTER.pdf, one-per-recipient letters in
    out/LETTER/RECIPIENT.pdf, a club's under out/clubs/CLUB/. Files that are up to date are
    left alone. It lists the files it wrote when there are a few (or with -v); otherwise
    it shows a progress bar and a summary.

    \b
    Examples:
      lettersmith build
      lettersmith build -v
      lettersmith build menneskehandel-2024 --format pdf --to tag:regjeringen
      lettersmith build menneskehandel-2024 --club bergen
    """
    project = obj.project()
    with showing_progress(_("Building")) as show:
        result = project.build(
            letters,
            club=club,
            formats=formats,
            selectors=selectors,
            overrides=overrides_from(date, place, signatory, language),
            pdf_variant=pdf_variant,
            force=force,
            jobs=jobs,
            on_event=show,
        )
    root = result.root
    written = result.written
    if verbose or len(written) <= LIST_WRITTEN:
        for path in written:
            out.print(wrote(path.relative_to(root)), markup=False)
    summary = _("{count} written, {up_to_date} up to date.").format(
        count=len(written), up_to_date=result.up_to_date
    )
    if len(written) > LIST_WRITTEN and not verbose:
        folders = sorted({f"{path.parent.relative_to(root)}/" for path in written})
        shown = ", ".join(folders[:3]) + (", ..." if len(folders) > 3 else "")
        summary += " " + _("The files are in {folders} (-v lists them).").format(folders=shown)
    out.print(summary, markup=False, soft_wrap=True)
    result.raise_failures()


@main.command()
@click.argument("letter")
@with_club
@with_to
@click.option("--dry-run", is_flag=True, help="Write the messages as .eml files; send nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before sending.")
@click.option("--resend", is_flag=True, help="Send again to recipients that already have it.")
@with_overrides
@click.pass_obj
def send(
    obj: Context,
    letter: str,
    club: str | None,
    selectors: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    resend: bool,
    date: dt.date | None,
    place: str | None,
    signatory: str | None,
    language: str | None,
) -> None:
    """Email the letter to its recipients, one message each, with the PDF attached.

    Shows what it is about to send and asks first (unless --yes). The send journal in
    .lettersmith/ remembers who has the letter: running the same command again after any
    stop sends only what is missing, never a second copy. A message whose outcome is
    unknown (the connection broke as it went out) is sent again only with --resend --to ID.

    \b
    Examples:
      lettersmith send menneskehandel-2024 --dry-run
      lettersmith send menneskehandel-2024
      lettersmith send menneskehandel-2024 --club bergen --to ordforer-bergen
    """
    from lettersmith.deliver import send as sending
    from lettersmith.deliver import tables

    project = obj.project()

    def confirm(plan: SendPlan) -> bool:
        out.print(tables.plan_table(plan.items, plan.bcc, out.width))
        for warning in plan.warnings:
            err.print(warning, markup=False, soft_wrap=True)
        if (
            plan.todo
            and not yes
            and not click.confirm(
                _("Send {count} message(s) by email now?").format(count=plan.todo)
            )
        ):
            out.print(_("Nothing sent."), markup=False)
            return False
        return True

    with showing_progress(_("Sending")) as show:
        result = project.send(
            letter,
            club=club,
            selectors=selectors,
            overrides=overrides_from(date, place, signatory, language),
            dry_run=dry_run,
            resend=resend,
            confirm=confirm,
            on_event=show,
        )
    if dry_run:
        out.print(tables.plan_table(result.plan.items, result.plan.bcc, out.width))
        for warning in result.plan.warnings:
            err.print(warning, markup=False, soft_wrap=True)
        for path in result.written:
            out.print(wrote(path.relative_to(project.root)), markup=False)
        out.print(
            _("Dry run: {count} message(s) written, nothing sent.").format(count=result.plan.todo),
            markup=False,
        )
        return
    report = result.report
    if report is None:  # the answer was no
        return
    if report.results:
        out.print(tables.summary_table(report.results, out.width))
    elif not result.plan.todo:
        out.print(_("Nothing to send."), markup=False)
    command = sending.command_line(obj.workspace_dir, letter, club, selectors)
    status_command = sending.command_line(obj.workspace_dir, letter, club, verb="status")
    tables.print_hints(err, report.hints(command, status_command))
    if report.stopped is not None:
        raise report.stopped
    if report.undelivered:
        sys.exit(1)


@main.command()
@click.argument("letter")
@with_club
@click.option(
    "--mark-arrived",
    "arrived",
    metavar="ID",
    multiple=True,
    help="After checking with the recipient that a message whose outcome is unknown did "
    "arrive: record it as sent, so later runs stop asking. Repeat for more.",
)
@with_to
@click.pass_obj
def status(
    obj: Context,
    letter: str,
    club: str | None,
    arrived: tuple[str, ...],
    selectors: tuple[str, ...],
) -> None:
    """Who has been sent LETTER, and when, from the send journal.

    One line per recipient: state (sent, deferred, failed, unknown, or not sent), time,
    Message-ID and the mail server's reply, and what came back into the mailbox (read by
    `lettersmith inbox`): bounced and why, received with the archive's case number, replied
    when and by whom; then the letter's revision and who approved which revision, when (see
    `lettersmith approve`).

    \b
    Examples:
      lettersmith status menneskehandel-2024
      lettersmith status menneskehandel-2024 --mark-arrived hod
    """
    from lettersmith.deliver import tables

    result = obj.project().status(
        letter, club=club, selectors=selectors, mark_arrived=arrived, on_event=warn
    )
    out.print(
        tables.status_table(result.letter_id, result.club, result.rows, result.inbox, out.width)
    )
    for line in result.approval.lines():
        out.print(line, markup=False, soft_wrap=True)


class ListingGroup(LettersmithGroup):
    """A group whose bare use lists: ``recipients tag:x`` means ``recipients list tag:x``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@main.group(cls=ListingGroup)
def recipients() -> None:
    """List the recipient register, or bring a spreadsheet in and out.

    \b
    Examples:
      lettersmith recipients                      list the register
      lettersmith recipients tag:regjeringen      only these
      lettersmith recipients --club bergen        with the club's own recipients
      lettersmith recipients --stale              names not verified for 180 days
      lettersmith recipients import styret.xlsx --dry-run
      lettersmith recipients export mottakere.csv
    """


@recipients.command("list")
@click.argument("selector", required=False)
@with_club
@click.option(
    "--stale",
    is_flag=True,
    help="Only named people whose entry was verified more than 180 days ago (verified:).",
)
@click.pass_obj
def list_recipients(obj: Context, selector: str | None, club: str | None, stale: bool) -> None:
    """List the recipient register (with a club's own recipients under --club).

    SELECTOR narrows the list: a recipient id or tag:NAME. `lettersmith recipients` alone
    does the same.
    """
    from lettersmith.load.offices import STALE_AFTER_DAYS

    chosen = obj.project().recipients(selector, club=club, stale=stale, on_event=warn)
    rows = [
        (
            r.id,
            r.title or "",
            r.name or "",
            r.email,
            ", ".join(r.tags),
            str(r.verified or ""),
            r.club or _("register"),
        )
        for r in chosen
    ]
    columns = ("id", "title", "name", "email", "tags", "verified", "from")
    if not out.is_terminal:
        echo_tab_separated(columns, rows)
        return
    from lettersmith.deliver.tables import Column, fitted

    shown = (
        Column("id", whole=True),
        Column("title"),
        Column("name"),
        Column("email", whole=True),
        Column("tags", gives_way=2),
        Column("verified", whole=True, gives_way=1),
        Column("from", whole=True, gives_way=3),
    )
    out.print(fitted(None, shown, rows, out.width))
    if stale:
        out.print(
            _(
                "{count} name(s) verified more than {days} days ago. Check each on the "
                "ministry's page, then set verified: to the day you checked."
            ).format(count=len(rows), days=STALE_AFTER_DAYS),
            markup=False,
        )


def echo_tab_separated(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A listing piped to another program (``| cut``, ``| grep``, a spreadsheet): a header of
    fixed English names, then one tab-separated line a row; no table drawn for a window."""
    for row in [header, *rows]:
        click.echo("\t".join(row))


IMPORT_HELP = """Add the people in a spreadsheet (.csv or .xlsx) to recipients.yaml.

Columns are found by their header, in Norwegian or English, without regard to case, spaces
or punctuation; --map names any other. Every row is checked first; on any problem nothing is
written. --dry-run shows the entries exactly as they would be added, every field.

Columns (the field, then the headers read as it):

{columns}

\b
Examples:
  lettersmith recipients import styret.csv --dry-run
  lettersmith recipients import styret.xlsx --map Stilling=title
"""


class ImportCommand(click.Command):
    """``recipients import``, whose help lists the columns from the declared fields: read when
    the help is shown, so that starting the command line loads nothing of the engine."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from lettersmith.load import fields as declared

        self.help = IMPORT_HELP.format(columns=declared.column_help())
        super().format_help_text(ctx, formatter)


@recipients.command("import", cls=ImportCommand, help=IMPORT_HELP)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mapping",
    metavar="COLUMN=FIELD",
    multiple=True,
    help="Read the spreadsheet column COLUMN as the field FIELD (e.g. --map Stilling=title). "
    "Repeat for more.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be added; write nothing.")
@click.pass_obj
def import_recipients(obj: Context, file: Path, mapping: tuple[str, ...], dry_run: bool) -> None:
    from lettersmith.deliver.tables import Column, fitted
    from lettersmith.load import spreadsheet

    plan = obj.project().import_recipients(file, mapping, dry_run=dry_run)
    for note in plan.skipped:
        err.print(note, markup=False, soft_wrap=True)
    if not plan.added:
        out.print(_("Nothing to add."), markup=False)
        return
    if dry_run:  # every field, as it would be written
        out.print(_("These entries would be added to recipients.yaml:"), markup=False)
        out.print(spreadsheet.entries_text(plan).rstrip("\n"), markup=False, soft_wrap=True)
        out.print(
            _("Dry run: {count} recipient(s) would be added.").format(count=len(plan.added)),
            markup=False,
        )
        return
    columns = (
        Column("id", whole=True),
        Column("title"),
        Column("name"),
        Column("email", whole=True),
        Column("tags", gives_way=1),
    )
    rows = [
        (e.id, e.text("title"), e.text("name"), e.text("email"), ", ".join(e.tags))
        for e in plan.added
    ]
    out.print(fitted(None, columns, rows, out.width))
    out.print(
        _("Added {count} recipient(s) to recipients.yaml.").format(count=len(plan.added)),
        markup=False,
    )


@recipients.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_club
@click.pass_obj
def export_recipients(obj: Context, file: Path, club: str | None) -> None:
    """Write the recipient register to a spreadsheet: FILE.csv or FILE.xlsx.

    \b
    Examples:
      lettersmith recipients export mottakere.xlsx
      lettersmith recipients export mottakere.csv --club bergen
    """
    count = obj.project().export_recipients(file, club=club, on_event=warn)
    out.print(
        _("Wrote {count} recipient(s) to {file}.").format(count=count, file=file), markup=False
    )


@main.command()
@click.argument("text", required=False)
def offices(text: str | None) -> None:
    """The built-in register of offices, for `office:` in recipients.yaml.

    TEXT searches ids, titles, ministries and names; each match is shown with its sources and
    the date it was verified.

    \b
    Examples:
      lettersmith offices
      lettersmith offices hod
      lettersmith offices Vestre
    """
    from lettersmith.app.project import search_offices

    search = search_offices(text)
    found = search.found
    if text:
        for office in found:
            out.print(f"{office.id}: {office.describe()}", markup=False, soft_wrap=True)
            for label, value in (
                (_("ministry"), office.ministry),
                ("email", office.email or _("not confirmed: give email: yourself")),
                ("address", ", ".join(office.address) or _("not confirmed")),
                ("verified", office.verified or _("never: the holder is not recorded")),
            ):
                out.print(f"  {label}: {value}", markup=False)
            for source in office.sources:
                line = (
                    _("  source ({date}): {url}").format(date=source.date, url=source.url)
                    if source.date
                    else _("  source: {url}").format(url=source.url)
                )
                out.print(line, markup=False, soft_wrap=True)
                out.print(
                    _("    shows {what}").format(what=source.shows), markup=False, soft_wrap=True
                )
    elif not out.is_terminal:  # piped: one tab-separated line each, for other programs
        for office in found:
            click.echo(
                "\t".join(
                    (office.id, office.title, office.holder or "", office.email or "")
                    + (str(office.verified or ""),)
                )
            )
    else:
        from lettersmith.deliver.tables import Column, fitted

        columns = (
            Column("office", whole=True),
            Column("title"),
            Column("holder"),
            Column("email", whole=True, gives_way=1),
            Column("verified", whole=True, gives_way=2),
        )
        rows = [
            (o.id, o.title, o.holder or "", o.email or "", str(o.verified or "")) for o in found
        ]
        out.print(fitted(None, columns, rows, out.width))
    oldest = search.oldest_verification
    if oldest is not None:
        age = (dt.date.today() - oldest).days
        out.print(
            _(
                "The register was last verified {date} ({days} days ago). Offices change "
                "hands: check the ministry's page before you rely on a name."
            ).format(date=oldest, days=age),
            markup=False,
            soft_wrap=True,
        )


@main.command()
@click.argument("letter")
@click.option("--club", required=True, metavar="CLUB", help="The club whose version to compare.")
@click.pass_obj
def diff(obj: Context, letter: str, club: str) -> None:
    """What a club's version of LETTER changes against the union's text.

    Shows the organisation, signatory, place, date, language, position, title, body,
    attachments, addressees added and removed, and the club's appended paragraphs, word by
    word.

    \b
    Example:
      lettersmith diff menneskehandel-2024 --club bergen
    """
    lines = obj.project().diff(letter, club=club, on_event=warn)
    color = out.is_terminal and "NO_COLOR" not in os.environ
    for line in lines:
        out.print(line.render(color=color), markup=False, highlight=False, soft_wrap=True)


@main.command()
@click.argument("letter")
@with_club
@with_to
@click.option(
    "--dpi",
    type=click.IntRange(30, 600),
    default=110,
    show_default=True,
    help="Resolution of the images, in dots per inch.",
)
@with_overrides
@click.pass_obj
def preview(
    obj: Context,
    letter: str,
    club: str | None,
    selectors: tuple[str, ...],
    dpi: int,
    date: dt.date | None,
    place: str | None,
    signatory: str | None,
    language: str | None,
) -> None:
    """PNG images of the letter's pages, in out/LETTER/preview/.

    A club's go to out/clubs/CLUB/LETTER/preview/. Builds the PDF first if it is missing or
    out of date.
    """
    project = obj.project()
    overrides = overrides_from(date, place, signatory, language)
    pngs = project.preview(
        letter, club=club, selectors=selectors, overrides=overrides, dpi=dpi, on_event=warn
    )
    for png in pngs:
        out.print(wrote(png.relative_to(project.root)), markup=False)


@main.group()
def journal() -> None:
    """The send journal in .lettersmith/ (who has been sent what)."""


@journal.command("rebuild")
@click.pass_obj
def journal_rebuild(obj: Context) -> None:
    """Restore the journal's rows from the copies in .lettersmith/sent/.

    Use it when the journal (.lettersmith/journal.sqlite) was deleted, emptied, damaged or
    put back from an older backup: `send` refuses to run then, because it could send letters
    a second time. Rows as new as the copies are kept; a damaged journal is renamed, not
    deleted. A restored message counts as sent when the server had accepted it, and as
    unknown when nothing says it had. The bounces, receipts and replies `lettersmith inbox`
    recorded come back from their copies in .lettersmith/inbox/.

    \b
    Example:
      lettersmith journal rebuild
    """
    result = obj.project().journal_rebuild()
    if result.moved_aside is not None:
        out.print(
            _("The damaged journal was kept as {path}.").format(path=result.moved_aside),
            markup=False,
        )
    for entry in result.restored:
        where = _(" (club {club})").format(club=entry.club) if entry.club else ""
        out.print(
            _("restored {letter}{club} -> {recipient} <{address}>, letter dated {date}").format(
                letter=entry.letter,
                club=where,
                recipient=entry.recipient,
                address=entry.address,
                date=entry.letter_date or _("unknown"),
            ),
            markup=False,
        )
    for reason in result.skipped:
        err.print(reason, markup=False)
    out.print(
        _("{count} row(s) restored, {kept} already in the journal.").format(
            count=len(result.restored), kept=result.kept
        ),
        markup=False,
    )
    if result.inbox_restored:
        out.print(
            _("{count} inbox row(s) restored from .lettersmith/inbox/.").format(
                count=result.inbox_restored
            ),
            markup=False,
        )


@main.command()
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.pass_obj
def backup(obj: Context, directory: Path) -> None:
    """Copy the workspace and its journal into DIR, safely while the app or a send runs.

    DIR must be a new or empty folder outside the workspace (a new one for each backup,
    so that two are never mixed). Everything in the workspace is copied except out/, which
    `lettersmith build` makes again; the journal and every other database in .lettersmith/
    are copied through SQLite's backup API, so each is whole and consistent even while it
    is written. A link is copied as a link, never followed (one pointing outside the
    workspace is named in a warning). The copy is written beside DIR and renamed at the end:
    a backup that stops halfway leaves no DIR. To restore, stop the app and copy DIR back
    (README: "Backup and restore").

    \b
    Examples:
      lettersmith backup /var/backups/union/$(date +%F)
      lettersmith -w /srv/union backup /media/usb/union-2026-12-03
    """
    project = obj.project()
    with showing_progress(_("Backing up")) as show:
        result = project.backup(directory, on_event=show)
    out.print(
        _("Backed up {root} to {directory}: {files}, {databases}, {size} in all.").format(
            root=result.root,
            directory=result.directory,
            files=ngettext("{count} file", "{count} files", result.files).format(
                count=result.files
            ),
            databases=ngettext(
                "{count} database", "{count} databases", len(result.databases)
            ).format(count=len(result.databases)),
            size=file_size(result.size),
        ),
        markup=False,
        soft_wrap=True,
    )


def file_size(size: int) -> str:
    """A number of bytes as a person reads it: 512 bytes, 14 kB, 3.2 MB, 1.4 GB."""
    if size < 1000:
        return ngettext("{count} byte", "{count} bytes", size).format(count=size)
    for unit, scale in (("GB", 10**9), ("MB", 10**6)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1000:.0f} kB"


@main.command()
@click.argument("letter", required=False)
@with_club
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    callback=_date,
    help="Only messages that arrived on or after this day (for a first run on an old mailbox).",
)
@click.pass_obj
def inbox(obj: Context, letter: str | None, club: str | None, since: dt.date | None) -> None:
    """Read bounces, receipts and replies to your letters from the mail.imap folder.

    Reads what arrived since the last run, changing nothing on the server (nothing is marked
    read, moved or deleted). A message that answers one of your letters (a bounce, an
    archive's automatic receipt with its case number, a person's reply) is recorded in the
    journal with a copy under .lettersmith/inbox/; `status` then shows it per recipient.
    Anything else is counted and left alone. The password comes from LETTERSMITH_IMAP_PASSWORD
    (or LETTERSMITH_SMTP_PASSWORD). LETTER (and --club) narrow what is shown; whatever
    answers another letter is recorded too.

    \b
    Examples:
      lettersmith inbox
      lettersmith inbox menneskehandel-2024
      lettersmith inbox --since 2026-11-01
    """
    from lettersmith.deliver import tables
    from lettersmith.deliver.inbox.classify import Kind, kind_label
    from lettersmith.translate import _, ngettext

    with showing_progress(_("Reading the inbox")) as show:
        result = obj.project().inbox(letter, club=club, since=since, on_event=show)
    if result.events:
        out.print(tables.inbox_table(result.events, out.width))
    kinds = (Kind.BOUNCED, Kind.RECEIVED, Kind.REPLIED)
    counts = ", ".join(f"{result.count(kind.value)} {kind_label(kind)}" for kind in kinds)
    out.print(
        ngettext(
            "{count} new message read in {folder}: {counts}; {unmatched} answering none of "
            "your letters (left alone).",
            "{count} new messages read in {folder}: {counts}; {unmatched} answering none of "
            "your letters (left alone).",
            result.read,
        ).format(
            count=result.read,
            folder=result.folder,
            counts=counts,
            unmatched=result.unmatched + result.unrelated,
        ),
        markup=False,
        soft_wrap=True,
    )
    if result.other_letters:
        out.print(
            _("{count} more recorded for other letters (see their status).").format(
                count=result.other_letters
            ),
            markup=False,
        )
    if result.renumbered:
        out.print(
            _(
                "The server renumbered the folder (its UIDVALIDITY changed), so it was read "
                "again from the start; nothing was recorded twice ({count} known already)."
            ).format(count=result.already),
            markup=False,
            soft_wrap=True,
        )
    for item in result.skipped:
        if item.answers:
            text = _(
                "Read in part, too large ({size:.1f} MB): the message from {sender} “{subject}” "
                "answers {letter}; it was recorded from its first part, and its copy in "
                ".lettersmith/inbox/ holds only that: open it in your mail program for the rest."
            )
        else:
            text = _(
                "Not read whole, too large ({size:.1f} MB): the message from {sender} "
                "“{subject}”; open it in your mail program."
            )
        err.print(
            text.format(
                size=item.size / 1024 / 1024,
                sender=item.sender or "?",
                subject=item.subject,
                letter=item.answers,
            ),
            markup=False,
            soft_wrap=True,
        )
    if result.waiting:
        command = "lettersmith inbox" + (f" {letter}" if letter else "")
        err.print(
            _("{count} more messages are waiting; run `{command}` again to read them.").format(
                count=result.waiting, command=command
            ),
            markup=False,
            soft_wrap=True,
        )


@main.command()
@click.argument("letter")
@with_club
@click.option(
    "--zip",
    "pack",
    is_flag=True,
    help="Also pack the review folder into out/LETTER/LETTER-review.zip, to email to the board.",
)
@click.pass_obj
def review(obj: Context, letter: str, club: str | None, pack: bool) -> None:
    """Write a review page for the board: out/LETTER/review/index.html.

    It opens in any browser, on a phone too, without a server or network: every page of the
    letter as a picture, the PDF and DOCX, the recipients (name, office, email, postal
    address, language, already sent?), each email as it will be sent (subject, cover note,
    attachments and their sizes), for a club the words it changes against the union's
    letter, and the letter's revision: the code `lettersmith approve` records.

    \b
    Examples:
      lettersmith review menneskehandel-2024
      lettersmith review menneskehandel-2024 --club bergen --zip
    """
    project = obj.project()
    for path in project.review(letter, club=club, pack=pack, on_event=warn):
        out.print(wrote(path.relative_to(project.root)), markup=False)


@main.command()
@click.argument("letter")
@with_club
@click.option(
    "--by",
    "by",
    required=True,
    metavar="NAME",
    help="Who approves the letter (with accounts: a board account's name).",
)
@click.option("--note", metavar="TEXT", help="A note kept with the approval (a meeting, a date).")
@click.pass_obj
def approve(obj: Context, letter: str, club: str | None, by: str, note: str | None) -> None:
    """Record in the journal that NAME approved LETTER as it is now (its current revision).

    With `approval: required` in lettersmith.yaml, `send` sends only a letter whose current
    revision someone has approved; change one word and it needs a new approval. `status`
    shows who approved what, and when.

    Once the workspace has accounts (`lettersmith users`), NAME must be a board account: its
    password is asked at a hidden prompt (or read as one line from stdin), and the approval
    is recorded as that account.

    \b
    Examples:
      lettersmith approve menneskehandel-2024 --by "Karin Dahlberg Pettersen"
      lettersmith approve menneskehandel-2024 --club bergen --by "Kari" \\
          --note "Styremøte"
      lettersmith approve menneskehandel-2024 --by kari    (a board account)
    """
    project = obj.project()
    if project.has_accounts():  # the server's accounts: only a board account approves
        password = read_password(_("Password for {name}").format(name=by), new=False)
        project = project.approver(by, password, club=club)
        assert project.account is not None
        by = project.account.name
    recorded = project.approve(letter, by=by, note=note, club=club, on_event=warn)
    out.print(f"{recorded.letter}: {recorded.describe()}.", markup=False, soft_wrap=True)


# ------------------------------------------------------------------------------ accounts


def read_password(prompt: str, *, new: bool) -> str:
    """A password as a person gives it: at a terminal from a hidden prompt (a new one asked
    twice); otherwise exactly one line from stdin (`echo ... | lettersmith users add ...`).
    Never from an option or the environment, where other users and logs would see it."""
    if sys.stdin.isatty():
        given = str(click.prompt(prompt, hide_input=True, err=True))
        if new and str(click.prompt(_("Repeat it"), hide_input=True, err=True)) != given:
            raise LettersmithError(_("the two passwords typed differ; nothing was changed"))
        return given
    line = sys.stdin.readline()
    if not line:
        raise LettersmithError(
            _(
                "no password was given: type it at the prompt, or give it as one line on "
                "stdin (echo 'the password' | lettersmith ...)"
            )
        )
    return str(line).removesuffix("\n").removesuffix("\r")


@main.group(cls=ListingGroup)
def users() -> None:
    """The accounts that log in to the web app on a union's server, and their roles.

    Roles: admin (accounts and settings, and all a secretary does), secretary (positions,
    letters, recipients, building and sending), board (sees all, approves; edits and sends
    nothing), club:ID (its own club's file, folder and versions; reads the union's). No
    login is needed here: these commands are for the person at the server with the files.
    The password is asked at a hidden prompt, or read as one line from stdin.
    `lettersmith users` alone lists the accounts.

    \b
    Examples:
      lettersmith users add anne --role admin
      echo 'et langt passord' | lettersmith users add kari --role board
      lettersmith users add berit --role club:bergen
      lettersmith users list
      lettersmith users passwd kari
      lettersmith users remove kari
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    metavar="ROLE",
    help="admin, secretary, board, or club:ID for a club in clubs/ (club:bergen).",
)
@click.pass_obj
def add_user(obj: Context, name: str, role: str) -> None:
    """Add an account: NAME logs in with it, with the role ROLE.

    NAME: 1 to 64 letters, digits and . _ @ - (kari, kari.nordmann@example.org); Kari and
    kari are the same account. The password: at least 10 characters, not the name; asked
    twice at a hidden prompt, or one line on stdin. It is kept only as an Argon2id hash in
    .lettersmith/accounts.sqlite.

    \b
    Examples:
      lettersmith users add anne --role admin
      lettersmith users add kari --role board
      echo 'et langt passord' | lettersmith users add berit --role club:bergen
    """
    project = obj.project()
    project.check_new_user(name, role)  # a mistake said before the password is typed
    password = read_password(_("New password for {name}").format(name=name), new=True)
    account = project.add_user(name, role, password)
    out.print(
        _("Added {name} ({role}).").format(name=account.name, role=account.role),
        markup=False,
        soft_wrap=True,
    )


@users.command("list")
@click.pass_obj
def list_users(obj: Context) -> None:
    """List the accounts: name, role, when made, when the password last changed, and how
    many browsers are logged in with each now.

    Piped to another program (`lettersmith users list | grep board`): a header line, then one
    tab-separated line per account. A club account whose club file is gone is marked, and
    named on stderr with the command that removes it.
    """
    from lettersmith.deliver.tables import Column, fitted

    details = obj.project().user_details()
    if not details:
        out.print(
            _("No accounts yet. Add the first, an admin: lettersmith users add NAME --role admin"),
            markup=False,
            soft_wrap=True,
        )
        return
    columns = (
        Column(_("name"), whole=True),
        Column(_("role"), whole=True),
        Column(_("created"), whole=True, gives_way=2),
        Column(_("password changed"), whole=True, gives_way=1),
        Column(_("sessions"), whole=True, justify="right"),
    )
    for user in details:
        if user.club_gone:
            line = _(
                "{name}: warning: the account of club {club}, which has no file now "
                "(clubs/{club}.yaml): it cannot log in; put the file back, or remove the "
                "account (lettersmith users remove {name})"
            ).format(name=user.account.name, club=user.account.club)
            err.print(line, markup=False, soft_wrap=True)
    rows = [
        (
            user.account.name,
            user.account.role + (_(" (no such club)") if user.club_gone else ""),
            f"{user.created.astimezone():%Y-%m-%d %H:%M}",
            f"{user.password_changed.astimezone():%Y-%m-%d %H:%M}",
            str(user.sessions),
        )
        for user in details
    ]
    if not out.is_terminal:  # the role as stored, for programs; the warning said the rest
        rows = [
            (row[0], user.account.role, *row[2:]) for row, user in zip(rows, details, strict=True)
        ]
        echo_tab_separated(("name", "role", "created", "password_changed", "sessions"), rows)
        return
    out.print(fitted(None, columns, rows, out.width))


@users.command("remove")
@click.argument("name")
@click.pass_obj
def remove_user(obj: Context, name: str) -> None:
    """Remove the account NAME; the browsers logged in with it are logged out.

    The last admin account is not removed while other accounts remain.

    \b
    Example:
      lettersmith users remove kari
    """
    account = obj.project().remove_user(name)
    out.print(
        _("Removed {name} ({role}); its sessions have ended.").format(
            name=account.name, role=account.role
        ),
        markup=False,
        soft_wrap=True,
    )


@users.command("passwd")
@click.argument("name")
@click.pass_obj
def set_password(obj: Context, name: str) -> None:
    """Give the account NAME a new password; the browsers logged in with it are logged out.

    The password is asked twice at a hidden prompt, or read as one line from stdin.

    \b
    Examples:
      lettersmith users passwd kari
      echo 'et nytt langt passord' | lettersmith users passwd kari
    """
    project = obj.project()
    name = project.user(name).name  # an unknown name said before the password is typed
    password = read_password(_("New password for {name}").format(name=name), new=True)
    account = project.set_password(name, password)
    out.print(
        _("Changed the password of {name}; its sessions have ended.").format(name=account.name),
        markup=False,
        soft_wrap=True,
    )


@main.command()
@click.argument("letter", required=False)
@click.option(
    "--club", metavar="CLUB", help="Only what concerns this club (with LETTER: its version)."
)
@click.option(
    "--csv",
    "csv_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the entries to FILE (.csv, .xlsx or .json) instead of showing them.",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Show what each change changed, line by line."
)
@click.pass_obj
def audit(
    obj: Context, letter: str | None, club: str | None, csv_file: Path | None, show_diff: bool
) -> None:
    """The audit trail: who changed which file, approved or sent which letter, and when.

    Every save made through the web app (or a program using lettersmith), every approval
    and every send is recorded in .lettersmith/audit.sqlite, newest first here. With LETTER,
    only what concerns that letter: its file, its position, its attachments, its approvals
    and sends. A change made by editing a file by hand is not in the trail.

    \b
    Examples:
      lettersmith audit
      lettersmith audit menneskehandel-2024 --diff
      lettersmith audit menneskehandel-2024 --club bergen
      lettersmith audit --csv revisjon.csv
    """
    project = obj.project()
    if csv_file is not None:
        count = project.export_audit(csv_file, letter=letter, club=club)
        out.print(
            _("Wrote {count} entries to {file}.").format(count=count, file=csv_file),
            markup=False,
        )
        return
    entries = project.audit(letter, club=club)
    if not entries:
        out.print(_("Nothing recorded yet."), markup=False)
        return
    from lettersmith.deliver.tables import Column, fitted

    rows = [[entry.when.removesuffix(" UTC"), entry.who, entry.describe()] for entry in entries]
    columns = (Column(_("Time (UTC)")), Column(_("Who")), Column(_("What")))
    out.print(fitted(_("Audit trail"), columns, rows, out.width))
    if show_diff:
        for entry in entries:
            if entry.diff:
                out.print(f"{entry.when}  {entry.who}", markup=False)
                out.print(entry.diff, markup=False, highlight=False, soft_wrap=True)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Only this computer's (127.0.0.1, localhost, ::1) until "
    "the workspace has an admin account; then also 0.0.0.0 (every network of the computer) "
    "or one of its addresses.",
)
@click.option(
    "--port", default=8400, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option("--no-browser", is_flag=True, help="Print the link; do not open a browser.")
@click.option(
    "--public-url",
    "public_urls",
    multiple=True,
    metavar="URL",
    help="An address people type to reach the app, such as https://brev.example.no (the "
    "name the reverse proxy serves, or http://192.168.1.10:8400 on a local network). "
    "Requests naming any other host are refused, so another web site cannot borrow the "
    "server. Give it once for each address. Needs an admin account.",
)
@click.option(
    "--trust-proxy",
    is_flag=False,
    flag_value="127.0.0.1",
    default=None,
    metavar="ADDRESS",
    help="A reverse proxy (Caddy, nginx) that handles HTTPS stands in front: believe the "
    "client's address and https in its X-Forwarded-For and X-Forwarded-Proto headers, from "
    "ADDRESS only (127.0.0.1 when left out; several: 10.0.0.2,10.0.0.3; a network: "
    "10.0.0.0/24). Without it those "
    "headers are ignored. Needs an admin account.",
)
@click.pass_obj
def serve(
    obj: Context,
    host: str,
    port: int,
    no_browser: bool,
    public_urls: tuple[str, ...],
    trust_proxy: str | None,
) -> None:
    """Start the web app on this workspace, for working in the browser (in Norwegian).

    Alone on your computer (no accounts): prints one line,
    `Open http://127.0.0.1:8400/?token=...`, and opens that link in your browser. The link
    logs that browser in; the token is new at each start, and without it the app shows only
    how to get in. Stop the app with Ctrl-C (a send under way finishes first).

    For a union (once accounts exist, see `lettersmith users`): prints
    `Open http://127.0.0.1:8400/login`, and everyone logs in with their name and password.
    To let others reach it, make an admin account first, then run it behind a reverse proxy
    with HTTPS (see the README), or on a local network with --host.

    \b
    Examples:
      lettersmith serve
      lettersmith serve --port 8401 --no-browser
      lettersmith users add anne --role admin
      lettersmith serve --public-url https://brev.example.no --trust-proxy
      lettersmith serve --host 0.0.0.0 --public-url http://192.168.1.10:8400
    """
    from lettersmith.web.serve import serve as serving

    serving(
        obj.project().root,
        host=host,
        port=port,
        open_browser=not no_browser,
        public_urls=public_urls,
        trust_proxy=trust_proxy,
    )


def wrote(path: Path) -> str:
    """The line for each file a command wrote."""
    return _("wrote {path}").format(path=path)


# build lists the files it wrote when there are at most this many (all of them with -v).
LIST_WRITTEN = 10


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@main.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE..."
)
@click.option(
    "--trust",
    metavar="CA.pem",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CA certificate (PEM or DER) to trust, instead of the system's roots. Repeatable.",
)
def verify(files: tuple[Path, ...], trust: tuple[Path, ...]) -> None:
    """Check the digital signatures of signed PDF letters.

    For each FILE: who signed it (the certificate's subject), when, whether it is intact (not
    changed after signing), whether the certificate chains to a trusted root, and whether it
    still says it is PDF/A. The exit status is 0 only when every file is intact and trusted;
    otherwise 1, with one line per problem. Nothing is fetched from the network.

    \b
    Examples:
      lettersmith verify out/menneskehandel-2024/menneskehandel-2024.pdf \\
          --trust certs/ca.pem
      lettersmith verify out/*/*.pdf
    """
    from lettersmith.app.project import verify_files

    problems: list[str] = []
    for verdict in verify_files(files, trust):
        path = verdict.path
        problems.extend(verdict.problems)
        if verdict.signer is None:
            continue
        when = f"{verdict.signed_at:%Y-%m-%d %H:%M %Z}" if verdict.signed_at else _("unknown time")
        count = len(verdict.signatures)
        parts = [
            _("signed by {signer}").format(signer=verdict.signer),
            (_("at {when} (time-stamped)") if verdict.time_stamped else _("at {when}")).format(
                when=when
            ),
            _("intact") if verdict.intact else _("MODIFIED"),
            _("trusted") if verdict.trusted else _("NOT TRUSTED"),
            verdict.pdfa or _("not PDF/A"),
            ngettext("{count} signature", "{count} signatures", count).format(count=count),
        ]
        out.print(f"{path}: " + "; ".join(parts), markup=False, soft_wrap=True)
    if problems:
        raise LettersmithError("\n".join(problems))
