"""The back office: one blueprint per area, every view guarded by ``portal.staff.access``."""
