"""People: departments, logins and their roles (SPEC §3, §8 identity and roles)."""

from specialops.areas import Area

AREA = Area(
    name="people",
    label="People",
    label_zh="人員",
    package=__name__,
    registers=("entities", "demo"),
    models=None,  # departments and logins are core tables: every area refers to them
    cli="cli:users_app",
    cli_name="users",
    permissions={"users.manage": "manage users and roles"},
    grants={},
    ui="specialops.screens.people",
)
