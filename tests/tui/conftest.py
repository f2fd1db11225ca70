"""The console's tests share the integration tests' virtual room."""

from tests.integration.conftest import (  # noqa: F401 - fixtures for the console tests
    connector, provisioned, pytest_collection_modifyitems, room, vroom)
