"""Import/export descriptions of risks, indicators and readings.

Rules that need the database (the matrix, known users and categories, an
indicator's thresholds and its last level) run in each entity's ``derive``
so a file goes through the same rules as the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select

from specialops.areas.risks import rules
from specialops.areas.risks.models import IndicatorReading, Risk, RiskIndicator
from specialops.entities import Choice, EntitySpec, FieldSpec, register
from specialops.models.core import UserAccount
from specialops.store.store import Store

STRATEGY_CHOICES = (
    Choice("avoid", "規避", "规避", aliases=("avoidance", "迴避", "回避")),
    Choice(
        "reduce", "降低", "降低", aliases=("mitigate", "mitigation", "reduction", "減輕", "减轻")
    ),
    Choice("transfer", "轉移", "转移", aliases=("share", "transference", "移轉")),
    Choice("accept", "接受", "接受", aliases=("acceptance", "retain", "承擔", "承担")),
)
STATUS_CHOICES = (
    Choice("identified", "已識別", "已识别", aliases=("open", "new", "識別", "识别")),
    Choice("assessed", "已評估", "已评估", aliases=("analysed", "analyzed", "評估", "评估")),
    Choice(
        "responding",
        "應對中",
        "应对中",
        aliases=("in treatment", "treating", "mitigating", "應對", "应对"),
    ),
    Choice("monitoring", "監控中", "监控中", aliases=("monitored", "watching", "監控", "监控")),
    Choice("closed", "已關閉", "已关闭", aliases=("done", "resolved", "關閉", "关闭")),
)
# Risks, their indicators and readings are written with the register's one write permission.
MANAGE = "risk.manage"

DIRECTION_CHOICES = (
    Choice("higher_worse", "越高越差", "越高越差"),
    Choice("lower_worse", "越低越差", "越低越差"),
)


def _risk_deriver(store: Store) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.areas.risks.actions import categories, load_matrix

    with store.read() as session:
        matrix = load_matrix(session)
        known_categories = {c.code for c in categories(session)}
        users = dict(session.exec(select(UserAccount.username, UserAccount.department_id)).all())

    def derive(row: dict[str, Any]) -> dict[str, Any]:
        if row.get("owner") not in users:
            raise ValueError(f"owner: unknown user {row.get('owner')}")
        if row.get("category") not in known_categories:
            raise ValueError(
                f"category: unknown risk category {row.get('category')}; "
                f"choose one of: {', '.join(sorted(known_categories))}"
            )
        likelihood, impact = row.get("likelihood"), row.get("impact")
        if (likelihood is None) != (impact is None):
            raise ValueError("likelihood and impact: give both or neither")
        return {
            "department_id": users[row["owner"]],  # only where the file names none
            "level": matrix.level(likelihood, impact) if likelihood is not None else None,
            "expected_loss": rules.expected_loss(row.get("probability"), row.get("loss_amount")),
        }

    return derive


def _indicator_deriver(store: Store) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.areas.risks.feeds import FEEDS

    def derive(row: dict[str, Any]) -> dict[str, Any]:
        try:
            rules.check_thresholds(
                row.get("direction") or "higher_worse",
                float(row["warning"]),
                float(row["critical"]),
            )
        except Exception as error:
            raise ValueError(f"critical: {error}") from None
        if row.get("feed") and row["feed"] not in FEEDS:
            raise ValueError(f"feed: unknown feed {row['feed']}; choose one of: {', '.join(FEEDS)}")
        return {}

    return derive


def _reading_deriver(store: Store) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.areas.risks.actions import latest_readings

    with store.read() as session:
        thresholds = {
            i.id: rules.INDICATOR.thresholds(i.direction, i.warning, i.critical)
            for i in session.exec(select(RiskIndicator)).all()
        }
        last = {k: r.level for k, r in latest_readings(session).items()}

    def derive(row: dict[str, Any]) -> dict[str, Any]:
        indicator = row["indicator_id"]
        previous = last.get(indicator)
        change = rules.INDICATOR.reading(previous, float(row["value"]), thresholds[indicator])
        level = rules.INDICATOR.name(change.current)
        last[indicator] = level  # rows of one file are read in order
        return {
            "level": level,
            "previous_level": previous,
            "crossed": change.crossed,
            "source": "import",
            "recorded_by": "import",
        }

    return derive


RISKS = register(
    EntitySpec(
        "risks",
        Risk,
        key="code",
        label="風險",
        write_action=MANAGE,
        fields=(
            FieldSpec(
                "code",
                max_length=16,
                help="RSK-0001; empty on new rows to get a new code",
                aliases=("風險編號", "风险编号", "編號", "编号"),
            ),
            FieldSpec(
                "title",
                required=True,
                max_length=200,
                help="what could go wrong",
                aliases=("風險名稱", "风险名称", "標題", "标题", "名稱", "名称"),
            ),
            FieldSpec(
                "category",
                required=True,
                max_length=32,
                help="market, technical, ...",
                aliases=("類別", "类别", "分類", "分类"),
            ),
            FieldSpec("description", help="description", aliases=("描述", "說明", "说明")),
            FieldSpec("likelihood", "int", min=1, max=5, help="1 to 5", aliases=("可能性",)),
            FieldSpec(
                "impact",
                "int",
                min=1,
                max=5,
                help="1 to 5",
                aliases=("影響", "影响", "影響程度", "影响程度"),
            ),
            FieldSpec(
                "probability",
                "percent",
                min=0,
                max=100,
                help="0 to 100 (%)",
                aliases=("機率", "概率"),
            ),
            FieldSpec(
                "loss_amount",
                "money",
                min=0,
                help="loss if it happens, e.g. 250000.00",
                aliases=("損失金額", "损失金额"),
            ),
            FieldSpec("strategy", "choice", choices=STRATEGY_CHOICES, help="response strategy"),
            FieldSpec(
                "owner",
                required=True,
                max_length=64,
                help="the owner's login",
                aliases=("負責人", "负责人"),
            ),
            FieldSpec(
                "department",
                "ref",
                ref="departments",
                help="department code",
                aliases=("部門", "部门"),
            ),
            FieldSpec(
                "status",
                "choice",
                choices=STATUS_CHOICES,
                workflow="risks",
                help="new rows start as identified; later changes through the risk workflow",
            ),
            FieldSpec(
                "next_review", "date", help="next review date", aliases=("下次評估", "下次评估")
            ),
        ),
        derive=_risk_deriver,
        derived=("department_id", "level", "expected_loss"),
        rederived=("level", "expected_loss"),
    )
)

INDICATORS = register(
    EntitySpec(
        "indicators",
        RiskIndicator,
        key="code",
        label="關鍵風險指標",
        write_action=MANAGE,
        fields=(
            FieldSpec("code", max_length=16, help="KRI-0001; empty on new rows to get a new code"),
            FieldSpec("risk", "ref", required=True, ref="risks", help="risk code"),
            FieldSpec("name", required=True, max_length=200, help="what is measured"),
            FieldSpec("unit", max_length=16, help="%, days, ..."),
            FieldSpec("direction", "choice", choices=DIRECTION_CHOICES, help="which way is worse"),
            FieldSpec("warning", "decimal", required=True, help="warning threshold"),
            FieldSpec("critical", "decimal", required=True, help="critical threshold"),
            FieldSpec("feed", max_length=64, help="specialops figure that feeds it daily"),
            FieldSpec("feed_arg", max_length=64, help="its argument, e.g. a department code"),
        ),
        derive=_indicator_deriver,
    )
)

READINGS = register(
    EntitySpec(
        "readings",
        IndicatorReading,
        key="code",
        label="指標讀數",
        write_action=MANAGE,
        fields=(
            FieldSpec("code", max_length=16, help="RDG-0000001; empty on new rows"),
            FieldSpec("indicator", "ref", required=True, ref="indicators", help="indicator code"),
            FieldSpec("at", "datetime", required=True, help="when it was measured (ISO 8601)"),
            FieldSpec("value", "decimal", required=True, help="the reading"),
        ),
        derive=_reading_deriver,
        derived=("level", "previous_level", "crossed", "source", "recorded_by"),
    )
)
