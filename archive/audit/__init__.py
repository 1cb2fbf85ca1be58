"""The audit trail: append-only, hash-chained events of who did what to which record, and why.

One module per concept: the event and its canonical form (event.py), where it lives in the
store (layout.py), the chain's head as a process sees it (chain.py), group commit
(commit.py) through the fork guard (forks.py), sealing into write-once segments with chain
proofs (segments.py, proof.py), reading back (reading.py), verification (verify.py), and the
signed checkpoints that anchor the chain outside the store (checkpoint.py, anchor.py,
timestamp.py). `AuditTrail` (trail.py) puts them together.
"""

from kho.archive.audit.event import GENESIS, AuditEvent
from kho.archive.audit.layout import BATCHES, HEAD_HINT, SEGMENTS
from kho.archive.audit.proof import ChainProof
from kho.archive.audit.segments import SealResult
from kho.archive.audit.trail import AuditTrail
from kho.archive.audit.verify import ChainReport

__all__ = [
    "BATCHES",
    "GENESIS",
    "HEAD_HINT",
    "SEGMENTS",
    "AuditEvent",
    "AuditTrail",
    "ChainProof",
    "ChainReport",
    "SealResult",
]
