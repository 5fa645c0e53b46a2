"""vigil's words: the English one-line text of every report, for every edge that shows reports to
people (the CLI, the remote endpoint's API and the web UI), so a refusal reads the same wherever
it is met. Reports are data everywhere below; only the edges call `messages.render_report`."""
