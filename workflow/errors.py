"""Domain exceptions. The CLI turns every WorkflowError into `Error: <message>` and exit 1."""


class WorkflowError(Exception):
    """Base of every error a user can cause and fix."""


class NotFound(WorkflowError):
    """A park, cadre, enterprise, case, meeting or joint union does not exist."""


class AlreadyExists(WorkflowError):
    """A code or USCC that must be unique is taken."""


class PermissionDenied(WorkflowError):
    """The acting user may not do this."""


class NoActingUser(WorkflowError):
    """A mutating command was run without --as / UNIONFLOW_USER."""


class TransitionRefused(WorkflowError):
    """The state machine refuses the step (wrong status or a guard failed)."""


class Conflict(WorkflowError):
    """The case changed under us (optimistic locking)."""


class InvalidInput(WorkflowError):
    """A date, number or option value is not acceptable."""


class ImportFailed(WorkflowError):
    """A registry file has errors; nothing was written."""

    def __init__(self, message, errors=()):
        super().__init__(message)
        self.errors = list(errors)


class ConfigError(WorkflowError):
    """The configuration file is unreadable or has a bad value."""


class DatabaseNotReady(WorkflowError):
    """The database has no schema, or an old one."""


class SchemaTooNew(DatabaseNotReady):
    """The database's schema was made by a newer unionflow."""


class DeliveryError(WorkflowError):
    """A message could not be handed to the mail transport."""


class SchedulerBusy(WorkflowError):
    """Another scheduler holds the leader lock."""


class PdfUnavailable(WorkflowError):
    """PDF output needs WeasyPrint and a CJK font, and one of them is missing."""
