"""The fault scenarios use the integration suite's harness and fixtures."""

import importlib.util
import os
import sys

HERE = os.path.dirname(__file__)
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, INTEGRATION)

# Loaded under another name: two modules called conftest would clash.
_spec = importlib.util.spec_from_file_location("integration_fixtures",
                                               os.path.join(INTEGRATION, "conftest.py"))
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

pg = _fixtures.pg
workdir = _fixtures.workdir
keys = _fixtures.keys
db = _fixtures.db
make_hcwatch = _fixtures.make_hcwatch
