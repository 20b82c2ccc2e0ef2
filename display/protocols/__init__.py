"""Controller protocols for the LED board: one module per real, documented protocol.

Every protocol is pure bytes in, bytes out (no I/O) and offers the same interface, so the link
(`display.link`) and the virtual board (`display.simulator`) work with any of them:

- `memory_setup()` -> frames to send after the port (re)opens, before any content;
- `encode_update(new, shown)` -> frames that turn what the board shows (`shown`, the content
  it last acknowledged; None = unknown, send everything) into `new`. Only what changed goes
  on the wire: an Alpha DOTS tile, a BX dynamic area;
- `full_refresh(content)` -> memory setup plus the whole board (what a reconnect costs);
- `decoder()` -> an incremental `FrameDecoder` for the byte stream (frames and
  `ProtocolError`s, resynchronising on the next frame start);
- `expects_ack`, `ack_per_frame`, `ack_query()`, `parse_ack(frame)` -> how the controller
  confirms: BX answers every frame with ACK/NACK; Alpha has no positive ack for writes, so the
  link sends `ack_query()` (a read-back) after a batch and `parse_ack` checks the answer.

`get_protocol(name, config)` builds one from the registry (`PROTOCOLS`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from display.errors import DisplayError

if TYPE_CHECKING:
    from display.board import AreaContent
    from display.config import BoardConfig

BoardContentLike = Mapping[str, "AreaContent"]
ShownState = BoardContentLike | Sequence[BoardContentLike] | None
"""What the board may show: one content, several possible ones (a batch failed half-way:
the old state, the target, or a mix), or None (unknown: send everything)."""


def possible_states(shown: ShownState) -> list[BoardContentLike | None]:
    if shown is None:
        return [None]
    if isinstance(shown, Mapping):
        return [shown]
    return list(shown) or [None]


class ProtocolError(DisplayError, ValueError):
    """Bytes that are not a valid frame of the protocol; says what is wrong and where."""


class ChecksumError(ProtocolError):
    """A frame whose checksum/CRC does not match its contents."""


@dataclass(frozen=True)
class Ack:
    """The controller's answer to a frame or batch: ok (ACK) or not (NACK, with the reason)."""

    ok: bool
    detail: str = ""


class FrameDecoder(ABC):
    """Incremental decoder: feed any chunk of bytes, get back whole frames and errors.

    Never raises for bad input: garbage, truncated frames and checksum failures come back
    as `ProtocolError` items in the result list, and decoding resumes at the next frame start.
    """

    @abstractmethod
    def feed(self, data: bytes) -> list[Any]:
        """Frames (protocol-specific objects) and `ProtocolError`s found so far, in order."""

    @abstractmethod
    def reset(self) -> None:
        """Forget a half-received frame (after the port was reopened)."""


class BoardProtocol(ABC):
    """Common interface of the controller protocols (see the module docstring)."""

    name: ClassVar[str]
    title: ClassVar[str]
    expects_ack: bool = True
    ack_per_frame: bool = True

    def __init__(self, config: BoardConfig) -> None:
        self.config = config

    @abstractmethod
    def memory_setup(self) -> list[bytes]: ...

    @abstractmethod
    def encode_update(self, new: BoardContentLike, shown: ShownState) -> list[bytes]: ...

    def full_refresh(self, content: BoardContentLike) -> list[bytes]:
        return self.memory_setup() + self.encode_update(content, None)

    def encode_area(self, name: str, content: AreaContent, shown: BoardContentLike | None = None) -> list[bytes]:
        """Frames that change only area `name` (the other areas as in `shown`)."""
        new = dict(shown or {})
        new[name] = content
        return self.encode_update(new, shown)

    @abstractmethod
    def decoder(self) -> FrameDecoder: ...

    def ack_query(self) -> bytes | None:
        """A frame that makes the controller answer (None: it answers every frame by itself)."""
        return None

    def pause_points(self, frame: bytes) -> list[int]:
        """Offsets in `frame` after which the writer pauses `pause_s`; none here."""
        return []

    pause_s: float = 0.0

    @abstractmethod
    def parse_ack(self, frame: Any) -> Ack | None:
        """The ACK/NACK carried by a decoded frame, or None if the frame is not an answer."""

    def describe(self, frame: Any) -> str:
        """One line for a technician (`yizhan led-send --dump`)."""
        return repr(frame)


def _registry() -> dict[str, type[BoardProtocol]]:
    from display.protocols.alpha import AlphaProtocol
    from display.protocols.bx import BxProtocol
    from display.protocols.bx_picture import BxPictureProtocol

    return {AlphaProtocol.name: AlphaProtocol, BxProtocol.name: BxProtocol, BxPictureProtocol.name: BxPictureProtocol}


PROTOCOL_NAMES = ("alpha", "bx", "bx-picture")


def get_protocol(name: str, config: BoardConfig, **options: Any) -> BoardProtocol:
    """The protocol `name` ("alpha", "bx" or "bx-picture") for the board described by `config`."""
    registry = _registry()
    try:
        cls = registry[name]
    except KeyError:
        raise ValueError(f"unknown board protocol {name!r}; known: {', '.join(sorted(registry))}") from None
    return cls(config, **options)
