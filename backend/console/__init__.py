"""The staff web console: cookie session, CSRF on every form, Chinese pages."""
