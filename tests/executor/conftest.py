"""Fixtures of the executor tests: a private host layout (OCF root, init dir, no systemd) for
agents the tests write."""

from __future__ import annotations

from pathlib import Path

import pytest
from executor_support import PROVIDER, AgentFactory, write_script

from vigil.executor.agents import DEFAULT_PATHS, AgentPaths, AgentSpec, resolve_agent


@pytest.fixture
def paths(tmp_path: Path) -> AgentPaths:
    """A host layout under tmp_path: an OCF root whose lib/heartbeat links to the real shell
    functions (so test agents may source them), an init dir, no systemd."""
    root = tmp_path / "ocf"
    (root / "resource.d" / PROVIDER).mkdir(parents=True)
    (root / "lib").mkdir()
    real_lib = DEFAULT_PATHS.ocf_functions_dir
    if real_lib.is_dir():
        (root / "lib" / "heartbeat").symlink_to(real_lib)
    return AgentPaths(ocf_root=root, init_dir=tmp_path / "init.d", fence_dir=tmp_path / "sbin",
                      systemd_run_dir=tmp_path / "no-systemd", unit_dirs=(tmp_path / "units",),
                      systemctl=str(tmp_path / "no-systemctl"))


@pytest.fixture
def ocf_agent(paths: AgentPaths) -> AgentFactory:
    """Write `ocf:vigiltest:NAME` with the given shell body (after #!/bin/sh) and resolve it."""

    def make(name: str, body: str) -> AgentSpec:
        write_script(paths.ocf_resource_dir / PROVIDER / name, "#!/bin/sh\n" + body)
        return resolve_agent(f"ocf:{PROVIDER}:{name}", paths=paths)

    return make
