"""ctypes declarations of the Corosync 3 client libraries that vigil uses, and thin handle classes.

Nothing here knows about vigil's events: `Cpg`, `Votequorum` and `Cmap` own one library handle
each, turn C callbacks into calls of plain Python callables, and raise `CorosyncError` (with the
`cs_error_t` code) when a call fails. Layouts follow corosync 3.1's cpg.h, votequorum.h, cmap.h and
corotypes.h (Debian 12: libcpg.so.4, libvotequorum.so.8, libcmap.so.4, libcorosync_common.so.4).

Rules the callers rely on:
- callbacks run only inside `dispatch()`, on the caller's thread; an exception raised by a callback
  is caught (ctypes would print and swallow it), stored, and re-raised when `dispatch()` returns;
- the CFUNCTYPE objects live as long as their handle object (they are attributes of it);
- the libraries are loaded on first use, so importing this module never fails; a missing library
  raises `CorosyncError(CS_ERR_LIBRARY)` from the constructor.
"""

from __future__ import annotations

import ctypes as C
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

# corotypes.h: cs_error_t, dispatch and track flags
CS_OK = 1
CS_ERR_LIBRARY = 2
CS_ERR_TRY_AGAIN = 6
CS_ERR_BAD_HANDLE = 9
CS_ERR_EXIST = 14
CS_ERR_NOT_EXIST = 12
CS_ERR_NO_SECTIONS = 27
CS_DISPATCH_ALL = 2
CS_TRACK_CURRENT = 0x01
CS_TRACK_CHANGES = 0x02

_SONAMES = {
    "common": "libcorosync_common.so.4",
    "cpg": "libcpg.so.4",
    "votequorum": "libvotequorum.so.8",
    "cmap": "libcmap.so.4",
}


class CorosyncError(Exception):
    """A Corosync library call returned something other than CS_OK."""

    def __init__(self, code: int, where: str, detail: str = "") -> None:
        self.code = code
        self.where = where
        super().__init__(f"{where}: {detail or _strerror(code)} (cs_error {code})")

    @property
    def lost(self) -> bool:
        """The connection to corosync is gone (the daemon died or the handle is dead)."""
        return self.code in (CS_ERR_LIBRARY, CS_ERR_BAD_HANDLE)


def _strerror(code: int) -> str:
    try:
        lib = _lib("common")
    except CorosyncError:
        return "error"
    raw = lib.cs_strerror(code)
    return raw.decode() if isinstance(raw, bytes) else "error"


def _check(rc: int, where: str) -> None:
    if rc != CS_OK:
        raise CorosyncError(rc, where)


_Handle = C.c_uint64  # cpg_handle_t, votequorum_handle_t, cmap_handle_t, cmap_iter_handle_t


class _IoVec(C.Structure):
    _fields_ = [("iov_base", C.c_void_p), ("iov_len", C.c_size_t)]


class _RingId(C.Structure):  # struct cpg_ring_id, votequorum_ring_id_t
    _fields_ = [("nodeid", C.c_uint32), ("seq", C.c_uint64)]


# cpg.h
CPG_MAX_NAME_LENGTH = 128
CPG_TYPE_AGREED = 2
CPG_MODEL_V1 = 1
CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF = 0x01
CPG_REASON_JOIN = 1
CPG_REASON_LEAVE = 2
CPG_REASON_NODEDOWN = 3
CPG_REASON_NODEUP = 4
CPG_REASON_PROCDOWN = 5


class _CpgName(C.Structure):
    _fields_ = [("length", C.c_uint32), ("value", C.c_char * CPG_MAX_NAME_LENGTH)]


class _CpgAddress(C.Structure):
    _fields_ = [("nodeid", C.c_uint32), ("pid", C.c_uint32), ("reason", C.c_uint32)]


_DeliverFn = C.CFUNCTYPE(
    None, _Handle, C.POINTER(_CpgName), C.c_uint32, C.c_uint32, C.c_void_p, C.c_size_t
)
_ConfchgFn = C.CFUNCTYPE(
    None,
    _Handle,
    C.POINTER(_CpgName),
    C.POINTER(_CpgAddress),
    C.c_size_t,
    C.POINTER(_CpgAddress),
    C.c_size_t,
    C.POINTER(_CpgAddress),
    C.c_size_t,
)
_TotemConfchgFn = C.CFUNCTYPE(None, _Handle, _RingId, C.c_uint32, C.POINTER(C.c_uint32))


