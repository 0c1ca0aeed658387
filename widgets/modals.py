"""Small typed modals: an error line, a yes/no question, a record's fields, the key help.

Titles, messages and values may quote data: they are shown with control characters
as stand-ins and never read as markup (:mod:`specialops.widgets.safe`).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from specialops.terminal_text import visible
from specialops.widgets.safe import SafeStatic


def one_line(error: BaseException | str) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(error).strip()
    if not text and isinstance(error, BaseException):
        text = type(error).__name__
    return text.splitlines()[0] if text else "unknown error"


class MessageModal(ModalScreen[None]):
    """A title and a message to read; Enter or Escape closes it.

    ``kind`` (info, warning or error) colours the frame.
    """

    DEFAULT_CSS = """
    MessageModal { align: center middle; }
    MessageModal > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    MessageModal.-warning > Vertical { border: thick $warning; }
    MessageModal.-error > Vertical { border: thick $error; }
    MessageModal #message-title { text-style: bold; margin-bottom: 1; }
    MessageModal.-error #message-title { color: $error; margin-bottom: 0; }
    """
    BINDINGS = [
        Binding("escape,enter", "dismiss_modal", "Close", id="modal.close"),
    ]

    def __init__(self, title: str, message: str | Text, *, kind: str = "info") -> None:
        super().__init__(classes=f"-{kind}")
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                visible(self.title_text, single_line=True), id="message-title", markup=False
            )
            yield SafeStatic(self.message, id="message-body")

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)


class ErrorModal(MessageModal):
    """Shows one line saying what went wrong; Enter or Escape closes it."""

    def __init__(self, error: BaseException | str, title: str = "Error 錯誤") -> None:
        super().__init__(title, one_line(error), kind="error")


class ConfirmModal(ModalScreen[bool]):
    """Asks a yes/no question; Escape means no."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 64; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    ConfirmModal Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="modal.no"),
        Binding("y", "answer(True)", "Yes", id="modal.yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes 是 (y)", no: str = "No 否 (n)") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield SafeStatic(self.question, id="question")
            with Horizontal():
                yield Button(self.yes, id="yes", variant="primary")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class FieldsModal(ModalScreen[None]):
    """Shows a record's fields as label / value lines."""

    DEFAULT_CSS = """
    FieldsModal { align: center middle; }
    FieldsModal > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    FieldsModal #fields-title { text-style: bold; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape,enter", "dismiss_modal", "Close", id="modal.close")]

    def __init__(self, title: str, fields: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)

    def compose(self) -> ComposeResult:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for label, value in self.fields:
            table.add_row(label, value)
        with Vertical():
            yield Label(visible(self.title_text, single_line=True), id="fields-title", markup=False)
            yield SafeStatic(table, id="fields")

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys that work here, built from the active bindings of the screen below."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 72; max-width: 95%; height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; padding: 1 0; }
    """
    BINDINGS = [
        Binding("escape,question_mark,f1,q", "dismiss_modal", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        from rich.table import Table

        table = Table(box=None, padding=(0, 2), expand=True, show_edge=False)
        table.add_column("Key 按鍵", style="bold", no_wrap=True)
        table.add_column("Action 動作")
        table.add_column("Where 位置", style="dim")
        for key, description, where in self.rows:
            table.add_row(key, description, where)
        with Vertical():
            yield Label("Keys 按鍵說明  (Esc to close)", id="help-title")
            with VerticalScroll():
                yield SafeStatic(table, id="help-keys")

    def action_dismiss_modal(self) -> None:
        self.dismiss(None)
