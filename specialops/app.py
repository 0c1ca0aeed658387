"""The Textual app: one mode per area, switched by number keys and the palette.

:func:`make_app` is the one factory the command line and the tests use.
"""

from __future__ import annotations

from importlib.resources import files

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from specialops.context import Context
from specialops.permissions import can
from specialops.screens.shell import registry
from specialops.screens.shell.palette import AreaCommands
from specialops.widgets.messages import WorkerFailed
from specialops.widgets.modals import ConfirmModal, ErrorModal, HelpScreen
from specialops.widgets.safe import SafeOutput

# How long the change watcher waits at a time before it looks whether the app is quitting.
WATCH_SECONDS = 1.0
WATCHER_GROUP = "changes"

DEMO_QUESTION = (
    "This database has no data yet. Load the sample data (departments, people and "
    "example records) so you can look around?\n"
    "這個資料庫還沒有資料。要載入範例資料嗎？"
)


class SpecialopsApp(SafeOutput, App[None]):
    """specialops in the terminal, for the person in ``context``."""

    TITLE = "specialops"
    CSS_PATH = str(files("specialops.screens").joinpath("app.tcss"))
    COMMANDS = App.COMMANDS | {AreaCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("f1", "help", "Help", id="app.help_f1", show=False),
    ]

    def __init__(
        self,
        context: Context,
        *,
        cursor_blink: bool = True,
        offer_demo: bool = True,
        live: bool = False,
    ) -> None:
        super().__init__()
        self.context = context
        self.live = live
        self.cursor_blink = cursor_blink
        self.offer_demo = offer_demo
        self.areas = registry.visible(context.actor)
        numbers = registry.number_keys()
        for entry in self.areas:
            self.add_mode(entry.key, self._factory(entry))
            self.bind(numbers[entry.key], f"open_area('{entry.key}')", description=entry.name)

    def _factory(self, entry: registry.ScreenEntry):
        return lambda: entry.factory(self.context)

    def on_mount(self) -> None:
        if self.context.settings.keymap:
            self.set_keymap(self.context.settings.keymap)
        if self.console.color_system == "standard" and not self.is_headless:
            self.theme = "ansi-dark"  # a 16-colour terminal: its own palette reads best
        self.switch_mode("home")
        if self.offer_demo and can(self.context.actor, "users.manage"):
            self._probe_demo()
        if self.live:
            self._watch_changes()

    # ------------------------------------------------------------ live data

    @work(thread=True, exclusive=True, group=WATCHER_GROUP, exit_on_error=False)
    def _watch_changes(self) -> None:
        """Hear of every change to the data (:mod:`specialops.store.changes`) and show it."""
        from textual.worker import get_current_worker

        from specialops.store import changes

        worker = get_current_worker()
        watcher = changes.watch(self.context.store)
        try:
            while not worker.is_cancelled:
                # Short waits, so that quitting never waits long for this thread.
                if watcher.wait(WATCH_SECONDS) is not None and not worker.is_cancelled:
                    self.call_from_thread(self.refresh_screens)
        finally:
            watcher.close()

    def refresh_screens(self) -> None:
        """Read the data of every open screen again (lists keep their filter, sort and cursor)."""
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None:
                refresh()

    # ---------------------------------------------------------------- areas

    def open_area(self, key: str) -> None:
        """Switch to an area's mode (its screen stack is kept)."""
        if key != self.current_mode and any(entry.key == key for entry in self.areas):
            self.switch_mode(key)

    def action_open_area(self, key: str) -> None:
        self.open_area(key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_area" and parameters and parameters[0] == self.current_mode:
            return None  # shown, but dimmed: it is where we are
        return True

    def watch_current_mode(self) -> None:
        self.refresh_bindings()

    def action_help(self) -> None:
        """Show the keys that work on the current screen, from its active bindings."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        rows: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            shown = binding.key_display or self.get_key_display(binding) or key
            if not binding.description or (shown, binding.action) in seen:
                continue
            seen.add((shown, binding.action))
            node = active.node
            where = "app" if node is self else "screen" if node is screen else type(node).__name__
            if not active.enabled:
                where += " (you are here)"
            rows.append((shown, binding.description, where))
        self.push_screen(HelpScreen(rows))

    # ------------------------------------------------------------- failures

    def show_error(self, error: BaseException | str) -> None:
        """Show one line saying what went wrong, in a modal."""
        self.push_screen(ErrorModal(error))

    @on(WorkerFailed)
    def _worker_failed(self, message: WorkerFailed) -> None:
        self.show_error(message.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    @on(events.DescendantFocus)
    def _no_blink(self, event: events.DescendantFocus) -> None:
        if not self.cursor_blink and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    # ----------------------------------------------------------- sample data

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _probe_demo(self) -> None:
        from specialops.demo import is_empty

        if is_empty(self.context.store):
            self.call_from_thread(self._offer_demo)

    def _offer_demo(self) -> None:
        def answered(load: bool | None) -> None:
            if load:
                self.notify("Loading the sample data 正在載入範例資料", timeout=3)
                self._load_demo()

        self.push_screen(ConfirmModal(DEMO_QUESTION), answered)

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def _load_demo(self) -> None:
        from specialops.demo import load_demo

        counts = load_demo(self.context.store, self.context.actor)
        summary = ", ".join(f"{n} {entity}" for entity, n in counts.items())
        self.call_from_thread(self._demo_loaded, summary)

    def _demo_loaded(self, summary: str) -> None:
        self.notify(f"Sample data loaded: {summary}", timeout=5)
        self.refresh_screens()


def make_app(
    context: Context, *, cursor_blink: bool = True, offer_demo: bool = True, live: bool = False
) -> SpecialopsApp:
    """Build the app for ``context`` (the CLI and the tests both use this).

    ``live`` keeps the screens current with others' changes (the CLI's app does; a
    test asks for it where it is what is tested, so that no refresh lands mid-test).
    """
    return SpecialopsApp(context, cursor_blink=cursor_blink, offer_demo=offer_demo, live=live)
