"""The quorum device (corosync-qdevice with the `net` model, talking to corosync-qnetd) in
corosync.conf's quorum section. Pure: no I/O.

```
quorum {
	provider: corosync_votequorum
	device {
		model: net
		net {
			host: qnetd.example
			algorithm: ffsplit
		}
	}
}
```

`with_device` puts a device in (or takes it out of) a parsed corosync.conf and keeps `two_node`
consistent, as pcs does: votequorum refuses `two_node` together with a device (the device breaks
the tie instead), and a two-node cluster without a device gets `two_node: 1` back.

The ffsplit algorithm needs `votes: 1` written in the device section: corosync-qdevice 3.0 (Debian
12) otherwise refuses to start it ("50:50 split algorithm works only if quorum.device.votes
configuration key is set to 1!", seen in the lab), although votequorum's default for two nodes
would be 1. `with_default_votes` writes it; another value is an error.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from vigil.clusterconf.conf_tree import Option, Section, put_section, set_options
from vigil.model import reports
from vigil.model.reports import Report

Pairs = tuple[tuple[str, str], ...]

MODELS = ("net",)
ALGORITHMS = ("ffsplit", "lms")
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,252}$")


def _int_in(low: int, high: int) -> Callable[[str], bool]:
    return lambda v: v.isdigit() and low <= int(v) <= high


def _one_of(*choices: str) -> Callable[[str], bool]:
    return lambda v: v in choices


def _host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOST_RE.match(value)) and not value.replace(".", "").isdigit()
    return True


def _tie_breaker(value: str) -> bool:
    return value in ("lowest", "highest") or (value.isdigit() and int(value) > 0)


# name -> (check, what a valid value is), from corosync-qdevice(8)
NET_OPTIONS: dict[str, tuple[Callable[[str], bool], str]] = {
    "host": (_host, "an IP address or a host name"),
    "algorithm": (_one_of(*ALGORITHMS), "ffsplit or lms"),
    "port": (_int_in(1, 65535), "a port number (1 to 65535)"),
    "tls": (_one_of("on", "off", "required"), "on, off or required"),
    "connect_timeout": (_int_in(1000, 120_000), "milliseconds from 1000 to 120000"),
    "force_ip_version": (_one_of("0", "4", "6"), "0, 4 or 6"),
    "tie_breaker": (_tie_breaker, "lowest, highest or a node id"),
    "keep_active_partition_tie_breaker": (_one_of("on", "off"), "on or off"),
}
GENERIC_OPTIONS: dict[str, tuple[Callable[[str], bool], str]] = {
    "timeout": (_int_in(1, 2**31 - 1), "milliseconds (a positive integer)"),
    "sync_timeout": (_int_in(1, 2**31 - 1), "milliseconds (a positive integer)"),
    "votes": (_int_in(1, 2**31 - 1), "a positive integer"),
}


@dataclass(frozen=True)
class QuorumDevice:
    host: str
    algorithm: str = "ffsplit"
    model: str = "net"
    model_options: Pairs = ()  # the model section's other options: port, tls, tie_breaker...
    generic_options: Pairs = ()  # the device section's own options: timeout, sync_timeout, votes


def with_default_votes(dev: QuorumDevice) -> QuorumDevice:
    """`dev` with `votes: 1` when its algorithm is ffsplit and no votes are given (the only
    value corosync-qdevice accepts for ffsplit)."""
    if dev.model != "net" or dev.algorithm != "ffsplit" or any(k == "votes" for k, _ in dev.generic_options):
        return dev
    return replace(dev, generic_options=(*dev.generic_options, ("votes", "1")))


def _unsafe(value: str) -> bool:
    """A value that would change the file's structure if written (a newline, a brace, `#`)."""
    return any(c in value for c in "\n\r{}#") or value != value.strip()


