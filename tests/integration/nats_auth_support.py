"""nats-server in nkey mode and in operator (JWT) mode, with the user's seed file and creds file."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nkeys

from soakwatch.stack import Server, find_binary, free_port


@dataclass(frozen=True)
class AuthServer:
    """A running nats-server and the CLI flags a client needs to pass its authentication."""

    server: Server
    flags: list[str]


def keypair(prefix: int) -> nkeys.KeyPair:
    return nkeys.from_seed(nkeys.encode_seed(os.urandom(32), prefix))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(issuer: nkeys.KeyPair, subject: str, name: str, nats: dict) -> str:
    """A NATS JWT (v2) for ``subject`` signed by ``issuer``."""
    claims = {"iat": int(time.time()), "iss": issuer.public_key.decode(), "name": name, "sub": subject,
              "nats": {**nats, "version": 2}}
    digest = hashlib.new("sha512_256", json.dumps(claims, sort_keys=True).encode()).digest()
    claims["jti"] = base64.b32encode(digest).decode().rstrip("=")
    head = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(issuer.sign(f'{head}.{body}'.encode()))}"


_NO_LIMITS = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True, "conn": -1,
              "leaf": -1}


def creds_file(user_jwt: str, seed: bytes) -> str:
    return (f"-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n"
            f"-----BEGIN USER NKEY SEED-----\n{seed.decode()}\n------END USER NKEY SEED------\n")


def _start(directory: Path, config: str) -> Server:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nats.conf").write_text(config)
    port, monitor = free_port(), free_port()
    argv = [find_binary("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor),
            "-c", str(directory / "nats.conf")]
    return Server("nats-server", argv, f"http://127.0.0.1:{monitor}/healthz", directory / "nats-server.log",
                  url=f"nats://127.0.0.1:{port}", ports={"client": port, "monitor": monitor}).start()


def nkey_server(directory: Path) -> AuthServer:
    """nats-server that admits one nkey user; the client gets ``--nkey SEEDFILE``."""
    user = keypair(nkeys.PREFIX_BYTE_USER)
    seed = directory / "user.nk"
    directory.mkdir(parents=True, exist_ok=True)
    seed.write_bytes(user.seed + b"\n")
    server = _start(directory, f"authorization {{ users: [ {{ nkey: {user.public_key.decode()} }} ] }}\n")
    return AuthServer(server, ["--nkey", str(seed)])


def operator_server(directory: Path) -> AuthServer:
    """nats-server in operator mode with a memory resolver; the client gets ``--creds FILE``."""
    operator, account = keypair(nkeys.PREFIX_BYTE_OPERATOR), keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    user = keypair(nkeys.PREFIX_BYTE_USER)
    operator_jwt = jwt(operator, operator.public_key.decode(), "op", {"type": "operator"})
    account_jwt = jwt(operator, account.public_key.decode(), "acct", {"type": "account", "limits": _NO_LIMITS})
    user_jwt = jwt(account, user.public_key.decode(), "user",
                   {"type": "user", "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1})
    directory.mkdir(parents=True, exist_ok=True)
    creds = directory / "user.creds"
    creds.write_text(creds_file(user_jwt, user.seed))
    config = (f"operator: {operator_jwt}\nresolver: MEMORY\n"
              f"resolver_preload: {{ {account.public_key.decode()}: {account_jwt} }}\n")
    return AuthServer(_start(directory, config), ["--creds", str(creds)])
