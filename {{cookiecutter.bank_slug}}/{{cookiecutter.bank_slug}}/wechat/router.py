"""Maps text keywords, menu CLICK keys, events and message types to handler functions.

Domain packages register their handlers at start-up (`register(router)` in each handler module);
the endpoint only ever calls `router.dispatch(message)`, so new features never touch it.

A handler takes the wechatpy message and returns a wechatpy reply, a str (sent as text) or None
(nothing to say: WeChat gets "success"). Handlers run on the request thread; one registered with
`slow=True` (it calls another system, such as a remote core banking) runs on a handler thread so that WeChat
still gets its answer within the budget (wechat/processing.py), and so does one that once overran it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel.speaklater import LazyString
from wechatpy.messages import BaseMessage
from wechatpy.replies import BaseReply, TextReply

Handler = Callable[[BaseMessage], BaseReply | str | None]


@dataclass(frozen=True)
class Command:
    """A text command shown in the help list."""

    keywords: tuple[str, ...]
    summary: str
    order: int


def normalise(text: str) -> str:
    """How keywords are compared: runs of whitespace folded to one space, case-insensitive."""
    return " ".join((text or "").split()).casefold()


class Router:
    def __init__(self) -> None:
        self._keywords: dict[str, Handler] = {}
        self._clicks: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._observers: dict[str, list[Handler]] = {}
        self._types: dict[str, Handler] = {}
        self._commands: list[Command] = []
        self._text_rules: list[Handler] = []
        self._claimers: list[Callable[[BaseMessage], Handler | None]] = []
        self._fallback_text: Handler | None = None
        self._unsupported: Handler | None = None
        self._slow: set[Handler] = set()
        self._unmatched: Handler | None = None  # built once from the text rules and the fallback
        self.memo: dict = {}  # what handlers build once from the registrations (the help text)

    # -- registration -------------------------------------------------------------------------
    def text(self, *keywords: str, summary: str | None = None, order: int = 100, slow: bool = False):
        """Exact keywords (case- and whitespace-insensitive); `summary` lists it in 帮助."""

        def decorator(handler: Handler) -> Handler:
            self._mark(handler, slow)
            for keyword in keywords:
                key = normalise(keyword)
                if key in self._keywords:
                    raise ValueError(f"keyword {keyword!r} is registered twice")
                self._keywords[key] = handler
            if summary:
                self._commands.append(Command(tuple(keywords), summary, order))
            return handler

        return decorator

    def click(self, *keys: str, slow: bool = False):
        """Custom-menu CLICK keys (EventKey), matched exactly."""

        def decorator(handler: Handler) -> Handler:
            self._mark(handler, slow)
            for key in keys:
                self._clicks[key] = handler
            return handler

        return decorator

    def event(self, *events: str, slow: bool = False):
        """Events by wechatpy's lower-case name: subscribe, unsubscribe, scan, view, ..."""

        def decorator(handler: Handler) -> Handler:
            self._mark(handler, slow)
            for name in events:
                self._events[name.lower()] = handler
            return handler

        return decorator

    def observe(self, *events: str):
        """Also call `listener(message)` for these events, before their handler, its return ignored: a feature
        that records an event another feature answers (QR attribution on a follow, the welcome its reply)."""

        def decorator(listener: Handler) -> Handler:
            for name in events:
                self._observers.setdefault(name.lower(), []).append(listener)
            return listener

        return decorator

    def claim(self, claimer: Callable[[BaseMessage], Handler | None]):
        """Consulted first, in registration order, for every message that is not an event: `claimer(message)`
        returns the handler that takes the message before keyword routing (a feature with an open conversation
        with the sender), or None to let it route as usual. Keep it quick: it runs for every message."""
        self._claimers.append(claimer)
        return claimer

    def message_type(self, *types: str, slow: bool = False):
        def decorator(handler: Handler) -> Handler:
            self._mark(handler, slow)
            for name in types:
                self._types[name] = handler
            return handler

        return decorator

    def text_rule(self, handler: Handler) -> Handler:
        """Consulted, in registration order, for text no keyword matched, before the fallback; a rule
        returns None to pass the message on (the staff-edited keyword replies are one)."""
        self._text_rules.append(handler)
        self._unmatched = None
        return handler

    def fallback_text(self, handler: Handler) -> Handler:
        self._fallback_text = handler
        self._unmatched = None
        return handler

    def _mark(self, handler: Handler, slow: bool) -> None:
        if slow:
            self._slow.add(handler)

    def mark_slow(self, handler: Handler) -> None:
        """From now on run `handler` on a handler thread (it overran the reply budget once)."""
        self._slow.add(handler)

    def is_slow(self, handler: Handler) -> bool:
        return handler in self._slow

    def unsupported(self, handler: Handler) -> Handler:
        self._unsupported = handler
        return handler

    # -- lookup -------------------------------------------------------------------------------
    @property
    def commands(self) -> list[Command]:
        return sorted(self._commands, key=lambda c: (c.order, c.keywords))

    @property
    def command_count(self) -> int:
        return len(self._commands)

    def handles_click(self, key: str) -> bool:
        return key in self._clicks

    def handles_text(self, keyword: str) -> bool:
        return normalise(keyword) in self._keywords

    def resolve(self, message: BaseMessage) -> Handler | None:
        if message.type != "event":
            for claimer in self._claimers:
                handler = claimer(message)
                if handler is not None:
                    return handler
        if message.type == "text":
            handler = self._keywords.get(normalise(message.content))
            return handler or self._types.get("text") or self._unmatched_text()
        if message.type == "event":
            event = (message.event or "").lower()
            if event == "click":
                handler = self._clicks.get(message.key or "")
                return handler or self._events.get("click") or self._unsupported
            if event in self._events:
                return self._events[event]
            return None  # events nobody handles get "success", never a reply
        return self._types.get(message.type) or self._unsupported

    def _unmatched_text(self) -> Handler | None:
        if not self._text_rules:
            return self._fallback_text
        if self._unmatched is None:
            rules, fallback = list(self._text_rules), self._fallback_text

            def rules_then_fallback(message: BaseMessage):
                for rule in rules:
                    reply = rule(message)
                    if reply is not None:
                        return reply
                return fallback(message) if fallback else None

            if any(self.is_slow(h) for h in [*rules, fallback] if h):
                self._slow.add(rules_then_fallback)
            self._unmatched = rules_then_fallback
        return self._unmatched

    def dispatch(self, message: BaseMessage) -> BaseReply | None:
        return self.run(self.resolve(message), message)

    def run(self, handler: Handler | None, message: BaseMessage) -> BaseReply | None:
        """Call the observers of the event, then a handler `resolve` found; a str it returns becomes a text reply."""
        if message.type == "event":
            for listener in self._observers.get((message.event or "").lower(), ()):
                listener(message)
        if handler is None:
            return None
        reply = handler(message)
        if isinstance(reply, str | LazyString):  # LazyString: a text marked with _l, translated here
            return TextReply(message=message, content=str(reply))
        return reply
