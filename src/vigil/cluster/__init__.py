"""Membership, agreed-order messaging and quorum: the ClusterLayer and its backends."""
