"""The console's tests share the integration tests' virtual room (tests/conftest.py): one
room per session, whichever tests use it first."""
