"""One risk: assessment and its history, actions, indicators with trends, audit history."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from specialops import clock
from specialops.permissions import can
from specialops.screens.shell.base import AppHeader
from specialops.terminal_text import visible
from specialops.widgets.form import (
    FormField,
    FormModal,
    integer_between,
    iso_date,
    number,
    read_date,
    read_integer,
    read_number,
)
from specialops.widgets.messages import forward_failure
from specialops.widgets.safe import SafeStatic
from specialops.widgets.trend import reading_text, trend_chart

if TYPE_CHECKING:
    from specialops.areas.risks.screen_queries import RiskDetailView

LEVEL_STYLE = {"low": "green", "medium": "yellow", "high": "dark_orange3", "critical": "bold red"}


def _money(minor: int | None) -> str:
    return "-" if minor is None else f"{minor / 100:,.2f}"


def _level(level: str | None) -> Text:
    from specialops.areas.risks.rules import LEVEL_LABELS

    if not level:
        return Text("not assessed 未評估", style="dim")
    return Text(f"{level} {LEVEL_LABELS[level]}", style=LEVEL_STYLE[level])


class RiskDetailScreen(Screen):
    """Everything about one risk; keys for each step."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="risk.back"),
        Binding("a", "assess(False)", "Assess", id="risk.assess"),
        Binding("e", "assess(True)", "Residual", id="risk.residual"),
        Binding("w", "step", "Workflow step", id="risk.step"),
        Binding("x", "add_action", "Action", id="risk.action"),
        Binding("d", "action_done", "Action done", id="risk.action_done"),
        Binding("i", "add_indicator", "Indicator", id="risk.indicator"),
        Binding("g", "reading", "Reading", id="risk.reading"),
    ]

    def __init__(self, context, code: str) -> None:
        super().__init__()
        self.context = context
        self.code = code
        self.detail: RiskDetailView | None = None
        self.steps: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield AppHeader(self.context, f"Risk 風險 {self.code}")
        with VerticalScroll(id="risk-detail"):
            yield SafeStatic("loading", id="risk-summary")
            yield SafeStatic("", id="risk-assessments")
            yield SafeStatic("", id="risk-actions")
            yield SafeStatic("", id="risk-indicators")
            yield SafeStatic("", id="risk-history")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#risk-detail").focus()
        self.refresh_data()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return True
        return can(self.context.actor, "risk.manage")

    def refresh_data(self) -> None:
        self._load()

    def on_worker_state_changed(self, event) -> None:
        forward_failure(self, event)

    @work(thread=True, exclusive=True, group="risk-detail", exit_on_error=False)
    def _load(self) -> None:
        from specialops.areas.risks.screen_queries import risk_detail

        detail = risk_detail(self.context.store, self.context.actor, self.code)
        self.app.call_from_thread(self._show, detail)

    # ---------------------------------------------------------------- rendering

    def _show(self, detail: RiskDetailView) -> None:
        from specialops.areas.risks.actions import (
            OPEN_ACTION_STATUSES,
            STATUS_LABELS,
            STRATEGY_LABELS,
        )

        steps = [(step.label, step.name) for step in detail.steps]
        self.detail, self.steps = detail, steps
        risk = detail.risk
        summary = Table.grid(padding=(0, 2))
        summary.add_column(style="bold", no_wrap=True)
        summary.add_column()
        strategy = STRATEGY_LABELS.get(risk.strategy or "", "")
        review = risk.next_review.isoformat() if risk.next_review else "-"
        if risk.next_review and risk.next_review < clock.today():
            review += "  overdue 逾期"
        rows = [
            ("Risk 風險", f"{risk.code}  {risk.title}"),
            ("Category 類別", risk.category),
            ("Owner 負責人", f"{risk.owner}  {detail.department or ''}"),
            ("Status 狀態", f"{risk.status} {STATUS_LABELS.get(risk.status, '')}"),
            ("Strategy 策略", f"{risk.strategy or '-'} {strategy}"),
            ("Linked 關聯", risk.linked or "-"),
            ("Next review 覆核", review),
            ("Cause 原因", risk.cause or "-"),
            ("Consequence 後果", risk.consequence or "-"),
        ]
        for label, value in rows:
            summary.add_row(label, Text(visible(value)))
        inherent = Text.assemble(
            f"inherent L{risk.likelihood or '-'}×I{risk.impact or '-'} ", _level(risk.level)
        )
        residual = Text.assemble(
            f"   residual L{risk.residual_likelihood or '-'}×I{risk.residual_impact or '-'} ",
            _level(risk.residual_level),
        )
        summary.add_row("Rating 評級", Text.assemble(inherent, residual))
        probability = "-" if risk.probability is None else risk.probability
        summary.add_row(
            "Expected loss 預期損失",
            f"{_money(risk.expected_loss)}  ({probability}% of {_money(risk.loss_amount)})",
        )
        if detail.pending_approval:
            summary.add_row(
                "Approval 審批", Text("waiting for an executive 待高層審批", style="yellow")
            )
        if steps:
            summary.add_row("Next steps 可執行", ", ".join(label for label, _ in steps) + "  (w)")
        self.query_one("#risk-summary", Static).update(summary)

        history = Table(
            title="Assessments 評估紀錄", title_justify="left", expand=True, box=box.SIMPLE_HEAD
        )
        for header in ("When", "Kind", "L×I", "Level", "By", "Note"):
            history.add_column(header, no_wrap=header != "Note")
        for a in detail.assessments:
            history.add_row(
                a.assessed_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d"),
                a.kind,
                f"{a.likelihood}×{a.impact}",
                _level(a.level),
                a.assessed_by,
                a.note or "",
            )
        self.query_one("#risk-assessments", Static).update(history)

        actions = Table(
            title="Actions 應對措施", title_justify="left", expand=True, box=box.SIMPLE_HEAD
        )
        for header in ("Code", "Action", "Owner", "Due", "Status"):
            actions.add_column(header, no_wrap=header != "Action")
        today = clock.today()
        for act in detail.actions:
            late = act.due_date and act.due_date < today and act.status in OPEN_ACTION_STATUSES
            actions.add_row(
                act.code or "",
                act.title,
                act.owner,
                Text(_date(act.due_date), style="bold red" if late else ""),
                act.status,
            )
        if not detail.actions:
            actions.add_row("", Text("none yet: x adds one 按 x 新增", style="dim"), "", "", "")
        self.query_one("#risk-actions", Static).update(actions)

        parts: list[Any] = [Text("Indicators 關鍵風險指標", style="bold")]
        for indicator in detail.indicators:
            readings = indicator.readings
            sign = ">=" if indicator.direction == "higher_worse" else "<="
            last = readings[-1] if readings else None
            head = Text.assemble(
                visible(f"{indicator.code} {indicator.name}: ", single_line=True),
                (reading_text(last.value, indicator.unit) if last else "-", "bold"),
                visible(
                    f"  {last.level if last else '-'}   warning {sign} {indicator.warning:g}, "
                    f"critical {sign} {indicator.critical:g}"
                    + (f"   fed by {indicator.feed}" if indicator.feed else "")
                ),
            )
            chart = trend_chart(
                [r.value for r in readings],
                [r.level for r in readings],
                indicator.warning,
                indicator.critical,
                unit=indicator.unit,
            )
            parts.extend([head, chart])
        if not detail.indicators:
            parts.append(Text("none yet: i adds one 按 i 新增", style="dim"))
        self.query_one("#risk-indicators", Static).update(Group(*parts))

        audit = Table(title="History 歷程", title_justify="left", expand=True, box=box.SIMPLE_HEAD)
        for header in ("When", "Who", "What"):
            audit.add_column(header, no_wrap=header != "What")
        for entry in detail.history[:20]:
            audit.add_row(
                entry.at.astimezone(clock.local_zone()).strftime("%m-%d %H:%M"),
                entry.username,
                f"{entry.action} {entry.comment or ''}".strip(),
            )
        self.query_one("#risk-history", Static).update(audit)

    # ---------------------------------------------------------------- actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def _form(self, title: str, fields: list[FormField], save) -> None:
        def done(result) -> None:
            if result is not None:
                self.notify(title.split(" ")[0] + " saved 已儲存")
                self.refresh_data()

        self.app.push_screen(FormModal(title, fields, save), done)

    def action_assess(self, residual: bool) -> None:
        from specialops.areas.risks import actions as risks

        risk = self.detail.risk if self.detail else None
        if risk is None:
            return
        version = risk.version
        likely = risk.residual_likelihood if residual else risk.likelihood
        impact = risk.residual_impact if residual else risk.impact

        def save(values: dict[str, str]):
            probability = values.get("probability", "").strip()
            return risks.assess(
                self.context.store,
                self.context.actor,
                risk.id,
                version,
                likelihood=read_integer(values["likelihood"]),
                impact=read_integer(values["impact"]),
                residual=residual,
                probability=read_integer(probability) if probability else None,
                loss_amount=risks.parse_money(values.get("loss_amount", "")),
                note=values["note"] or None,
            )

        fields = [
            FormField(
                "likelihood",
                "Likelihood 可能性 (1-5)",
                str(likely or ""),
                True,
                check=integer_between(1, 5),
            ),
            FormField(
                "impact", "Impact 影響 (1-5)", str(impact or ""), True, check=integer_between(1, 5)
            ),
        ]
        if not residual:
            fields += [
                FormField(
                    "probability",
                    "Probability 機率 (%)",
                    "" if risk.probability is None else str(risk.probability),
                    check=integer_between(0, 100),
                ),
                FormField(
                    "loss_amount",
                    "Loss amount 損失金額",
                    "" if risk.loss_amount is None else f"{risk.loss_amount / 100:.2f}",
                    check=number(),
                ),
            ]
        fields.append(FormField("note", "Note 說明"))
        title = "Residual rating 剩餘評級" if residual else "Assess 評估"
        self._form(f"{title} {risk.code}", fields, save)

    def action_step(self) -> None:
        from specialops.areas.risks import actions as risks

        if not self.detail:
            return
        if not self.steps:
            self.notify("No step is open to you here 目前無可執行的步驟", severity="warning")
            return
        risk = self.detail.risk
        version = risk.version
        strategies = [
            (f"{s} {risks.STRATEGY_LABELS[s]}", s) for s in risks.STRATEGIES if s != "accept"
        ]

        def save(values: dict[str, str]):
            payload = {"strategy": values["strategy"]} if values["strategy"] else None
            return risks.transition(
                self.context.store,
                self.context.actor,
                risk.id,
                version,
                values["step"],
                comment=values["comment"] or None,
                payload=payload,
            )

        def done(result) -> None:
            if result is None:
                return
            if result.applied:
                self.notify(f"{risk.code} is now {result.state}")
            else:
                self.notify("Sent for approval 已送審批")
            self.refresh_data()

        self.app.push_screen(
            FormModal(
                f"Workflow step 流程 {risk.code}",
                [
                    FormField("step", "Step 步驟", self.steps[0][1], True, choices=self.steps),
                    FormField("strategy", "Strategy (respond) 應對策略", choices=strategies),
                    FormField("comment", "Comment 意見"),
                ],
                save,
            ),
            done,
        )

    def action_add_action(self) -> None:
        from specialops.areas.risks import actions as risks

        if not self.detail:
            return
        risk = self.detail.risk

        def save(values: dict[str, str]):
            return risks.add_action(
                self.context.store,
                self.context.actor,
                risk.id,
                title=values["title"],
                owner=values["owner"],
                due_date=read_date(values["due_date"]),
            )

        self._form(
            f"Response action 應對措施 {risk.code}",
            [
                FormField("title", "Action 措施", required=True),
                FormField("owner", "Owner (login) 負責人", risk.owner, True),
                FormField(
                    "due_date",
                    "Due 到期日",
                    required=True,
                    check=iso_date(),
                    placeholder="2026-12-31",
                ),
            ],
            save,
        )

    def action_action_done(self) -> None:
        from specialops.areas.risks import actions as risks

        if not self.detail:
            return
        open_actions = [a for a in self.detail.actions if a.status in risks.OPEN_ACTION_STATUSES]
        if not open_actions:
            self.notify("No open action 沒有未完成的措施")
            return
        by_code = {a.code: a for a in open_actions}

        def save(values: dict[str, str]):
            chosen = by_code[values["action"]]
            return risks.set_action_status(
                self.context.store, self.context.actor, chosen.id, chosen.version, values["status"]
            )

        self._form(
            "Action status 措施狀態",
            [
                FormField(
                    "action",
                    "Action 措施",
                    open_actions[0].code or "",
                    True,
                    choices=[(f"{a.code} {a.title}", a.code or "") for a in open_actions],
                ),
                FormField(
                    "status",
                    "Status 狀態",
                    "done",
                    True,
                    choices=[(s, s) for s in risks.ACTION_STATUSES],
                ),
            ],
            save,
        )

    def action_add_indicator(self) -> None:
        from specialops.areas.risks import actions as risks
        from specialops.areas.risks import feeds as risk_feeds

        if not self.detail:
            return
        risk = self.detail.risk

        def save(values: dict[str, str]):
            return risks.add_indicator(
                self.context.store,
                self.context.actor,
                risk.id,
                name=values["name"],
                unit=values["unit"],
                direction=values["direction"],
                warning=read_number(values["warning"]),
                critical=read_number(values["critical"]),
                feed=values["feed"] or None,
                feed_arg=values["feed_arg"] or None,
            )

        self._form(
            f"Key risk indicator 關鍵風險指標 {risk.code}",
            [
                FormField("name", "Name 名稱", required=True),
                FormField("unit", "Unit 單位", placeholder="%"),
                FormField(
                    "direction",
                    "Direction 方向",
                    "higher_worse",
                    True,
                    choices=[
                        ("higher is worse 越高越差", "higher_worse"),
                        ("lower is worse 越低越差", "lower_worse"),
                    ],
                ),
                FormField("warning", "Warning threshold 警戒值", required=True, check=number()),
                FormField("critical", "Critical threshold 危急值", required=True, check=number()),
                FormField(
                    "feed",
                    "Fed by 自動來源",
                    choices=[(f.label, f.key) for f in risk_feeds.FEEDS.values()],
                ),
                FormField("feed_arg", "Feed argument (department code) 參數"),
            ],
            save,
        )

    def action_reading(self) -> None:
        from specialops.areas.risks import actions as risks

        if not self.detail or not self.detail.indicators:
            self.notify("Add an indicator first (i) 請先新增指標", severity="warning")
            return
        indicators = list(self.detail.indicators)
        by_code = {i.code: i for i in indicators}

        def save(values: dict[str, str]):
            chosen = by_code[values["indicator"]]
            return risks.record_reading(
                self.context.store,
                self.context.actor,
                chosen.id,
                read_number(values["value"]),
            )

        def done(result) -> None:
            if result is None:
                return
            if result.crossed and result.level != "ok":
                self.notify(
                    f"{result.measure} crossed into {result.level}: alert raised 已觸發警示",
                    severity="error" if result.level == "critical" else "warning",
                    timeout=8,
                )
            else:
                self.notify(f"{result.measure}: {result.value:g} ({result.level})")
            self.refresh_data()

        self.app.push_screen(
            FormModal(
                "Indicator reading 指標讀數",
                [
                    FormField(
                        "indicator",
                        "Indicator 指標",
                        indicators[0].code or "",
                        True,
                        choices=[(f"{i.code} {i.name}", i.code or "") for i in indicators],
                    ),
                    FormField("value", "Value 數值", required=True, check=number()),
                ],
                save,
            ),
            done,
        )


def _date(value: date | None) -> str:
    return value.isoformat() if value else "-"
