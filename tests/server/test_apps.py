"""Real applications, unmodified: Starlette and FastAPI (ASGI), Flask (WSGI); httpx and requests."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import requests

from tests.server.serving import running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from starlette.requests import Request

starlette = pytest.importorskip("starlette")
fastapi = pytest.importorskip("fastapi")
flask = pytest.importorskip("flask")


def make_starlette(events: list[str], background_done: threading.Event) -> Any:
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
    from starlette.routing import Route

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        yield {"greeting": "bonjour"}
        events.append("shutdown")

    async def json_view(request: Request) -> JSONResponse:
        return JSONResponse({"path": request.url.path, "greeting": request.state.greeting})

    async def form_view(request: Request) -> JSONResponse:
        form = await request.form()
        return JSONResponse({k: str(v) for k, v in form.items()})

    async def upload_view(request: Request) -> JSONResponse:
        form = await request.form()
        upload = form["file"]
        data = await upload.read()  # type: ignore[union-attr]
        return JSONResponse({"name": upload.filename, "size": len(data)})  # type: ignore[union-attr]

    async def stream_view(request: Request) -> StreamingResponse:
        async def numbers() -> AsyncIterator[bytes]:
            for i in range(5):
                yield f"{i}\n".encode()

        return StreamingResponse(numbers(), media_type="text/plain")

    def after() -> None:
        background_done.set()

    async def background_view(request: Request) -> PlainTextResponse:
        return PlainTextResponse("queued", background=BackgroundTask(after))

    return Starlette(
        routes=[
            Route("/json", json_view),
            Route("/form", form_view, methods=["POST"]),
            Route("/upload", upload_view, methods=["POST"]),
            Route("/stream", stream_view),
            Route("/background", background_view),
        ],
        lifespan=lifespan,
    )


def test_starlette_app_with_httpx_and_requests() -> None:
    events: list[str] = []
    background_done = threading.Event()
    app = make_starlette(events, background_done)
    with running(app, lifespan="on") as server:
        assert events == ["startup"]
        with httpx.Client(base_url=server.url) as client:
            r = client.get("/json")
            assert r.json() == {"path": "/json", "greeting": "bonjour"}
            r = client.post("/form", data={"name": "Juan Garcia", "request": "catalogo"})
            assert r.json() == {"name": "Juan Garcia", "request": "catalogo"}
            r = client.get("/stream")
            assert r.text == "0\n1\n2\n3\n4\n"
            assert r.headers["transfer-encoding"] == "chunked"
            r = client.get("/background")
            assert r.text == "queued"
            assert background_done.wait(5)
        with requests.Session() as session:
            payload = b"\x00\x01" * 100_000
            rr = session.post(f"{server.url}/upload", files={"file": ("data.bin", payload)})
            assert rr.json() == {"name": "data.bin", "size": len(payload)}
            rr = session.get(f"{server.url}/json")
            assert rr.status_code == 200
            assert rr.headers["server"] == "crlf"
    assert events == ["startup", "shutdown"]


# FastAPI resolves annotations by name in the module namespace (this file uses
# ``from __future__ import annotations``), so what endpoints annotate with lives here.
from fastapi import BackgroundTasks, UploadFile  # noqa: E402, TC002 - needed at runtime
from pydantic import BaseModel  # noqa: E402


class Item(BaseModel):
    """A JSON body for the FastAPI test (module level: annotations are resolved by name)."""

    name: str
    price: float


def make_fastapi(events: list[str]) -> Any:
    from fastapi import FastAPI, Form
    from fastapi.responses import StreamingResponse

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.post("/items")
    async def create(item: Item) -> dict[str, Any]:
        return {"name": item.name, "double": item.price * 2}

    @app.post("/contact")
    async def contact(name: str = Form(), request: str = Form()) -> dict[str, str]:
        return {"name": name, "request": request}

    @app.post("/upload")
    async def upload(file: UploadFile) -> dict[str, Any]:
        data = await file.read()
        return {"name": file.filename, "size": len(data)}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def gen() -> Iterator[bytes]:
            yield from (b"a", b"b", b"c")

        return StreamingResponse(gen())

    @app.get("/later")
    async def later(tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(events.append, "background")
        return {"ok": True}

    @app.get("/sync")
    def sync_view() -> dict[str, str]:
        return {"threaded": "yes"}

    return app


def test_fastapi_app_with_httpx_and_requests() -> None:
    events: list[str] = []
    with running(make_fastapi(events), lifespan="on") as server:
        with httpx.Client(base_url=server.url) as client:
            assert client.post("/items", json={"name": "x", "price": 2.5}).json() == {
                "name": "x",
                "double": 5.0,
            }
            r = client.post("/contact", data={"name": "Juan Garcia", "request": "Envieme"})
            assert r.json() == {"name": "Juan Garcia", "request": "Envieme"}
            assert client.get("/stream").text == "abc"
            assert client.get("/later").json() == {"ok": True}
            assert client.get("/sync").json() == {"threaded": "yes"}
            assert client.post("/items", json={"name": "x"}).status_code == 422
        with requests.Session() as session:
            rr = session.post(f"{server.url}/upload", files={"file": ("f.txt", b"z" * 70_000)})
            assert rr.json() == {"name": "f.txt", "size": 70_000}
    assert events[0] == "startup"
    assert "background" in events
    assert events[-1] == "shutdown"


def make_flask() -> Any:
    from flask import Flask, Response, jsonify, request, stream_with_context

    app = Flask(__name__)

    @app.get("/")
    def index() -> Any:
        return jsonify(path=request.path, query=request.args.get("q"))

    @app.post("/form")
    def form() -> Any:
        return jsonify(dict(request.form))

    @app.post("/upload")
    def upload() -> Any:
        f = request.files["file"]
        return jsonify(name=f.filename, size=len(f.read()))

    @app.post("/echo")
    def echo() -> Any:
        return Response(request.get_data(), mimetype="application/octet-stream")

    @app.get("/stream")
    def stream() -> Any:
        def gen() -> Iterator[str]:
            for i in range(3):
                yield f"line {i}\n"

        return Response(stream_with_context(gen()), mimetype="text/plain")

    @app.get("/missing")
    def missing() -> Any:
        return "nope", 404

    return app


def test_flask_app_under_wsgi_interface() -> None:
    with running(make_flask(), interface="wsgi") as server:
        with requests.Session() as session:
            r = session.get(f"{server.url}/?q=fr")
            assert r.json() == {"path": "/", "query": "fr"}
            r = session.post(f"{server.url}/form", data={"name": "Juan Garcia"})
            assert r.json() == {"name": "Juan Garcia"}
            r = session.post(f"{server.url}/upload", files={"file": ("a.txt", b"q" * 100_000)})
            assert r.json() == {"name": "a.txt", "size": 100_000}
            assert session.get(f"{server.url}/stream").text == "line 0\nline 1\nline 2\n"
            assert session.get(f"{server.url}/missing").status_code == 404
        with httpx.Client(base_url=server.url) as client:
            big = bytes(range(256)) * 4096  # 1 MiB, streamed both ways

            def chunks() -> Iterator[bytes]:
                for i in range(0, len(big), 65536):
                    yield big[i : i + 65536]

            hr = client.post("/echo", content=chunks())  # chunked request body
            assert hr.content == big


def test_flask_app_auto_detected_as_wsgi() -> None:
    with running(make_flask()) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/?q=x").json() == {"path": "/", "query": "x"}
