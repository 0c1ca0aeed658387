"""A throwaway area that lives only in the test folder: installing it must give it a
screen, a number key, a palette entry, a CLI group, a demo step and its permissions
with no edit anywhere else."""

from specialops.areas import Area

AREA = Area(
    name="samples",
    label="Samples",
    label_zh="樣本",
    package=__name__,
    needs=("people",),
    registers=("demo",),
    models=None,
    cli="cli:samples_app",
    permissions={"sample.read": "look at samples", "sample.count": "count samples"},
    grants={"sample.read": ("staff", "manager"), "sample.count": ("manager",)},
    ui=f"{__name__}.ui",
)
