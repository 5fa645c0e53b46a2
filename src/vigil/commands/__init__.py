"""Library commands: `(env, args) -> result`, raising ReportError. The CLI and API call these."""