def validate_device(dev: QuorumDevice, *, force: bool = False) -> tuple[Report, ...]:
    """Problems of `dev`: unknown models and options and invalid values are errors that `force`
    makes warnings; a missing host and a value that would break the file are always errors."""
    out: list[Report] = []
    if dev.model not in MODELS:
        out.append(reports.unless_forced(force, "QDEVICE_MODEL_UNKNOWN", model=dev.model,
                                         known=", ".join(MODELS)))
    if not dev.host:
        out.append(reports.error("QDEVICE_OPTION_MISSING", option="host", model=dev.model))
    if not dev.algorithm:
        out.append(reports.error("QDEVICE_OPTION_MISSING", option="algorithm", model=dev.model))
    model_pairs = (("host", dev.host), ("algorithm", dev.algorithm), *dev.model_options)
    for where, pairs, known in ((f"model {dev.model}", model_pairs, NET_OPTIONS),
                                ("device", dev.generic_options, GENERIC_OPTIONS)):
        checked = dev.model in MODELS or where == "device"
        seen: set[str] = set()
        for name, value in pairs:
            if not name or _unsafe(name) or _unsafe(value):
                out.append(reports.error("QDEVICE_OPTION_UNSAFE", option=name, value=value))
            elif name in seen:
                out.append(reports.error("QDEVICE_OPTION_TWICE", option=name))
            elif checked and name not in known:
                out.append(reports.unless_forced(force, "QDEVICE_OPTION_UNKNOWN", option=name,
                                                 where=where, allowed=", ".join(sorted(known))))
            elif checked and value and not known[name][0](value):
                out.append(reports.unless_forced(force, "QDEVICE_OPTION_INVALID", option=name,
                                                 value=value, expected=known[name][1]))
            elif not value and name not in ("host", "algorithm"):
                out.append(reports.error("QDEVICE_OPTION_INVALID", option=name, value=value,
                                         expected=known[name][1] if name in known
                                         else "a value"))
            seen.add(name)
    votes = dict(dev.generic_options).get("votes")
    if (dev.model == "net" and dev.algorithm == "ffsplit" and votes is not None and votes.isdigit()
            and int(votes) != 1):  # an invalid number is reported above
        out.append(reports.unless_forced(force, "QDEVICE_FFSPLIT_VOTES", votes=votes))
    return tuple(out)


def device_section(dev: QuorumDevice) -> Section:
    model_body = (Option("host", dev.host), Option("algorithm", dev.algorithm),
                  *(Option(k, v) for k, v in dev.model_options))
    return Section("device", (
        Option("model", dev.model), *(Option(k, v) for k, v in dev.generic_options),
        Section(dev.model, model_body)))


def read_device(root: Section) -> QuorumDevice | None:
    """The device configured in a parsed corosync.conf, if any."""
    quorum = root.section("quorum")
    device = quorum.section("device") if quorum else None
    if device is None:
        return None
    model = device.get("model") or ""
    model_section = device.section(model) if model else None
    options = model_section.options() if model_section else ()
    return QuorumDevice(
        host=dict(options).get("host", ""), algorithm=dict(options).get("algorithm", ""),
        model=model, model_options=tuple((k, v) for k, v in options
                                         if k not in ("host", "algorithm")),
        generic_options=tuple((k, v) for k, v in device.options() if k != "model"))


def node_names(root: Section) -> tuple[str, ...]:
    """The nodes of the nodelist, by name (or ring0_addr when a node has no name)."""
    nodelist = root.section("nodelist")
    if nodelist is None:
        return ()
    return tuple(n.get("name") or n.get("ring0_addr") or "" for n in nodelist.sections("node"))


def with_device(root: Section, dev: QuorumDevice | None) -> Section:
    """The file with `dev` as its quorum device (None: without one), and `two_node` set only for
    a two-node cluster without a device and without auto_tie_breaker."""
    quorum = root.section("quorum") or Section("quorum", (Option("provider", "corosync_votequorum"),))
    quorum = put_section(quorum, device_section(dev) if dev is not None else None, name="device")
    two = (dev is None and len(node_names(root)) == 2
           and quorum.get("auto_tie_breaker") not in ("1", "on", "yes"))
    quorum = set_options(quorum, [("two_node", "1" if two else None)])
    return put_section(root, quorum, name="quorum")
