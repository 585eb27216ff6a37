import sys

from pytest_ocpp.reference.ocpi import main

sys.exit(main())