class _CpgModelV1Data(C.Structure):
    _fields_ = [
        ("model", C.c_int),
        ("deliver", _DeliverFn),
        ("confchg", _ConfchgFn),
        ("totem_confchg", _TotemConfchgFn),
        ("flags", C.c_uint),
    ]


# votequorum.h
VOTEQUORUM_INFO_TWONODE = 1
VOTEQUORUM_INFO_QUORATE = 2
VOTEQUORUM_INFO_WAIT_FOR_ALL = 4
VOTEQUORUM_NODESTATE_MEMBER = 1


class _VqInfo(C.Structure):
    _fields_ = [
        ("node_id", C.c_uint),
        ("node_state", C.c_uint),
        ("node_votes", C.c_uint),
        ("node_expected_votes", C.c_uint),
        ("highest_expected", C.c_uint),
        ("total_votes", C.c_uint),
        ("quorum", C.c_uint),
        ("flags", C.c_uint),
        ("qdevice_votes", C.c_uint),
        ("qdevice_name", C.c_char * 255),
    ]


class _VqNode(C.Structure):
    _fields_ = [("nodeid", C.c_uint32), ("state", C.c_uint32)]


_QuorumFn = C.CFUNCTYPE(None, _Handle, C.c_uint64, C.c_uint32, C.c_uint32, C.POINTER(_VqNode))
_ExpectedFn = C.CFUNCTYPE(None, _Handle, C.c_uint64, C.c_uint32)
_NodelistFn = C.CFUNCTYPE(None, _Handle, C.c_uint64, _RingId, C.c_uint32, C.POINTER(C.c_uint32))


class _VqCallbacks(C.Structure):
    _fields_ = [("quorum", _QuorumFn), ("expected", _ExpectedFn), ("nodelist", _NodelistFn)]


# cmap.h
CMAP_KEYNAME_MAXLEN = 255
CMAP_VALUETYPE_STRING = 11
_CMAP_NUMERIC = {1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "q", 8: "Q", 9: "f", 10: "d"}

_P = C.POINTER
# (library, function, argtypes); every function returns cs_error_t (int) unless listed in _RESTYPES
_PROTOTYPES: list[tuple[str, str, list[Any]]] = [
    ("common", "cs_strerror", [C.c_int]),
    ("cpg", "cpg_model_initialize", [_P(_Handle), C.c_int, C.c_void_p, C.c_void_p]),
    ("cpg", "cpg_finalize", [_Handle]),
    ("cpg", "cpg_fd_get", [_Handle, _P(C.c_int)]),
    ("cpg", "cpg_dispatch", [_Handle, C.c_int]),
    ("cpg", "cpg_join", [_Handle, _P(_CpgName)]),
    ("cpg", "cpg_leave", [_Handle, _P(_CpgName)]),
    ("cpg", "cpg_mcast_joined", [_Handle, C.c_int, _P(_IoVec), C.c_uint]),
    ("cpg", "cpg_local_get", [_Handle, _P(C.c_uint)]),
    ("cpg", "cpg_max_atomic_msgsize_get", [_Handle, _P(C.c_uint32)]),
    ("votequorum", "votequorum_initialize", [_P(_Handle), _P(_VqCallbacks)]),
    ("votequorum", "votequorum_finalize", [_Handle]),
    ("votequorum", "votequorum_fd_get", [_Handle, _P(C.c_int)]),
    ("votequorum", "votequorum_dispatch", [_Handle, C.c_int]),
    ("votequorum", "votequorum_getinfo", [_Handle, C.c_uint, _P(_VqInfo)]),
    ("votequorum", "votequorum_trackstart", [_Handle, C.c_uint64, C.c_uint]),
    ("cmap", "cmap_initialize", [_P(_Handle)]),
    ("cmap", "cmap_finalize", [_Handle]),
    ("cmap", "cmap_get", [_Handle, C.c_char_p, C.c_void_p, _P(C.c_size_t), _P(C.c_int)]),
    ("cmap", "cmap_iter_init", [_Handle, C.c_char_p, _P(_Handle)]),
    ("cmap", "cmap_iter_next", [_Handle, _Handle, C.c_char_p, _P(C.c_size_t), _P(C.c_int)]),
    ("cmap", "cmap_iter_finalize", [_Handle, _Handle]),
]
_RESTYPES: dict[str, Any] = {"cs_strerror": C.c_char_p}


