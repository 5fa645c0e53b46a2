"""Tickets from the CLI against a CIB file: pcs's `constraint ticket add|set|remove|config`,
and `vigil ticket list|grant|revoke|standby|activate|remove` (crm_ticket's changes), with what
each refuses and that a refusal leaves the file as it was."""

from __future__ import annotations

from pathlib import Path

from cibs import Run

from vigil.cib.io import load_cib_file
from vigil.model.constraints import TicketConstraint
from vigil.scheduler.engine import schedule


def _tickets(cib: Path) -> list[TicketConstraint]:
    loaded, _ = load_cib_file(str(cib))
    return [c for c in loaded.configuration.constraints if isinstance(c, TicketConstraint)]


def test_ticket_constraint_add_set_and_remove(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "constraint", "ticket", "add", "T", "WebSite",
                         "loss-policy=fence")
    assert code == 0, err
    code, _, err = vigil("-f", str(cib), "constraint", "ticket", "set", "WebIP", "role=Started",
                         "setoptions", "ticket=U", "id=needs-U")
    assert code == 0, err
    found = {c.id: c for c in _tickets(cib)}
    assert found["ticket-T-WebSite"].rsc == "WebSite"
    assert found["ticket-T-WebSite"].loss_policy == "fence"
    assert found["needs-U"].sets[0].resources == ("WebIP",)
    assert found["needs-U"].sets[0].role == "Started"
    code, out, _ = vigil("-f", str(cib), "constraint", "ticket", "config")
    assert code == 0
    assert "WebSite (ticket:T) (loss-policy:fence)" in out
    assert "set WebIP (role=Started) (ticket:U) (loss-policy:stop)" in out
    code, _, err = vigil("-f", str(cib), "constraint", "ticket", "remove", "T", "WebSite")
    assert code == 0, err
    code, _, err = vigil("-f", str(cib), "constraint", "ticket", "remove", "needs-U")
    assert code == 0, err
    assert _tickets(cib) == []


def test_ticket_constraint_refusals_change_nothing(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    for argv, words in (
        (("add", "T", "ghost"), "'ghost' does not exist"),
        (("add", "T", "WebSite", "loss-policy=explode"), "stop, demote, fence, freeze"),
        (("add", "T", "WebSite", "loss-policy=demote"), "needs the Promoted role"),
        (("add", "T", "Promoted", "WebSite"), "not a promotable clone"),
        (("add", "T", "WebSite", "colour=red"), "colour"),
        (("add", "1bad", "WebSite"), "not allowed as its first character"),
        (("set", "WebIP", "setoptions", "loss-policy=stop"), "no ticket given"),
        (("remove", "T", "WebSite"), "no ticket constraint of ticket T names WebSite"),
    ):
        code, out, err = vigil("-f", str(cib), "constraint", "ticket", *argv)
        assert code != 0 and words in err, (argv, err)
        assert len(err.strip().splitlines()) == 1, err
    assert cib.read_bytes() == before


def test_grant_revoke_standby_and_their_effect(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "constraint", "ticket", "add", "T", "WebIP")[0] == 0
    code, out, _ = vigil("-f", str(cib), "ticket")
    assert code == 0 and out.startswith("T\trevoked") and "ticket-T-WebIP" in out

    def web_ip_node() -> str | None:
        loaded, _ = load_cib_file(str(cib))
        t = schedule(loaded, 1_700_000_000)
        return next(a.next_node for a in t.allocations if a.resource == "WebIP")

    assert web_ip_node() is None  # not granted: it may run nowhere
    code, out, _ = vigil("explain", "WebIP", "-f", str(cib))
    assert code == 0 and "ticket T is not granted" in out and "'vigil ticket grant T'" in out
    assert vigil("-f", str(cib), "ticket", "grant", "T")[0] == 0
    loaded, _ = load_cib_file(str(cib))
    assert loaded.tickets[0].granted and loaded.tickets[0].last_granted
    assert web_ip_node() is not None
    assert vigil("-f", str(cib), "ticket", "standby", "T")[0] == 0
    assert web_ip_node() is None
    assert vigil("-f", str(cib), "ticket", "activate", "T")[0] == 0
    assert web_ip_node() is not None

    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "ticket", "revoke", "T")
    assert code != 0 and "loss-policy applies to WebIP (stop)" in err and "--force" in err
    assert cib.read_bytes() == before
    code, _, err = vigil("-f", str(cib), "ticket", "revoke", "T", "--force")
    assert code == 0, err
    assert web_ip_node() is None
    assert vigil("-f", str(cib), "ticket", "remove", "T")[0] == 0
    assert load_cib_file(str(cib))[0].tickets == ()


def test_ticket_command_refusals(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "ticket", "standby", "nobody")
    assert code != 0 and "no ticket nobody here" in err
    code, _, err = vigil("-f", str(cib), "ticket", "steal", "T")
    assert code == 2 and "unknown ticket command 'steal'" in err
    code, _, err = vigil("-f", str(cib), "ticket", "grant")
    assert code == 2 and "ticket name" in err
    assert cib.read_bytes() == before
