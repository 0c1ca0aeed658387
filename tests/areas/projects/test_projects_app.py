"""The project board driven by keys alone: the whole lifecycle, denials and a stale save."""

from __future__ import annotations

import pytest
from sqlmodel import select

from specialops.app import make_app
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.projects import actions as svc
from specialops.areas.projects.models import (
    Project,
    ProjectIssue,
    ProjectKpi,
    ProjectTask,
    RectificationItem,
)
from specialops.context import open_context
from specialops.models.core import Department
from specialops.screens.projects.detail import ProjectDetailScreen
from specialops.screens.shell import registry
from specialops.widgets.form import FormModal
from specialops.widgets.modals import ConfirmModal
from tests.pilot import pilot_test, settle, wait_until

SIZE = (80, 24)


@pytest.fixture
def office(ctx, db_path):
    with ctx.store.write(ctx.actor) as session:
        top = Department(code="EXEC", name="總經理室", head_username="lin.zhiyuan")
        session.add(top)
        session.flush()
        session.add(Department(code="PMO", name="專案管理部", parent_id=top.id,
                               head_username="li.jianguo"))  # fmt: skip
    add_user(ctx.store, ctx.actor, "lin.zhiyuan", "林志遠", "executive", department="EXEC")
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="PMO")
    add_user(ctx.store, ctx.actor, "wang.xiaoming", "王小明", "manager", department="PMO")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff", department="PMO")
    return ctx


class Walk:
    """One person's session in the app, on the board's mode."""

    def __init__(self, db_path, user: str) -> None:
        self.context = open_context(str(db_path), act_as=user)
        self.app = make_app(self.context, cursor_blink=False, offer_demo=False)

    async def __aenter__(self):
        self._run = self.app.run_test(size=SIZE)
        self.pilot = await self._run.__aenter__()
        await settle(self.pilot)
        await self.pilot.press(registry.number_keys()["projects"])
        await settle(self.pilot)
        return self

    async def __aexit__(self, *exc):
        await self._run.__aexit__(*exc)
        self.context.close()

    async def keys(self, *keys: str) -> None:
        for key in keys:
            await self.pilot.press(key)
            await settle(self.pilot, 2)

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)
        await settle(self.pilot, 1)

    async def fill(self, *values: str | None) -> None:
        """Type into the form's fields in order (``None`` keeps a field), then save."""
        for index, value in enumerate(values):
            if value is not None:
                await self.type(value)
            if index < len(values) - 1:
                await self.pilot.press("tab")
        await self.keys("f2")

    async def clear(self, count: int = 20) -> None:
        for _ in range(count):
            await self.pilot.press("backspace")


def stage(ctx) -> Project:
    with ctx.store.read() as session:
        return session.exec(select(Project)).one()


