"""The integration tests run on the real virtual room of tests/conftest.py (one per session,
shared with the console's tests); their helpers are in tests/vroom.py."""

from tests.vroom import INVENTORY, copy_inventory, open_student_session, paths, ssh, wait_for

__all__ = ["INVENTORY", "copy_inventory", "open_student_session", "ssh", "wait_for", "paths"]
