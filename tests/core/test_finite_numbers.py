"""Every number read is finite and in range: the number reader, fields, measures, screens.

``nan``, ``inf`` and ``1e400`` are refused wherever a number is read (imports,
forms, the command line, measures); whole numbers and money fit an SQLite
INTEGER; a non-finite value already stored (from before these checks) shows
as invalid instead of breaking the risk screen, and the readings still make
the export → import round trip.
"""

from __future__ import annotations

import csv
import io
import math
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from sqlmodel import select

from specialops import measures
from specialops.areas.risks import actions as risks
from specialops.areas.risks.models import IndicatorReading, RiskIndicator
from specialops.entities import FieldSpec
from specialops.errors import ValidationError
from specialops.io.convert import (
    INT64_MAX,
    INT64_MIN,
    NUMBER_LIMIT,
    CellError,
    importer,
    parse_number,
)
from tests.conftest import run_cli
from tests.pilot import pilot_test, settle

NOT_FINITE = ["nan", "NaN", "inf", "-inf", "+inf", "Infinity", "-Infinity", "ｉｎｆ"]
TOO_LARGE = ["1e400", "-1e400", "1e301", "1E99999999999999999999", "1" + "0" * 301]


@pytest.mark.parametrize("text", NOT_FINITE + TOO_LARGE)
def test_the_number_reader_refuses_what_is_not_finite_or_too_large(text: str) -> None:
    with pytest.raises(ValidationError, match=r"not a number|out of range"):
        parse_number(text)


def test_the_largest_number_reads_and_the_next_is_refused() -> None:
    assert parse_number("1e300") == NUMBER_LIMIT
    assert parse_number("-1,000,000.5") == Decimal("-1000000.5")
    with pytest.raises(ValidationError, match="out of range"):
        parse_number("1.0000000000000000001e300")


def test_a_refused_cell_is_a_validation_error_exit_1() -> None:
    assert issubclass(CellError, ValidationError) and issubclass(CellError, ValueError)


@pytest.mark.parametrize(
    ("spec", "text", "words"),
    [
        (FieldSpec("n", "int"), "9223372036854775808", "whole numbers run from"),
        (FieldSpec("n", "int"), "1e5000", "numbers run from -1e300 to 1e300"),
        (FieldSpec("p", "percent", min=0, max=100), "1e400", "numbers run from"),
        (FieldSpec("p", "percent", min=0, max=100), "100.5", "accepted: from 0 to 100"),
        (FieldSpec("m", "money", min=0), "99999999999999999999999", "0 to 92233720368547758.07"),
        (FieldSpec("m", "money"), "-92233720368547758.09", "-92233720368547758.08 to"),
        (FieldSpec("d", "decimal"), "Infinity", "only finite numbers"),
    ],
)
def test_fields_refuse_values_beyond_their_range(spec: FieldSpec, text: str, words: str) -> None:
    with pytest.raises(CellError) as refused:
        importer(spec)(text)
    assert words in str(refused.value)


def test_the_64_bit_bounds_are_accepted_and_one_past_them_refused() -> None:
    whole, money = importer(FieldSpec("n", "int")), importer(FieldSpec("m", "money"))
    assert whole(str(INT64_MAX)) == INT64_MAX and whole(str(INT64_MIN)) == INT64_MIN
    assert money("92233720368547758.07") == INT64_MAX
    assert money("-92233720368547758.08") == INT64_MIN
    for refused, text in ((whole, str(INT64_MAX + 1)), (money, "92233720368547758.08")):
        with pytest.raises(ValidationError, match="out of range"):
            refused(text)


# --- property: finite, in range, or refused ------------------------------------------------

