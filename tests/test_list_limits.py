"""Long lists: a table shows the first 100 rows and says how many more; --limit N, --limit 0 for all;
--json is whole unless --limit is given."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.conftest import valid_usccs

N_CASES = 103
USCCS = valid_usccs(N_CASES, seed=11)


@pytest.fixture
def many_cases(org, db_url):
    """N_CASES enterprises of park SJ, each with a prospect case of cadre C01 (written in two statements)."""
    from sqlalchemy import insert, select

    from workflow.db import make_engine
    from workflow.tables import CADRE, CASE, ENT, PARK

    now = datetime.now(UTC)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            park = conn.execute(select(PARK.c.id).where(PARK.c.code == "SJ")).scalar_one()
            cadre = conn.execute(select(CADRE.c.id).where(CADRE.c.code == "C01")).scalar_one()
            conn.execute(insert(ENT), [{"uscc": u, "name": f"企业{i:03}", "park_id": park, "employees": 30,
                                        "shuangshi": True, "created_at": now, "updated_at": now}
                                       for i, u in enumerate(USCCS)])
            ids = conn.execute(select(ENT.c.id).order_by(ENT.c.id)).scalars().all()
            conn.execute(insert(CASE), [{"enterprise_id": e, "status": "prospect", "status_since": date(2026, 1, 5),
                                         "cadre_id": cadre, "created_at": now, "updated_at": now} for e in ids])
    finally:
        engine.dispose()
    return db_url


def table_rows(output: str) -> list[str]:
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("──"))
    return lines[rule + 1:]


@pytest.mark.parametrize("command", [["case", "list"], ["enterprise", "list"], ["case", "list", "--stalled"]])
def test_a_table_shows_100_rows_and_says_how_many_more(cli, many_cases, command):
    rows = table_rows(cli(*command).stdout)
    assert len(rows) == 101 and rows[-1] == "… 3 more; use --limit 0 for all"
    assert table_rows(cli(*command, lang="zh").stdout)[-1] == "……另有 3 行未列出；加 --limit 0 列出全部"


def test_limit_n_and_limit_0(cli, many_cases):
    rows = table_rows(cli("case", "list", "--limit", "5").stdout)
    assert len(rows) == 6 and rows[-1] == "… 98 more; use --limit 0 for all"
    assert len(table_rows(cli("case", "list", "--limit", "0").stdout)) == N_CASES
    assert "more" not in cli("case", "list", "--limit", str(N_CASES)).stdout


def test_json_is_whole_unless_a_limit_is_given(cli, many_cases):
    assert len(cli.json("case", "list")) == N_CASES
    assert len(cli.json("enterprise", "list")) == N_CASES
    assert len(cli.json("case", "list", "--stalled")) == N_CASES
    assert [c["uscc"] for c in cli.json("case", "list", "--limit", "3")] == USCCS[:3]
    assert len(cli.json("enterprise", "list", "--limit", "0")) == N_CASES


def test_a_short_list_has_no_more_line(cli, org):
    out = cli("cadre", "list").stdout
    assert "more" not in out and len(table_rows(out)) == 7
    rows = table_rows(cli("cadre", "list", "--limit", "2").stdout)
    assert rows[-1] == "… 5 more; use --limit 0 for all"
