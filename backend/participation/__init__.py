"""Resident participation (还权·赋能, issue 11): residency, community notices, and later
proposals, the council, the community fund and its disclosure."""
