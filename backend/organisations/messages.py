"""Messages of the organisations feature (社会组织, 服务项目, 微基金)."""
from backend.core.i18n import register

register({
    "organisation_not_found": {"zh": "找不到该社会组织。", "en": "No such organisation."},
    "organisation_place_level": {"zh": "社会组织只能登记在社区或街道。",
                                 "en": "An organisation is registered at a community or a street."},
    "organisation_name_taken": {"zh": "该地区已登记同名的社会组织。",
                                "en": "An organisation of this name is already registered here."},
    "credit_code_format": {
        "zh": "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。",
        "en": "A unified social credit code is 18 digits or capitals (no I, O, Z, S, V)."},
    "credit_code_check": {"zh": "统一社会信用代码校验位不正确，请核对。",
                          "en": "The check character of the credit code is wrong."},
    "credit_code_taken": {"zh": "该统一社会信用代码已被其他组织登记。",
                          "en": "Another organisation is registered with this credit code."},
    "organisation_inactive": {"zh": "该社会组织已停用，不能申报新项目。",
                              "en": "This organisation is inactive: no new projects."},
    "organisation_not_serving": {"zh": "该社会组织不在购买方的辖区内服务。",
                                 "en": "This organisation does not serve the buyer's area."},
    "buyer_level": {"zh": "购买方只能是社区或街道。",
                    "en": "The buyer is a community or a street."},
    "service_project_not_found": {"zh": "找不到该服务项目。", "en": "No such service project."},
    "project_transition": {
        "zh": "项目当前为“{state}”，不能{action}。",
        "en": "The project is {state}: no {action} now."},
    "review_reason_required": {"zh": "评审不通过时请填写理由。",
                               "en": "Give the reason for a rejection."},
    "period_order": {"zh": "服务期结束日期不能早于开始日期。",
                     "en": "The period cannot end before it starts."},
    "milestone_not_found": {"zh": "找不到该项目节点。", "en": "No such milestone."},
    "milestone_done": {"zh": "该节点已完成。", "en": "This milestone is already done."},
    "micro_fund_not_found": {"zh": "找不到该微基金。", "en": "No such micro-fund."},
    "micro_fund_name_taken": {"zh": "该社区基金中已有同名微基金。",
                              "en": "This community fund already has a micro-fund of that name."},
    "micro_fund_inactive": {"zh": "该微基金已停用。", "en": "This micro-fund is closed."},
    "micro_fund_over_balance": {"zh": "支出超过微基金余额（{balance}）。",
                                "en": "The expense is more than the micro-fund's balance ({balance})."},
})

# the words the transition message names
STATUS_ZH = {"applied": "已申报", "approved": "评审通过", "rejected": "评审未通过",
             "contracted": "已签约", "in_progress": "实施中", "accepted": "验收通过",
             "failed": "验收未通过", "published": "已公示"}
ACTION_ZH = {"edit": "修改", "review": "评审", "contract": "签约", "start": "开始实施",
             "milestone": "添加或完成节点", "accept": "验收", "publish": "公示"}
