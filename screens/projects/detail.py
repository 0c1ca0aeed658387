"""One project in tabs: Overview, Plan, Meetings, Issues, Acceptance, History.

Every key opens a form or a choice in a modal; the services decide, the
screen only offers what the user may do now (``check_action``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from specialops import clock
from specialops.errors import ValidationError
from specialops.screens.shell.base import AppHeader
from specialops.terminal_text import visible
from specialops.widgets.form import (
    RELOAD,
    ChoiceModal,
    FormField,
    FormModal,
    iso_date,
    read_date,
    read_integer,
)
from specialops.widgets.messages import forward_failure
from specialops.widgets.modals import ConfirmModal, MessageModal
from specialops.widgets.record_list import RecordList
from specialops.widgets.safe import SafeStatic
from specialops.widgets.timeline import Bar, Timeline

RAG_STYLE = {"red": "bold white on red", "amber": "bold black on yellow", "green": "black on green"}
# Each tab's label, longest first: the bar takes the longest that fits the screen's width.
TAB_LABELS: dict[str, tuple[str, ...]] = {
    "overview": ("Overview 概覽", "Overview 概覽", "概覽"),
    "plan": ("Plan 計劃", "Plan 計劃", "計劃"),
    "meetings": ("Meetings 會議", "Meet 會議", "會議"),
    "issues": ("Issues 問題", "Issues 問題", "問題"),
    "acceptance": ("Acceptance 驗收", "Accept 驗收", "驗收"),
    "history": ("History 歷程", "History 歷程", "歷程"),
}
TABS = tuple(TAB_LABELS)
TAB_PADDING = 2  # a tab's padding, left and right
# The keys that take a lifecycle step in one direction: their label names the step.
STEP_KEYS = {"project.advance": "forward", "project.send_back": "back"}


def label_step_keys(screen: Screen[Any], keys: dict[str, str], steps: Sequence[Any]) -> bool:
    """Name on each step key (binding id → direction) the one step it takes now.

    With several steps in one direction the key keeps its generic word. Says
    whether a label changed, so that a caller refreshes the footer only then.
    """
    labels: dict[str, str] = {}
    for binding in screen.BINDINGS:
        assert isinstance(binding, Binding)
        direction = keys.get(binding.id or "")
        if direction is None:
            continue
        allowed = [s for s in steps if s.allowed and s.direction == direction]
        labels[binding.id or ""] = (
            allowed[0].key_label if len(allowed) == 1 else binding.description
        )
    changed = False
    bindings = screen._bindings.key_to_bindings
    for key, found in bindings.items():
        relabelled = [replace(b, description=labels[b.id]) if b.id in labels else b for b in found]
        changed = changed or any(
            a.description != b.description for a, b in zip(found, relabelled, strict=True)
        )
        bindings[key] = relabelled
    return changed


def _rag(level: str | None) -> Text:
    level = level or "green"
    return Text(f" {level} ", style=RAG_STYLE.get(level, ""))


def _kpi_level(level: str | None) -> Text:
    """A KPI's level; one never read is not measured, not green."""
    if level is None:
        return Text(" - not measured 未量測 ", style="dim")
    return _rag(level)


def _nonempty(*names: str) -> Callable[[dict[str, str]], dict[str, str]]:
    def check(values: dict[str, str]) -> dict[str, str]:
        return {n: "required 必填" for n in names if not values.get(n, "").strip()}

    return check


# --- forms shared by the board and the detail -----------------------------------------------


def proposal_form(context: Any, project: Any) -> FormModal:
    """File a proposal, or edit one (``project`` given: a stale save is refused)."""
    from specialops.areas.projects import actions as svc
    from specialops.areas.projects.rules import format_money

    def value(name: str, default: str = "") -> str:
        if project is None:
            return default
        if name == "budget":
            return format_money(project.budget).replace(",", "")
        found = getattr(project, name, None)
        return "" if found is None else str(found)

    fields = [
        FormField("name", "Name 項目名稱", value("name")),
        FormField("origin", "Origin 來源 (strategy/market/customer)", value("origin", "strategy")),
        FormField("background", "Background 背景", value("background")),
        FormField("objectives", "Objectives 目標", value("objectives")),
        FormField("expected_results", "Expected results 預期成果", value("expected_results")),
        FormField("budget", "Budget 預算", value("budget", "0")),
        FormField("start_date", "Start 開始 (YYYY-MM-DD)", value("start_date")),
        FormField("end_date", "End 結束 (YYYY-MM-DD)", value("end_date")),
    ]  # fmt: skip

    def submit(values: dict[str, str]) -> Any:
        if project is None:
            return svc.propose(context.store, context.actor, values)
        return svc.update_project(context.store, context.actor, project.id, project.version, values)

    title = "New proposal 立項申請" if project is None else f"Edit 編輯 {project.code}"
    return FormModal(title, fields, submit, svc.check_proposal)


def tab_labels(width: int) -> dict[str, str]:
    """The longest tab labels whose bar fits ``width`` cells."""
    from rich.cells import cell_len

    tiers = len(next(iter(TAB_LABELS.values())))
    for tier in range(tiers):
        labels = {tab: names[tier] for tab, names in TAB_LABELS.items()}
        if sum(cell_len(label) + TAB_PADDING for label in labels.values()) <= width:
            return labels
    return labels


