"""Fault injection for every /cgi-bin and /sns call: latency, timeouts, HTTP 5xx and errcodes by rate.

One random draw per call decides the outcome, so a seeded run fails the same calls every time.
The /_mock control endpoints and the OAuth2 authorize page are never faulted.
"""

from dataclasses import dataclass, field

from flask import Response, current_app, request

from .errors import ERRMSG, error_response

FAULTY_PREFIXES = ("/cgi-bin/", "/sns/", "/datacube/")
MAX_LATENCY_MS = 60_000
TIMEOUT = "timeout"
HTTP_5XX = "http_5xx"


class FaultsError(ValueError):
    """A fault configuration that cannot be used; the message says why (Chinese, then English)."""


def _rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise FaultsError(f"{name} 必须是 0 到 1 之间的数 must be a number from 0 to 1")
    return float(value)


@dataclass(frozen=True)
class Faults:
    latency_ms: int = 0
    timeout_rate: float = 0.0
    http_5xx_rate: float = 0.0
    errcodes: dict[int, float] = field(default_factory=dict)
    seed: int | None = None

    @classmethod
    def from_json(cls, data) -> "Faults":
        if not isinstance(data, dict):
            raise FaultsError("请求体须为 JSON 对象 the body must be a JSON object")
        unknown = sorted(set(data) - {"latency_ms", "timeout_rate", "http_5xx_rate", "errcodes", "seed"})
        if unknown:
            raise FaultsError(f"未知字段 unknown field: {', '.join(unknown)}")
        latency = data.get("latency_ms", 0)
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= MAX_LATENCY_MS:
            raise FaultsError(f"latency_ms 必须是 0 到 {MAX_LATENCY_MS} 的整数 must be a whole number "
                              f"from 0 to {MAX_LATENCY_MS}")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultsError("seed 必须是整数或 null must be a whole number or null")
        errcodes = data.get("errcodes") or {}
        if not isinstance(errcodes, dict):
            raise FaultsError('errcodes 须为对象，如 {"45009": 0.1} errcodes must be an object')
        parsed = {}
        for key, value in errcodes.items():
            try:
                code = int(key)
            except (TypeError, ValueError):
                code = None
            if code not in ERRMSG or code == 0:
                raise FaultsError(f"未知的错误码 unknown errcode: {key}")
            parsed[code] = _rate(value, f"errcodes[{key}]")
        faults = cls(latency, _rate(data.get("timeout_rate", 0), "timeout_rate"),
                     _rate(data.get("http_5xx_rate", 0), "http_5xx_rate"), parsed, seed)
        if faults.total_rate > 1:
            raise FaultsError("各故障比率之和不能超过 1 the rates must not add up to more than 1")
        return faults

    def to_json(self) -> dict:
        return {
            "latency_ms": self.latency_ms,
            "timeout_rate": self.timeout_rate,
            "http_5xx_rate": self.http_5xx_rate,
            "errcodes": {str(code): rate for code, rate in self.errcodes.items()},
            "seed": self.seed,
        }

    @property
    def total_rate(self) -> float:
        return self.timeout_rate + self.http_5xx_rate + sum(self.errcodes.values())

    def outcome(self, draw: float):
        """What a call with random `draw` in [0, 1) gets: None (no fault), TIMEOUT, HTTP_5XX or an errcode."""
        bound = self.timeout_rate
        if draw < bound:
            return TIMEOUT
        bound += self.http_5xx_rate
        if draw < bound:
            return HTTP_5XX
        for code, rate in self.errcodes.items():
            bound += rate
            if draw < bound:
                return code
        return None


def inject_faults():
    """before_request: answer with the injected fault, or None to let the call through."""
    if not request.path.startswith(FAULTY_PREFIXES):
        return None
    state = current_app.extensions["mock_wechat"]
    with state.lock:
        state.api_calls += 1
        faults = state.faults
        outcome = faults.outcome(state.rng.random())
        if outcome is not None:
            state.faults_injected += 1
    if faults.latency_ms:
        state.sleep(faults.latency_ms / 1000)
    if outcome is None:
        return None
    if outcome == TIMEOUT:  # hold the answer past any sensible client timeout
        state.sleep(state.settings.timeout_seconds)
        return error_response(-1)
    if outcome == HTTP_5XX:
        return Response("503 Service Unavailable", status=503, mimetype="text/plain")
    return error_response(outcome)
