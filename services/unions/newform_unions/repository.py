"""Every query of the unions service: reads and writes of its tables, nothing else.

Functions are named for what they answer (`statements_due_on(session, day)`), take the session
first and return models or plain values; a getter of what the caller may see takes
`(session, principal, key, *, for_update=False)` and uses `newform_common.scope.get_visible`.
"""

from __future__ import annotations
