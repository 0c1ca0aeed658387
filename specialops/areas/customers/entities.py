"""Import/export description of customers."""

from __future__ import annotations

from specialops.areas.customers.choices import CUSTOMER_TIERS, CUSTOMER_TYPES
from specialops.areas.customers.models import Customer
from specialops.entities import EntitySpec, FieldSpec, register

CUSTOMERS = register(
    EntitySpec(
        "customers",
        Customer,
        key="code",
        label="客戶",
        write_action="customer.write",
        fields=(
            FieldSpec(
                "code",
                max_length=32,
                help="CUS-000001; empty on new rows to get a new code",
                aliases=(
                    "客戶編號",
                    "客户编号",
                    "客戶代碼",
                    "客户代码",
                    "編號",
                    "编号",
                    "customer code",
                ),
            ),
            FieldSpec(
                "name",
                required=True,
                max_length=200,
                help="person or company name",
                aliases=(
                    "名稱",
                    "名称",
                    "客戶名稱",
                    "客户名称",
                    "姓名",
                    "客戶",
                    "客户",
                    "customer name",
                ),
            ),
            FieldSpec(
                "type",
                "choice",
                choices=CUSTOMER_TYPES,
                help="defaults to individual",
                aliases=("類型", "类型", "客戶類型", "客户类型"),
            ),
            FieldSpec(
                "phone",
                max_length=40,
                pii=True,
                help="phone number",
                aliases=("電話", "电话", "聯絡電話", "联系电话", "手機", "手机", "tel", "mobile"),
            ),
            FieldSpec(
                "email",
                "email",
                max_length=254,
                pii=True,
                help="e-mail address",
                aliases=("電郵", "电邮", "電子郵件", "电子邮件", "郵箱", "邮箱", "mail"),
            ),
            FieldSpec(
                "address",
                max_length=500,
                pii=True,
                help="postal address",
                aliases=("地址", "聯絡地址", "联系地址", "通訊地址", "通讯地址"),
            ),
            FieldSpec(
                "tier",
                "choice",
                choices=CUSTOMER_TIERS,
                help="service tier",
                aliases=("等級", "等级", "客戶等級", "客户等级", "會員等級", "会员等级"),
            ),
            FieldSpec(
                "notes", help="free text", aliases=("備註", "备注", "說明", "说明", "remarks")
            ),
            FieldSpec(
                "id_number",
                max_length=40,
                pii=True,
                help="national ID or company number",
                aliases=(
                    "證號",
                    "证号",
                    "身分證字號",
                    "身份证号",
                    "統一編號",
                    "统一编号",
                    "證件號碼",
                    "证件号码",
                ),
            ),
        ),
    )
)