@pilot_test
async def test_the_whole_lifecycle_by_keys(office, db_path):
    # PRJ-1: a staff member files the proposal
    async with Walk(db_path, "liu.fang") as me:
        await me.keys("n")
        assert isinstance(me.app.screen, FormModal)
        await me.fill("智能客服升級 Smart CS", None, "熱線壓力大", "提升首次解決率", "解決率 +15%",
                      None, None, "2027-05-31")  # fmt: skip
        await me.clear()
        assert not isinstance(me.app.screen, FormModal)
        assert not me.app.screen.check_action("step", ("forward",))  # staff cannot approve
    project = stage(office)
    assert (project.code, project.stage, project.name) == (
        "PRJ-0001",
        "proposed",
        "智能客服升級 Smart CS",
    )

    # an executive approves and appoints the PM
    async with Walk(db_path, "lin.zhiyuan") as me:
        await me.keys("a")
        await me.fill("li.jianguo", "同意立項")
    project = stage(office)
    assert project.stage == "approved" and project.manager_id is not None

    # PRJ-2: the PM plans and submits
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("a")
        await me.fill("")
        assert stage(office).stage == "planning"
        await me.keys("enter")
        assert isinstance(me.app.screen, ProjectDetailScreen)
        await me.keys("n")
        await me.fill("需求分析", "liu.fang", None, "2026-12-20", "0", "需求規格書", "需求單位簽核")
        await me.keys("M")
        await me.fill("需求確認", "2026-12-20")
        await me.keys("a")
        await me.fill("請審閱")
    assert stage(office).stage == "plan-review"

    # another manager confirms the plan: it becomes the baseline
    async with Walk(db_path, "wang.xiaoming") as me:
        await me.keys("enter", "c")
        assert isinstance(me.app.screen, ConfirmModal)
        await me.keys("y")
    assert stage(office).baseline_no == 1

    # PRJ-3/4: execute, a KPI turns red, a major issue is escalated, the work gets done
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter", "a")
        await me.fill("")
        assert stage(office).stage == "executing"
        await me.keys("K")
        await me.fill("首次解決率", None, None, "85", "80", "70")
        await me.keys("r")
        await me.fill("65")
        with office.store.read() as session:
            assert session.exec(select(ProjectKpi)).one().last_level == "red"
        await me.keys("i")
        await me.type("解決率下降")
        await me.pilot.press("tab")
        await me.clear(6)
        await me.fill("major", None, "增加知識庫條目")
        with office.store.read() as session:
            issue = session.exec(select(ProjectIssue)).one()
        assert (issue.status, issue.escalated_to) == ("escalated", "lin.zhiyuan")
        await me.keys("g")
        await me.clear(3)
        await me.fill("100")
        with office.store.read() as session:
            assert session.exec(select(ProjectTask)).one().status == "done"
        await me.keys("a")  # pre-acceptance
        await me.fill("")
        assert stage(office).stage == "pre-acceptance"
        await me.keys("a")  # apply for acceptance
        await me.fill("成果報告", "測試報告", "DOC-0001", "申請驗收")
        assert stage(office).stage == "acceptance"

    # PRJ-5: acceptance asks for rectification
    async with Walk(db_path, "lin.zhiyuan") as me:
        await me.keys("enter", "b")
        await me.fill("補測試報告; liu.fang; 2026-12-05", "文件不齊")
        assert stage(office).stage == "rectification"
        assert not me.app.screen.check_action("pass_acceptance", ())
    async with Walk(db_path, "liu.fang") as me:
        await me.keys("enter", "x")
        await me.fill("已補件")
    with office.store.read() as session:
        assert session.exec(select(RectificationItem)).one().status == "closed"
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter", "a")
        await me.fill("")
    assert stage(office).stage == "acceptance"

    # accepted, then closed
    async with Walk(db_path, "lin.zhiyuan") as me:
        await me.keys("enter", "o")
        await me.fill("驗收通過")
        await me.keys("a")
        await me.fill("結項")
        assert me.app.screen.data.project.stage == "closed"
        title = str(me.app.screen.query_one("#project-title").render())
        assert "已結項 closed" in title
        assert not any(word in title for word in ("green", "amber", "red"))  # nothing to watch
    assert stage(office).stage == "closed"


@pilot_test
async def test_a_stale_save_shows_who_changed_it_and_offers_to_reload(office, db_path):
    staff = resolve_actor(office.store, "liu.fang")
    project = svc.propose(office.store, staff, {"name": "舊名稱", "objectives": "目標"})
    async with Walk(db_path, "liu.fang") as me:
        await me.keys("enter", "e")
        assert isinstance(me.app.screen, FormModal)
        # someone saves the project while the form is open
        svc.update_project(office.store, staff, project.id, project.version, {"background": "他人"})
        await me.clear()
        await me.type("新名稱")
        await me.keys("f2")
        assert isinstance(me.app.screen, ConfirmModal)
        assert "changed by liu.fang" in str(me.app.screen.question)
        await me.keys("y")
        assert isinstance(me.app.screen, ProjectDetailScreen)
    saved = stage(office)
    assert (saved.name, saved.background) == ("舊名稱", "他人")


@pilot_test
async def test_the_form_names_the_wrong_field_as_you_type(office, db_path):
    async with Walk(db_path, "liu.fang") as me:
        await me.keys("n")
        error = me.app.screen.query_one("#error-name")
        assert "needs a name" in str(error.render())
        await me.type("X")
        assert str(me.app.screen.query_one("#error-name").render()) == ""
        await me.keys("f2")
        assert isinstance(me.app.screen, FormModal)  # objectives still missing
        assert "objectives" in str(me.app.screen.query_one("#error-objectives").render())


