"""Whether the bytes received so far hold a whole HTTP/1.1 request (head and body)."""

from __future__ import annotations

# Past this size the head is malformed anyway: gunicorn's parser then answers 400 or 431.
MAX_HEAD = 64 * 1024
# Bodies up to this size are received in full before a thread serves them (photos: 16 MB).
MAX_BUFFERED_BODY = 16 * 1024 * 1024 + 64 * 1024


def _chunked_complete(body: bytes) -> bool:
    """Whether a chunked body has arrived up to its last chunk and trailers."""
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            return False
        size_text = body[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return True  # malformed: let the parser answer 400
        position = line_end + 2
        if size == 0:
            # Trailers, each on a line, up to an empty line.
            while True:
                line_end = body.find(b"\r\n", position)
                if line_end < 0:
                    return False
                if line_end == position:
                    return True
                position = line_end + 2
        position += size + 2
        if position > len(body):
            return False


def request_is_complete(data: bytes) -> bool:
    """True once ``data`` holds a request that can be served without waiting for the client.

    Also True when waiting longer would not help: a head too large, a body larger than we
    buffer, an ``Expect: 100-continue`` head (the client waits for our answer) or a head the
    parser will refuse.
    """
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return len(data) > MAX_HEAD
    body = data[head_end + 4:]
    length = None
    chunked = False
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return True
        elif name == b"transfer-encoding" and b"chunked" in value:
            chunked = True
        elif name == b"expect" and value == b"100-continue":
            return True
    if chunked:
        return len(body) > MAX_BUFFERED_BODY or _chunked_complete(body)
    if length is None or length > MAX_BUFFERED_BODY:
        return True
    return len(body) >= length
