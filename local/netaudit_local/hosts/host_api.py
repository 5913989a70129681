"""`HostApi`: the far side of the stand-in `apiclient exec admin sheltie CMD ARGS...`.

On Bottlerocket the API server runs `ctr task exec` in the admin host container, whose sheltie is
`exec nsenter -t 1 -a -- "$@"` (bottlerocket-admin-container: sheltie): CMD is a binary of the
host root run with its argv, its stdout and stderr go back as one stream, its status is
apiclient's (bottlerocket-core-kit sources/api/apiserver/src/server/exec/child.rs). Here a
unix-socket server, run by the test harness on this machine (the host), does the same:

- the request is an argv list; it is executed as that list (`subprocess`, never a shell), with the
  output of stdout and stderr on one pipe, in a minimal environment;
- target other than `admin`, or the admin container off (`admin_enabled=False`): what ctr
  prints when the container does not exist (containerd metadata: `container "admin" in namespace
  "default": not found`), status 1 — Bottlerocket's admin container is off by default;
- in the admin container only `sheltie` is modelled; `sheltie` alone (a root shell) or any shell
  in the argv (sh, bash, dash, ...) is refused with status 127: assume no shell on the host;
- `fail(argv)` lets a test make a host command fail (status 1) mid-probe; `cut(argv, out, code)`
  lets it change what came back (a stream cut short: partial output and a failing status);
- `stderr_at`: ctr copies the command's stdout and stderr from separate FIFOs in separate
  goroutines (`ctr task exec` without a tty: cio.WithStreams(stdin, os.Stdout, os.Stderr)), so
  their relative order on the one pipe is not kept. None: one pipe for both (what a process's
  own order gives); N: every stderr line is put after the first N stdout lines (0: stderr first);
- every request is recorded in `calls`.

Only a unix socket (mounted into the control container as /run/api.sock), never a TCP port.
"""

import contextlib
import os
import socket
import socketserver
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netaudit_local.hosts.apiclient_standin import recv_exact

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "csh", "tcsh", "fish", "busybox"})
NOT_FOUND = 'ctr: container "{target}" in namespace "default": not found\n'
COMMAND_TIMEOUT_S = 120


def refusal(argv: list[str]) -> str | None:
    """Why the stand-in admin container does not run `argv` (None: it runs it)."""
    if not argv or argv[0] != "sheltie":
        return "the stand-in admin container runs only sheltie\n"
    if len(argv) == 1:
        return "sheltie: no shell on the host (give a host binary and its arguments)\n"
    shells = [a for a in argv[1:] if os.path.basename(a) in SHELLS]
    if shells:
        return f"sheltie: {shells[0]}: no shell on the host\n"
    return None


@dataclass
class HostApi:
    """The server (see the module doc). `socket_path` must be short (AF_UNIX: 108 bytes)."""

    socket_path: Path
    admin_enabled: bool = True
    fail: Callable[[list[str]], bool] | None = None
    cut: Callable[[list[str], bytes, int], tuple[bytes, int]] | None = None
    stderr_at: int | None = None
    calls: list[list[str]] = field(default_factory=list)
    _server: socketserver.ThreadingUnixStreamServer | None = None

    def start(self) -> "HostApi":
        api = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                api._serve(self.request)

        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), Handler)
        server.daemon_threads = True
        os.chmod(self.socket_path, 0o660)
        threading.Thread(target=server.serve_forever, name="netaudit-host-api", daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    def run(self, request: list[str], stdin: bytes) -> tuple[bytes, int]:
        """(stdout and stderr as one stream, exit status) of `apiclient exec TARGET ARGV...`."""
        target, argv = request[0], request[1:]
        self.calls.append(argv)
        if target != "admin" or not self.admin_enabled:
            return NOT_FOUND.format(target=target).encode(), 1
        refused = refusal(argv)
        if refused:
            return refused.encode(), 127
        host_argv = argv[1:]
        if self.fail is not None and self.fail(host_argv):
            return f"{host_argv[0]}: failed (injected by the test)\n".encode(), 1
        try:
            proc = subprocess.run(
                host_argv,
                input=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if self.stderr_at is None else subprocess.PIPE,
                env={"PATH": HOST_PATH},
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            return f"nsenter: failed to execute {host_argv[0]}: No such file or directory\n".encode(), 127
        except subprocess.TimeoutExpired:
            return b"", 137
        code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        out = proc.stdout
        if self.stderr_at is not None:
            lines = out.splitlines(keepends=True)
            out = b"".join([*lines[: self.stderr_at], proc.stderr or b"", *lines[self.stderr_at :]])
        return self.cut(host_argv, out, code) if self.cut is not None else (out, code)

    def _serve(self, conn: socket.socket) -> None:
        size = int.from_bytes(recv_exact(conn, 4), "big")
        request = [a.decode() for a in recv_exact(conn, size).split(b"\0")]
        stdin = recv_exact(conn, int.from_bytes(recv_exact(conn, 4), "big"))
        out, code = self.run(request, stdin)
        conn.sendall(b"O" + len(out).to_bytes(4, "big") + out + b"X" + code.to_bytes(4, "big"))
