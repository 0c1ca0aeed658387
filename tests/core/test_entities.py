"""Entity descriptions and the field converters compiled from them (SPEC §9.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specialops import entities
from specialops.entities import Choice, EntitySpec, FieldSpec
from specialops.errors import UsageError
from specialops.io.convert import CellError, column_importer, exporter, importer
from specialops.io.writers import neutralise, unneutralise
from specialops.permissions import ROLES

FIXED_FIELDS = {
    "departments": ["code", "name", "parent"],
    "users": ["username", "name", "department", "role", "email", "active"],
    "customers": ["code", "name", "type", "phone", "email", "address", "tier", "notes"],
}


@pytest.mark.parametrize("name", sorted(FIXED_FIELDS))
def test_fixed_field_names_come_first_and_key_is_the_first(name: str) -> None:
    spec = entities.get(name)
    assert spec.columns[: len(FIXED_FIELDS[name])] == FIXED_FIELDS[name]
    assert spec.key == FIXED_FIELDS[name][0]


def test_unknown_entity_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError, match="customers"):
        entities.get("customer")


def test_register_refuses_a_second_entity_of_the_same_name() -> None:
    spec = entities.get("departments")
    clone = EntitySpec("departments", spec.model, key="code", fields=spec.fields)
    with pytest.raises(ValueError, match="already registered"):
        entities.register(clone)


def test_key_must_be_a_field() -> None:
    spec = entities.get("departments")
    with pytest.raises(ValueError, match="key"):
        EntitySpec("x", spec.model, key="nope", fields=spec.fields)


def test_roles_have_chinese_labels_from_the_role_map() -> None:
    role = entities.get("users").by_name["role"]
    assert [c.value for c in role.choices] == list(ROLES)
    admin = role.choice_label("admin")
    assert admin is not None
    assert admin.zh_hant == "系統管理員"
    assert admin.zh_hans == "系统管理员"


def test_customers_mark_personal_fields_and_allocate_codes() -> None:
    spec = entities.get("customers")
    assert spec.pii_fields == ["phone", "email", "address", "id_number"]
    assert spec.allocates_codes
    assert not entities.get("departments").allocates_codes


def test_references_are_stored_in_id_columns() -> None:
    assert entities.get("users").by_name["department"].column == "department_id"
    assert entities.get("departments").by_name["parent"].column == "parent_id"


@pytest.mark.parametrize(
    "text", ["2026-11-28", "2026/11/28", "2026年11月28日", "2026/1/5", " 2026-11-28 "]
)
def test_dates_in_iso_slashes_and_chinese(text: str) -> None:
    convert = importer(FieldSpec("due", "date"))
    expected = date(2026, 1, 5) if "1/5" in text else date(2026, 11, 28)
    assert convert(text) == expected


@pytest.mark.parametrize("text", ["28/11/2026", "2026-02-30", "tomorrow", "2026-11-28 10:00"])
def test_bad_dates_say_what_is_accepted(text: str) -> None:
    with pytest.raises(CellError, match="date"):
        importer(FieldSpec("due", "date"))(text)


def test_naive_timestamps_take_the_local_zone() -> None:
    convert = importer(FieldSpec("at", "datetime"))
    # tests run in Asia/Taipei (UTC+8)
    assert convert("2026-11-28T09:30:00") == datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
    assert convert("2026-11-28T09:30:00Z") == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    with pytest.raises(CellError, match="is not a timestamp"):
        convert("yesterday")


def test_choices_by_value_or_either_chinese_label() -> None:
    spec = FieldSpec(
        "priority",
        "choice",
        choices=(Choice("high", "高", "高"), Choice("channel", "熱線", "热线")),
    )
    convert = importer(spec)
    assert convert("high") == "high"
    assert convert("HIGH") == "high"
    assert convert("高") == "high"
    assert convert("熱線") == convert("热线") == "channel"
    with pytest.raises(CellError, match=r"high \(高\)"):
        convert("低")


def test_required_and_empty_cells() -> None:
    assert importer(FieldSpec("n"))("   ") is None
    with pytest.raises(CellError, match="required"):
        importer(FieldSpec("n", required=True))("")


def test_numbers_ranges_and_money_in_minor_units() -> None:
    score = importer(FieldSpec("s", "int", min=1, max=5))
    assert score("3") == 3
    with pytest.raises(CellError, match="above the maximum 5"):
        score("6")
    with pytest.raises(CellError, match="whole number"):
        score("2.5")
    money = importer(FieldSpec("budget", "money", min=0))
    assert money("1,234.5") == 123450
    with pytest.raises(CellError, match="decimals"):
        money("1.005")
    with pytest.raises(CellError, match="below the minimum"):
        money("-1")
    assert exporter(FieldSpec("budget", "money"))(123450) == "1234.50"
    assert exporter(FieldSpec("budget", "money"))(-5) == "-0.05"
    assert importer(FieldSpec("p", "percent", max=100))("45%") == 45


def test_bools_and_emails() -> None:
    flag = importer(FieldSpec("active", "bool"))
    assert flag("是") is True
    assert flag("FALSE") is False
    with pytest.raises(CellError):
        flag("maybe")
    with pytest.raises(CellError, match="e-mail"):
        importer(FieldSpec("email", "email"))("not-an-address")


def test_text_length_counts_characters_not_bytes() -> None:
    convert = importer(FieldSpec("name", max_length=3))
    assert convert("王小明") == "王小明"
    with pytest.raises(CellError, match="longer than 3"):
        convert("王小明明")


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (FieldSpec("d", "date"), date(2026, 2, 28)),
        (FieldSpec("t", "datetime"), datetime(2026, 11, 28, 1, 30, 5, 123, tzinfo=UTC)),
        (FieldSpec("m", "money"), 100),
        (FieldSpec("b", "bool"), False),
        (FieldSpec("i", "int"), -12),
        (FieldSpec("p", "percent"), 80),
    ],
)
def test_export_writes_what_import_reads(spec: FieldSpec, value: object) -> None:
    assert importer(spec)(exporter(spec)(value)) == value


def test_mask_keeps_a_recognisable_tail() -> None:
    assert entities.mask("0912345678") == "******5678"
    assert entities.mask("wang@example.com") == "w***@example.com"
    assert entities.mask("台北市信義路一段1號") == "******一段1號"
    assert entities.mask(None) is None


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (FieldSpec("i", "int"), -12),
        (FieldSpec("p", "percent"), -5),
        (FieldSpec("d", "decimal"), Decimal("-3.5")),
        (FieldSpec("m", "money"), -1250),
    ],
)
def test_negative_numbers_survive_the_neutralising_of_spreadsheet_exports(
    spec: FieldSpec, value: object
) -> None:
    text = exporter(spec)(value) or ""
    assert text.startswith("-") and neutralise(text) == text  # a spreadsheet reads a number
    assert importer(spec, unneutralise=unneutralise)(text) == value
    # An older export quoted it: it still reads back.
    assert importer(spec, unneutralise=unneutralise)("'" + text) == value
    with pytest.raises(CellError):
        importer(spec, unneutralise=unneutralise)("'12")  # a quote a person typed stays wrong


BLOCK_SPECS = [
    FieldSpec("name", required=True, max_length=6),
    FieldSpec("notes"),
    FieldSpec("email", "email", max_length=20),
    FieldSpec("type", "choice", choices=(Choice("company", "公司", "公司"),)),
    FieldSpec("kind", "choice", required=True, choices=(Choice("a", "甲", "甲"),)),
    FieldSpec("dept", "ref", ref="departments"),
    FieldSpec("active", "bool"),
    FieldSpec("n", "int", min=-5, max=500),
    FieldSpec("m", "money"),
    FieldSpec("day", "date"),
]
TRICKY_CELLS = [
    None, "", " ", "a", " b ", "'=1", "''+2", "'x", "a\r\nb", "x@y.z", "bad@", "Company",
    "公司", "甲", "A", "CS", "cs", "yes", "否", "12", "-3", "'-3", "1,000.50", "2026/11/28",
    "王小明王小明王", "=SUM(A1)", "\t7",
]  # fmt: skip
CELLS = st.sampled_from(TRICKY_CELLS) | st.text(max_size=8)


@pytest.mark.parametrize("spec", BLOCK_SPECS, ids=lambda spec: spec.name)
@settings(max_examples=200, deadline=None)
@given(cells=st.lists(CELLS, max_size=6), undo=st.booleans())
def test_a_block_converts_exactly_as_each_cell_does(
    spec: FieldSpec, cells: list[str | None], undo: bool
) -> None:
    refs = {"CS": 1, "HR": 2}
    options = {"refs": refs, "unneutralise": unneutralise if undo else None, "default": "dflt"}
    one = importer(spec, **options)
    expected_values: list[object] = []
    expected_errors: dict[int, str] = {}
    for index, cell in enumerate(cells):
        try:
            expected_values.append(one(cell))
        except CellError as error:
            expected_errors[index] = str(error)
            expected_values.append(None)
    values, errors = column_importer(spec, **options)(cells)
    assert (values, errors) == (expected_values, expected_errors)
