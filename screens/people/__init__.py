"""Logins and roles: the area's entry in the app."""

from specialops.screens.shell.registry import ScreenEntry

UI = ScreenEntry(
    key="users",
    name="Users",
    name_zh="使用者",
    number="6",
    screen="specialops.screens.people.users:UsersScreen",
    permission="users.manage",
    headline="specialops.areas.people.queries:headline",
)
