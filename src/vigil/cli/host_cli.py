"""`vigil host auth|deauth|list|password`: this machine's trust in other nodes' endpoints (pcs's
`host auth`), and this node's own password file for `hacluster`.

    vigil host auth NODE [addr=ADDR[:PORT]]... [-u USER] [-p PASSWORD] [--force]
    vigil host deauth [NODE...]
    vigil host list
    vigil host password [USER] [-p PASSWORD]
"""

from __future__ import annotations

import getpass
import sys

from vigil.cli import args
from vigil.cli.args import EXIT_OK, EXIT_RUNTIME, Invocation, UsageError
from vigil.commands import remote
from vigil.model import reports
from vigil.model.reports import ReportError

USAGE = __doc__.split("\n\n")[1]


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if not words or inv.help:
        sys.stdout.write(USAGE + "\n")
        return EXIT_OK
    sub, rest = words[0], words[1:]
    if sub == "auth":
        inv.only("user", "password", "force")
        return _auth(inv, rest)
    if sub == "deauth":
        inv.only()
        return _deauth(inv, rest)
    if sub == "list":
        inv.only()
        args.no_more(rest, "host list")
        return _list(inv)
    if sub == "password":
        inv.only("password")
        return _password(inv, rest)
    raise UsageError(f"unknown host command '{sub}' (auth, deauth, list, password)")


def _targets(words: list[str]) -> list[tuple[str, str | None]]:
    """NODE [addr=ADDR]... as (node, address or None), in the order given."""
    out: list[tuple[str, str | None]] = []
    for word in words:
        if word.startswith("addr="):
            if not out:
                raise UsageError("addr= must follow the node it is the address of")
            node, given = out[-1]
            if given is not None:
                raise UsageError(f"node '{node}' has two addresses: give one addr= per node")
            out[-1] = (node, word.partition("=")[2])
        elif "=" in word:
            raise UsageError(f"'{word}': host auth takes node names and addr=ADDRESS[:PORT]")
        else:
            out.append((word, None))
    if not out:
        raise UsageError("host auth needs at least one node")
    return out


def _secret(inv: Invocation, prompt: str) -> str:
    if inv.password is not None:
        return inv.password
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask the password on: give it with -p")
    return getpass.getpass(prompt)


def _auth(inv: Invocation, words: list[str]) -> int:
    targets = _targets(words)
    for node, address in targets:  # every address is checked before anything is asked
        remote.parse_address(node, address)
    user = inv.user or "hacluster"
    password = _secret(inv, f"{user} password: ")
    failed = 0
    results = []
    for node, address in targets:
        try:
            done = remote.authenticate(node, address, user, password, force=inv.force)
        except ReportError as exc:
            failed += 1
            args.print_reports(exc.reports)
            results.append({"host": node, "authorized": False,
                            "reports": [args.report_data(r) for r in exc.reports]})
            continue
        results.append({"host": node, "authorized": True, "address": done.host.where,
                        "fingerprint": done.host.fingerprint, "node": done.node})
        if not inv.json:
            pinned = "pinned" if done.new_certificate else "as pinned"
            sys.stdout.write(f"{node}: Authorized ({done.host.where}, certificate SHA-256 "
                             f"{done.host.fingerprint}, {pinned})\n")
    if inv.json:
        args.print_json({"hosts": results})
    return EXIT_RUNTIME if failed else EXIT_OK


def _deauth(inv: Invocation, words: list[str]) -> int:
    store = remote.KnownHosts()
    names = words or sorted(store.read())
    for name in names:
        revoked = remote.deauthenticate(name, hosts=store)
        if not inv.json:
            there = "token revoked there" if revoked else "not reached: its token stays valid " \
                "there until removed from its /etc/vigil/remote/tokens"
            sys.stdout.write(f"{name}: forgotten ({there})\n")
    return EXIT_OK


def _list(inv: Invocation) -> int:
    hosts = remote.KnownHosts().read()
    if inv.json:
        args.print_json([{"host": h.name, "address": h.where, "fingerprint": h.fingerprint}
                         for h in sorted(hosts.values(), key=lambda h: h.name)])
        return EXIT_OK
    for h in sorted(hosts.values(), key=lambda h: h.name):
        sys.stdout.write(f"{h.name}  {h.where}  SHA-256 {h.fingerprint}\n")
    return EXIT_OK


def _password(inv: Invocation, words: list[str]) -> int:
    """Set USER's (hacluster's) password in this node's password file, which the endpoint then
    checks instead of PAM (vigil.host.passwords)."""
    from vigil.host.passwords import PasswordFile, in_client_group

    user = words[0] if words else "hacluster"
    args.no_more(words[1:], "host password USER")
    if not in_client_group(user):
        raise ReportError([reports.error("REMOTE_USER_NOT_IN_GROUP", user=user)])
    if inv.password is not None:
        password = inv.password
    else:
        password = _secret(inv, f"new password for {user}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the two passwords differ: nothing was changed")
    if not password:
        raise UsageError("an empty password is refused: nothing was changed")
    store = PasswordFile()
    try:
        store.set(user, password)
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=str(store.path),
                                         detail=exc.strerror or str(exc))]) from None
    if not inv.json:
        sys.stdout.write(f"{user}: password set in {store.path} (the remote endpoint checks it "
                         "instead of PAM from now on)\n")
    return EXIT_OK