@cache
def _lib(name: str) -> C.CDLL:
    try:
        lib = C.CDLL(_SONAMES[name])
    except OSError as err:
        raise CorosyncError(CS_ERR_LIBRARY, "load", f"{_SONAMES[name]} not loadable: {err}") from err
    for owner, fn_name, argtypes in _PROTOTYPES:
        if owner == name:
            fn = getattr(lib, fn_name)
            fn.argtypes = argtypes
            fn.restype = _RESTYPES.get(fn_name, C.c_int)
    return lib


def libraries_available() -> str | None:
    """None when every library loads, else why not (for skips and error messages)."""
    try:
        for name in _SONAMES:
            _lib(name)
    except CorosyncError as err:
        return str(err)
    return None


class _Dispatching:
    """A handle with an fd to poll and a dispatch call that runs its callbacks."""

    _lib_name: str
    _prefix: str

    def __init__(self) -> None:
        self._handle = _Handle()
        self._pending: BaseException | None = None
        self._open = False

    def _call(self, fn: str, *args: object) -> int:
        rc: int = getattr(_lib(self._lib_name), f"{self._prefix}_{fn}")(self._handle, *args)
        return rc

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as exc:  # re-raised by dispatch(): ctypes would swallow it
            if self._pending is None:
                self._pending = exc

    def fileno(self) -> int:
        fd = C.c_int()
        _check(self._call("fd_get", C.byref(fd)), f"{self._prefix}_fd_get")
        return fd.value

    def dispatch(self) -> None:
        """Run the callbacks of every message waiting (CS_DISPATCH_ALL), never blocking."""
        rc = self._call("dispatch", CS_DISPATCH_ALL)
        exc, self._pending = self._pending, None
        if exc is not None:
            raise exc
        if rc not in (CS_OK, CS_ERR_TRY_AGAIN):
            raise CorosyncError(rc, f"{self._prefix}_dispatch")

    def close(self) -> None:
        if self._open:
            self._open = False
            self._call("finalize")


@dataclass(frozen=True)
class CpgAddress:
    nodeid: int
    pid: int
    reason: int


def _addresses(arr: Any, n: int) -> tuple[CpgAddress, ...]:
    return tuple(CpgAddress(int(arr[i].nodeid), int(arr[i].pid), int(arr[i].reason)) for i in range(n))


