"""The unionflow command line: parses, makes one call into workflow/, renders. No business rules.

Only click is imported at start-up; everything else is imported inside the command that needs it, so
`unionflow --help` stays fast (a test pins the import list).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from datetime import date, datetime

import click

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --------------------------------------------------------------------------------------------- plumbing
class IsoDate(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.fail(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2018-07-01", param, ctx)


class IsoDateTime(click.ParamType):
    name = "DATETIME"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(value.strip().replace(" ", "T"))
        except ValueError:
            self.fail(f"{value!r} is not a date-time: use YYYY-MM-DDTHH:MM, e.g. 2018-08-15T14:30", param, ctx)


DATE = IsoDate()
DATETIME = IsoDateTime()


class UnionflowGroup(click.Group):
    """Turns domain errors into `Error: …` with exit 1 (click does usage errors, exit 2)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # noqa: BLE001 - the domain error classes are imported lazily
            from workflow.errors import WorkflowError

            if isinstance(exc, WorkflowError):
                error = click.ClickException(str(exc))
                error.details = getattr(exc, "errors", None)
                raise error from exc
            if type(exc).__module__.startswith(("sqlalchemy", "psycopg")) and "connect" in str(exc).lower():
                raise click.ClickException(f"cannot reach the database: {str(exc).splitlines()[0]}") from exc
            raise

    def list_commands(self, ctx):
        return list(self.commands)  # keep the order of definition, which follows the work


def group(parent, name, **kw):
    return parent.group(name, cls=UnionflowGroup, context_settings=CONTEXT_SETTINGS, **kw)


class State:
    """The root options, and the workflow Context made from them on first use."""

    def __init__(self, db, actor, config, lang):
        self.db, self.actor, self.config, self.lang = db, actor, config, lang
        self._ctx = None

    @property
    def ctx(self):
        if self._ctx is None:
            from workflow.context import Context

            self._ctx = Context.open(db_url=self.db, config_path=self.config, lang=self.lang, actor_code=self.actor)
        return self._ctx

    def close(self):
        if self._ctx is not None:
            self._ctx.close()


pass_state = click.make_pass_decorator(State)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")(f)


def on_option(f):
    return click.option("--on", type=DATE, help="The day it happened (default today; never in the future).")(f)


def note_option(f):
    return click.option("--note", help="Free text for the case timeline.")(f)


def as_of_option(f):
    return click.option("--as-of", "as_of", type=DATE, help="Compute as of this day (default today).")(f)


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def table(rows: list[dict], columns: list[str] | None = None, title: str | None = None) -> None:
    """A table that fits the terminal (rich folds long cells)."""
    if not rows:
        click.echo("(none)")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    columns = columns or list(rows[0])
    t = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    Console(soft_wrap=False).print(t)


def show_record(d: dict) -> None:
    width = max(len(k) for k in d) if d else 0
    for k, v in d.items():
        if isinstance(v, list):
            v = ", ".join(map(str, v))
        click.echo(f"{k.ljust(width)}  {'' if v is None else v}")


def render(as_json: bool, data, *, columns=None, title=None):
    if as_json:
        echo_json(data)
    elif isinstance(data, list):
        table(data, columns, title)
    else:
        show_record(data)


# --------------------------------------------------------------------------------------------- root
@click.group(cls=UnionflowGroup, context_settings=CONTEXT_SETTINGS)
@click.option("--db", envvar="UNIONFLOW_DATABASE_URL", metavar="URL",
              help="Database URL (env UNIONFLOW_DATABASE_URL). Default: a SQLite file in the user data directory.")
@click.option("--as", "actor", envvar="UNIONFLOW_USER", metavar="CODE",
              help="Your cadre code (env UNIONFLOW_USER); needed for every command that changes data.")
@click.option("--config", envvar="UNIONFLOW_CONFIG", metavar="PATH", type=click.Path(dir_okay=False),
              help="TOML configuration file (env UNIONFLOW_CONFIG).")
