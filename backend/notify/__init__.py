"""Notifications: the outbox written in the same transaction as the change, the in-app
inbox, WeChat subscribe messages (delivered by ``flask --app backend worker``)."""