class Cpg(_Dispatching):
    """One CPG connection, model V1 with the initial totem configuration delivered."""

    _lib_name = "cpg"
    _prefix = "cpg"

    def __init__(
        self,
        *,
        on_deliver: Callable[[int, int, bytes], None],
        on_confchg: Callable[[tuple[CpgAddress, ...], tuple[CpgAddress, ...], tuple[CpgAddress, ...]], None],
        on_totem: Callable[[tuple[int, int], tuple[int, ...]], None],
    ) -> None:
        """on_deliver(nodeid, pid, payload); on_confchg(members, left, joined);
        on_totem((ring nodeid, ring seq), node ids)."""
        super().__init__()
        self._on_deliver, self._on_confchg, self._on_totem = on_deliver, on_confchg, on_totem
        self._cb_deliver = _DeliverFn(self._deliver)
        self._cb_confchg = _ConfchgFn(self._confchg)
        self._cb_totem = _TotemConfchgFn(self._totem)
        self._model = _CpgModelV1Data(
            CPG_MODEL_V1,
            self._cb_deliver,
            self._cb_confchg,
            self._cb_totem,
            CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
        )
        self._group: _CpgName | None = None
        lib = _lib("cpg")
        _check(
            lib.cpg_model_initialize(C.byref(self._handle), CPG_MODEL_V1, C.byref(self._model), None),
            "cpg_model_initialize",
        )
        self._open = True

    def _deliver(self, _h: int, _g: Any, nodeid: int, pid: int, msg: int, size: int) -> None:
        self._guard(lambda: self._on_deliver(int(nodeid), int(pid), C.string_at(msg, size)))

    def _confchg(self, _h: int, _g: Any, m: Any, nm: int, lf: Any, nl: int, jn: Any, nj: int) -> None:
        self._guard(lambda: self._on_confchg(_addresses(m, nm), _addresses(lf, nl), _addresses(jn, nj)))

    def _totem(self, _h: int, ring: Any, n: int, ids: Any) -> None:
        ring_id = (int(ring.nodeid), int(ring.seq))
        nodes = tuple(int(ids[i]) for i in range(n))
        self._guard(lambda: self._on_totem(ring_id, nodes))

    def local_nodeid(self) -> int:
        nodeid = C.c_uint()
        _check(self._call("local_get", C.byref(nodeid)), "cpg_local_get")
        return nodeid.value

    def max_atomic_msgsize(self) -> int:
        """Messages above this are split inside libcpg by a blocking loop: stay below it."""
        size = C.c_uint32()
        _check(self._call("max_atomic_msgsize_get", C.byref(size)), "cpg_max_atomic_msgsize_get")
        return size.value

    def join(self, group: str) -> int:
        """cpg_join; returns CS_OK or CS_ERR_TRY_AGAIN (retry later), raises otherwise."""
        raw = group.encode()
        if not raw or len(raw) > CPG_MAX_NAME_LENGTH:
            raise ValueError(f"CPG group name must be 1..{CPG_MAX_NAME_LENGTH} bytes: {group!r}")
        name = _CpgName(len(raw), raw)
        rc = self._call("join", C.byref(name))
        if rc == CS_ERR_TRY_AGAIN:
            return rc
        _check(rc, "cpg_join")
        self._group = name
        return rc

    def leave(self) -> None:
        """cpg_leave, best effort (peers then see reason LEAVE instead of PROCDOWN)."""
        if self._group is not None and self._open:
            self._call("leave", C.byref(self._group))
            self._group = None

    def mcast(self, frame: bytes) -> bool:
        """cpg_mcast_joined(CPG_TYPE_AGREED); False means CS_ERR_TRY_AGAIN (flow control or sync)."""
        iov = _IoVec(C.cast(C.c_char_p(frame), C.c_void_p), len(frame))  # no copy: frame outlives the call
        rc = self._call("mcast_joined", CPG_TYPE_AGREED, C.byref(iov), 1)
        if rc == CS_ERR_TRY_AGAIN:
            return False
        _check(rc, "cpg_mcast_joined")
        return True


@dataclass(frozen=True)
class VotequorumInfo:
    node_id: int
    node_votes: int
    expected_votes: int
    highest_expected: int
    total_votes: int
    quorum: int
    flags: int

    @property
    def quorate(self) -> bool:
        return bool(self.flags & VOTEQUORUM_INFO_QUORATE)

    @property
    def two_node(self) -> bool:
        return bool(self.flags & VOTEQUORUM_INFO_TWONODE)

    @property
    def wait_for_all(self) -> bool:
        return bool(self.flags & VOTEQUORUM_INFO_WAIT_FOR_ALL)