NUMBERISH = st.text(alphabet="0123456789+-.,_ eEinfatyINFATY%０１９，．－", max_size=40)
HUGE = st.builds(
    lambda sign, digits, exponent: f"{sign}{digits}e{exponent}",
    st.sampled_from(["", "-", "+"]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.integers(min_value=-(10**25), max_value=10**25),
)
TEXTS = st.one_of(NUMBERISH, HUGE, st.text(max_size=30))
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(TEXTS)
def test_the_number_reader_gives_a_finite_number_in_range_or_refuses(text: str) -> None:
    try:
        value = parse_number(text)
    except ValidationError:
        return
    assert value.is_finite() and abs(value) <= NUMBER_LIMIT
    assert math.isfinite(float(value))


FIELDS = [
    FieldSpec("n", "int"),
    FieldSpec("p", "percent", min=0, max=100),
    FieldSpec("m", "money", min=0),
    FieldSpec("m", "money"),
    FieldSpec("d", "decimal"),
]


@PROPERTY
@given(TEXTS, st.sampled_from(FIELDS))
def test_number_fields_give_what_sqlite_stores_or_refuse(text: str, spec: FieldSpec) -> None:
    try:
        value = importer(spec)(text)
    except ValidationError:
        return
    if value is None:
        return
    if spec.kind == "decimal":
        assert math.isfinite(float(value)) and abs(value) <= NUMBER_LIMIT
    else:
        assert isinstance(value, int) and INT64_MIN <= value <= INT64_MAX
    if spec.min is not None:
        assert value >= spec.min
    if spec.max is not None:
        assert value <= spec.max


# --- measures -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 10**400, 1e301])
def test_a_measure_refuses_a_reading_or_threshold_that_is_not_finite(value) -> None:
    from specialops.areas.risks.rules import INDICATOR

    thresholds = INDICATOR.thresholds("higher_worse", 2, 5)
    with pytest.raises(ValidationError, match=r"value: .* finite, from -1e300 to 1e300"):
        INDICATOR.reading(None, value, thresholds)
    with pytest.raises(ValidationError) as refused:
        measures.check(INDICATOR, "higher_worse", warning=2, critical=value)
    assert refused.value.field == "critical"


def _indicator(ctx) -> RiskIndicator:
    with ctx.store.read() as session:
        return session.exec(select(RiskIndicator).order_by(RiskIndicator.id)).first()


def _reading_count(ctx) -> int:
    with ctx.store.read() as session:
        return len(session.exec(select(IndicatorReading.id)).all())


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, float("1e400")])
def test_recording_a_reading_that_is_not_finite_writes_nothing(risk_ctx, value) -> None:
    indicator = _indicator(risk_ctx)
    before = _reading_count(risk_ctx)
    with pytest.raises(ValidationError) as refused:
        risks.record_reading(risk_ctx.store, risk_ctx.actor, indicator.id, value)
    assert refused.value.field == "value"
    assert _reading_count(risk_ctx) == before


def test_a_budget_typed_beyond_64_bits_is_refused_naming_the_field() -> None:
    from specialops.areas.projects.rules import parse_money

    with pytest.raises(ValidationError, match=r"budget: .* amounts run from") as refused:
        parse_money("99999999999999999999999")
    assert refused.value.field == "budget"
    with pytest.raises(ValidationError, match=r"loss_amount: .* amounts run from 0 to"):
        risks.parse_money("99999999999999999999999")


def test_form_fields_refuse_control_characters_but_keep_a_stored_value() -> None:
    from specialops.widgets.form import FormField, read_number

    field = FormField("title", "Title")
    assert "U+001B (ESC)" in (field.problem("x\x1b]0;owned\x07") or "")
    assert "U+009B (CSI)" in (field.problem("x\x9b2J") or "")
    assert field.problem("tab\tand\nnewline") is None
    # A value stored before the rule, left as it was, is not new text.
    assert FormField("title", "Title", value="old\x1b").problem("old\x1b") is None
    for text in ("inf", "nan", "1e400"):
        with pytest.raises(ValueError):
            read_number(text)


# --- a non-finite value stored before these checks ----------------------------------------


