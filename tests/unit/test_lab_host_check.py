"""The lab's clients write only to the lab's addresses: one, or libpq's comma-separated list."""

from __future__ import annotations

import pytest

from vigil.lab.errors import LabError
from vigil.lab.writer import check_lab_host


def test_one_lab_address() -> None:
    check_lab_host("10.213.0.101")


def test_comma_separated_lab_addresses() -> None:
    check_lab_host("10.213.0.11,10.213.0.12,10.213.0.13")


@pytest.mark.parametrize("host", ["10.213.0.11,192.168.1.1", "", "10.213.0.11,", "db.example",
                                  "10.214.0.1", "10.213.0.11,,10.213.0.12"])
def test_anything_else_is_refused(host: str) -> None:
    with pytest.raises(LabError):
        check_lab_host(host)
