"""The live verdict of ``verify-soak --watch``: a state per criterion while the run goes, and an early stop."""

from soakwatch.verify.live.judges import JUDGES, assess, assess_all
from soakwatch.verify.live.states import AT_RISK, FAILED, PASSING, STATES, WAITING, Live, Moment

__all__ = ["AT_RISK", "FAILED", "JUDGES", "PASSING", "STATES", "WAITING", "Live", "Moment", "assess", "assess_all"]
