"""The embedded Asterisk: a cached Debian sid root with Asterisk 22, run under chroot."""

from dialer.sandbox.asterisk import (
    Sandbox,
    SandboxError,
    default_cache,
    ensure_root,
    load_state,
    new_sandbox,
    start,
    status,
    stop,
)
from dialer.sandbox.instances import instance_name

__all__ = [
    "Sandbox",
    "SandboxError",
    "default_cache",
    "ensure_root",
    "instance_name",
    "load_state",
    "new_sandbox",
    "start",
    "status",
    "stop",
]
