"""FastAGI: the codec (pure) and an asyncio server."""

from dialer.agi.codec import AgiProtocolError, AgiReply, AgiRequest, format_command, parse_reply
from dialer.agi.server import AgiHangup, AgiServer, AgiSession, Handler

__all__ = [
    "AgiHangup",
    "AgiProtocolError",
    "AgiReply",
    "AgiRequest",
    "AgiServer",
    "AgiSession",
    "Handler",
    "format_command",
    "parse_reply",
]
