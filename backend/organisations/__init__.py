"""Social organisations (社会组织), their service projects (公益创投 / 政府购买服务) and
micro-funds (微基金) inside the community fund (issue 21)."""