def _choice(step: Any) -> Text:
    """A step in the list: a blocked one dimmed, with the engine's reasons under it."""
    if not step.reasons:
        return Text(visible(step.label))
    text = Text(visible(step.label), style="dim")
    text.append(visible(f"\n  blocked 受阻: {'; '.join(step.reasons)}"), style="dim italic")
    return text


def step_blocked_modal(code: str, label: str, reasons: Sequence[str]) -> MessageModal:
    """Why a chosen lifecycle step is not possible now."""
    body = Text()
    body.append("Why 原因:\n", style="bold")
    body.append(visible("\n".join(f"- {reason}" for reason in reasons)))
    title = f"{code}: {label} - not possible now 目前無法執行"
    return MessageModal(title, body, kind="warning")


def take_step(
    screen: Screen,
    context: Any,
    project_id: int,
    version: int,
    code: str,
    steps: Sequence[Any],
    done: Callable[[], None],
) -> None:
    """Choose a lifecycle step (unless one allowed step is all), then ask its comment and fields.

    A blocked step (one with ``reasons``) is listed dimmed; choosing it only
    shows why it is not possible now.
    """
    from specialops.areas.projects import actions as svc
    from specialops.areas.projects.workflow import PAYLOAD_FIELDS

    def ask(name: str | None) -> None:
        if name is None:
            return
        step = next(s for s in steps if s.name == name)
        reasons = getattr(step, "reasons", ())
        if reasons:
            screen.app.push_screen(step_blocked_modal(code, step.label, reasons))
            return
        extra = PAYLOAD_FIELDS.get(name, ())
        fields = [
            FormField(key, label, lines=key == "items", placeholder=label)
            for key, label, _ in extra
        ]
        comment = "Reason 理由 (required 必填)" if step.needs_comment else "Comment 備註"
        fields.append(FormField("comment", comment))
        required = [key for key, _, needed in extra if needed]
        if step.needs_comment:
            required.append("comment")

        def submit(values: dict[str, str]) -> Any:
            payload: dict[str, Any] = {k: v for k, v in values.items() if k != "comment"}
            if "items" in payload:
                payload["items"] = svc.parse_items(payload["items"])
            return svc.transition(
                context.store, context.actor, project_id, version, name,
                values.get("comment"), payload,
            )  # fmt: skip

        def finished(result: Any) -> None:
            if result is not None:
                if result != RELOAD:
                    screen.notify(f"{code}: {step.label} -> {result.state}")
                done()

        screen.app.push_screen(
            FormModal(f"{code}: {step.label}", fields, submit, _nonempty(*required)), finished
        )

    if len(steps) == 1 and not getattr(steps[0], "reasons", ()):
        ask(steps[0].name)
    else:
        ordered = sorted(steps, key=lambda s: bool(getattr(s, "reasons", ())))
        choices = [(s.name, _choice(s)) for s in ordered]
        screen.app.push_screen(ChoiceModal(f"{code}: what next? 下一步", choices), ask)


# --- the screen -----------------------------------------------------------------------------


