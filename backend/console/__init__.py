"""The staff web console: server-rendered pages (Jinja, a little vanilla JS, ECharts
vendored under static/vendor), a cookie session holding a revocable token, CSRF on every
form.

Pages: login/logout and home (views.py); the triage queue, the ticket page with its
actions, bulk actions and the CSV export (tickets.py); the grid map (maps.py); the
dashboard (dashboard.py); the service window: day list, check-in by code, 办结/未到,
opening hours and closures (service.py); grid workers and binding codes (workers.py);
categories and deadlines, the places import, staff accounts and service items for
admins (admin.py).

志愿服务: teams, rosters, hour approvals, overdue activities, records (volunteers.py).
居民参与: residency confirmation and the household import, notices and objections, proposals, the fund and its ledger (participation.py).
"""
