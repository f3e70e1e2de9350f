"""The baseline for bench/wechat_wrk.py: a bare Flask app that answers every POST /wechat with "success",
served by gunicorn with the same settings as the service (`bare_app:app`)."""

from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/wechat")
def wechat() -> Response:
    request.get_data()  # read the body, as the service does (an unread body costs gunicorn the keep-alive)
    return Response("success", mimetype="text/plain")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")
