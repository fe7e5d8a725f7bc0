"""系统配置 — how this installation is served and secured, and the campaign rules in force (read only)."""
import os

import pandas as pd
import streamlit as st

from core import accounts, store
from core.config import DEFAULT_PATH, default_campaign
from core.measures import MEASURES
from core.report_text import percent
from pages import auth
from pages.common import require_app

require_app()

campaign = default_campaign()
st.title("系统配置")
st.caption("只读。活动规则在活动配置文件中修改（改后重启生效）；账号相关设置用环境变量修改。")

# ---------------------------------------------------------------- serving and accounts
st.subheader("服务与账号")
providers = auth.identity_providers()
st.dataframe(pd.DataFrame([
    ("服务地址（server.address）", st.get_option("server.address") or "（所有网络地址）"),
    ("上传大小上限（server.maxUploadSize）", f"{st.get_option('server.maxUploadSize')} MB"),
    ("工作簿大小上限（limits.max_upload_mb）", f"{campaign.max_upload_mb} MB"),
    ("数据库文件", str(store.db_path().resolve())),
    ("活动配置文件", os.environ.get("REDPROP_CAMPAIGN") or str(DEFAULT_PATH)),
    ("统一身份认证（OpenID Connect）", "已配置：" + "、".join(p or "默认" for p in providers) if providers else "未配置"),
    *[(f"{item.name}（{item.help}）", str(accounts.setting(item))) for item in accounts.SETTINGS],
], columns=["项目", "当前值"]), hide_index=True, width="stretch")

# ---------------------------------------------------------------- campaign
st.subheader(f"活动配置：{campaign.district} {campaign.year} 年")
st.markdown("**镇（街道）**：" + "、".join(campaign.towns))
st.dataframe(pd.DataFrame([{"阶段": p.name, "开始": p.start.isoformat(), "结束": p.end.isoformat(),
                            **{MEASURES[code].label: percent(t) for code, t in p.targets.items()}} for p in campaign.phases]),
             hide_index=True, width="stretch")
st.dataframe(pd.DataFrame([{"加分项": r.label, "类型": r.kind, "指标": r.measure,
                            "门槛": percent(r.threshold) if r.threshold is not None else "—", "分值": r.points}
                           for r in campaign.bonus_rules]), hide_index=True, width="stretch")
st.caption(f"规定报送日期：{'、'.join(d.isoformat() for d in campaign.report_dates)}；"
           f"报送日期后 {campaign.grace_days} 天内上传为按时。")
