"""One description per entity: its fields, their kinds, rules and labels.

Import, export, ``specialops schema`` and the app's forms all read these
descriptions, so a rule is stated once. Each area registers its entities
with :func:`register` as it lands (SPEC §9.1 fixes the field names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from specialops.errors import UsageError
from specialops.models.base import Record
from specialops.models.core import Department, UserAccount
from specialops.models.customers import Customer
from specialops.models.tickets import FollowUp, QualityReview, Ticket
from specialops.permissions import ROLES

Kind = Literal[
    "text",
    "int",
    "decimal",
    "money",
    "date",
    "datetime",
    "bool",
    "choice",
    "ref",
    "email",
    "percent",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice field and its Chinese labels."""

    value: str
    zh_hant: str
    zh_hans: str


@dataclass(frozen=True)
class FieldSpec:
    """One importable, exportable field.

    ``column`` is the model attribute it is stored in (``department`` →
    ``department_id`` for references). Money is stored in integer minor
    units (``scale`` decimals) and written as decimal text. ``pii`` fields
    are masked for roles without ``customer.reveal_pii``. A ``workflow``
    field holds the record's state in that workflow: an import never changes
    the state of an existing record (each step has its rules, checked where
    it is taken), and creates records only in the initial state unless
    ``new_in_any_state`` (records that arrive with their history, such as
    tickets handled elsewhere).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    ref: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    help: str = ""
    column: str = ""
    pii: bool = False
    scale: int = 2
    workflow: str | None = None
    new_in_any_state: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if not self.column:
            object.__setattr__(
                self, "column", f"{self.name}_id" if self.kind == "ref" else self.name
            )

    def choice_label(self, value: str) -> Choice | None:
        """The choice whose English value is ``value``."""
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class EntitySpec:
    """An entity as import, export and forms see it; ``key`` identifies a record.

    ``derived`` columns are computed on import from a row's other values
    (a ticket's deadlines from its priority and opening time):
    ``derive(store)`` is called once per import and returns a function from
    the row's values by column to the derived ones; a derived column that
    the file also carries is filled only where the file left it empty.
    """

    name: str
    model: type[Record]
    key: str
    fields: tuple[FieldSpec, ...]
    label: str = ""
    read_action: str = "records.read"
    reveal_action: str = "customer.reveal_pii"
    derive: Callable[[Any], Callable[[dict[str, Any]], dict[str, Any]]] | None = None
    derived: tuple[str, ...] = ()
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        if self.key not in self.by_name:
            raise ValueError(f"{self.name}: key {self.key!r} is not one of its fields")

    @property
    def key_field(self) -> FieldSpec:
        return self.by_name[self.key]

    @property
    def allocates_codes(self) -> bool:
        """Whether records without a key get a generated code (``CUS-000001``)."""
        model = self.model
        return bool(model.__code_prefix__) and model.__code_field__ == self.key_field.column

    def requires(self, f: FieldSpec) -> bool:
        """Whether a file must give ``f``: a required field, or a key no code is made for."""
        return f.required or (f.name == self.key and not self.allocates_codes)

    @property
    def columns(self) -> list[str]:
        """Field names in file order."""
        return [f.name for f in self.fields]

    @property
    def pii_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.pii]


ENTITIES: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    """Add an entity description (its name must be new)."""
    if spec.name in ENTITIES and ENTITIES[spec.name] is not spec:
        raise ValueError(f"entity {spec.name} is already registered")
    ENTITIES[spec.name] = spec
    return spec


def _load_areas() -> None:
    # Areas register their entities when imported; import them on first use.
    from specialops import areas

    areas.load()


def all_specs() -> list[EntitySpec]:
    """Every registered entity, areas included."""
    _load_areas()
    return list(ENTITIES.values())


def get(name: str) -> EntitySpec:
    """The description of ``name``, or a usage error listing the known ones."""
    if name not in ENTITIES:
        _load_areas()
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(sorted(ENTITIES))
        raise UsageError(f"unknown entity '{name}'; choose one of: {known}") from None


def mask(value: str | None) -> str | None:
    """Hide personal data, keeping enough to recognise it (``****5678``, ``w***@example.com``)."""
    if not value:
        return value
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    keep = 4 if len(value) > 8 else max(len(value) // 4, 0)
    return "*" * (len(value) - keep) + value[len(value) - keep :] if keep else "*" * len(value)


# Simplified forms of the role labels of ``permissions.ROLES`` (``系統管理員 administrator``).
_ROLE_HANS = {
    "admin": "系统管理员",
    "executive": "高层",
    "manager": "经理",
    "staff": "职员",
    "agent": "客服",
    "auditor": "稽核",
}
ROLE_CHOICES = tuple(
    Choice(role, label.split(" ", 1)[0], _ROLE_HANS.get(role, label.split(" ", 1)[0]))
    for role, label in ROLES.items()
)

CUSTOMER_TYPES = (
    Choice("individual", "個人", "个人"),
    Choice("company", "公司", "公司"),
)
CUSTOMER_TIERS = (
    Choice("regular", "一般", "一般"),
    Choice("silver", "銀卡", "银卡"),
    Choice("gold", "金卡", "金卡"),
    Choice("vip", "貴賓", "贵宾"),
)

DEPARTMENTS = register(
    EntitySpec(
        "departments",
        Department,
        key="code",
        label="部門",
        fields=(
            FieldSpec("code", required=True, max_length=32, help="department code, e.g. CS"),
            FieldSpec("name", required=True, max_length=200, help="department name"),
            FieldSpec("parent", "ref", ref="departments", help="code of the parent department"),
        ),
    )
)

USERS = register(
    EntitySpec(
        "users",
        UserAccount,
        key="username",
        label="使用者",
        fields=(
            FieldSpec("username", required=True, max_length=64, help="the person's OS login"),
            FieldSpec("name", required=True, max_length=200, help="full name"),
            FieldSpec("department", "ref", ref="departments", help="department code"),
            FieldSpec("role", "choice", required=True, choices=ROLE_CHOICES, help="role"),
            FieldSpec("email", "email", max_length=254, help="e-mail address"),
            FieldSpec("active", "bool", help="may log in (true/false); new users default to true"),
        ),
    )
)

CUSTOMERS = register(
    EntitySpec(
        "customers",
        Customer,
        key="code",
        label="客戶",
        fields=(
            FieldSpec(
                "code", max_length=32, help="CUS-000001; empty on new rows to get a new code"
            ),
            FieldSpec("name", required=True, max_length=200, help="person or company name"),
            FieldSpec("type", "choice", choices=CUSTOMER_TYPES, help="defaults to individual"),
            FieldSpec("phone", max_length=40, pii=True, help="phone number"),
            FieldSpec("email", "email", max_length=254, pii=True, help="e-mail address"),
            FieldSpec("address", max_length=500, pii=True, help="postal address"),
            FieldSpec("tier", "choice", choices=CUSTOMER_TIERS, help="service tier"),
            FieldSpec("notes", help="free text"),
            FieldSpec("id_number", max_length=40, pii=True, help="national ID or company number"),
        ),
    )
)

TICKET_CHANNELS = (
    Choice("hotline", "熱線", "热线"),
    Choice("chat", "在線客服", "在线客服"),
    Choice("email", "電子郵件", "电子邮件"),
    Choice("walk_in", "臨櫃", "临柜"),
    Choice("campaign", "活動回饋", "活动反馈"),
)
TICKET_TYPES = (
    Choice("consultation", "諮詢", "咨询"),
    Choice("complaint", "投訴", "投诉"),
    Choice("request", "請求", "请求"),
)
TICKET_PRIORITIES = (
    Choice("urgent", "緊急", "紧急"),
    Choice("high", "高", "高"),
    Choice("normal", "中", "中"),
    Choice("low", "低", "低"),
)
TICKET_STATUSES = (
    Choice("new", "新建", "新建"),
    Choice("assigned", "已指派", "已指派"),
    Choice("in_progress", "處理中", "处理中"),
    Choice("waiting", "待客戶回覆", "待客户回复"),
    Choice("resolved", "已解決", "已解决"),
    Choice("closed", "已結案", "已结案"),
)
FOLLOWUP_KINDS = (
    Choice("after_resolution", "結案回訪", "结案回访"),
    Choice("periodic", "定期回訪", "定期回访"),
    Choice("manual", "手動回訪", "手动回访"),
)
FOLLOWUP_STATUSES = (
    Choice("scheduled", "待回訪", "待回访"),
    Choice("done", "已回訪", "已回访"),
    Choice("cancelled", "已取消", "已取消"),
)
REVIEW_STATUSES = (
    Choice("queued", "待審", "待审"),
    Choice("reviewed", "已審", "已审"),
)


def _ticket_deriver(store: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.services.tickets_io import deriver

    return deriver(store)


TICKETS = register(
    EntitySpec(
        "tickets",
        Ticket,
        key="code",
        label="工單",
        fields=(
            FieldSpec(
                "code", max_length=16, help="TKT-000001; empty on new rows to get a new code"
            ),
            FieldSpec("customer", "ref", ref="customers", help="customer code (CUS-000001)"),
            FieldSpec("channel", "choice", choices=TICKET_CHANNELS, help="defaults to hotline"),
            FieldSpec("type", "choice", choices=TICKET_TYPES, help="defaults to consultation"),
            FieldSpec("priority", "choice", choices=TICKET_PRIORITIES, help="defaults to normal"),
            FieldSpec("category", max_length=64, help="routes the ticket to a department"),
            FieldSpec("subject", required=True, max_length=200, help="one line"),
            FieldSpec("description", help="what the customer asked or reported"),
            FieldSpec("department", "ref", ref="departments", help="empty: routed by category"),
            FieldSpec("assignee", "ref", ref="users", help="login of the agent"),
            FieldSpec(
                "status",
                "choice",
                choices=TICKET_STATUSES,
                workflow="tickets",
                new_in_any_state=True,
                help="new rows default to new; later changes through the ticket workflow",
            ),
            FieldSpec("opened_at", "datetime", help="ISO 8601; empty: now"),
        ),
        derive=_ticket_deriver,
        derived=(
            "opened_at",
            "department_id",
            "response_due",
            "resolve_due",
            "due_at",
            "warn_at",
        ),
    )
)

FOLLOWUPS = register(
    EntitySpec(
        "followups",
        FollowUp,
        key="code",
        label="回訪",
        fields=(
            FieldSpec("code", max_length=16, help="FUP-000001; empty on new rows"),
            FieldSpec("ticket", "ref", ref="tickets", help="ticket code it follows"),
            FieldSpec("customer", "ref", ref="customers", required=True, help="customer code"),
            FieldSpec("kind", "choice", choices=FOLLOWUP_KINDS, help="defaults to manual"),
            FieldSpec("due_date", "date", required=True, help="when to call"),
            FieldSpec("assignee", "ref", ref="users", help="login of who calls"),
            FieldSpec("status", "choice", choices=FOLLOWUP_STATUSES, help="defaults to scheduled"),
            FieldSpec("satisfaction", "int", min=1, max=5, help="1 to 5"),
            FieldSpec("comments", help="what the customer said"),
        ),
    )
)

REVIEWS = register(
    EntitySpec(
        "reviews",
        QualityReview,
        key="code",
        label="質檢",
        fields=(
            FieldSpec("code", max_length=16, help="QAR-000001; empty on new rows"),
            FieldSpec("ticket", "ref", ref="tickets", required=True, help="ticket code"),
            FieldSpec("agent", "ref", ref="users", help="login of the agent reviewed"),
            FieldSpec("week", "date", required=True, help="Monday of the sampled week"),
            FieldSpec("status", "choice", choices=REVIEW_STATUSES, help="defaults to queued"),
            FieldSpec("reviewer", "ref", ref="users", help="login of the reviewer"),
            FieldSpec("score", "int", min=0, max=100, help="percent of the checklist"),
            FieldSpec("passed", "bool", help="at or above the standard"),
            FieldSpec("comments", help="the reviewer's remarks"),
        ),
    )
)