def _store_inf(ctx) -> RiskIndicator:
    """An indicator with a stored ``inf`` reading, written past every check (as old data)."""
    indicator = _indicator(ctx)
    database = ctx.settings.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        # A copy of the indicator's newest reading, newer still, holding inf.
        columns = [row[1] for row in conn.execute("PRAGMA table_info(risk_indicator_readings)")]
        copied = [c for c in columns if c not in ("id", "code", "value", "at")]
        conn.execute(
            f"INSERT INTO risk_indicator_readings (code, value, at, {', '.join(copied)}) "
            f"SELECT 'RDG-9999999', ?, '2026-11-28 09:00:00.000000', {', '.join(copied)} "
            "FROM risk_indicator_readings WHERE indicator_id = ? ORDER BY id DESC LIMIT 1",
            (math.inf, indicator.id),
        )
    return indicator


@pilot_test
async def test_the_risk_screen_shows_a_stored_inf_as_invalid(risk_ctx) -> None:
    from specialops.app import make_app
    from specialops.models.core import AuditEntry  # noqa: F401 - the app's models loaded
    from specialops.screens.risks.detail import RiskDetailScreen
    from specialops.screens.shell import registry

    indicator = _store_inf(risk_ctx)
    with pytest.raises(ValidationError):  # a refused attempt, too
        risks.record_reading(risk_ctx.store, risk_ctx.actor, indicator.id, math.nan)
    with risk_ctx.store.read() as session:
        from specialops.areas.risks.models import Risk

        code = session.get(Risk, indicator.risk_id).code
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(registry.number_keys()["risks"])
        await settle(pilot)
        app.push_screen(RiskDetailScreen(risk_ctx, code))
        await settle(pilot)
        assert isinstance(app.screen, RiskDetailScreen)
        console = Console(file=io.StringIO(), width=120, color_system=None)
        console.print(app.screen.query_one("#risk-indicators").content)
        shown = console.file.getvalue()
        assert f"{indicator.code} {indicator.name}: — (invalid" in shown
        assert " ?" in shown  # the chart marks it, drawn to the scale of the others


def _export_import(db, tmp_path, *extra: str):
    exported = tmp_path / "readings.csv"
    done = run_cli("export", "readings", "-o", str(exported), db=db)
    assert done.returncode == 0, done.stderr
    again = run_cli("import", "readings", str(exported), "--upsert", "--json", *extra, db=db)
    assert "Traceback" not in again.stderr
    return exported, again


def test_readings_round_trip_after_a_refused_attempt(risk_ctx, db_path, tmp_path) -> None:
    import json

    indicator = _indicator(risk_ctx)
    risks.record_reading(risk_ctx.store, risk_ctx.actor, indicator.id, 4.5)
    with pytest.raises(ValidationError):
        risks.record_reading(risk_ctx.store, risk_ctx.actor, indicator.id, math.inf)
    count = _reading_count(risk_ctx)
    _, again = _export_import(db_path, tmp_path)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["unchanged"], summary["inserted"], summary["updated"]) == (count, 0, 0)


def test_readings_with_a_stored_inf_still_round_trip(risk_ctx, db_path, tmp_path) -> None:
    import json

    indicator = _store_inf(risk_ctx)
    with pytest.raises(ValidationError):  # and a refused attempt
        risks.record_reading(risk_ctx.store, risk_ctx.actor, indicator.id, math.inf)
    count = _reading_count(risk_ctx)
    exported, again = _export_import(db_path, tmp_path, "--on-error", "skip")
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    line = next(n for n, row in enumerate(rows, start=2) if row["value"] == "Infinity")
    assert again.returncode == 0, again.stderr
    assert f"line {line}, column value: 'Infinity' is not a number" in again.stderr
    summary = json.loads(again.stdout)
    assert (summary["unchanged"], summary["rejected"], summary["updated"]) == (count - 1, 1, 0)
    check = run_cli("db", "check", "--json", db=db_path)
    assert check.returncode == 0 and json.loads(check.stdout)["ok"]
