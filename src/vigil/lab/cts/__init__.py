"""`vigil lab cts`: Pacemaker's CTS scenarios run against a lab with fencing, each followed by
the audits CTS runs (issue 15).

- catalog: the 22 scenarios of Pacemaker's CTS, which of them vigil runs, and why not the others;
- audits: pure checks of what was gathered after a scenario (every replica's CIB the same, the
  scheduler planning nothing more, each resource active exactly where the cluster says and
  nowhere twice, promoted-max kept, no traceback or unexpected error in vigild's log);
- world: the lab as the scenarios and audits see it (the CLI in the nodes, the agents' state
  files, the daemons' logs, cluster stop and start per node);
- scenarios: what each scenario does to the lab;
- runner: a lab with fencing and the CTS resources, the scenarios in a seeded order, the report.
"""