@click.option("--lang", envvar="UNIONFLOW_LANG", type=click.Choice(["zh", "en"]),
              help="Language of output, emails and documents (env UNIONFLOW_LANG).")
@click.version_option(package_name="unionflow")
@click.pass_context
def main(ctx, db, actor, config, lang):
    """unionflow — union founding cases for the non-public enterprises of a park.

    \b
    Every enterprise is a case: prospect → contacted → preparatory → founded → active.
    Cadres advance their cases; a daily sweep reminds and escalates stalled ones to the
    six-party joint meeting; reports show the founding rate against targets.

    \b
    Start here:
      unionflow demo                         replay the Songjiang pilot on a demo database
      unionflow init --admin A01 --name 管理员 --email admin@example.org
      unionflow --as A01 enterprise import registry.xlsx --park SJ
      unionflow --as C01 case contact 91310117MA1J00001X --person 王经理
    """
    level = os.environ.get("UNIONFLOW_LOG_LEVEL")
    if level:
        import logging

        logging.basicConfig(level=level.upper(), stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state = State(db, actor, config, lang)
    ctx.obj = state
    ctx.call_on_close(state.close)


# --------------------------------------------------------------------------------------------- set-up
@main.command()
@click.option("--admin", required=True, metavar="CODE", help="Code of the first admin, e.g. A01.")
@click.option("--name", required=True, help="The admin's name.")
@click.option("--email", required=True, help="The admin's email address.")
@pass_state
def init(state, admin, name, email):
    """Create the database schema and the first admin.

    \b
    Example:
      unionflow init --admin A01 --name 李华 --email lihua@example.org
    """
    from workflow.people import init as do_init

    result = do_init(state.ctx, admin=admin, name=name, email=email)
    verb = "created" if result["created"] else "already there"
    click.echo(f"Database ready at {result['database']}; admin {admin} {verb}.")
    click.echo(f"Next: unionflow --as {admin} park add CODE NAME")


@group(main, "db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@pass_state
def db_upgrade(state):
    """Bring the schema to the current version (runs the migrations)."""
    from workflow.db import head_revision, upgrade

    upgrade(state.ctx.config.database_url)
    click.echo(f"Schema at revision {head_revision()}.")


# --------------------------------------------------------------------------------------------- parks and cadres
@group(main, "park")
def park_group():
    """Parks (园区) and sub-parks."""


@park_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice(["national", "municipal", "district"]), default="national", show_default=True)
@click.option("--parent", metavar="CODE", help="The park this one belongs to (a sub-park).")
@pass_state
def park_add(state, code, name, level, parent):
    """Add a park. Example: unionflow --as A01 park add SJ 松江经开区 --level national"""
    from workflow.people import add_park

    add_park(state.ctx, code=code, name=name, level=level, parent=parent)
    click.echo(f"Park {code} added.")


@park_group.command("list")
@json_option
@pass_state
def park_list(state, as_json):
    """List parks."""
    from workflow.people import list_parks

    render(as_json, list_parks(state.ctx))


@group(main, "cadre")
def cadre_group():
    """Cadres, social workers, supervisors, secretaries and admins."""


@cadre_group.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["cadre", "social_worker", "supervisor", "secretary", "admin"]),
              default="cadre", show_default=True)
@click.option("--park", metavar="CODE", help="The cadre's park.")
@click.option("--supervisor", metavar="CODE", help="The cadre's supervisor (a cadre with role supervisor).")
@pass_state
def cadre_add(state, code, name, email, role, park, supervisor):
    """Add a cadre (admins only).

    \b
    Example:
      unionflow --as A01 cadre add S01 --name 张伟 --email zhangwei@example.org --role supervisor --park SJ
      unionflow --as A01 cadre add C01 --name 王芳 --email wangfang@example.org --park SJ --supervisor S01
    """
    from workflow.people import add_cadre

    add_cadre(state.ctx, code=code, name=name, email=email, role=role, park=park, supervisor=supervisor)
    click.echo(f"Cadre {code} ({role}) added.")


