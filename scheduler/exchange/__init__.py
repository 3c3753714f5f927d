"""The schedule in other formats: the iCalendar feed, CSV export and import, campaign playbooks."""
