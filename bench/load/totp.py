"""RFC 6238 codes, as the simulated staff's authenticator app shows them (6 digits, 30 s, SHA-1)."""
import hashlib
import hmac
import struct
import time


def totp(key_hex: str, at: float | None = None) -> str:
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return str((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000).zfill(6)
