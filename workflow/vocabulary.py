"""The coded values of the domain (statuses, roles, sources …), stored as strings with CHECK constraints."""

STATUSES = ("prospect", "contacted", "preparatory", "founded", "active", "closed")
OPEN_STATUSES = ("prospect", "contacted", "preparatory", "founded", "active")
COVERED_STATUSES = ("founded", "active")
UNPREPARED_STATUSES = ("prospect", "contacted")  # before a founding mode is chosen; a setback to them gives it up
MODES = ("standalone", "joint")
ROLES = ("cadre", "social_worker", "supervisor", "secretary", "admin")
PARK_LEVELS = ("national", "municipal", "district")
SOURCES = ("existing", "new_project", "relocated", "prospective")
CLOSE_REASONS = ("deregistered", "moved_out", "merged", "out_of_scope")
JOINT_KINDS = ("grid", "cluster", "park_in_park")
LEVELS = ("remind", "overdue", "meeting")
EVENT_KINDS = (
    "import", "transition", "activity", "assignment", "escalation", "agenda", "resolution",
    "signup", "update", "next_action",
)
ACTIVITY_KINDS = ("visit", "call", "meeting", "other")
BASES = ("all", "shuangshi")
PARTIES = ("party_committee", "administration", "regulators", "union", "chamber_of_commerce", "employers")
MEETING_STATUSES = ("planned", "closed", "cancelled")  # cancelled: called off, never held

# Bounds of the whole numbers users give. Ids and counts are INTEGER columns (32-bit on PostgreSQL); a count
# beyond MAX_COUNT (employees, members, sign-ups) is a typo, whatever the column could hold.
MAX_ID = 2**31 - 1
MAX_COUNT = 10_000_000