def _segments(kanban, y: int) -> list:
    """The text and style of each piece of one line of the board, as drawn."""
    return [(segment.text, segment.style) for segment in kanban.render_line(y)]


def _marked(kanban, y: int, needle: str) -> bool:
    """Whether the piece of line ``y`` holding ``needle`` is drawn reversed (the cursor)."""
    found = [style for text, style in _segments(kanban, y) if needle in text]
    assert found, f"{needle!r} is not on line {y}"
    return any(style is not None and style.reverse for style in found)


@pilot_test
async def test_the_cursor_stays_visible_on_empty_columns(demo_ctx, db_path):
    from specialops.widgets.kanban import Kanban

    async with Walk(db_path, "chen.admin") as me:
        board = me.app.screen
        kanban = board.query_one(Kanban)
        await me.keys("r")  # red only: PRJ-0002 in executing, every other stage empty
        stages = [column.key for column in kanban.columns]
        assert kanban.current.code == "PRJ-0002"
        assert stages[kanban.column] == "executing"
        await me.keys("left")
        assert stages[kanban.column] == "plan-review" and kanban.current is None
        title = kanban.current_column.title
        assert _marked(kanban, 0, title)  # the focused column's title is highlighted
        assert _marked(kanban, 1, "(none 無)")  # and its placeholder holds the cursor
        assert not _marked(kanban, 0, "planning")  # the other titles are not
        assert "no project" in str(board.query_one("#board-reasons").render())
        assert not board.check_action("step", ("forward",))  # nothing to advance here
        await me.keys("enter", "a", "b")  # safe: a message, no screen, no crash
        assert me.app.screen is board
        assert any("No project in" in n.message for n in me.app._notifications)
        await me.keys("left", "left", "left")  # and on to the first column, also empty
        assert stages[kanban.column] == "proposed" and _marked(kanban, 1, "(none 無)")
        await me.keys("right", "right", "right", "right")
        assert kanban.current.code == "PRJ-0002"
        assert not _marked(kanban, 1, "(none 無)")  # the placeholder gave the cursor back
        assert _marked(kanban, 1, "PRJ-0002")
        await me.keys("enter")
        assert isinstance(me.app.screen, ProjectDetailScreen)
        assert me.app.screen.code == "PRJ-0002"


@pilot_test
async def test_moving_repaints_only_what_changed_and_matches_a_full_repaint(demo_ctx, db_path):
    from specialops.widgets.kanban import Kanban

    async with Walk(db_path, "chen.admin") as me:
        board = me.app.screen
        kanban = board.query_one(Kanban)
        for key in ("right", "right", "down", "left", "up", "right", "right", "right", "down"):
            await me.keys(key)
            # the footer follows the cursor once it rests
            await wait_until(me.pilot, lambda: not board.footer_pending)
            painted = me.app.export_screenshot()
            kanban.refresh()  # everything again, from nothing cached
            await settle(me.pilot)
            assert me.app.export_screenshot() == painted, f"stale lines after {key}"


async def open_project(me: Walk, code: str) -> ProjectDetailScreen:
    me.app.push_screen(ProjectDetailScreen(me.context, code))
    await settle(me.pilot)
    screen = me.app.screen
    assert isinstance(screen, ProjectDetailScreen) and screen.data.project.code == code
    return screen


def _audit_count(ctx) -> int:
    from sqlmodel import func

    from specialops.models.core import AuditEntry

    with ctx.store.read() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


