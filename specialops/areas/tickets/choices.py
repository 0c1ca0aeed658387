"""Ticket, follow-up and review values with their Chinese labels."""

from __future__ import annotations

from specialops.entities import Choice

TICKET_CHANNELS = (
    Choice("hotline", "熱線", "热线", ("phone", "call", "電話", "电话", "客服專線", "客服专线")),
    Choice("chat", "在線客服", "在线客服", ("online", "online chat", "live chat", "線上", "线上")),
    Choice("email", "電子郵件", "电子邮件", ("mail", "郵件", "邮件", "電郵", "电邮")),
    Choice("walk_in", "臨櫃", "临柜", ("counter", "櫃檯", "柜台", "門市", "门店")),
    Choice("campaign", "活動回饋", "活动反馈"),
)
TICKET_TYPES = (
    Choice("consultation", "諮詢", "咨询", ("inquiry", "enquiry", "question", "詢問", "询问")),
    Choice("complaint", "投訴", "投诉", ("客訴", "客诉")),
    Choice("request", "請求", "请求", ("service request", "服務請求", "服务请求", "需求")),
)
TICKET_PRIORITIES = (
    Choice("urgent", "緊急", "紧急", ("critical", "最高")),
    Choice("high", "高", "高"),
    Choice("normal", "中", "中", ("medium", "普通", "一般")),
    Choice("low", "低", "低"),
)
TICKET_STATUSES = (
    Choice("new", "新建", "新建"),
    Choice("assigned", "已指派", "已指派"),
    Choice("in_progress", "處理中", "处理中"),
    Choice("waiting", "待客戶回覆", "待客户回复"),
    Choice("resolved", "已解決", "已解决"),
    Choice("closed", "已結案", "已结案"),
)
FOLLOWUP_KINDS = (
    Choice("after_resolution", "結案回訪", "结案回访"),
    Choice("periodic", "定期回訪", "定期回访"),
    Choice("manual", "手動回訪", "手动回访"),
)
FOLLOWUP_STATUSES = (
    Choice("scheduled", "待回訪", "待回访"),
    Choice("done", "已回訪", "已回访"),
    Choice("cancelled", "已取消", "已取消"),
)
REVIEW_STATUSES = (
    Choice("queued", "待審", "待审"),
    Choice("reviewed", "已審", "已审"),
)
