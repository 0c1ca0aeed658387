"""A form in a modal: fields validated as you type, errors beside the field.

The form's ``save`` callable runs in a thread worker with the values; a
:class:`~specialops.errors.ValidationError` naming a field is shown beside
that field and the form stays open; a stale-record error says who changed
the record and offers to reload. On success the modal closes with
``save``'s result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from specialops.errors import SpecialopsError, StaleRecordError, ValidationError

Check = Callable[[str], str | None]


@dataclass(frozen=True)
class FormField:
    """One field: ``check`` returns a reason when the text is not acceptable."""

    name: str
    label: str
    value: str = ""
    required: bool = False
    choices: Sequence[tuple[str, str]] = ()  # (label shown, value)
    check: Check | None = None
    placeholder: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def problem(self, text: str) -> str | None:
        if not text.strip():
            return "required 必填" if self.required else None
        return self.check(text) if self.check else None


def integer_between(low: int, high: int) -> Check:
    def check(text: str) -> str | None:
        try:
            value = int(text.strip())
        except ValueError:
            return f"a whole number {low}-{high}"
        return None if low <= value <= high else f"from {low} to {high}"

    return check


def number() -> Check:
    def check(text: str) -> str | None:
        try:
            float(text.strip().replace(",", ""))
        except ValueError:
            return "a number"
        return None

    return check


def iso_date() -> Check:
    from datetime import date

    def check(text: str) -> str | None:
        try:
            date.fromisoformat(text.strip().replace("/", "-"))
        except ValueError:
            return "a date like 2026-12-31"
        return None

    return check


class FormModal(ModalScreen[Any]):
    """Edit a few fields; Enter on the last field or the Save button saves."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FormModal #form-title { text-style: bold; color: $accent; }
    FormModal VerticalScroll { height: auto; max-height: 18; }
    FormModal .form-label { margin-top: 1; }
    FormModal .form-error { color: $error; height: auto; }
    FormModal Input, FormModal Select { width: 100%; }
    FormModal #form-message { color: $error; height: auto; }
    FormModal Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("f2", "save", "Save", id="form.save"),
    ]

    def __init__(self, title: str, fields: Sequence[FormField], save: Callable[[dict], Any]):
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.save = save
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="form-title")
            with VerticalScroll():
                for spec in self.fields:
                    yield Label(spec.label + (" *" if spec.required else ""), classes="form-label")
                    if spec.choices:
                        yield Select(
                            [(label, value) for label, value in spec.choices],
                            value=spec.value if spec.value else Select.NULL,
                            id=f"field-{spec.name}",
                            allow_blank=not spec.required,
                        )
                    else:
                        yield Input(
                            spec.value, placeholder=spec.placeholder, id=f"field-{spec.name}"
                        )
                    yield Static("", id=f"error-{spec.name}", classes="form-error", markup=False)
            yield Static("", id="form-message", markup=False)
            with Horizontal():
                yield Button("Save 儲存 (F2)", variant="primary", id="form-save")
                yield Button("Cancel 取消 (Esc)", id="form-cancel")

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Select):
                value = widget.value
                result[spec.name] = "" if value is Select.NULL else str(value)
            else:
                result[spec.name] = widget.value  # type: ignore[attr-defined]
        return result

    def _show(self, name: str, problem: str | None) -> None:
        self.query_one(f"#error-{name}", Static).update(problem or "")

    def _check_all(self) -> bool:
        values = self.values()
        ok = True
        for spec in self.fields:
            problem = spec.problem(values[spec.name])
            self._show(spec.name, problem)
            ok = ok and problem is None
        return ok

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        spec = next((f for f in self.fields if f.name == name), None)
        if spec is not None:
            self._show(name, spec.problem(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self._saving or not self._check_all():
            return
        self._saving = True
        self.query_one("#form-message", Static).update("saving 儲存中")
        self._run_save(self.values())

    @work(thread=True, exclusive=True, group="form", exit_on_error=False)
    def _run_save(self, values: dict[str, str]) -> None:
        try:
            result = self.save(values)
        except ValidationError as error:
            self.app.call_from_thread(self._failed, str(error), error.field)
            return
        except StaleRecordError as error:
            self.app.call_from_thread(self._failed, f"{error} (Esc, then reload)", None)
            return
        except SpecialopsError as error:
            self.app.call_from_thread(self._failed, str(error), None)
            return
        self.app.call_from_thread(self.dismiss, result)

    def _failed(self, message: str, field_name: str | None) -> None:
        self._saving = False
        names = {f.name for f in self.fields}
        if field_name in names:
            self._show(field_name, message)
            self.query_one("#form-message", Static).update("")
            self.query_one(f"#field-{field_name}").focus()
        else:
            self.query_one("#form-message", Static).update(message)
