"""Output of Corosync 3.1.7's tools, captured on a two-node vigil lab (`vigil lab up --nodes 2`)."""

QUORATE = """\
Quorum information
------------------
Date:             Wed Nov 25 08:31:58 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          1
Ring ID:          1.9
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   2
Highest expected: 2
Total votes:      2
Quorum:           1\x20\x20
Flags:            2Node Quorate WaitForAll\x20

Membership information
----------------------
    Nodeid      Votes Name
         1          1 n1 (local)
         2          1 n2
"""

# n1 booted alone after both nodes were powered off: wait_for_all holds it back.
WAITING = """\
Quorum information
------------------
Date:             Wed Nov 25 08:32:09 2026
Quorum provider:  corosync_votequorum
Nodes:            1
Node ID:          1
Ring ID:          1.e
Quorate:          No

Votequorum information
----------------------
Expected votes:   2
Highest expected: 2
Total votes:      1
Quorum:           1 Activity blocked
Flags:            2Node WaitForAll\x20

Membership information
----------------------
    Nodeid      Votes Name
         1          1 n1 (local)
"""

# The membership table with a quorum device (corosync-quorumtool(8)).
WITH_QDEVICE_TABLE = """\
Membership information
----------------------
    Nodeid      Votes    Qdevice Name
         1          1    A,V,NMW n1 (local)
         2          1    A,V,NMW n2
         0          1            Qdevice
"""

# corosync-qdevice-tool -s on n2 of a two-node lab with `vigil lab up --qdevice` (Debian 12,
# corosync-qdevice 3.0.2); tabs as printed
QDEVICE_CONNECTED = (
    "Qdevice information\n-------------------\nModel:\t\t\tNet\nNode ID:\t\t2\n"
    "Configured node list:\n    0\tNode ID = 1\n    1\tNode ID = 2\nMembership node list:\t1, 2\n\n"
    "Qdevice-net information\n----------------------\nCluster name:\t\tvlqa1\n"
    "QNetd host:\t\t10.213.0.50:5403\nAlgorithm:\t\tFifty-Fifty split\n"
    "Tie-breaker:\t\tNode with lowest node ID\nState:\t\t\tConnected\n")

NOT_RUNNING = "Cannot initialize CMAP service\n"
CMAP_NOT_RUNNING = "Failed to initialize the cmap API. Error CS_ERR_LIBRARY\n"
EXPECTED_REFUSED = "Unable to set expected votes: CS_ERR_INVALID_PARAM\n"
WAIT_FOR_ALL_1 = "runtime.votequorum.wait_for_all_status (u8) = 1\n"
WAIT_FOR_ALL_0 = "runtime.votequorum.wait_for_all_status (u8) = 0\n"

TWO_NODE_CONF = """\
# corosync.conf written by vigil: edits are overwritten by the next `vigil cluster setup`

totem {
	version: 2
	cluster_name: web
	transport: knet
	crypto_cipher: aes256
	crypto_hash: sha256
	keyfile: /etc/corosync/authkey
}

nodelist {
	node {
		nodeid: 1
		name: n1
		ring0_addr: 10.213.0.11
	}
	node {
		nodeid: 2
		name: n2
		ring0_addr: 10.213.0.12
	}
}

quorum {
	provider: corosync_votequorum
	two_node: 1
}

logging {
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	to_stderr: no
	to_syslog: no
	timestamp: hires
}
"""
