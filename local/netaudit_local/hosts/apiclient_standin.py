"""The stand-in `apiclient` of the local Bottlerocket-shaped host (its control container's
/usr/local/bin/apiclient, where host-ctr mounts the real one; the image builder gives it a
`python -I -S` shebang).

Models only what the probe uses of Bottlerocket's apiclient (bottlerocket-core-kit
sources/api/apiclient/src/main.rs `parse_exec_args`, exec.rs): `apiclient exec [-t|-T] TARGET
CMD ARGS...`. The argv goes, NUL-separated, over the unix socket /run/api.sock (where Bottlerocket
mounts its API socket into host containers) to `netaudit_local.hosts.host_api`, then stdin; what
comes back is the command's stdout and stderr as ONE stream (the API server gives the process one
pipe for both) and its exit status, which becomes this process's.

Frames from the server: b"O" + 4-byte length + bytes of output; b"X" + 4-byte exit status.
Imports `_socket` only: it starts in a few milliseconds (one start per host command).
"""

import _socket
import os
import sys

SOCKET = "/run/api.sock"


def _usage(message: str) -> int:
    os.write(2, f"{message}\nusage: apiclient exec [-t|-T] TARGET COMMAND [ARG...]\n".encode())
    return 2


def recv_exact(sock: "_socket.socket", n: int) -> bytes:
    """Exactly n bytes from the socket (the host API server reads its requests with it too)."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the API server closed the connection")
        data += chunk
    return data


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "exec":
        return _usage("the stand-in apiclient models only `exec`")
    rest = argv[1:]
    while rest and rest[0] in ("-t", "--tty", "-T", "--no-tty"):
        rest = rest[1:]  # no pseudo-terminal is ever made here: output is one pipe either way
    if rest and rest[0].startswith("-"):
        return _usage(f"Unknown argument '{rest[0]}'")
    if len(rest) < 2:
        return _usage("Missing required argument 'target'" if not rest else "Must specify a command")
    stdin = b""
    if not os.isatty(0):
        chunks = []
        while chunk := os.read(0, 65536):
            chunks.append(chunk)
        stdin = b"".join(chunks)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(SOCKET)
    except OSError as exc:
        os.write(2, f"Failed to exec: connect {SOCKET}: {exc}\n".encode())
        return 1
    request = b"\0".join(a.encode() for a in rest)
    sock.sendall(len(request).to_bytes(4, "big") + request + len(stdin).to_bytes(4, "big") + stdin)
    while True:
        kind = recv_exact(sock, 1)
        value = int.from_bytes(recv_exact(sock, 4), "big")
        if kind == b"X":
            return value
        data = recv_exact(sock, value)
        while data:
            data = data[os.write(1, data) :]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
