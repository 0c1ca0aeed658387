"""Anchors kept outside the database find what the chain alone cannot: a cut tail and a
chain computed again after an edit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from specialops import audit
from tests.conftest import run_cli, tamper_audit_log


def _some_changes(db: Path, count: int) -> None:
    for n in range(count):
        done = run_cli("users", "add", f"new.{n}", "--name", f"新人{n}", "--role", "staff", db=db)
        assert done.returncode == 0, done.stderr


def _rebuild_chain_from(db: Path, first: int) -> None:
    """Compute every hash again from entry ``first`` on, as a forger with the program's own
    hash function would."""
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            rows = [audit._read(raw, True)[0] for raw in audit._raw_rows(conn)]
    finally:
        store.dispose()
    prev = rows[first - 2]["hash"] if first > 1 else audit.GENESIS
    links = []
    for row in rows[first - 1 :]:
        digest = audit._hash(prev, row, row["at"])
        links.append((prev, digest, row["id"]))
        prev = digest
    with sqlite3.connect(db) as conn:
        conn.executemany("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", links)


def _anchor(db: Path, kept: Path) -> None:
    done = run_cli("audit", "anchor", "-o", str(kept), db=db)
    assert done.returncode == 0, done.stderr


def test_an_anchored_log_that_grew_verifies(demo_db: Path, tmp_path: Path) -> None:
    kept = tmp_path / "anchors.jsonl"
    _anchor(demo_db, kept)
    _some_changes(demo_db, 2)
    _anchor(demo_db, kept)
    lines = kept.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["id"] == json.loads(lines[0])["id"] + 2
    result = run_cli("audit", "verify", "--anchors", str(kept), db=demo_db)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cut_tail_verifies_alone_but_not_against_its_anchor(
    demo_db: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "anchors.jsonl"
    _some_changes(demo_db, 3)
    _anchor(demo_db, kept)
    top = json.loads(kept.read_text())["id"]
    tamper_audit_log(demo_db, f"DELETE FROM audit_log WHERE id > {top - 3}")
    assert run_cli("audit", "verify", db=demo_db).returncode == 0  # the chain cannot tell
    result = run_cli("audit", "verify", "--anchors", str(kept), db=demo_db)
    assert result.returncode == 1
    assert f"entry {top}, anchored at" in result.stdout and "were cut" in result.stdout


def test_a_rebuilt_chain_verifies_alone_but_not_against_its_anchor(
    demo_db: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "anchors.jsonl"
    _anchor(demo_db, kept)
    top = json.loads(kept.read_text())["id"]
    edit = f"UPDATE audit_log SET comment = 'nothing to see' WHERE id = {top - 5}"
    tamper_audit_log(demo_db, edit)
    _rebuild_chain_from(demo_db, top - 5)
    assert run_cli("audit", "verify", db=demo_db).returncode == 0  # the chain cannot tell
    result = run_cli("audit", "verify", "--anchors", str(kept), "--json", db=demo_db)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and f"entry {top} no longer has the hash" in report["reason"]


def test_a_file_that_holds_no_anchors_is_a_usage_error(demo_db: Path, tmp_path: Path) -> None:
    kept = tmp_path / "anchors.jsonl"
    kept.write_text("not an anchor\n")
    result = run_cli("audit", "verify", "--anchors", str(kept), db=demo_db)
    assert result.returncode == 2 and "line 1: not an anchor" in result.stderr
