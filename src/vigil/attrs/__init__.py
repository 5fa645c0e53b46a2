"""The commands resource agents call, with Pacemaker's names, options, output and exit codes,
answered by the local vigild over its control socket: crm_attribute, crm_master, attrd_updater,
crm_node, crm_resource (what agents ask of it), cibadmin -Q and crm_mon.

vigild puts wrappers for them in a directory of its own (`vigil.daemon.agent_tools`) and runs
agents with HA_SBIN_DIR and PATH pointing there first; Pacemaker's tools in /usr/sbin stay as
they are. `VIGIL_SOCKET` in the environment names the control socket (default
/run/vigil/vigild.sock).
"""
