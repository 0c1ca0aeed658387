"""The risk register: a 5×5 heat map beside the list of risks (RSK-1…4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from specialops.permissions import can
from specialops.screens.shell.base import AreaScreen
from specialops.widgets.form import FormField, FormModal
from specialops.widgets.heat_map import HeatMap
from specialops.widgets.record_list import RecordList
from specialops.widgets.safe import SafeStatic

if TYPE_CHECKING:
    from specialops.areas.risks.screen_queries import RegisterMap

LEVEL_CYCLE = (None, "critical", "high", "medium", "low")
STATUS_CYCLE = ("open", None, "identified", "assessed", "responding", "monitoring", "closed")


class RiskRegisterScreen(AreaScreen):
    """Where the risks sit, and which ones; Enter opens a risk."""

    AREA_TITLE = "Risks 風險"
    AUTO_FOCUS = "#risks RecordRows"
    BINDINGS = [
        Binding("h", "focus_map", "Heat map", id="risks.map"),
        Binding("r", "toggle_residual", "Inherent/residual", id="risks.residual"),
        Binding("l", "cycle_level", "Level", id="risks.level"),
        Binding("t", "cycle_status", "Status", id="risks.status"),
        Binding("c", "cycle_category", "Category", id="risks.category"),
        Binding("m", "toggle_mine", "Mine", id="risks.mine"),
        Binding("n", "new_risk", "New risk", id="risks.new"),
        Binding("x", "clear_filters", "Clear filters", show=False, id="risks.clear"),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.residual = False
        self.filters: dict[str, Any] = {"open": True}
        self.cell: tuple[int, int] | None = None
        self.categories: list[str] = []
        self.matrix = None

    def compose_body(self) -> ComposeResult:
        from specialops.areas.risks.queries import risks_source
        from specialops.areas.risks.rules import Matrix

        self.source = risks_source(self.context.store, self.context.actor)
        self.source.set_fixed(**self.filters)
        self.matrix = Matrix()
        yield Static("", id="risks-title", classes="area-title", markup=False)
        with Horizontal(id="risks-body"):
            with Vertical(id="risks-side"):
                yield HeatMap(self._level_of, id="heat-map")
                yield SafeStatic("", id="risks-filters")  # category codes are data
            yield RecordList(self.source, id="risks")

    def _level_of(self, likelihood: int, impact: int) -> str:
        assert self.matrix is not None
        return self.matrix.level(likelihood, impact)

    def on_resize(self) -> None:
        # Below 110 columns the heat map sits above the list, so the list keeps its width.
        self.query_one("#risks-body").set_class(self.size.width < 110, "-narrow")

    def on_mount(self) -> None:
        self._describe()
        self._load_map()
        if can(self.context.actor, "risk.manage"):
            self._read_fed_indicators()

    @work(thread=True, exclusive=True, group="risk-feeds", exit_on_error=False)
    def _read_fed_indicators(self) -> None:
        """Today's automatic readings, if nobody has taken them yet (cron may have)."""
        from specialops.areas.risks import feeds as risk_feeds

        if risk_feeds.take_readings(self.context.store, self.context.actor):
            self.app.call_from_thread(self.refresh_data)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "new_risk":
            return can(self.context.actor, "risk.manage")
        return True

    def refresh_data(self) -> None:
        self.query_one(RecordList).rows.refresh_rows()
        self._load_map()

    # ---------------------------------------------------------------- data

    @work(thread=True, exclusive=True, group="risk-map", exit_on_error=False)
    def _load_map(self) -> None:
        from specialops.areas.risks.screen_queries import register_map

        found = register_map(self.context.store, residual=self.residual)
        self.app.call_from_thread(self._map_loaded, found)

    def _map_loaded(self, found: RegisterMap) -> None:
        self.matrix = found.matrix
        self.categories = list(found.categories)
        self.query_one(HeatMap).show(found.counts)

    def _apply(self) -> None:
        fixed = {k: v for k, v in self.filters.items() if v is not None}
        if self.residual and "level" in fixed:
            fixed["residual_level"] = fixed.pop("level")
        if self.cell is not None:
            prefix = "residual_" if self.residual else ""
            fixed[f"{prefix}likelihood"], fixed[f"{prefix}impact"] = self.cell
        self.source.set_fixed(**fixed)
        self.query_one(RecordList).rows.reload()
        self._describe()

    def _describe(self) -> None:
        parts = []
        names = {"open": "open", "level": "level", "status": "status", "category": "category"}
        for key, label in names.items():
            value = self.filters.get(key)
            if value is True:
                parts.append(label)
            elif value:
                parts.append(f"{label}={value}")
        if self.filters.get("owner"):
            parts.append("mine")
        if self.cell:
            parts.append(f"cell L{self.cell[0]}×I{self.cell[1]}")
        shown = ", ".join(parts) or "all risks"
        rating = "residual 剩餘" if self.residual else "inherent 固有"
        self.query_one("#risks-filters", Static).update(
            f"Rating 評級: {rating}\nShowing 篩選: {shown}\n"
            "L low 低  M medium 中\nH high 高  C critical 極高"
        )

    @on(RecordList.Loaded, "#risks")
    def _counted(self, event: RecordList.Loaded) -> None:
        self.query_one("#risks-title", Static).update(
            f"Risk register 風險登記冊  {event.count} shown   Enter open 開啟   / filter 篩選"
        )

    # ---------------------------------------------------------------- actions

    @on(HeatMap.CellChosen)
    def _cell(self, event: HeatMap.CellChosen) -> None:
        self.cell = (event.likelihood, event.impact)
        self._apply()

    @on(HeatMap.Cleared)
    def _cell_cleared(self) -> None:
        self.cell = None
        self._apply()

    def action_focus_map(self) -> None:
        self.query_one(HeatMap).focus()

    def action_toggle_residual(self) -> None:
        self.residual = not self.residual
        self._load_map()
        self._apply()

    def _cycle(self, key: str, values: tuple[Any, ...] | list[Any]) -> None:
        current = self.filters.get(key)
        options = list(values)
        position = options.index(current) if current in options else 0
        self.filters[key] = options[(position + 1) % len(options)]

    def action_cycle_level(self) -> None:
        self._cycle("level", LEVEL_CYCLE)
        self._apply()

    def action_cycle_status(self) -> None:
        current = "open" if self.filters.get("open") else self.filters.get("status")
        position = STATUS_CYCLE.index(current) if current in STATUS_CYCLE else 0
        chosen = STATUS_CYCLE[(position + 1) % len(STATUS_CYCLE)]
        self.filters["open"] = True if chosen == "open" else None
        self.filters["status"] = chosen if chosen not in ("open", None) else None
        self._apply()

    def action_cycle_category(self) -> None:
        self._cycle("category", [None, *self.categories])
        self._apply()

    def action_toggle_mine(self) -> None:
        self.filters["owner"] = None if self.filters.get("owner") else self.context.actor.username
        self._apply()

    def action_clear_filters(self) -> None:
        self.filters = {"open": True}
        self.cell = None
        self.query_one(HeatMap).chosen = False
        self._apply()

    @on(RecordList.Selected, "#risks")
    def _open(self, event: RecordList.Selected) -> None:
        from specialops.screens.risks.detail import RiskDetailScreen

        self.app.push_screen(RiskDetailScreen(self.context, event.row["code"]))

    def action_new_risk(self) -> None:
        from specialops.areas.risks import actions as risks

        actor = self.context.actor
        choices = [(c, c) for c in self.categories] or [
            (c[0], c[0]) for c in risks.BUILTIN_CATEGORIES
        ]

        def save(values: dict[str, str]):
            return risks.identify(
                self.context.store,
                actor,
                title=values["title"],
                category=values["category"],
                owner=values["owner"],
                description=values["description"],
                cause=values["cause"],
                consequence=values["consequence"],
                linked=values["linked"] or None,
            )

        def saved(risk) -> None:
            if risk is not None:
                self.notify(f"{risk.code} registered 已登記")
                self.refresh_data()

        self.app.push_screen(
            FormModal(
                "Identify a risk 識別風險",
                [
                    FormField("title", "Title 風險名稱", required=True),
                    FormField("category", "Category 類別", required=True, choices=choices),
                    FormField("owner", "Owner (login) 負責人", actor.username, required=True),
                    FormField("description", "Description 描述"),
                    FormField("cause", "Cause 原因"),
                    FormField("consequence", "Consequence 後果"),
                    FormField("linked", "Linked record (code) 關聯記錄", placeholder="PRJ-0001"),
                ],
                save,
            ),
            saved,
        )
