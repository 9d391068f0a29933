"""Shared machinery: model base, errors, auth, permissions, geo."""
