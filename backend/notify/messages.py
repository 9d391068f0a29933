from backend.core.i18n import register

register({
    "template_unknown": {
        "zh": "不认识的订阅消息模板。", "en": "Unknown subscribe-message template.",
    },
})
