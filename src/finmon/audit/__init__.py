"""Who did what: the audit trail of users and services, kept in the event log.

Audit records are ``audit.*`` events on the same tamper-evident
:class:`~finmon.events.Log` as everything else, so the trail is hash-chained,
checkpointed and signed, and an auditor verifies it with ``finmon events
verify``. A record names the actor, the action, the outcome and the target;
never a password, token, TOTP secret or API key (:class:`AuditTrail` refuses
details whose keys look like one).
"""

from finmon.audit.trail import AUDIT_PREFIX, AuditEntry, AuditTrail, register_audit_events

__all__ = ["AUDIT_PREFIX", "AuditEntry", "AuditTrail", "register_audit_events"]
