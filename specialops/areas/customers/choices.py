"""Customer types and tiers with their Chinese labels."""

from __future__ import annotations

from specialops.entities import Choice

CUSTOMER_TYPES = (
    Choice("individual", "個人", "个人"),
    Choice("company", "公司", "公司"),
)
CUSTOMER_TIERS = (
    Choice("regular", "一般", "一般"),
    Choice("silver", "銀卡", "银卡"),
    Choice("gold", "金卡", "金卡"),
    Choice("vip", "貴賓", "贵宾"),
)

# The personal fields, masked for roles without the right to see them.
PII_FIELDS = ("phone", "email", "address", "id_number")
PII_LABELS = {"phone": "電話", "email": "電郵", "address": "地址", "id_number": "證號"}