@cadre_group.command("list")
@json_option
@pass_state
def cadre_list(state, as_json):
    """List cadres with their role, park and supervisor."""
    from workflow.people import list_cadres

    render(as_json, list_cadres(state.ctx))


# --------------------------------------------------------------------------------------------- cases
CASE_COLUMNS = ["id", "uscc", "enterprise", "park", "status", "mode", "cadre", "status_since", "next_action_on"]


@group(main, "case")
def case_group():
    """Founding cases: list, show, history, and the steps of the founding procedure."""


@case_group.command("list")
@click.option("--mine", is_flag=True, help="Only the cases you (--as) are responsible for.")
@click.option("--status", type=click.Choice(["prospect", "contacted", "preparatory", "founded", "active", "closed"]))
@click.option("--cadre", metavar="CODE", help="Only this cadre's cases.")
@click.option("--park", metavar="CODE", help="Only this park's cases.")
@click.option("--stalled", is_flag=True, help="Only stalled cases, with working days in status and the level reached.")
@as_of_option
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@json_option
@pass_state
def case_list(state, mine, status, cadre, park, stalled, as_of, limit, as_json):
    """List cases. Example: unionflow --as C01 case list --mine --status contacted"""
    if stalled:
        from workflow.sweep import stalled_cases

        rows = stalled_cases(state.ctx, as_of=as_of, mine=mine, status=status, cadre=cadre, park=park, limit=limit)
        render(as_json, rows, columns=["id", "uscc", "enterprise", "status", "cadre", "working_days", "allowed", "level"])
        return
    if as_of:
        raise click.UsageError("--as-of goes with --stalled")
    from workflow.cases import list_cases

    render(as_json, list_cases(state.ctx, mine=mine, status=status, cadre=cadre, park=park, limit=limit),
           columns=CASE_COLUMNS)


@case_group.command("show")
@click.argument("ref")
@json_option
@pass_state
def case_show(state, ref, as_json):
    """Show a case (REF is a case id or a USCC), with the recommended founding mode and allowed actions."""
    from workflow.cases import show

    render(as_json, show(state.ctx, ref))


@case_group.command("history")
@click.argument("ref")
@json_option
@pass_state
def case_history(state, ref, as_json):
    """The case's timeline: transitions, activities, assignments, escalations, resolutions."""
    from workflow.cases import history

    render(as_json, history(state.ctx, ref),
           columns=["occurred_on", "kind", "event", "from_status", "to_status", "actor", "note"])


def _step(state, ref, event, as_json, **facts):
    from workflow.cases import transition

    result = transition(state.ctx, ref, event, **facts)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Case {result['id']} ({result['enterprise']}) is now {result['status']} since {result['status_since']}.")


@case_group.command("contact")
@click.argument("ref")
@on_option
@click.option("--person", help="The employer's contact person you met.")
@note_option
@json_option
@pass_state
def case_contact(state, ref, on, person, note, as_json):
    """prospect → contacted: you have met the employer. Example: case contact 91310117MA1J00001X --person 王经理"""
    _step(state, ref, "contact", as_json, on=on, person=person, note=note)


@case_group.command("prepare")
@click.argument("ref")
@click.option("--mode", required=True, type=click.Choice(["standalone", "joint"]), help="Founding path.")
@on_option
@click.option("--group-leader", help="Leader of the preparatory group (standalone).")
@click.option("--applied-on", type=DATE, help="Day the application went to the higher union (standalone).")
@click.option("--joint-union", metavar="CODE", help="The joint union the enterprise will join (joint).")
@note_option
@json_option
@pass_state
def case_prepare(state, ref, mode, on, group_leader, applied_on, joint_union, note, as_json):
    """contacted → preparatory: founding path chosen, preparatory group formed and application filed.

    \b
    Examples:
      case prepare REF --mode standalone --group-leader 李强 --applied-on 2018-07-10
      case prepare REF --mode joint --joint-union JU-G01
    """
    _step(state, ref, "prepare", as_json, on=on, mode=mode, group_leader=group_leader, applied_on=applied_on,
          joint_union=joint_union, note=note)


