"""All models, grouped by domain. Importing this package registers every table on ``Base.metadata``."""

from db import ledger
from db.base import Base
from db.models import (  # noqa: F401 - imported for their tables
    audit,
    billing,
    clinical,
    hospital,
    identity,
    insurance,
    inventory,
    lab,
    notifications,
    optical,
    patients,
    pharmacy,
    prescriptions,
    scheduling,
    sync,
)

metadata = Base.metadata
ledger.install(metadata)

__all__ = ["Base", "metadata"]