class ProjectDetailScreen(Screen):
    """A project's tabs; Escape goes back to the board."""

    DEFAULT_CSS = "#project-keys { height: auto; padding: 0 1; }"

    BINDINGS = [
        Binding("escape", "back", "Board 看板", id="project.back"),
        Binding("left_square_bracket", "tab(-1)", "Prev tab", show=False, id="project.prev_tab"),
        Binding("right_square_bracket", "tab(1)", "Tabs [ ]", id="project.next_tab"),
        Binding("a", "step('forward')", "Advance 推進", id="project.advance"),
        Binding("b", "step('back')", "Send back 退回", id="project.send_back"),
        Binding("t", "step('all')", "Steps 流程", id="project.steps"),
        Binding("e", "edit", "Edit 編輯", id="project.edit"),
        Binding("n", "add_task", "Task 任務", id="project.add_task"),
        Binding("M", "add_milestone", "Milestone", id="project.add_milestone"),
        Binding("c", "confirm_plan", "Confirm plan 確認計劃", id="project.confirm"),
        Binding("g", "progress", "Progress 進度", id="project.progress"),
        Binding("h", "achieve", "Achieved 達成", id="project.achieve"),
        Binding("K", "add_kpi", "KPI", id="project.add_kpi"),
        Binding("r", "reading", "Reading 讀數", id="project.reading"),
        Binding("i", "issue", "Issue 問題", id="project.issue"),
        Binding("m", "meeting", "Meeting 會議", id="project.meeting"),
        Binding("x", "close_item", "Close item 整改完成", id="project.close_item"),
        Binding("o", "pass_acceptance", "Pass 驗收通過", id="project.pass"),
        Binding("P", "add_phase", "Phase 階段", id="project.add_phase"),
        Binding("s", "reschedule", "Reschedule 改期", id="project.reschedule"),
        Binding("E", "expense", "Expense 費用", id="project.expense"),
        Binding("R", "resolve_issue", "Resolve 解決", id="project.resolve_issue"),
        Binding("d", "action_done", "Action done 待辦完成", id="project.action_done"),
        Binding("f5", "reload", "Reload", show=False, id="project.reload"),
    ]

    def __init__(self, context: Any, code: str) -> None:
        super().__init__()
        self.context = context
        self.code = code
        self.data: Any = None
        self.lists_mounted = False

    def compose(self) -> ComposeResult:
        yield AppHeader(self.context, "Projects 項目看板")
        yield SafeStatic(self.code, id="project-title", classes="area-title")
        yield Static("", id="project-keys", markup=False)
        labels = tab_labels(self.app.size.width)
        with TabbedContent(id="project-tabs"):
            with TabPane(labels["overview"], id="overview"), VerticalScroll():
                yield SafeStatic("Loading 載入中", id="overview-body")
            with TabPane(labels["plan"], id="plan"), Vertical(id="plan-body"):
                yield Timeline(id="timeline")
            with TabPane(labels["meetings"], id="meetings"), VerticalScroll():
                yield SafeStatic("", id="meetings-body")
            with TabPane(labels["issues"], id="issues"), VerticalScroll():
                yield SafeStatic("", id="issues-body")
            with TabPane(labels["acceptance"], id="acceptance"), VerticalScroll():
                yield SafeStatic("", id="acceptance-body")
            with TabPane(labels["history"], id="history"), VerticalScroll():
                yield SafeStatic("", id="history-body")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_data()

    def on_resize(self, event: events.Resize) -> None:
        tabs = self.query_one(TabbedContent)
        for tab, label in tab_labels(event.size.width).items():
            found = tabs.get_tab(tab)
            if found.label.plain != label:
                found.label = label

    def refresh_data(self) -> None:
        self._load()

    def on_worker_state_changed(self, event: Any) -> None:
        forward_failure(self, event)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load(self) -> None:
        from specialops.areas.projects.queries import detail

        found = detail(self.context.store, self.context.actor, self.code)
        self.app.call_from_thread(self._show, found)

    # ---------------------------------------------------------------- drawing

    def _show(self, data: Any) -> None:
        from specialops.areas.projects.queries import stage_label
        from specialops.areas.projects.workflow import ACTIVE_STAGES

        self.data = data
        p = data.project
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(visible(f"{p.code} {p.name}  ", single_line=True), style="bold")
        title.append(visible(f"{stage_label(p.stage)} {p.stage}  PM {data.manager or '-'}  "))
        if p.stage in ACTIVE_STAGES:  # a closed or cancelled project has no health to watch
            title.append_text(_rag(data.health.colour))
        self.query_one("#project-title", Static).update(title)
        self.query_one("#overview-body", Static).update(self._overview(data))
        self.query_one("#meetings-body", Static).update(self._meetings(data))
        self.query_one("#issues-body", Static).update(self._issues(data))
        self.query_one("#acceptance-body", Static).update(self._acceptance(data))
        self.query_one("#history-body", Static).update(self._history(data))
        self._plan(data)
        self._label_step_keys()
        self.refresh_bindings()
        self.query_one("#project-keys", Static).update(self._keys_line())

    def _label_step_keys(self) -> None:
        """Name on the a and b keys the step each takes here (the generic word when several)."""
        label_step_keys(self, STEP_KEYS, self.data.steps)

    def _keys_line(self) -> Text:
        """Every key the user may press now: at 80 columns the footer cannot hold them all."""
        from textual.actions import parse

        line = Text("keys 按鍵: ", style="dim")
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            _, name, params = parse(binding.action)
            if not binding.show or name in ("back", "tab", "reload"):
                continue
            if self.check_action(name, params):
                line.append(binding.key_display or binding.key, style="bold")
                line.append(f" {self._description(binding)}  ")
        if not line.spans and line.plain == "keys 按鍵: ":
            line.append("none for you at this stage 此階段無可用操作", style="dim")
        return line

    def _description(self, binding: Binding) -> str:
        """The binding's description as the footer shows it now (a step key names its step)."""
        for _key, current in self._bindings:
            if binding.id is not None and current.id == binding.id:
                return current.description
        return binding.description

    def _overview(self, data: Any) -> Group:
        from specialops.areas.projects.actions import ORIGIN_LABELS
        from specialops.areas.projects.rules import format_money

        p = data.project
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column()
        facts.add_row("Department 部門", data.department or "-")
        facts.add_row("Origin 來源", f"{ORIGIN_LABELS.get(p.origin, p.origin)} {p.origin}")
        facts.add_row("Dates 期間", f"{p.start_date or '?'} .. {p.end_date or '?'}")
        facts.add_row("Objectives 目標", p.objectives or "-")
        facts.add_row("Expected 預期成果", p.expected_results or "-")
        waiting = [m for m in data.milestones if m.achieved_date is None]
        nxt = f"{waiting[0].due_date} {waiting[0].name}" if waiting else "-"
        facts.add_row("Next milestone 下個里程碑", nxt)
        share = data.spent / p.budget if p.budget else 0.0
        filled = min(int(share * 20), 20)
        burn = Text("[" + "#" * filled + "." * (20 - filled) + "] ")
        burn.append(f"{share:.0%}  {format_money(data.spent)} / {format_money(p.budget)}")
        facts.add_row("Budget burn 預算", burn)
        ev = data.health.ev
        if ev is not None:
            spi = "-" if ev.spi is None else f"{ev.spi:.2f}"
            cpi = "-" if ev.cpi is None else f"{ev.cpi:.2f}"
            if ev.cpi is not None and not ev.cpi_meaningful:
                cpi = f"- (not yet meaningful: {ev.earned_share or 0:.0%} earned)"
            facts.add_row("Earned value 實獲值", f"SPI {spi}  CPI {cpi}  "
                          f"EV {ev.earned_hours:g} h / PV {ev.planned_hours:g} h")  # fmt: skip
        health = Text("Health 健康  ")
        health.append_text(_rag(data.health.colour))
        kpi = data.health.kpi or "not measured 未量測"
        health.append(f"  schedule {data.health.schedule}, cost {data.health.cost}, KPI {kpi}")
        reasons = Text(
            visible("\n".join(f"  - {r}" for r in data.health.reasons)) or "  on plan 正常"
        )
        kpis = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for name in ("KPI", "Value 實際", "Target 目標", "RAG", "Trend 趨勢"):
            kpis.add_column(name, no_wrap=True)
        from specialops.areas.projects.rules import sparkline

        for k in data.kpis:
            value = "-" if k.value is None else f"{k.value:g}{k.unit}"
            kpis.add_row(k.name, value, f"{k.target:g}{k.unit}", _kpi_level(k.level),
                         sparkline(k.trend))  # fmt: skip
        parts: list[Any] = [facts, Text(""), health, reasons, Text("")]
        parts.append(kpis if data.kpis else Text("No KPIs yet. 尚無 KPI。", style="dim"))
        return Group(*parts)

    def _plan(self, data: Any) -> None:
        from specialops.areas.projects.queries import milestones_source, tasks_source

        base = data.baseline
        bars = [Bar(f"[P] {ph.name}", ph.start_date, ph.end_date) for ph in data.phases]
        for m in data.milestones:
            planned = (base.get("milestones") or {}).get(m.code)
            bars.append(Bar(f"* {m.name}", m.due_date, m.due_date,
                            _date(planned), _date(planned), True, m.achieved_date))  # fmt: skip
        for t in data.tasks[:6]:
            planned = (base.get("tasks") or {}).get(t.code) or [None, None]
            bars.append(Bar(f"{t.code} {t.title}", t.start_date, t.due_date,
                            _date(planned[0]), _date(planned[1])))  # fmt: skip
        self.query_one(Timeline).show(bars, clock.today())
        body = self.query_one("#plan-body", Vertical)
        if not self.lists_mounted:
            pid = data.project.id
            store = self.context.store
            body.mount(RecordList(tasks_source(store, pid), id="plan-tasks"))
            body.mount(RecordList(milestones_source(store, pid), id="plan-milestones"))
            self.lists_mounted = True
        else:
            for record_list in self.query(RecordList):
                record_list.rows.reload()

    def _meetings(self, data: Any) -> Any:
        if not data.meetings:
            return Text("No meetings yet. 尚無會議。", style="dim")
        parts: list[Any] = []
        for meeting, items in data.meetings:
            parts.append(Text(visible(f"{meeting.held_on}  {meeting.title}"), style="bold"))
            parts.append(Text(visible(f"  attendees 出席: {meeting.attendees or '-'}")))
            parts.append(Text(visible(f"  minutes 紀要: {meeting.minutes or '-'}")))
            parts.append(Text(visible(f"  decisions 決議: {meeting.decisions or '-'}")))
            for item in items:
                mark = "x" if item.status == "done" else " "
                line = f"  [{mark}] {item.title} ({item.owner}, {item.due_date})"
                parts.append(Text(visible(line)))
            parts.append(Text(""))
        return Group(*parts)

    def _issues(self, data: Any) -> Any:
        from specialops.areas.projects.actions import SEVERITY_LABELS

        if not data.issues:
            return Text("No issues logged. 尚無問題。", style="dim")
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", expand=True)
        for name in ("Code", "Severity 嚴重度", "Status 狀態", "Issue 問題", "To 上報"):
            table.add_column(name)
        for issue in data.issues:
            severity = f"{SEVERITY_LABELS.get(issue.severity, '')} {issue.severity}"
            title = issue.title
            if issue.proposed_solution:
                title += f"\n  proposed 建議: {issue.proposed_solution}"
            table.add_row(issue.code, severity, issue.status, title, issue.escalated_to or "")
        return table

    def _acceptance(self, data: Any) -> Any:
        parts: list[Any] = []
        for application, opinions in data.applications:
            parts.append(
                Text(visible(f"Round 第 {application.round} 次  {application.status}  "
                             f"by {application.submitted_by}"), style="bold")
            )  # fmt: skip
            parts.append(Text(visible(f"  result report 成果報告: {application.result_report}")))
            parts.append(Text(visible(f"  test report 測試報告: {application.test_report}")))
            parts.append(Text(visible(f"  documents 文件: {application.documents or '-'}")))
            for o in opinions:
                opinion = f"  opinion 意見 [{o.verdict}] {o.reviewer}: {o.opinion}"
                parts.append(Text(visible(opinion)))
        if data.rectifications:
            parts.append(Text("\nRectification items 整改項", style="bold"))
            for item in data.rectifications:
                mark = "x" if item.status == "closed" else " "
                note = f" - {item.closing_note}" if item.closing_note else ""
                parts.append(
                    Text(
                        visible(
                            f"  [{mark}] {item.title} ({item.owner}, due {item.due_date}){note}"
                        )
                    )
                )
        if not parts:
            return Text("No acceptance application yet. 尚未申請驗收。", style="dim")
        return Group(*parts)

    def _history(self, data: Any) -> Any:
        from specialops.areas.projects.queries import stage_label

        stays = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for name in ("Stage 階段", "Entered 進入", "By 由", "Days 天數", "Comment 備註"):
            stays.add_column(name, no_wrap=True)
        now = clock.now()
        for stay in data.stays:
            local = stay.entered_at.astimezone(clock.local_zone())
            stays.add_row(
                f"{stage_label(stay.state)} {stay.state}", f"{local:%Y-%m-%d %H:%M}",
                stay.entered_by, f"{stay.seconds(now) / 86400:.1f}", stay.comment or "",
            )  # fmt: skip
        log = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        for name in ("When 時間", "Who 人員", "Action 動作", "Code", "Comment 備註"):
            log.add_column(name, no_wrap=True)
        for entry in data.history[:60]:
            local = entry.at.astimezone(clock.local_zone())
            log.add_row(f"{local:%m-%d %H:%M}", entry.username, entry.action, entry.code or "",
                        entry.comment or "")  # fmt: skip
        changes = [Text(visible(f"  {c.changed_at:%Y-%m-%d} {c.what} - {c.why} "
                                f"(approved {c.approved_by})")) for c in data.changes]  # fmt: skip
        parts: list[Any] = [Text("Time in stage 各階段時間 (GEN-3)", style="bold"), stays]
        if changes:
            parts += [Text("\nPlan changes 計劃變更", style="bold"), *changes]
        parts += [Text("\nAudit log 稽核紀錄", style="bold"), log]
        return Group(*parts)

    # ---------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        data = self.data
        if action in ("back", "tab", "reload"):
            return True
        if data is None:
            return False
        if action == "step":
            want = str(parameters[0])
            if want == "all":
                return bool(data.steps)
            return any(s.allowed and s.direction == want for s in data.steps)
        return data.allowed.get(action) is None

    def action_back(self) -> None:
        self.app.pop_screen()
        refresh = getattr(self.app.screen, "refresh_data", None)
        if refresh is not None:
            refresh()

    def action_reload(self) -> None:
        self.refresh_data()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        index = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(index + step) % len(TABS)]

    def _form(self, title: str, fields: list[FormField], submit: Callable, check=None) -> None:
        def done(result: Any) -> None:
            if result is not None:
                self.refresh_data()

        self.app.push_screen(FormModal(title, fields, submit, check), done)

    def _pick(self, title: str, choices: list[tuple[str, str]], then: Callable[[int], None]):
        if len(choices) == 1:
            then(int(choices[0][0]))
            return
        self.app.push_screen(
            ChoiceModal(title, choices), lambda key: then(int(key)) if key else None
        )

    def action_step(self, direction: str) -> None:
        data = self.data
        steps = [
            s for s in data.steps if direction == "all" or (s.allowed and s.direction == direction)
        ]
        p = data.project
        take_step(self, self.context, p.id, p.version, p.code, steps, self.refresh_data)

    def action_edit(self) -> None:
        self._form_modal(proposal_form(self.context, self.data.project))

    def _form_modal(self, modal: FormModal) -> None:
        self.app.push_screen(modal, lambda result: self.refresh_data() if result else None)

    def action_add_task(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        executing = p.stage == "executing"
        fields = [
            FormField("title", "Title 任務"),
            FormField("owner", "Owner 負責人 (login)"),
            FormField("start_date", "Start 開始 (YYYY-MM-DD)", str(clock.today())),
            FormField("due_date", "Due 到期 (YYYY-MM-DD)"),
            FormField("planned_hours", "Planned effort 工時 (hours)", "8"),
            FormField("deliverable", "Deliverable 交付物"),
            FormField("acceptance_criteria", "Acceptance criteria 驗收標準"),
        ]
        if executing:
            fields += [FormField("why", "Why the plan changes 變更原因"),
                       FormField("approved_by", "Approved by 核准人 (login)")]  # fmt: skip

        def submit(values: dict[str, str]) -> Any:
            return svc.add_task(
                self.context.store, self.context.actor, p.id, values,
                why=values.get("why"), approved_by=values.get("approved_by", ""),
            )  # fmt: skip

        def check(values: dict[str, str]) -> dict[str, str]:
            problems = dict(svc.check_task(values))
            if executing and not values.get("why", "").strip():
                problems["why"] = "a change to the confirmed plan needs a reason"
            return problems

        self._form(f"{p.code}: new task 新增任務", fields, submit, check)

    def action_add_milestone(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        fields = [
            FormField("name", "Milestone 里程碑"),
            FormField("due_date", "Due 到期 (YYYY-MM-DD)"),
        ]
        if p.stage == "executing":
            fields += [FormField("why", "Why the plan changes 變更原因"),
                       FormField("approved_by", "Approved by 核准人 (login)")]  # fmt: skip

        def submit(values: dict[str, str]) -> Any:
            return svc.add_milestone(
                self.context.store, self.context.actor, p.id, values["name"], values["due_date"],
                why=values.get("why"), approved_by=values.get("approved_by", ""),
            )  # fmt: skip

        self._form(
            f"{p.code}: new milestone 新增里程碑", fields, submit, _nonempty("name", "due_date")
        )

    def action_confirm_plan(self) -> None:
        p = self.data.project

        def answered(yes: bool | None) -> None:
            if yes:
                self._confirm(p.id, p.version)

        self.app.push_screen(
            ConfirmModal(f"Confirm the plan of {p.code} as its baseline? 確認計劃為基準？"),
            answered,
        )

    @work(thread=True, exclusive=True, group="write", exit_on_error=False)
    def _confirm(self, project_id: int, version: int) -> None:
        from specialops.areas.projects import actions as svc

        svc.confirm_plan(self.context.store, self.context.actor, project_id, version)
        self.app.call_from_thread(self.notify, "Plan confirmed 計劃已確認")
        self.app.call_from_thread(self.refresh_data)

    def action_progress(self) -> None:
        from specialops.areas.projects import actions as svc

        tasks = {t.id: t for t in self.data.tasks if t.status not in ("done", "cancelled")}

        def ask(task_id: int) -> None:
            task = tasks[task_id]

            def percent(values: dict[str, str]) -> int:
                return read_integer(values.get("percent", "").strip().rstrip("%"))

            def submit(values: dict[str, str]) -> Any:
                return svc.update_progress(self.context.store, self.context.actor, task.id,
                                           task.version, percent(values))  # fmt: skip

            def check(values: dict[str, str]) -> dict[str, str]:
                try:
                    ok = 0 <= percent(values) <= 100
                except ValueError:
                    ok = False
                return {} if ok else {"percent": "a whole number from 0 to 100"}

            field = FormField("percent", "Percent complete 完成百分比", str(task.percent_complete))
            self._form(f"{task.code} {task.title}", [field], submit, check)

        choices = [
            (str(t.id), f"{t.code} {t.title} ({t.percent_complete}%)") for t in tasks.values()
        ]
        self._pick("Which task? 哪個任務", choices, ask)

    def action_achieve(self) -> None:
        from specialops.areas.projects import actions as svc

        waiting = {m.id: m for m in self.data.milestones if m.achieved_date is None}

        def ask(milestone_id: int) -> None:
            m = waiting[milestone_id]

            def submit(values: dict[str, str]) -> Any:
                on = svc.parse_date(values["on"], "on")
                return svc.achieve_milestone(self.context.store, self.context.actor, m.id,
                                             m.version, on)  # fmt: skip

            field = FormField("on", "Achieved on 達成日期", str(clock.today()))
            self._form(f"{m.code} {m.name}", [field], submit, _nonempty("on"))

        choices = [(str(m.id), f"{m.code} {m.due_date} {m.name}") for m in waiting.values()]
        self._pick("Which milestone? 哪個里程碑", choices, ask)

    def action_add_kpi(self) -> None:
        from specialops.areas.projects import actions as svc
        from specialops.areas.projects import rules

        p = self.data.project
        fields = [
            FormField("name", "KPI name 指標"),
            FormField("unit", "Unit 單位", "%"),
            FormField("direction", "Direction 方向 (higher_better/lower_better)", "higher_better"),
            FormField("target", "Target 目標"),
            FormField("warning", "Warning 警戒 (amber)"),
            FormField("critical", "Critical 危險 (red)"),
        ]

        def numbers(values: dict[str, str]) -> dict[str, float]:
            return {k: svc.parse_number(values[k], k) for k in ("target", "warning", "critical")}

        def check(values: dict[str, str]) -> dict[str, str]:
            problems = _nonempty("name")(values)
            try:
                found = numbers(values)
            except ValidationError as error:
                return {**problems, error.field or "critical": str(error)}
            try:
                rules.check_kpi(values.get("direction", ""), **found)
            except Exception as error:  # a ValidationError naming the field
                problems[getattr(error, "field", None) or "warning"] = str(error)
            return problems

        def submit(values: dict[str, str]) -> Any:
            return svc.add_kpi(self.context.store, self.context.actor, p.id, name=values["name"],
                               unit=values["unit"], direction=values["direction"],
                               **numbers(values))  # fmt: skip

        self._form(f"{p.code}: new KPI 新增指標", fields, submit, check)

    def action_reading(self) -> None:
        from specialops.areas.projects import actions as svc

        kpis = {k.id: k for k in self.data.kpis}

        def ask(kpi_id: int) -> None:
            k = kpis[kpi_id]

            def check(values: dict[str, str]) -> dict[str, str]:
                try:
                    svc.parse_number(values.get("value", ""), "value")
                except ValidationError as error:
                    return {"value": str(error)}
                return {}

            def submit(values: dict[str, str]) -> Any:
                return svc.record_kpi(self.context.store, self.context.actor, k.id,
                                      svc.parse_number(values["value"], "value"))  # fmt: skip

            self._form(f"{k.name} reading 讀數 ({k.unit})", [FormField("value", "Value 數值")],
                       submit, check)  # fmt: skip

        self._pick("Which KPI? 哪個指標", [(str(k.id), k.name) for k in kpis.values()], ask)

    def action_issue(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        fields = [
            FormField("title", "Issue 問題"),
            FormField("severity", "Severity 嚴重度 (minor / moderate / major / critical)", "minor"),
            FormField("description", "Description 說明"),
            FormField("proposed_solution", "Proposed solution 建議方案 (major: required)"),
        ]

        def check(values: dict[str, str]) -> dict[str, str]:
            problems = _nonempty("title")(values)
            severity = values.get("severity", "").strip()
            if severity not in svc.SEVERITIES:
                problems["severity"] = f"one of: {', '.join(svc.SEVERITIES)}"
            elif severity in svc.ESCALATED_SEVERITIES and not values["proposed_solution"].strip():
                problems["proposed_solution"] = "a major issue goes up with a proposed solution"
            return problems

        def submit(values: dict[str, str]) -> Any:
            return svc.log_issue(self.context.store, self.context.actor, p.id,
                                 title=values["title"], severity=values["severity"].strip(),
                                 description=values["description"],
                                 proposed_solution=values["proposed_solution"])  # fmt: skip

        self._form(f"{p.code}: log an issue 登記問題", fields, submit, check)

    def action_meeting(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        fields = [
            FormField("title", "Meeting 會議"),
            FormField("held_on", "Held on 日期", str(clock.today())),
            FormField("attendees", "Attendees 出席"),
            FormField("minutes", "Minutes 紀要", lines=True),
            FormField("decisions", "Decisions 決議"),
            FormField("actions", "Action items 待辦 (title; owner; date per line)", lines=True),
        ]

        def submit(values: dict[str, str]) -> Any:
            return svc.add_meeting(
                self.context.store, self.context.actor, p.id, title=values["title"],
                held_on=values["held_on"], attendees=values["attendees"],
                minutes=values["minutes"], decisions=values["decisions"],
                actions=svc.parse_actions(values["actions"]),
            )  # fmt: skip

        self._form(f"{p.code}: progress meeting 進度會議", fields, submit, _nonempty("title"))

    def action_close_item(self) -> None:
        from specialops.areas.projects import actions as svc

        actor = self.context.actor
        items = {r.id: r for r in self.data.rectifications if r.id in self.data.closable_items}

        def ask(item_id: int) -> None:
            item = items[item_id]

            def submit(values: dict[str, str]) -> Any:
                return svc.close_rectification(self.context.store, actor, item.id, item.version,
                                               values["note"])  # fmt: skip

            self._form(f"Close 完成: {item.title}", [FormField("note", "What was done 處理說明")],
                       submit, _nonempty("note"))  # fmt: skip

        self._pick("Which item? 哪個整改項", [(str(i), r.title) for i, r in items.items()], ask)

    def action_pass_acceptance(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project

        def submit(values: dict[str, str]) -> Any:
            return svc.pass_acceptance(self.context.store, self.context.actor, p.id, p.version,
                                       values["opinion"])  # fmt: skip

        field = FormField("opinion", "Opinion 驗收意見")
        self._form(f"{p.code}: acceptance passed 驗收通過", [field], submit, _nonempty("opinion"))

    def action_add_phase(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        fields = [
            FormField("name", "Phase 階段", required=True),
            FormField("start_date", "Start 開始 (YYYY-MM-DD)", check=iso_date()),
            FormField("end_date", "End 結束 (YYYY-MM-DD)", check=iso_date()),
            FormField("deliverable", "Deliverable 交付物"),
            FormField("acceptance_criteria", "Acceptance criteria 驗收標準"),
        ]

        def check(values: dict[str, str]) -> dict[str, str]:
            return _dates_in_order(values, "start_date", "end_date")

        def submit(values: dict[str, str]) -> Any:
            return svc.add_phase(
                self.context.store, self.context.actor, p.id, values["name"],
                svc.parse_date(values["start_date"], "start_date"),
                svc.parse_date(values["end_date"], "end_date"),
                values["deliverable"].strip(), values["acceptance_criteria"].strip(),
            )  # fmt: skip

        self._form(f"{p.code}: new phase 新增階段", fields, submit, check)

    def action_reschedule(self) -> None:
        from specialops.areas.projects import actions as svc

        p = self.data.project
        executing = p.stage == "executing"
        planned = self.data.baseline.get("tasks") or {}
        tasks = {t.id: t for t in self.data.tasks if t.status not in ("done", "cancelled")}

        def ask(task_id: int) -> None:
            task = tasks[task_id]
            fields = [
                FormField("start_date", "Start 開始 (YYYY-MM-DD)", _text(task.start_date),
                          check=iso_date()),
                FormField("due_date", "Due 到期 (YYYY-MM-DD)", _text(task.due_date),
                          check=iso_date()),
            ]  # fmt: skip
            if executing:
                fields += [FormField("why", "Why the plan changes 變更原因", required=True),
                           FormField("approved_by", "Approved by 核准人 (login)")]  # fmt: skip

            def submit(values: dict[str, str]) -> Any:
                return svc.reschedule_task(
                    self.context.store, self.context.actor, task.id, task.version,
                    start_date=svc.parse_date(values["start_date"], "start_date"),
                    due_date=svc.parse_date(values["due_date"], "due_date"),
                    why=values.get("why"), approved_by=values.get("approved_by", "").strip(),
                )  # fmt: skip

            def check(values: dict[str, str]) -> dict[str, str]:
                return _dates_in_order(values, "start_date", "due_date")

            base = planned.get(task.code)
            title = f"{task.code} {task.title}: reschedule 改期"
            if base:
                title += f" (baseline 基準 {base[0] or '?'} .. {base[1] or '?'})"
            self._form(title, fields, submit, check)

        choices = [
            (str(t.id), f"{t.code} {t.title} ({_text(t.start_date)} .. {_text(t.due_date)})")
            for t in tasks.values()
        ]
        self._pick("Which task? 哪個任務", choices, ask)

    def action_expense(self) -> None:
        from specialops.areas.projects import actions as svc
        from specialops.areas.projects import rules

        p = self.data.project
        categories = [(f"{EXPENSE_LABELS.get(c, c)} {c}", c) for c in svc.EXPENSE_CATEGORIES]
        fields = [
            FormField("category", "Category 類別", "other", required=True, choices=categories),
            FormField("amount", "Amount 金額", required=True),
            FormField("spent_on", "Spent on 日期 (YYYY-MM-DD)", str(clock.today()),
                      required=True, check=iso_date()),
            FormField("description", "Description 說明"),
        ]  # fmt: skip

        def amount(values: dict[str, str]) -> int:
            try:
                return rules.parse_money(values["amount"])
            except ValidationError as error:
                raise ValidationError(str(error), field="amount") from None

        def check(values: dict[str, str]) -> dict[str, str]:
            if not values.get("amount", "").strip():
                return {}
            try:
                return {} if amount(values) > 0 else {"amount": "a positive amount"}
            except ValidationError as error:
                return {"amount": str(error)}

        def submit(values: dict[str, str]) -> Any:
            return svc.add_expense(
                self.context.store, self.context.actor, p.id, amount(values),
                category=values["category"],
                spent_on=svc.parse_date(values["spent_on"], "spent_on"),
                description=values["description"].strip(),
            )  # fmt: skip

        self._form(f"{p.code}: record an expense 登記費用", fields, submit, check)

    def action_resolve_issue(self) -> None:
        from specialops.areas.projects import actions as svc

        issues = {i.id: i for i in self.data.issues if i.status != "resolved"}

        def ask(issue_id: int) -> None:
            issue = issues[issue_id]

            def submit(values: dict[str, str]) -> Any:
                return svc.resolve_issue(self.context.store, self.context.actor, issue.id,
                                         issue.version, values["resolution"])  # fmt: skip

            field = FormField("resolution", "Resolution 解決方式", required=True)
            self._form(f"{issue.code} {issue.title}: resolve 解決", [field], submit)

        choices = [(str(i.id), f"{i.code} [{i.severity}] {i.title}") for i in issues.values()]
        self._pick("Which issue? 哪個問題", choices, ask)

    def action_action_done(self) -> None:
        items = {
            item.id: item
            for _meeting, found in self.data.meetings
            for item in found
            if item.id in self.data.closable_actions
        }

        def done(item_id: int) -> None:
            item = items[item_id]

            def answered(yes: bool | None) -> None:
                if yes:
                    self._close_action(item.id, item.version, item.title)

            self.app.push_screen(ConfirmModal(f"Mark done 標記完成: {item.title}?"), answered)

        choices = [
            (str(i.id), f"{i.title} ({i.owner}, {i.due_date or '-'})") for i in items.values()
        ]
        self._pick("Which action item? 哪個待辦", choices, done)

    @work(thread=True, exclusive=True, group="write", exit_on_error=False)
    def _close_action(self, item_id: int, version: int, title: str) -> None:
        from specialops.areas.projects import actions as svc

        svc.set_action_done(self.context.store, self.context.actor, item_id, version)
        self.app.call_from_thread(self.notify, f"Done 完成: {title}")
        self.app.call_from_thread(self.refresh_data)


EXPENSE_LABELS = {
    "labour": "人工",
    "materials": "材料",
    "equipment": "設備",
    "travel": "差旅",
    "services": "外包",
    "other": "其他",
}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _dates_in_order(values: dict[str, str], start: str, end: str) -> dict[str, str]:
    """The end field's problem when both dates parse and the end comes first."""
    try:
        first = read_date(values.get(start, ""))
        last = read_date(values.get(end, ""))
    except ValueError:
        return {}
    if first is None or last is None:
        return {}
    return {end: "ends before it starts 結束早於開始"} if last < first else {}


def _date(text: Any) -> Any:
    from datetime import date

    if not text:
        return None
    return date.fromisoformat(str(text))