@pilot_test
async def test_steps_show_a_blocked_close_with_the_engines_reasons(demo_ctx, db_path):
    from textual.widgets import OptionList

    from specialops import workflow as wf
    from specialops.areas.projects.workflow import PROJECTS
    from specialops.widgets.form import ChoiceModal
    from specialops.widgets.modals import MessageModal

    executive = resolve_actor(demo_ctx.store, "lin.zhiyuan")
    with demo_ctx.store.read() as session:
        project = svc.get_project(session, "PRJ-0005")
        assert project.stage == "rectification"
        expected = wf.check(session, PROJECTS, project, "close", executive)
    assert "closing needs a passed acceptance" in expected
    assert "2 rectification items are still open" in expected
    before = (project.stage, project.version, _audit_count(demo_ctx))

    async with Walk(db_path, "lin.zhiyuan") as me:
        screen = await open_project(me, "PRJ-0005")
        assert not screen.check_action("step", ("forward",))  # a takes no blocked step
        await me.keys("t")
        choice = me.app.screen
        assert isinstance(choice, ChoiceModal)
        options = choice.query_one(OptionList)
        prompts = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
        labels = [str(p).splitlines()[0] for p in prompts]
        assert labels == ["put on hold 暫停", "cancel 取消", "close the project 結項"]
        close = prompts[2]
        assert str(close).splitlines()[1] == "  blocked 受阻: " + "; ".join(expected)
        assert "dim" in str(close.style)  # drawn dimmed, the allowed ones not
        assert "dim" not in str(prompts[0].style)

        options.highlighted = 2
        await me.keys("enter")
        message = me.app.screen
        assert isinstance(message, MessageModal)
        assert message.title_text.startswith("PRJ-0005: close the project 結項 - not possible")
        shown = str(message.query_one("#message-body").render())
        assert all(f"- {reason}" in shown for reason in expected)
        await me.keys("escape")
        assert me.app.screen is screen

    with demo_ctx.store.read() as session:
        after = svc.get_project(session, "PRJ-0005")
    assert (after.stage, after.version, _audit_count(demo_ctx)) == before


def _footer(screen) -> dict[str, str]:
    from textual.widgets._footer import FooterKey

    return {key.key: key.description for key in screen.query(FooterKey)}


@pilot_test
async def test_the_step_keys_name_the_step_they_take(demo_ctx, db_path):
    async with Walk(db_path, "lin.zhiyuan") as me:
        screen = await open_project(me, "PRJ-0006")  # acceptance
        assert _footer(screen)["b"] == "Rectify 要求整改"
        assert "b Rectify 要求整改" in str(screen.query_one("#project-keys").render())
        await me.keys("b")
        assert isinstance(me.app.screen, FormModal)
        assert me.app.screen.title_text == "PRJ-0006: require rectification 要求整改"
        await me.keys("escape", "escape")

        screen = await open_project(me, "PRJ-0007")  # plan review
        assert _footer(screen)["b"] == "Return 計劃退回"
        assert "a" not in _footer(screen)  # starting execution is the PM's

    async with Walk(db_path, "huang.shufen") as me:
        screen = await open_project(me, "PRJ-0004")  # pre-acceptance, her project
        assert _footer(screen)["a"] == "Apply 申請驗收"
        assert _footer(screen)["b"] == "Reopen 退回執行"


@pilot_test
async def test_the_board_keys_name_the_step_of_the_focused_card(demo_ctx, db_path):
    from specialops.widgets.kanban import Kanban

    async with Walk(db_path, "lin.zhiyuan") as me:
        board = me.app.screen
        kanban = board.query_one(Kanban)
        while kanban.current is None or kanban.current.code != "PRJ-0007":  # plan review
            await me.keys("right")
        await wait_until(me.pilot, lambda: not board.footer_pending)
        assert _footer(board)["b"] == "Return 計劃退回"
        assert "a" not in _footer(board)
        while kanban.current.stage != "proposed":
            await me.keys("left")
        await wait_until(me.pilot, lambda: not board.footer_pending)
        # one step forward (approve); two back (reject, return): the generic word
        assert _footer(board)["a"] == "Approve 批准"
        assert _footer(board)["b"] == "Send back 退回"


@pilot_test
async def test_the_tab_labels_fit_the_width_and_follow_a_resize(demo_ctx, db_path):
    from rich.cells import cell_len
    from textual.widgets import TabbedContent

    async with Walk(db_path, "lin.zhiyuan") as me:
        screen = await open_project(me, "PRJ-0005")
        tabs = screen.query_one(TabbedContent)

        def labels() -> list[str]:
            return [tabs.get_tab(pane.id).label.plain for pane in tabs.query("TabPane")]

        narrow = labels()
        assert narrow[0] == "Overview 概覽" and "Meet 會議" in narrow
        assert sum(cell_len(label) + 2 for label in narrow) <= SIZE[0]
        await me.pilot.resize_terminal(160, 45)
        await settle(me.pilot)
        assert "Meetings 會議" in labels() and "Acceptance 驗收" in labels()
        await me.pilot.resize_terminal(*SIZE)
        await settle(me.pilot)
        assert labels() == narrow
