"""Customer types and tiers with their Chinese labels."""

from __future__ import annotations

from specialops.entities import Choice

CUSTOMER_TYPES = (
    Choice("individual", "個人", "个人", ("person", "personal", "自然人", "個人客戶", "个人客户")),
    Choice(
        "company",
        "公司",
        "公司",
        ("business", "corporate", "企業", "企业", "法人", "公司客戶", "公司客户"),
    ),
)
CUSTOMER_TIERS = (
    Choice("regular", "一般", "一般", ("normal", "standard", "普通")),
    Choice("silver", "銀卡", "银卡"),
    Choice("gold", "金卡", "金卡"),
    Choice("vip", "貴賓", "贵宾", ("VIP客戶", "VIP客户")),
)

# The personal fields, masked for roles without the right to see them.
PII_FIELDS = ("phone", "email", "address", "id_number")
PII_LABELS = {"phone": "電話", "email": "電郵", "address": "地址", "id_number": "證號"}