@case_group.command("found")
@click.argument("ref")
@on_option
@click.option("--congress-on", type=DATE, help="Day of the member assembly / election.")
@click.option("--approval-ref", help="Approval reference of the higher union (批复文号), e.g. 松总工〔2018〕12号.")
@click.option("--chair", help="The elected chair.")
@click.option("--members", type=click.IntRange(min=0), help="Number of union members.")
@note_option
@json_option
@pass_state
def case_found(state, ref, on, congress_on, approval_ref, chair, members, note, as_json):
    """preparatory → founded: election held and approved (or joined a founded joint union).

    \b
    Example:
      case found REF --congress-on 2018-09-01 --approval-ref 松总工〔2018〕12号 --chair 陈静 --members 48
    """
    _step(state, ref, "found", as_json, on=on, congress_on=congress_on, approval_ref=approval_ref, chair=chair,
          members=members, note=note)


@case_group.command("activate")
@click.argument("ref")
@on_option
@click.option("--legal-cert", help="Reference of the union's legal-person certificate.")
@note_option
@json_option
@pass_state
def case_activate(state, ref, on, legal_cert, note, as_json):
    """founded → active: legal-person certificate obtained (standalone) or covered and running (joint)."""
    _step(state, ref, "activate", as_json, on=on, legal_cert=legal_cert, note=note)


@case_group.command("setback")
@click.argument("ref")
@click.option("--reason", required=True, help="Why the case goes one step back.")
@on_option
@json_option
@pass_state
def case_setback(state, ref, reason, on, as_json):
    """One step back, with a reason (e.g. the preparatory group fell apart)."""
    _step(state, ref, "setback", as_json, on=on, reason=reason)


@case_group.command("close")
@click.argument("ref")
@click.option("--reason", required=True, type=click.Choice(["deregistered", "moved_out", "merged", "out_of_scope"]))
@on_option
@note_option
@json_option
@pass_state
def case_close(state, ref, reason, on, note, as_json):
    """Close a case (admins): the enterprise leaves the denominator of the founding rate."""
    _step(state, ref, "close", as_json, on=on, reason=reason, note=note)


@case_group.command("reopen")
@click.argument("ref")
@on_option
@note_option
@json_option
@pass_state
def case_reopen(state, ref, on, note, as_json):
    """Reopen a closed case (admins): it returns to the status it had when closed."""
    _step(state, ref, "reopen", as_json, on=on, note=note)


@case_group.command("log")
@click.argument("ref")
@click.option("--kind", required=True, type=click.Choice(["visit", "call", "meeting", "other"]))
@click.option("--note", required=True, help="What happened.")
@on_option
@click.option("--next-action", type=DATE, help="Your next follow-up day; the sweep reminds you when it is due.")
@json_option
@pass_state
def case_log(state, ref, kind, note, on, next_action, as_json):
    """Log a visit, call or meeting (does not restart the stall clock).

    \b
    Example:
      case log REF --kind visit --note "老板出差，下周再约" --next-action 2018-07-20
    """
    from workflow.cases import log_activity

    result = log_activity(state.ctx, ref, kind=kind, note=note, on=on, next_action=next_action)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Logged {kind} on case {result['id']} ({result['enterprise']}).")


# --------------------------------------------------------------------------------------------- states
@group(main, "states")
def states_group():
    """The founding state machine."""


@states_group.command("diagram")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
def states_diagram(fmt):
    """Print the state diagram, generated from the machine's definition."""
    from states.machine import diagram

    click.echo(diagram(fmt), nl=False)


# --------------------------------------------------------------------------------------------- entry point
def run() -> None:
    main(prog_name="unionflow")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
