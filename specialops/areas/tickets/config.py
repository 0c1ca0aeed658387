"""The service desk's settings: SLA calendar and policy, routing, follow-up and sampling rules.

Each is a :class:`Setting` row (JSON text), audited like any record;
missing ones fall back to the defaults below.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from specialops.areas.tickets import rules
from specialops.areas.tickets.sla import Calendar, Policy
from specialops.errors import ValidationError
from specialops.identity import Actor
from specialops.models.core import Department, Setting
from specialops.permissions import require
from specialops.store.store import Store

CALENDAR_KEY = "sla.calendar"
POLICY_KEY = "sla.policy"
ROUTING_KEY = "tickets.routing"
FOLLOWUP_KEY = "tickets.followup_days"
SAMPLE_KEY = "quality.sample_share"
CHECKLIST_KEY = "quality.checklist"
PASS_KEY = "quality.pass_score"

DEFAULT_ROUTING = {"帳務": "FIN", "技術支援": "RD", "活動回饋": "MKT", "*": "CS"}
DEFAULT_FOLLOWUP_DAYS = 3
DEFAULT_SAMPLE_SHARE = 0.1
DEFAULT_PASS_SCORE = 80
DEFAULT_CHECKLIST = (
    ("greeting", "問候與禮貌 greeting and courtesy"),
    ("understanding", "確認問題 understood the need"),
    ("solution", "解決方案正確 correct solution"),
    ("timeliness", "回覆及時 timely replies"),
    ("records", "記錄完整 complete notes"),
)


def _get(session: Session, key: str) -> Any:
    found = session.exec(select(Setting).where(Setting.key == key)).first()
    return json.loads(found.value) if found else None


def _put(store: Store, actor: Actor, key: str, value: Any) -> None:
    require(actor, "ticket.configure")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    with store.write(actor) as session:
        found = session.exec(select(Setting).where(Setting.key == key)).first()
        if found is None:
            session.add(Setting(key=key, value=text))
        else:
            found.value = text


def load_calendar(session: Session) -> Calendar:
    found = session.exec(select(Setting).where(Setting.key == CALENDAR_KEY)).first()
    return Calendar.from_json(found.value) if found else Calendar()


def load_policy(session: Session) -> Policy:
    found = session.exec(select(Setting).where(Setting.key == POLICY_KEY)).first()
    return Policy.from_json(found.value) if found else Policy()


def set_calendar(store: Store, actor: Actor, calendar: Calendar) -> None:
    """Replace the working calendar; open tickets keep their deadlines until their clock moves."""
    _put(store, actor, CALENDAR_KEY, calendar.to_json())


def set_policy(store: Store, actor: Actor, policy: Policy) -> None:
    _put(store, actor, POLICY_KEY, policy.to_json())


def load_routing(session: Session) -> dict[str, str]:
    """Category → department code; ``*`` is where anything else goes."""
    return dict(_get(session, ROUTING_KEY) or DEFAULT_ROUTING)


def set_routing(store: Store, actor: Actor, rules: dict[str, str]) -> None:
    """Replace the routing rules; every department must exist."""
    with store.read() as session:
        known = set(session.exec(select(Department.code)).all())
    unknown = sorted(set(rules.values()) - known)
    if unknown:
        raise ValidationError(f"unknown department {', '.join(unknown)}", field="routing")
    _put(store, actor, ROUTING_KEY, rules)


def route(session: Session, category: str | None) -> int | None:
    """The department a ticket of ``category`` goes to (by the routing rules)."""
    code = rules.route(load_routing(session), category)
    if not code:
        return None
    return session.exec(select(Department.id).where(Department.code == code)).first()


def followup_days(session: Session) -> int:
    value = _get(session, FOLLOWUP_KEY)
    return DEFAULT_FOLLOWUP_DAYS if value is None else int(value)


def set_followup_days(store: Store, actor: Actor, days: int) -> None:
    if not 0 <= days <= 365:
        raise ValidationError("follow-up days run from 0 to 365", field="followup_days")
    _put(store, actor, FOLLOWUP_KEY, days)


def sample_share(session: Session) -> float:
    value = _get(session, SAMPLE_KEY)
    return DEFAULT_SAMPLE_SHARE if value is None else float(value)


def set_sample_share(store: Store, actor: Actor, share: float) -> None:
    if not 0 < share <= 1:
        raise ValidationError("the sampled share is above 0 and at most 1", field="share")
    _put(store, actor, SAMPLE_KEY, share)


def checklist(session: Session) -> list[tuple[str, str]]:
    """The review checklist: (key, label) items, each scored 1 to 5."""
    value = _get(session, CHECKLIST_KEY)
    return [tuple(item) for item in value] if value else list(DEFAULT_CHECKLIST)  # type: ignore[misc]


def pass_score(session: Session) -> int:
    value = _get(session, PASS_KEY)
    return DEFAULT_PASS_SCORE if value is None else int(value)
