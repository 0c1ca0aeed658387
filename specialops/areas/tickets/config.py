"""The service desk's settings: SLA calendar and policy, routing, follow-up and sampling rules.

Each is a :class:`specialops.settings.Key` (a settings row of JSON text, audited like
any record);
missing ones fall back to the defaults below.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from specialops import settings
from specialops.areas.tickets import rules
from specialops.areas.tickets.sla import Calendar, Policy
from specialops.errors import ValidationError
from specialops.identity import Actor
from specialops.models.core import Department
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


def _json_int(text: str) -> int:
    return int(json.loads(text))


def _json_float(text: str) -> float:
    return float(json.loads(text))


def _checklist_of(text: str) -> list[tuple[str, str]]:
    return [tuple(item) for item in json.loads(text)] or list(DEFAULT_CHECKLIST)  # type: ignore[misc]


CALENDAR = settings.Key(CALENDAR_KEY, Calendar, load=Calendar.from_json, dump=Calendar.to_json)
POLICY = settings.Key(POLICY_KEY, Policy, load=Policy.from_json, dump=Policy.to_json)
ROUTING: settings.Key[dict[str, str]] = settings.Key(ROUTING_KEY, lambda: dict(DEFAULT_ROUTING))
FOLLOWUP_DAYS = settings.Key(FOLLOWUP_KEY, lambda: DEFAULT_FOLLOWUP_DAYS, load=_json_int)
SAMPLE_SHARE = settings.Key(SAMPLE_KEY, lambda: DEFAULT_SAMPLE_SHARE, load=_json_float)
CHECKLIST = settings.Key(CHECKLIST_KEY, lambda: list(DEFAULT_CHECKLIST), load=_checklist_of)
PASS_SCORE = settings.Key(PASS_KEY, lambda: DEFAULT_PASS_SCORE, load=_json_int)


def _put(store: Store, actor: Actor, key: settings.Key[Any], value: Any) -> None:
    settings.put(store, actor, key, value, permission="ticket.configure")


def load_calendar(session: Session) -> Calendar:
    return settings.get(session, CALENDAR)


def load_policy(session: Session) -> Policy:
    return settings.get(session, POLICY)


def set_calendar(store: Store, actor: Actor, calendar: Calendar) -> None:
    """Replace the working calendar; open tickets keep their deadlines until their clock moves."""
    _put(store, actor, CALENDAR, calendar)


def set_policy(store: Store, actor: Actor, policy: Policy) -> None:
    _put(store, actor, POLICY, policy)


def load_routing(session: Session) -> dict[str, str]:
    """Category → department code; ``*`` is where anything else goes."""
    return dict(settings.get(session, ROUTING) or DEFAULT_ROUTING)


def set_routing(store: Store, actor: Actor, rules: dict[str, str]) -> None:
    """Replace the routing rules; every department must exist."""
    with store.read() as session:
        known = set(session.exec(select(Department.code)).all())
    unknown = sorted(set(rules.values()) - known)
    if unknown:
        raise ValidationError(f"unknown department {', '.join(unknown)}", field="routing")
    _put(store, actor, ROUTING, rules)


def route(session: Session, category: str | None) -> int | None:
    """The department a ticket of ``category`` goes to (by the routing rules)."""
    code = rules.route(load_routing(session), category)
    if not code:
        return None
    return session.exec(select(Department.id).where(Department.code == code)).first()


def followup_days(session: Session) -> int:
    return settings.get(session, FOLLOWUP_DAYS)


def set_followup_days(store: Store, actor: Actor, days: int) -> None:
    if not 0 <= days <= 365:
        raise ValidationError("follow-up days run from 0 to 365", field="followup_days")
    _put(store, actor, FOLLOWUP_DAYS, days)


def sample_share(session: Session) -> float:
    return settings.get(session, SAMPLE_SHARE)


def set_sample_share(store: Store, actor: Actor, share: float) -> None:
    if not 0 < share <= 1:
        raise ValidationError("the sampled share is above 0 and at most 1", field="share")
    _put(store, actor, SAMPLE_SHARE, share)


def checklist(session: Session) -> list[tuple[str, str]]:
    """The review checklist: (key, label) items, each scored 1 to 5."""
    return settings.get(session, CHECKLIST)


def pass_score(session: Session) -> int:
    return settings.get(session, PASS_SCORE)