class Votequorum(_Dispatching):
    _lib_name = "votequorum"
    _prefix = "votequorum"

    def __init__(
        self,
        *,
        on_quorum: Callable[[bool, tuple[tuple[int, int], ...]], None],
        on_expected: Callable[[int], None],
        on_nodelist: Callable[[tuple[int, int], tuple[int, ...]], None],
    ) -> None:
        """on_quorum(quorate, ((nodeid, state), ...)); on_expected(expected votes);
        on_nodelist((ring nodeid, ring seq), node ids)."""
        super().__init__()
        self._on_quorum, self._on_expected, self._on_nodelist = on_quorum, on_expected, on_nodelist
        self._cb_quorum = _QuorumFn(self._quorum)
        self._cb_expected = _ExpectedFn(self._expected)
        self._cb_nodelist = _NodelistFn(self._nodelist)
        self._callbacks = _VqCallbacks(self._cb_quorum, self._cb_expected, self._cb_nodelist)
        lib = _lib("votequorum")
        rc = lib.votequorum_initialize(C.byref(self._handle), C.byref(self._callbacks))
        _check(rc, "votequorum_initialize")
        self._open = True

    def _quorum(self, _h: int, _ctx: int, quorate: int, n: int, nodes: Any) -> None:
        states = tuple((int(nodes[i].nodeid), int(nodes[i].state)) for i in range(n))
        self._guard(lambda: self._on_quorum(bool(quorate), states))

    def _expected(self, _h: int, _ctx: int, expected: int) -> None:
        self._guard(lambda: self._on_expected(int(expected)))

    def _nodelist(self, _h: int, _ctx: int, ring: Any, n: int, ids: Any) -> None:
        ring_id = (int(ring.nodeid), int(ring.seq))
        nodes = tuple(int(ids[i]) for i in range(n))
        self._guard(lambda: self._on_nodelist(ring_id, nodes))

    def getinfo(self, nodeid: int) -> VotequorumInfo:
        i = _VqInfo()
        _check(self._call("getinfo", nodeid, C.byref(i)), "votequorum_getinfo")
        return VotequorumInfo(
            node_id=int(i.node_id),
            node_votes=int(i.node_votes),
            expected_votes=int(i.node_expected_votes),
            highest_expected=int(i.highest_expected),
            total_votes=int(i.total_votes),
            quorum=int(i.quorum),
            flags=int(i.flags),
        )

    def trackstart(self, flags: int = CS_TRACK_CURRENT | CS_TRACK_CHANGES) -> None:
        _check(self._call("trackstart", 0, flags), "votequorum_trackstart")


CmapValue = int | float | str | bytes


class Cmap:
    """Read-only access to corosync's configuration map."""

    def __init__(self) -> None:
        self._handle = _Handle()
        self._open = False
        _check(_lib("cmap").cmap_initialize(C.byref(self._handle)), "cmap_initialize")
        self._open = True

    def get(self, key: str) -> CmapValue:
        lib, raw = _lib("cmap"), key.encode()
        size, typ = C.c_size_t(0), C.c_int(0)
        _check(lib.cmap_get(self._handle, raw, None, C.byref(size), C.byref(typ)), f"cmap_get {key}")
        buf = C.create_string_buffer(max(size.value, 1))
        _check(lib.cmap_get(self._handle, raw, buf, C.byref(size), C.byref(typ)), f"cmap_get {key}")
        if typ.value in _CMAP_NUMERIC:
            value: int | float = struct.unpack("=" + _CMAP_NUMERIC[typ.value], buf.raw[: size.value])[0]
            return value
        if typ.value == CMAP_VALUETYPE_STRING:
            return buf.raw[: size.value].rstrip(b"\0").decode(errors="replace")
        return buf.raw[: size.value]

    def keys(self, prefix: str) -> list[str]:
        lib, it = _lib("cmap"), _Handle()
        _check(lib.cmap_iter_init(self._handle, prefix.encode(), C.byref(it)), "cmap_iter_init")
        name = C.create_string_buffer(CMAP_KEYNAME_MAXLEN + 1)
        out: list[str] = []
        try:
            while (rc := lib.cmap_iter_next(self._handle, it, name, None, None)) == CS_OK:
                out.append(name.value.decode())
            if rc != CS_ERR_NO_SECTIONS:
                raise CorosyncError(rc, "cmap_iter_next")
        finally:
            lib.cmap_iter_finalize(self._handle, it)
        return out

    def nodelist(self) -> dict[int, dict[str, CmapValue]]:
        """{nodeid: {"name": ..., "ring0_addr": ..., ...}} from the nodelist.node.N.* keys."""
        by_index: dict[str, dict[str, CmapValue]] = {}
        for key in self.keys("nodelist.node."):
            parts = key.split(".", 3)
            if len(parts) == 4:
                by_index.setdefault(parts[2], {})[parts[3]] = self.get(key)
        out: dict[int, dict[str, CmapValue]] = {}
        for attrs in by_index.values():
            nodeid = attrs.get("nodeid")
            if isinstance(nodeid, int):
                out[nodeid] = attrs
        return out

    def close(self) -> None:
        if self._open:
            self._open = False
            _lib("cmap").cmap_finalize(self._handle)
