"""Users, roles, tokens, WeChat login and grid-worker binding."""
