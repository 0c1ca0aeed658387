"""The one workflow and approval engine: records that move through states under rules.

Each area declares its workflows here (``register``) and never sets a state
field by hand. A transition is allowed when the record is in one of its
source states, the actor's role grants its permission, a comment is given
where one is needed, and every guard passes. A transition with an
``Approval`` does not move the record: it opens an approval request, and
the record moves when enough approvers have said yes (one no rejects it).
Every move is audited (the column change through the flush audit, plus an
``action="transition"`` entry with the comment) and starts a new stay in
``state_history``, from which time in state and cycle times are read (GEN-3).

Declaring and using a workflow::

    from specialops import workflow as wf

    def has_budget(session, project, actor, payload):
        return None if project.budget else "the proposal has no budget yet"

    def appoint_pm(session, project, actor, payload):
        project.manager = payload["manager"]

    PROJECTS = wf.register(
        wf.Workflow(
            name="projects",
            model=Project,
            state_field="stage",
            states=["proposed", "approved", "rejected"],
            labels={"proposed": "立項申請", "approved": "已批准", "rejected": "已駁回"},
            transitions=[
                wf.Transition(
                    "approve", ["proposed"], "approved", "approve the proposal",
                    permission="project.propose",   # who may ask; the approvers decide
                    guards=[has_budget],
                    approval=wf.Approval(["role:executive", "lin.zhiyuan"], needed=2),
                    effect=appoint_pm,
                ),
                wf.Transition(
                    "reject", ["proposed"], "rejected", "reject the proposal",
                    permission="project.approve", needs_comment=True,
                ),
            ],
        )
    )

    with store.write(actor) as session:          # creating a record: adds and flushes it
        wf.enter_initial(session, PROJECTS, Project(...), actor)

    with store.read() as session:                # a screen offers only these
        choices = wf.available(session, project, actor)

    result = wf.apply(store, PROJECTS, project.id, project.version, "approve", actor,
                      comment="請審批", payload={"manager": "wang.fang"})
    wf.vote(store, result.request_id, executive, approve=True, comment="同意")

Guards are ``(session, record, actor, payload) -> str | None``: ``None`` when
the transition may go ahead, else a reason a person can read. While the
screen lists what is available, ``payload`` is ``None``: a guard about the
payload should pass then and judge it when the transition is applied.
The payload is stored with an approval request, so keep it JSON-friendly.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from specialops import areas, audit, clock
from specialops.errors import (
    NotFound,
    PermissionDenied,
    StaleRecordError,
    TransitionDenied,
    ValidationError,
)
from specialops.identity import Actor
from specialops.models.base import Record
from specialops.models.core import UserAccount
from specialops.models.workflow import ApprovalRequest, ApprovalVote, StateHistory
from specialops.permissions import ROLES, can, declared, require
from specialops.store.session import log
from specialops.store.store import Store

Payload = Mapping[str, Any]
Guard = Callable[[Session, Any, Actor, Payload | None], str | None]
Hook = Callable[[Session, Any, Actor, Payload], None]
ApproverList = Sequence[str] | Callable[[Session, Any], Sequence[str]]

ROLE_PREFIX = "role:"
PENDING, APPROVED, REJECTED, CANCELLED, WITHDRAWN = (
    "pending",
    "approved",
    "rejected",
    "cancelled",
    "withdrawn",
)


@dataclass(frozen=True)
class Approval:
    """Who must agree before a transition happens: ``needed`` of the ``approvers``.

    Each entry is a username or ``role:NAME`` and is one seat: a person fills at
    most one seat, so ``["role:executive", "role:manager"], needed=2`` takes an
    executive and a manager, and two executives need ``["role:executive"] * 2``.
    ``approvers`` may also be a function ``(session, record) -> entries``
    (e.g. the record's department head), resolved when the request is made.
    The requester may not approve their own request unless ``allow_self``.
    """

    approvers: ApproverList
    needed: int = 1
    allow_self: bool = False

    def __post_init__(self) -> None:
        if not callable(self.approvers):
            object.__setattr__(self, "approvers", tuple(self.approvers))
            _check_seats(list(self.approvers), self.needed)
        elif self.needed < 1:
            raise ValueError("an approval needs at least one approver")

    def resolve(self, session: Session, record: Any) -> list[str]:
        """The approver entries for this record (a function's may be too few: check them)."""
        if callable(self.approvers):
            return [e for e in self.approvers(session, record) if e and "," not in e]
        return list(self.approvers)


def _check_seats(entries: list[str], needed: int) -> None:
    if needed < 1 or needed > len(entries):
        raise ValueError(f"an approval needs 1 to {len(entries)} of {entries}, not {needed}")
    if any("," in entry for entry in entries):
        raise ValueError("approver entries cannot contain commas")
    unknown = [
        e for e in entries if e.startswith(ROLE_PREFIX) and e[len(ROLE_PREFIX) :] not in ROLES
    ]
    if unknown:
        raise ValueError(f"unknown roles among the approvers: {', '.join(unknown)}")


@dataclass(frozen=True)
class Transition:
    """A named move from one of ``source_states`` to ``target``.

    ``permission`` is an action of :mod:`specialops.permissions` (``None``: anyone
    who may open the record); ``effect`` runs after the state is set, in the
    same transaction (e.g. appoint the project manager from the payload).
    """

    name: str
    source_states: Sequence[str]
    target: str
    label: str = ""
    permission: str | None = None
    guards: Sequence[Guard] = ()
    approval: Approval | None = None
    needs_comment: bool = False
    effect: Hook | None = None

    def __post_init__(self) -> None:
        sources = (
            (self.source_states,) if isinstance(self.source_states, str) else self.source_states
        )
        object.__setattr__(self, "source_states", tuple(sources))
        object.__setattr__(self, "guards", tuple(self.guards))
        if not self.label:
            object.__setattr__(self, "label", self.name)


@dataclass(frozen=True)
class Workflow:
    """The states of one record type and the transitions between them."""

    name: str
    model: type[Record]
    state_field: str
    states: Sequence[str]
    transitions: Sequence[Transition]
    initial: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    on_enter: Mapping[str, Hook] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "transitions", tuple(self.transitions))
        if not self.states:
            raise ValueError(f"workflow {self.name} declares no states")
        if self.initial is None:
            object.__setattr__(self, "initial", self.states[0])
        if self.state_field not in self.model.model_fields:
            raise ValueError(f"{self.model.__name__} has no field {self.state_field}")
        names = [t.name for t in self.transitions]
        if len(set(names)) != len(names):
            raise ValueError(f"workflow {self.name} repeats a transition name")
        declared = set(self.states)
        for t in self.transitions:
            if {*t.source_states, t.target} - declared or not t.source_states:
                raise ValueError(f"transition {t.name} of {self.name} uses undeclared states")
        if self.initial not in declared or set(self.on_enter) - declared:
            raise ValueError(f"{self.name} names undeclared states in initial or on_enter")
        # the lengths of the state_history and approval_requests columns
        if len(self.name) > 64 or any(len(s) > 32 for s in self.states + tuple(names)):
            raise ValueError(f"{self.name}: names of states and transitions fit 32 characters")

    @property
    def entity(self) -> str:
        return self.model.__entity__ or str(self.model.__tablename__)

    def transition(self, name: str) -> Transition:
        """The transition called ``name``."""
        for t in self.transitions:
            if t.name == name:
                return t
        known = ", ".join(t.name for t in self.transitions)
        raise ValidationError(
            f"{self.name} has no transition '{name}'; it has: {known}", field="transition"
        )

    def label_of(self, state: str | None) -> str:
        return self.labels.get(state or "", state or "(none)")

    def state_of(self, record: Any) -> str:
        return getattr(record, self.state_field)

    def reachable(self) -> set[str]:
        """Every state a record can reach from the initial state."""
        seen = {str(self.initial)}
        frontier = [str(self.initial)]
        while frontier:
            state = frontier.pop()
            for t in self.transitions:
                if state in t.source_states and t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        return seen


# ---------------------------------------------------------------- registry

# Filled by the area modules (``specialops.areas``) when they are imported.
WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    """Add a workflow to the registry; returns it so a module can keep a name for it.

    Every transition's permission must be declared (by the core or an installed area),
    so a misspelt one fails when the area is imported, not when someone is refused.
    """
    for transition in workflow.transitions:
        if transition.permission is not None:
            declared(transition.permission)
    existing = WORKFLOWS.get(workflow.name)
    if existing is not None and existing is not workflow:
        raise ValueError(f"a workflow named {workflow.name} is already registered")
    WORKFLOWS[workflow.name] = workflow
    return workflow


def get_workflow(workflow: Workflow | str) -> Workflow:
    """The workflow itself, or the registered one of that name."""
    if isinstance(workflow, Workflow):
        return workflow
    if workflow not in WORKFLOWS:
        areas.load()
    try:
        return WORKFLOWS[workflow]
    except KeyError:
        raise NotFound(f"no workflow named {workflow}") from None


def workflow_for(model: type[Record]) -> Workflow:
    """The one registered workflow of a record type."""
    areas.load()
    found = [w for w in WORKFLOWS.values() if w.model is model]
    if len(found) != 1:
        raise NotFound(f"{model.__name__} has {len(found)} registered workflows, not one")
    return found[0]


# ---------------------------------------------------------------- guards


def _clean(comment: str | None) -> str | None:
    comment = (comment or "").strip()
    return comment or None


def _state_reason(workflow: Workflow, t: Transition, record: Any) -> str | None:
    state = workflow.state_of(record)
    if state in t.source_states:
        return None
    sources = " or ".join(workflow.label_of(s) for s in t.source_states)
    return (
        f"'{t.label}' is possible only from {sources}; "
        f"{record.human_code} is {workflow.label_of(state)}"
    )


def _permission_reason(t: Transition, actor: Actor) -> str | None:
    if t.permission is None or can(actor, t.permission):
        return None
    return f"{actor.username} ({actor.role}) may not {t.label}"


def _pending_reason(session: Session, workflow: Workflow, t: Transition, record: Any) -> str | None:
    if t.approval is None:
        return None
    waiting = session.exec(
        select(ApprovalRequest.id).where(
            ApprovalRequest.workflow == workflow.name,
            ApprovalRequest.record_id == record.id,
            ApprovalRequest.transition == t.name,
            ApprovalRequest.status == PENDING,
        )
    ).first()
    if waiting is None:
        return None
    return f"'{t.label}' for {record.human_code} already waits for approval (request {waiting})"


def _guard_reasons(
    session: Session, t: Transition, record: Any, actor: Actor, payload: Payload | None
) -> list[str]:
    return [r for r in (guard(session, record, actor, payload) for guard in t.guards) if r]


def check(
    session: Session,
    workflow: Workflow | str,
    record: Any,
    transition: str,
    actor: Actor,
    comment: str | None = None,
    payload: Payload | None = None,
) -> list[str]:
    """Every reason why ``actor`` may not take ``transition`` on ``record`` now (empty: may)."""
    wf = get_workflow(workflow)
    t = wf.transition(transition)
    reasons = [
        r
        for r in (
            _permission_reason(t, actor),
            _state_reason(wf, t, record),
            _pending_reason(session, wf, t, record),
        )
        if r
    ]
    if t.needs_comment and _clean(comment) is None:
        reasons.append(f"'{t.label}' needs a comment saying why")
    reasons += _guard_reasons(session, t, record, actor, {} if payload is None else payload)
    return reasons


@dataclass(frozen=True)
class Verdict:
    """A transition the actor's role permits, with every reason it is blocked now."""

    transition: Transition
    reasons: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.reasons


def verdicts(
    session: Session,
    record: Any,
    actor: Actor,
    workflow: Workflow | str | None = None,
    *,
    also_from: Iterable[str] = (),
) -> list[Verdict]:
    """The transitions from ``record``'s state that ``actor``'s role permits, each judged now.

    A screen shows the blocked ones with their reasons instead of hiding them.
    ``also_from`` adds the transitions from other states (what comes next);
    their reasons then begin with where the record must be first. Transitions
    the role may never take are left out; as in :func:`available`, a needed
    comment and the payload are not judged (guards get ``payload=None``).
    """
    wf = get_workflow(workflow) if workflow is not None else workflow_for(type(record))
    sources = {wf.state_of(record), *also_from}
    found = []
    for t in wf.transitions:
        if _permission_reason(t, actor) is not None or sources.isdisjoint(t.source_states):
            continue
        reasons = [
            r for r in (_state_reason(wf, t, record), _pending_reason(session, wf, t, record)) if r
        ]
        reasons += _guard_reasons(session, t, record, actor, None)
        found.append(Verdict(t, tuple(reasons)))
    return found


def available(
    session: Session, record: Any, actor: Actor, workflow: Workflow | str | None = None
) -> list[Transition]:
    """The transitions ``actor`` may take on ``record`` now, in declared order.

    Screens offer only these. A needed comment and the payload are asked for
    afterwards, so they are not judged here (guards get ``payload=None``).
    """
    return [v.transition for v in verdicts(session, record, actor, workflow) if v.allowed]


# ---------------------------------------------------------------- moving


@dataclass(frozen=True)
class TransitionResult:
    """What :func:`apply` did: moved the record, or opened an approval request."""

    transition: str
    applied: bool
    state: str
    version: int
    request_id: int | None = None


def _session_for(
    target: Store | Session, actor: Actor, comment: str | None
) -> AbstractContextManager[Session]:
    if isinstance(target, Store):
        return target.write(actor, comment=comment)
    return nullcontext(target)


def _load(session: Session, wf: Workflow, record_id: int) -> Any:
    record = session.get(wf.model, record_id)
    if record is None:
        raise NotFound(f"the {wf.entity} record no longer exists (deleted by someone else)")
    return record


def apply(
    target: Store | Session,
    workflow: Workflow | str,
    record_id: int,
    seen_version: int,
    transition: str,
    actor: Actor,
    comment: str | None = None,
    payload: Payload | None = None,
) -> TransitionResult:
    """Take ``transition`` on a record the actor loaded at ``seen_version``.

    Runs in a new write session of the store, or in the given writing
    session. Raises :class:`StaleRecordError` when the record changed since,
    :class:`PermissionDenied` when the role may not, and
    :class:`TransitionDenied` with every failing reason otherwise. A
    transition that needs approval opens a request instead of moving.
    """
    wf = get_workflow(workflow)
    t = wf.transition(transition)
    comment = _clean(comment)
    payload = dict(payload or {})
    with _session_for(target, actor, comment) as session:
        record = _load(session, wf, record_id)
        if record.version != seen_version:
            raise StaleRecordError(
                wf.entity, record.human_code, record.updated_by, record.updated_at
            )
        denied = _permission_reason(t, actor)
        if denied:
            raise PermissionDenied(denied)
        reasons = check(session, wf, record, t.name, actor, comment, payload)
        if reasons:
            raise TransitionDenied(reasons)
        if t.approval is not None:
            request = _open_request(session, wf, t, record, actor, comment, payload)
            return TransitionResult(t.name, False, wf.state_of(record), record.version, request.id)
        _move(session, wf, t, record, actor, comment, payload)
        return TransitionResult(t.name, True, wf.state_of(record), record.version)


def _move(
    session: Session,
    wf: Workflow,
    t: Transition,
    record: Any,
    actor: Actor,
    comment: str | None,
    payload: Payload,
    request: ApprovalRequest | None = None,
) -> None:
    before = wf.state_of(record)
    setattr(record, wf.state_field, t.target)
    if t.effect is not None:
        t.effect(session, record, actor, payload)
    hook = wf.on_enter.get(t.target)
    if hook is not None:
        hook(session, record, actor, payload)
    # The flush audits the column change; let it carry the transition's comment.
    saved_comment = session.info.get("comment")
    if saved_comment is None:
        session.info["comment"] = comment
    try:
        session.flush()
    finally:
        session.info["comment"] = saved_comment
    now = clock.now()
    _next_stay(session, wf, record, before, t.target, actor, comment, now)
    _cancel_others(session, wf, record, before, t.target, keep=request)
    after: dict[str, Any] = {wf.state_field: t.target, "transition": t.name}
    if request is not None:
        after["request"] = request.id
    log(
        session,
        audit.Event(
            action="transition",
            entity=wf.entity,
            code=record.human_code,
            record_id=record.id,
            before={wf.state_field: before},
            after=after,
            comment=comment,
        ),
    )


def _open_stay(session: Session, wf: Workflow, record_id: int) -> StateHistory | None:
    return session.exec(
        select(StateHistory)
        .where(
            StateHistory.workflow == wf.name,
            StateHistory.record_id == record_id,
            col(StateHistory.left_at).is_(None),
        )
        .order_by(col(StateHistory.id).desc())
    ).first()


def _next_stay(
    session: Session,
    wf: Workflow,
    record: Any,
    before: str,
    after: str,
    actor: Actor,
    comment: str | None,
    now: datetime,
) -> None:
    stay = _open_stay(session, wf, record.id)
    if stay is None:
        # A record created before its workflow tracked it: its first stay began at creation.
        stay = StateHistory(
            workflow=wf.name,
            record_id=record.id,
            state=before,
            entered_at=min(record.created_at, now),
            entered_by="system",
            comment="history started at the first transition",
        )
        session.add(stay)
    # A clock set back (tests, a corrected server clock) must not make a stay negative.
    moment = max(now, stay.entered_at)
    stay.left_at = moment
    session.add(
        StateHistory(
            workflow=wf.name,
            record_id=record.id,
            state=after,
            entered_at=moment,
            entered_by=actor.username,
            comment=comment,
        )
    )
    session.flush()


def enter_initial(
    session: Session, workflow: Workflow | str, record: Any, actor: Actor
) -> StateHistory:
    """Start the state history of a new record (adding it, and giving it the initial state
    if it has none), so its first stay counts from its creation."""
    wf = get_workflow(workflow)
    if wf.state_of(record) is None:
        setattr(record, wf.state_field, wf.initial)
    state = wf.state_of(record)
    if state not in wf.states:
        raise ValidationError(
            f"{state} is not a state of {wf.name}; use one of: {', '.join(wf.states)}",
            field=wf.state_field,
        )
    hook = wf.on_enter.get(state)
    if hook is not None:
        hook(session, record, actor, {})
    session.add(record)
    session.flush()
    stay = _open_stay(session, wf, record.id)
    if stay is not None:
        raise ValidationError(f"{record.human_code} already has a state history in {wf.name}")
    stay = StateHistory(
        workflow=wf.name,
        record_id=record.id,
        state=state,
        entered_at=clock.now(),
        entered_by=actor.username,
    )
    session.add(stay)
    session.flush()
    return stay


# ---------------------------------------------------------------- approvals


def _open_request(
    session: Session,
    wf: Workflow,
    t: Transition,
    record: Any,
    actor: Actor,
    comment: str | None,
    payload: Payload,
) -> ApprovalRequest:
    assert t.approval is not None
    entries = t.approval.resolve(session, record)
    if len(entries) < t.approval.needed:
        raise TransitionDenied(
            [
                f"'{t.label}' for {record.human_code} needs approval by {t.approval.needed}, "
                f"but only {len(entries)} approver(s) can be named"
            ]
        )
    request = ApprovalRequest(
        workflow=wf.name,
        record_id=record.id,
        transition=t.name,
        from_state=wf.state_of(record),
        requested_by=actor.username,
        requested_at=clock.now(),
        approvers=",".join(entries),
        needed=t.approval.needed,
        status=PENDING,
        comment=comment,
        payload=audit.dump(payload) if payload else None,
    )
    session.add(request)
    session.flush()
    log(
        session,
        audit.Event(
            action="approval.request",
            entity=wf.entity,
            code=record.human_code,
            record_id=record.id,
            before={wf.state_field: wf.state_of(record)},
            after={
                "request": request.id,
                "transition": t.name,
                "target": t.target,
                "approvers": entries,
                "needed": t.approval.needed,
            },
            comment=comment,
        ),
    )
    return request


def _cancel_others(
    session: Session,
    wf: Workflow,
    record: Any,
    before: str,
    after: str,
    keep: ApprovalRequest | None,
) -> None:
    """A request is for the record as it was: once it moves, other requests lapse."""
    others = session.exec(
        select(ApprovalRequest).where(
            ApprovalRequest.workflow == wf.name,
            ApprovalRequest.record_id == record.id,
            ApprovalRequest.status == PENDING,
        )
    ).all()
    for request in others:
        if keep is not None and request.id == keep.id:
            continue
        request.status = CANCELLED
        request.decided_at = clock.now()
        session.add(request)
        log(
            session,
            audit.Event(
                action="approval.cancel",
                entity=wf.entity,
                code=record.human_code,
                record_id=record.id,
                after={"request": request.id, "status": CANCELLED},
                comment=f"moved from {wf.label_of(before)} to {wf.label_of(after)}",
            ),
        )


def _entries(request: ApprovalRequest) -> list[str]:
    return [e for e in request.approvers.split(",") if e]


def _fits(entry: str, username: str, role: str) -> bool:
    return entry == username or entry == ROLE_PREFIX + role


def _seats_filled(entries: list[str], voters: Iterable[tuple[str, str]]) -> int:
    """How many seats the approving voters fill, each voter in one seat at most."""
    holder: dict[int, int] = {}
    people = list(voters)

    def seat(person: int, tried: set[int]) -> bool:
        username, role = people[person]
        for index, entry in enumerate(entries):
            if index in tried or not _fits(entry, username, role):
                continue
            tried.add(index)
            if index not in holder or seat(holder[index], tried):
                holder[index] = person
                return True
        return False

    return sum(seat(person, set()) for person in range(len(people)))


def _allows_self(request: ApprovalRequest) -> bool:
    try:
        t = get_workflow(request.workflow).transition(request.transition)
    except (NotFound, ValidationError):
        return False
    return t.approval is not None and t.approval.allow_self


def _is_seated(entries: Sequence[str], actor: Actor) -> bool:
    """Whether one of the seats is for ``actor``, by username or by role."""
    return any(_fits(entry, actor.username, actor.role) for entry in entries)


def _is_own(request: ApprovalRequest, actor: Actor) -> bool:
    """Whether ``actor`` made ``request`` in a workflow that lets no requester decide."""
    return actor.username == request.requested_by and not _allows_self(request)


def _approving(votes: Iterable[ApprovalVote]) -> list[tuple[str, str]]:
    """The (username, role) of each vote that approves."""
    return [(v.username, v.role) for v in votes if v.decision == "approve"]


def _fills_open_seat(entries: list[str], votes: Sequence[ApprovalVote], actor: Actor) -> bool:
    """Whether an approval by ``actor`` would fill one more seat than the votes so far do."""
    approving = _approving(votes)
    with_actor = [*approving, (actor.username, actor.role)]
    return _seats_filled(entries, with_actor) > _seats_filled(entries, approving)


def _may_decide(request: ApprovalRequest, votes: Sequence[ApprovalVote], actor: Actor) -> bool:
    """Whether ``actor`` may vote on the open ``request`` now and their approval would count."""
    return (
        can(actor, "approval.vote")
        and not _is_own(request, actor)
        and all(v.username != actor.username for v in votes)
        and _fills_open_seat(_entries(request), votes, actor)
    )


def _votes(session: Session, request_id: int) -> list[ApprovalVote]:
    return list(
        session.exec(
            select(ApprovalVote)
            .where(ApprovalVote.request_id == request_id)
            .order_by(col(ApprovalVote.id))
        ).all()
    )


def _requester(session: Session, username: str) -> Actor:
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        return Actor(username=username, role="", real_username=username)
    return Actor(
        username=user.username,
        role=user.role,
        name=user.name,
        department_id=user.department_id,
        user_id=user.id,
        real_username=user.username,
    )


@dataclass(frozen=True)
class VoteResult:
    """The request after a vote: its status and how many seats are filled."""

    request_id: int
    status: str
    approvals: int
    needed: int
    applied: bool
    state: str | None


def vote(
    target: Store | Session,
    request_id: int,
    actor: Actor,
    approve: bool,
    comment: str | None = None,
) -> VoteResult:
    """Record ``actor``'s decision on an approval request.

    Only listed approvers vote, each once, and not on their own request
    unless the workflow allows it; a rejection needs a reason and rejects
    the request. When enough approvals are in, the record moves (its state
    and guards are checked again; :class:`TransitionDenied` keeps the
    request pending and records nothing).
    """
    comment = _clean(comment)
    with _session_for(target, actor, comment) as session:
        request = session.get(ApprovalRequest, request_id)
        if request is None:
            raise NotFound(f"no approval request {request_id}")
        if request.status != PENDING:
            raise ValidationError(f"approval request {request_id} is already {request.status}")
        entries = _entries(request)
        if not _is_seated(entries, actor):
            raise PermissionDenied(
                f"{actor.username} ({actor.role}) is not an approver of request {request_id}; "
                f"its approvers are {', '.join(entries)}"
            )
        require(actor, "approval.vote")
        if _is_own(request, actor):
            raise PermissionDenied(
                f"{actor.username} made request {request_id}; someone else must decide it"
            )
        votes = _votes(session, request_id)
        if any(v.username == actor.username for v in votes):
            raise ValidationError(f"{actor.username} has already voted on request {request_id}")
        if not approve and comment is None:
            raise ValidationError("a rejection needs a comment saying why", field="comment")
        wf = get_workflow(request.workflow)
        record = _load(session, wf, request.record_id)
        decision = "approve" if approve else "reject"
        session.add(
            ApprovalVote(
                request_id=request_id,
                username=actor.username,
                role=actor.role,
                decision=decision,
                comment=comment,
                at=clock.now(),
            )
        )
        session.flush()
        filled = _seats_filled(entries, _approving(_votes(session, request_id)))
        if not approve:
            request.status = REJECTED
        elif filled >= request.needed:
            request.status = APPROVED
        log(
            session,
            audit.Event(
                action="approval.vote",
                entity=wf.entity,
                code=record.human_code,
                record_id=record.id,
                after={
                    "request": request_id,
                    "decision": decision,
                    "approvals": filled,
                    "needed": request.needed,
                    "status": request.status,
                },
                comment=comment,
            ),
        )
        applied = False
        if request.status == APPROVED:
            _approve(session, wf, request, record, actor)
            applied = True
        if request.status != PENDING:
            request.decided_at = clock.now()
        session.add(request)
        session.flush()
        return VoteResult(
            request_id, request.status, filled, request.needed, applied, wf.state_of(record)
        )


def _approve(
    session: Session, wf: Workflow, request: ApprovalRequest, record: Any, actor: Actor
) -> None:
    t = wf.transition(request.transition)
    payload = json.loads(request.payload) if request.payload else {}
    reasons = [r for r in (_state_reason(wf, t, record),) if r]
    if wf.state_of(record) != request.from_state and not reasons:
        reasons.append(
            f"{record.human_code} moved to {wf.label_of(wf.state_of(record))} after the request"
        )
    reasons += _guard_reasons(
        session, t, record, _requester(session, request.requested_by), payload
    )
    if reasons:
        raise TransitionDenied(reasons)
    _move(session, wf, t, record, actor, request.comment, payload, request=request)


def withdraw(
    target: Store | Session, request_id: int, actor: Actor, comment: str | None = None
) -> None:
    """The requester (or an admin) takes back a pending request."""
    comment = _clean(comment)
    with _session_for(target, actor, comment) as session:
        request = session.get(ApprovalRequest, request_id)
        if request is None:
            raise NotFound(f"no approval request {request_id}")
        if request.status != PENDING:
            raise ValidationError(f"approval request {request_id} is already {request.status}")
        if actor.username != request.requested_by and actor.role != "admin":
            raise PermissionDenied(f"only {request.requested_by} may withdraw request {request_id}")
        wf = get_workflow(request.workflow)
        record = _load(session, wf, request.record_id)
        request.status = WITHDRAWN
        request.decided_at = clock.now()
        session.add(request)
        log(
            session,
            audit.Event(
                action="approval.withdraw",
                entity=wf.entity,
                code=record.human_code,
                record_id=record.id,
                after={"request": request_id, "status": WITHDRAWN},
                comment=comment,
            ),
        )


@dataclass(frozen=True)
class PendingApproval:
    """An approval request of one record, with how far its votes have come."""

    request_id: int
    workflow: str
    transition: str
    label: str
    record_id: int
    code: str
    from_state: str
    target: str
    requested_by: str
    requested_at: datetime
    approvals: int
    needed: int
    comment: str | None


def _view(session: Session, request: ApprovalRequest) -> PendingApproval:
    assert request.id is not None
    try:
        wf: Workflow | None = get_workflow(request.workflow)
    except NotFound:
        wf = None
    t = wf.transition(request.transition) if wf else None
    record = session.get(wf.model, request.record_id) if wf else None
    approving = _approving(_votes(session, request.id))
    return PendingApproval(
        request_id=request.id,
        workflow=request.workflow,
        transition=request.transition,
        label=t.label if t else request.transition,
        record_id=request.record_id,
        code=record.human_code if record is not None else str(request.record_id),
        from_state=request.from_state,
        target=t.target if t else "",
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        approvals=_seats_filled(_entries(request), approving),
        needed=request.needed,
        comment=request.comment,
    )


def requests_for(
    session: Session, workflow: Workflow | str, record_id: int, *, pending_only: bool = True
) -> list[PendingApproval]:
    """The approval requests of one record (to show it as pending approval)."""
    wf = get_workflow(workflow)
    query = select(ApprovalRequest).where(
        ApprovalRequest.workflow == wf.name, ApprovalRequest.record_id == record_id
    )
    if pending_only:
        query = query.where(ApprovalRequest.status == PENDING)
    return [_view(session, r) for r in session.exec(query.order_by(col(ApprovalRequest.id))).all()]


# ---------------------------------------------------------------- the approvals inbox

# What a record is called besides its code, the first field its model has.
TITLE_FIELDS = ("title", "name", "subject")


@dataclass(frozen=True)
class PendingItem:
    """An approval request the actor may decide now, as the inbox lists it."""

    request_id: int
    workflow: str
    code: str
    title: str
    step: str
    step_label: str
    requested_by: str
    requested_at: datetime
    voted: tuple[str, ...]
    needed: int


def _reading(target: Store | Session) -> AbstractContextManager[Session]:
    if isinstance(target, Store):
        return target.read()
    return nullcontext(target)


def _title_of(record: Any) -> str:
    for name in TITLE_FIELDS:
        if name in type(record).model_fields:
            return str(getattr(record, name) or "")
    return ""


def _open_votes(session: Session) -> dict[int, list[ApprovalVote]]:
    """The votes on every open request, by request, oldest first."""
    rows = session.exec(
        select(ApprovalVote)
        .join(ApprovalRequest, col(ApprovalRequest.id) == col(ApprovalVote.request_id))
        .where(ApprovalRequest.status == PENDING)
        .order_by(col(ApprovalVote.id))
    ).all()
    found: dict[int, list[ApprovalVote]] = {}
    for v in rows:
        found.setdefault(v.request_id, []).append(v)
    return found


def _item(
    request: ApprovalRequest, wf: Workflow, record: Any, votes: Sequence[ApprovalVote]
) -> PendingItem:
    assert request.id is not None
    try:
        label = wf.transition(request.transition).label
    except ValidationError:
        label = request.transition
    return PendingItem(
        request_id=request.id,
        workflow=request.workflow,
        code=record.human_code,
        title=_title_of(record),
        step=request.transition,
        step_label=label,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        voted=tuple(v.username for v in votes),
        needed=request.needed,
    )


def pending_for(
    target: Store | Session, actor: Actor, limit: int | None = None
) -> tuple[int, list[PendingItem]]:
    """How many approval requests ``actor`` may decide now, and the oldest ``limit`` of them.

    A request counts when it is open, was made by someone else (unless its
    workflow lets requesters decide), the actor has not voted on it yet, and
    the actor's approval would fill a seat still open, matched as :func:`vote`
    matches seats. Requests whose workflow or record is gone cannot be decided
    and do not count. ``limit=None`` lists them all.
    """
    with _reading(target) as session:
        requests = session.exec(
            select(ApprovalRequest)
            .where(ApprovalRequest.status == PENDING)
            .order_by(col(ApprovalRequest.requested_at), col(ApprovalRequest.id))
        ).all()
        votes = _open_votes(session)
        total = 0
        items: list[PendingItem] = []
        for request in requests:
            assert request.id is not None
            cast = votes.get(request.id, [])
            if not _may_decide(request, cast, actor):
                continue
            try:
                wf = get_workflow(request.workflow)
            except NotFound:
                continue
            record = session.get(wf.model, request.record_id)
            if record is None:
                continue
            total += 1
            if limit is None or len(items) < limit:
                items.append(_item(request, wf, record, cast))
        return total, items


# ---------------------------------------------------------------- time in state


@dataclass(frozen=True)
class Stay:
    """One stay of a record in a state; ``left_at`` is ``None`` while it is there."""

    state: str
    entered_at: datetime
    left_at: datetime | None
    entered_by: str
    comment: str | None

    def seconds(self, now: datetime | None = None) -> float:
        end = self.left_at or now or clock.now()
        return max((end - self.entered_at).total_seconds(), 0.0)


def history(session: Session, workflow: Workflow | str, record_id: int) -> list[Stay]:
    """The stays of one record, oldest first."""
    wf = get_workflow(workflow)
    rows = session.exec(
        select(StateHistory)
        .where(StateHistory.workflow == wf.name, StateHistory.record_id == record_id)
        .order_by(col(StateHistory.entered_at), col(StateHistory.id))
    ).all()
    return [Stay(r.state, r.entered_at, r.left_at, r.entered_by, r.comment) for r in rows]


def time_in_states(session: Session, workflow: Workflow | str, record_id: int) -> dict[str, float]:
    """Seconds one record has spent in each state (the current stay counts until now)."""
    now = clock.now()
    totals: dict[str, float] = {}
    for stay in history(session, workflow, record_id):
        totals[stay.state] = totals.get(stay.state, 0.0) + stay.seconds(now)
    return totals


def cycle_times(
    session: Session,
    workflow: Workflow | str,
    *,
    include_open: bool = False,
    since: datetime | None = None,
) -> dict[str, tuple[int, float, float]]:
    """Per state across records: (stays, mean seconds, median seconds), GEN-3.

    Only finished stays count unless ``include_open`` (then current stays count
    until now); ``since`` keeps the stays that began at or after it.
    """
    wf = get_workflow(workflow)
    query = select(StateHistory.state, StateHistory.entered_at, StateHistory.left_at).where(
        StateHistory.workflow == wf.name
    )
    if since is not None:
        query = query.where(StateHistory.entered_at >= since)
    if not include_open:
        query = query.where(col(StateHistory.left_at).is_not(None))
    now = clock.now()
    durations: dict[str, list[float]] = {}
    for state, entered_at, left_at in session.exec(query):
        seconds = max(((left_at or now) - entered_at).total_seconds(), 0.0)
        durations.setdefault(state, []).append(seconds)
    order = {state: index for index, state in enumerate(wf.states)}
    return {
        state: (len(values), statistics.fmean(values), float(statistics.median(values)))
        for state, values in sorted(durations.items(), key=lambda kv: order.get(kv[0], len(order)))
    }
