"""Tickets (事件): from a resident's photo to a closed case."""
