"""The import and export services, in process, on real SQLite files (and the main flows
also on a PostgreSQL server: ``any_ctx``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from specialops import audit
from specialops.areas.customers.models import Customer
from specialops.areas.people.actions import resolve_actor
from specialops.entities import code_key
from specialops.errors import PermissionDenied, UsageError
from specialops.io import engine
from specialops.io.engine import import_file
from specialops.io.export import export_entity
from specialops.models.core import AuditEntry, Department, UserAccount

HEADER = "code,name,type,phone,email,address,tier,notes\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def customers(ctx) -> list[Customer]:
    with ctx.store.read() as session:
        return list(session.exec(select(Customer).order_by(Customer.id)).all())


def entries(ctx, **where) -> list[AuditEntry]:
    with ctx.store.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(session.exec(query).all())


def verify(ctx) -> None:
    with ctx.store.engine.connect() as conn:
        result = audit.verify(conn)
    assert result.ok, result


def test_new_customers_get_codes_in_one_block_and_one_audited_batch(any_ctx, tmp_path) -> None:
    source = write(
        tmp_path / "c.csv",
        HEADER + ',王小明,個人,0912345678,wang@example.com,台北市,金卡,"a ""q"" \\ 😀\n\tb"\n'
        ",公司甲,company,,,,,\n",
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", source)
    assert summary.ok and summary.written
    assert (summary.rows, summary.inserted, summary.rejected) == (2, 2, 0)
    found = customers(any_ctx)
    assert [(c.code, c.name, c.type, c.tier) for c in found] == [
        ("CUS-000001", "王小明", "individual", "gold"),
        ("CUS-000002", "公司甲", "company", None),
    ]
    assert found[0].version == 1 and found[0].updated_by == any_ctx.actor.username
    batch = entries(any_ctx, batch=summary.batch)
    assert [e.action for e in batch] == ["import", "insert", "insert"]
    head = json.loads(batch[0].after)
    assert head["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert head["inserted"] == 2 and head["file"] == "c.csv"
    assert json.loads(batch[1].after)["name"] == "王小明"
    # the same JSON text the app's own audit entries hold
    assert all(e.after == audit.dump(json.loads(e.after)) for e in batch)
    assert batch[1].record_id == found[0].id and batch[1].code == "CUS-000001"
    verify(any_ctx)


def test_timestamps_are_stored_like_the_apps(ctx, tmp_path) -> None:
    import_file(ctx.store, ctx.actor, "customers", write(tmp_path / "c.csv", HEADER + ",A,,,,,,\n"))
    with ctx.store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT created_at FROM customers").scalar()
        at = conn.exec_driver_sql("SELECT at FROM audit_log ORDER BY id DESC LIMIT 1").scalar()
    reference = entries(ctx)[0]
    with ctx.store.engine.connect() as conn:
        first = conn.exec_driver_sql("SELECT at FROM audit_log ORDER BY id LIMIT 1").scalar()
    assert len(raw) == len(at) == len(first)  # same text form, no offset appended
    assert customers(ctx)[0].created_at.tzinfo is not None
    assert reference.at.tzinfo is not None


def test_given_codes_push_the_counter_past_them(any_ctx, tmp_path) -> None:
    source = write(tmp_path / "c.csv", HEADER + "CUS-000041,A,,,,,,\n,B,,,,,,\n")
    import_file(any_ctx.store, any_ctx.actor, "customers", source)
    assert [c.code for c in customers(any_ctx)] == ["CUS-000041", "CUS-000042"]
    with any_ctx.store.write(any_ctx.actor) as session:
        session.add(Customer(name="from the app"))
    assert customers(any_ctx)[-1].code == "CUS-000043"


def test_upsert_updates_bumps_version_and_reports_unchanged(any_ctx, tmp_path) -> None:
    first = write(tmp_path / "a.csv", HEADER + "CUS-000001,A,,,,,,\nCUS-000002,B,,,,,,\n")
    import_file(any_ctx.store, any_ctx.actor, "customers", first)
    again = write(
        tmp_path / "b.csv", HEADER + "CUS-000001,A,,,,,,\nCUS-000002,B2,公司,,,,,\n,C,,,,,,\n"
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", again, upsert=True)
    assert (summary.inserted, summary.updated, summary.unchanged) == (1, 1, 1)
    found = {c.code: c for c in customers(any_ctx)}
    assert found["CUS-000002"].name == "B2" and found["CUS-000002"].type == "company"
    assert found["CUS-000002"].version == 2 and found["CUS-000001"].version == 1
    update = [e for e in entries(any_ctx, batch=summary.batch) if e.action == "update"]
    assert len(update) == 1
    assert json.loads(update[0].before) == {"name": "B", "type": "individual"}
    assert json.loads(update[0].after) == {"name": "B2", "type": "company"}
    verify(any_ctx)


def test_without_upsert_an_existing_key_rejects_the_row(any_ctx, tmp_path) -> None:
    import_file(
        any_ctx.store,
        any_ctx.actor,
        "customers",
        write(tmp_path / "a.csv", HEADER + "CUS-000001,A,,,,,,\n"),
    )
    summary = import_file(
        any_ctx.store,
        any_ctx.actor,
        "customers",
        write(tmp_path / "b.csv", HEADER + "CUS-000001,Z,,,,,,\n"),
    )
    assert [str(p) for p in summary.errors] == [
        "line 2, column code: code 'CUS-000001' already exists "
        "(use --upsert to update existing records)"
    ]
    assert customers(any_ctx)[0].name == "A"


def test_every_problem_is_reported_and_abort_writes_nothing(any_ctx, tmp_path) -> None:
    before = len(entries(any_ctx))
    source = write(
        tmp_path / "c.csv",
        HEADER
        + ",好,,,,,,\n"
        + ",,人,,bad-mail,,platinum,\n"
        + "CUS-000009,X,,,,,,\n"
        + "CUS-000009,Y,,,,,,\n",
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", source)
    assert not summary.ok and not summary.written
    assert [(p.line, p.column) for p in summary.errors] == [
        (3, "name"),
        (3, "type"),
        (3, "email"),
        (3, "tier"),
        (5, "code"),
    ]
    assert "first on line 4" in summary.errors[-1].message
    assert summary.rejected == 2 and summary.inserted == 0
    assert customers(any_ctx) == [] and len(entries(any_ctx)) == before


def test_skip_writes_the_good_rows_and_the_bad_ones_to_rejects(any_ctx, tmp_path) -> None:
    source = write(tmp_path / "c.csv", HEADER + ',Good,,,,,,\n,Bad,nope,,,,,\n,"=1+2",,,,,,\n')
    rejects = tmp_path / "rejects.csv"
    summary = import_file(
        any_ctx.store, any_ctx.actor, "customers", source, on_error="skip", rejects=rejects
    )
    assert (summary.inserted, summary.rejected) == (2, 1)
    assert [c.name for c in customers(any_ctx)] == ["Good", "=1+2"]
    rows = list(csv.DictReader(io.StringIO(rejects.read_text("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["name"] == "Bad" and rows[0]["type"] == "nope"
    assert rows[0]["error"].startswith("type: 'nope' is not one of")
    # the rejects file, fixed, imports as it is (its error column is ignored)
    fixed = rejects.read_text("utf-8-sig").replace(",nope,", ",company,")
    again = import_file(any_ctx.store, any_ctx.actor, "customers", write(tmp_path / "r.csv", fixed))
    assert again.ok and again.inserted == 1


def test_dry_run_reports_and_writes_nothing(any_ctx, tmp_path) -> None:
    source = write(tmp_path / "c.csv", HEADER + ",A,,,,,,\n,B,,,,,,\n")
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", source, dry_run=True)
    assert summary.ok and summary.inserted == 2 and not summary.written
    assert summary.batch is None
    assert customers(any_ctx) == []


def test_header_problems_are_reported_with_the_row_problems(any_ctx, tmp_path) -> None:
    source = write(tmp_path / "c.csv", "code,type,colour\n,robot,red\n")
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", source, on_error="skip")
    messages = [str(p) for p in summary.errors]
    assert messages[0].startswith("line 1, column colour: unknown column; customers has: code,")
    assert "line 1, column name: required column is missing" in messages
    assert any(m.startswith("line 2, column type:") for m in messages)
    assert not summary.written and customers(any_ctx) == []


def test_users_refer_to_departments_by_code_and_name_unknown_ones(demo_ctx, tmp_path) -> None:
    source = write(
        tmp_path / "u.csv",
        "username,name,department,role,email,active\n"
        "new.one,新人,CS,職員,new.one@example.com,\n"
        "new.two,新人二,NOPE,staff,,false\n",
    )
    summary = import_file(demo_ctx.store, demo_ctx.actor, "users", source)
    assert [str(p) for p in summary.errors] == [
        "line 3, column department: unknown department 'NOPE'"
    ]
    summary = import_file(demo_ctx.store, demo_ctx.actor, "users", source, on_error="skip")
    assert summary.inserted == 1
    with demo_ctx.store.read() as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == "new.one")).one()
        cs = session.exec(select(Department).where(Department.code == "CS")).one()
    assert (user.role, user.department_id, user.active) == ("staff", cs.id, True)


def test_departments_may_name_a_parent_from_the_same_file(any_ctx, tmp_path) -> None:
    source = write(
        tmp_path / "d.csv",
        "code,name,parent\nSUB,子部門,TOP\nTOP,總部,\nLOST,迷路,NOWHERE\n",
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "departments", source)
    assert [str(p) for p in summary.errors] == [
        "line 4, column parent: unknown department 'NOWHERE'"
    ]
    summary = import_file(any_ctx.store, any_ctx.actor, "departments", source, on_error="skip")
    assert summary.inserted == 2
    with any_ctx.store.read() as session:
        by_code = {d.code: d for d in session.exec(select(Department)).all()}
    assert by_code["SUB"].parent_id == by_code["TOP"].id
    out = tmp_path / "out.csv"
    export_entity(any_ctx.store, any_ctx.actor, "departments", out)
    again = import_file(any_ctx.store, any_ctx.actor, "departments", out, upsert=True)
    assert (again.unchanged, again.updated, again.inserted) == (2, 0, 0)
    verify(any_ctx)


def test_import_and_export_need_their_permissions(demo_ctx, tmp_path) -> None:
    staff = resolve_actor(demo_ctx.store, "liu.fang")
    source = write(tmp_path / "c.csv", HEADER + ",A,,,,,,\n")
    with pytest.raises(PermissionDenied, match="may not import records"):
        import_file(demo_ctx.store, staff, "customers", source)
    with pytest.raises(PermissionDenied, match="may not export records"):
        export_entity(demo_ctx.store, staff, "customers", tmp_path / "out.csv")


def test_export_masks_personal_data_for_roles_that_may_not_see_it(demo_ctx, tmp_path) -> None:
    source = write(
        tmp_path / "c.csv",
        HEADER + ",測試客戶甲,,0912345678,wang@example.com,台北市信義路一段1號,,\n",
    )
    import_file(demo_ctx.store, demo_ctx.actor, "customers", source)
    auditor = resolve_actor(demo_ctx.store, "sun.li")
    masked = tmp_path / "masked.csv"
    summary = export_entity(demo_ctx.store, auditor, "customers", masked)
    assert summary.masked == ["address", "email", "id_number", "phone"]
    rows = csv.DictReader(io.StringIO(masked.read_text("utf-8-sig")))
    row = next(r for r in rows if r["name"] == "測試客戶甲")
    assert (row["phone"], row["email"]) == ("******5678", "w***@example.com")
    assert "0912345678" not in masked.read_text("utf-8-sig")
    assert entries(demo_ctx, action="export") == []
    with pytest.raises(PermissionDenied):
        export_entity(demo_ctx.store, auditor, "customers", masked, where=["phone=0912345678"])
    plain = tmp_path / "plain.csv"
    export_entity(demo_ctx.store, demo_ctx.actor, "customers", plain)
    assert "0912345678" in plain.read_text("utf-8-sig")
    (reveal,) = entries(demo_ctx, action="export")
    assert reveal.entity == "customers" and "phone" in reveal.comment


def test_export_where_filters_with_import_values(demo_ctx, tmp_path) -> None:
    out = tmp_path / "u.jsonl"
    summary = export_entity(
        demo_ctx.store, demo_ctx.actor, "users", out, where=["department=CS", "role=客服"]
    )
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert summary.rows == len(rows) >= 1
    assert {(r["department"], r["role"]) for r in rows} == {("CS", "agent")}
    with pytest.raises(UsageError, match="FIELD=VALUE"):
        export_entity(demo_ctx.store, demo_ctx.actor, "users", out, where=["colour=red"])


def test_plan_hash_equals_the_audit_log_hash() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    digest = engine._hasher(at, "chen", "root", "customers", "import of 客戶.csv", "b1")
    row = {
        "at": at,
        "username": "chen",
        "real_username": "root",
        "action": "insert",
        "entity": "customers",
        "record_id": 7,
        "code": "CUS-000007",
        "before": None,
        "after": '{"name":"王\\"小明\\n"}',
        "comment": "import of 客戶.csv",
        "batch": "b1",
    }
    assert digest("ab" * 32, "insert", 7, "CUS-000007", None, row["after"]) == audit.entry_hash(
        "ab" * 32, row
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [(None, '{"name":"王\\"小明\\n","n":"a\\\\b"}'), ('{"tier":"gold"}', '{"tier":null}')],
)
def test_chain_text_equals_the_audit_log_hash(before: str | None, after: str) -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    common = (at, "chen", "root", "customers", "import of 客戶.csv", "b1")
    action = "insert" if before is None else "update"
    chain = engine._Chain("ab" * 32, engine._entry_format(*common))
    link = chain(
        1,
        action.encode(),
        after.encode(),
        before.encode() if before else None,
        json.dumps("CUS-000007").encode(),
        7,
    )
    row = {
        "at": at,
        "username": "chen",
        "real_username": "root",
        "action": action,
        "entity": "customers",
        "record_id": 7,
        "code": "CUS-000007",
        "before": before,
        "after": after,
        "comment": "import of 客戶.csv",
        "batch": "b1",
    }
    assert link[:32] == bytes.fromhex("ab" * 32)
    assert link[32:].hex() == audit.entry_hash("ab" * 32, row)


def test_highest_code_reads_only_this_entitys_numbers() -> None:
    codes = ["CUS-000041", None, "", "CUS-９", "CUS-12a", "TKT-999999", "CUS-", "CUS-000007"]
    assert engine.highest_code("CUS-", codes) == 41
    assert engine.highest_code("CUS-", ["CUS-٣٤"]) == 34  # any decimal digits, as int() reads them
    assert engine.highest_code("CUS-", []) == 0


def test_inserts_and_updates_in_one_file_chain_in_file_order(any_ctx, tmp_path) -> None:
    import_file(
        any_ctx.store,
        any_ctx.actor,
        "customers",
        write(tmp_path / "a.csv", HEADER + "CUS-000001,A,,,,,,\n"),
    )
    mixed = write(
        tmp_path / "b.csv",
        HEADER + ",New one,,,,,,\nCUS-000001,A renamed,,,,,,\nCUS-000010,Given,,,,,,\n",
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", mixed, upsert=True)
    assert (summary.inserted, summary.updated) == (2, 1)
    batch = entries(any_ctx, batch=summary.batch)
    assert [(e.action, e.code) for e in batch] == [
        ("import", None),
        ("insert", "CUS-000011"),
        ("update", "CUS-000001"),
        ("insert", "CUS-000010"),
    ]
    assert json.loads(batch[2].before) == {"name": "A"}
    assert json.loads(batch[2].after) == {"name": "A renamed"}
    verify(any_ctx)


TEXT = st.text(
    alphabet=st.sampled_from(list("ab 王小明,\"'\n\r=+-@😀客戶\t;")), min_size=1, max_size=12
).filter(lambda s: s.strip())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            TEXT,
            st.sampled_from(["individual", "company"]),
            st.one_of(st.none(), TEXT),
            st.one_of(st.none(), TEXT),
        ),
        min_size=1,
        max_size=6,
    ),
    fmt=st.sampled_from(["csv", "json", "jsonl", "xlsx"]),
)
def test_an_export_reimported_with_upsert_changes_nothing(ctx, tmp_path_factory, rows, fmt) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    with ctx.store.write(ctx.actor) as session:
        for name, kind, address, notes in rows:
            session.add(Customer(name=name.strip(), type=kind, address=address, notes=notes))
    exported = folder / f"out.{fmt}"
    export_entity(ctx.store, ctx.actor, "customers", exported)
    first = import_file(ctx.store, ctx.actor, "customers", exported, upsert=True)
    assert first.ok, first.errors
    # stored text that import would clean (blanks around it) may change once, never again
    export_entity(ctx.store, ctx.actor, "customers", exported)
    second = import_file(ctx.store, ctx.actor, "customers", exported, upsert=True)
    assert second.ok, second.errors
    assert second.updated == 0 and second.inserted == 0
    assert second.unchanged == len(customers(ctx))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(TEXT, st.one_of(st.none(), TEXT)), min_size=1, max_size=5),
    fmt=st.sampled_from(["csv", "json", "jsonl", "xlsx"]),
)
def test_imported_text_survives_an_export_exactly(ctx, tmp_path_factory, rows, fmt) -> None:
    folder = tmp_path_factory.mktemp("imported")
    source = folder / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for name, notes in rows:
            handle.write(json.dumps({"name": name, "notes": notes}, ensure_ascii=False) + "\n")
    summary = import_file(ctx.store, ctx.actor, "customers", source)
    assert summary.ok, summary.errors
    stored = customers(ctx)[-len(rows) :]
    # Free text is kept as given, blanks around it too; only line ends are made one form.
    expected = [n.replace("\r\n", "\n").replace("\r", "\n") for n, _ in rows]
    assert [c.name for c in stored] == expected
    exported = folder / f"out.{fmt}"
    export_entity(ctx.store, ctx.actor, "customers", exported)
    again = import_file(ctx.store, ctx.actor, "customers", exported, upsert=True)
    assert again.ok and again.updated == 0 and again.inserted == 0


def test_migration_0003_upgrades_a_database_at_0002(tmp_path) -> None:
    from sqlalchemy import inspect

    from specialops.store.migrate import upgrade, upgrade_to
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'old.db'}", create=True, migrate=False)
    try:
        upgrade_to(store, "0002")
        assert "customers" not in inspect(store.engine).get_table_names()
        upgrade(store)
        inspector = inspect(store.engine)
        indexes = {i["name"]: i for i in inspector.get_indexes("customers")}
        assert indexes["ix_customers_code"]["unique"]
        assert indexes["ix_customers_name_id"]["column_names"] == ["name", "id"]
    finally:
        store.dispose()


def test_audit_entries_of_text_with_quotes_and_control_characters_verify(any_ctx, tmp_path) -> None:
    # Tab, newline and carriage return are the control characters an import lets in
    # (the others are refused: tests/io/test_hostile_values.py).
    nasty = ['A"\\\t\u2028中', "x\ty\u2029z", "\n\t\r 😀 𠀀 '=1"]
    source = tmp_path / "c.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({"code": f"K{i}{text}", "name": text, "notes": text}, ensure_ascii=False)
            for i, text in enumerate(nasty)
        )
        + "\n",
        encoding="utf-8",
    )
    summary = import_file(any_ctx.store, any_ctx.actor, "customers", source)
    assert summary.ok and summary.inserted == 3, summary.errors
    inserted = [e for e in entries(any_ctx, batch=summary.batch) if e.action == "insert"]
    stored = [text.replace("\r", "\n") for text in nasty]  # one line-end form
    notes = stored  # free text keeps its blanks
    # Codes are kept as codes are typed canonically (entities.code_key): upper case.
    assert [e.code for e in inserted] == [code_key(f"K{i}{t}") for i, t in enumerate(stored)]
    assert [json.loads(e.after)["notes"] for e in inserted] == notes
    assert all(e.after == audit.dump(json.loads(e.after)) for e in inserted)
    verify(any_ctx)
